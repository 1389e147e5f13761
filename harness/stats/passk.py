"""Multi-sample metrics: unbiased pass@k (Chen et al. 2021), pass^k (tau-bench), maj@k and avg@k, with CIs.

Every estimator is computed per question and then averaged, so the standard error is taken across questions
(samples within a question are not independent units). k must not exceed the samples per question; beyond that
you need a model (see harness.stats.saber).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

from harness.stats.uncertainty import MetricSummary, summarize_mean


def _check(n: int, c: int, k: int) -> None:
    if n < 1 or c < 0 or c > n:
        raise ValueError(f"need 0 <= c <= n and n >= 1; got n={n}, c={c}")
    if k < 1 or k > n:
        raise ValueError(f"need 1 <= k <= n; got k={k}, n={n}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k = 1 - C(n-c, k)/C(n, k): probability that at least one of k samples drawn without
    replacement from the n is correct. Stable product form from the Codex paper (no huge binomials)."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k = C(c, k)/C(n, k): probability that all k samples are correct (tau-bench reliability)."""
    _check(n, c, k)
    if c < k:
        return 0.0
    return float(np.prod((c - np.arange(k)) / (n - np.arange(k))))


def avg_at_k(n: int, c: int) -> float:
    """avg@k: the expected mean correctness of k samples, i.e. c/n for every k <= n."""
    _check(n, c, 1)
    return c / n


def _log_comb(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)


def _arrays(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n_arr = np.asarray(n, dtype=np.int64).reshape(-1)
    c_arr = np.asarray(c, dtype=np.int64).reshape(-1)
    if n_arr.shape != c_arr.shape:
        raise ValueError(f"n ({n_arr.size}) and c ({c_arr.size}) differ in length")
    bad = np.flatnonzero((n_arr < 1) | (c_arr < 0) | (c_arr > n_arr) | (k > n_arr))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"question {i}: need 0 <= c <= n and 1 <= k <= n; got n={n_arr[i]}, c={c_arr[i]}, k={k}")
    if k < 1:
        raise ValueError(f"need k >= 1; got {k}")
    return n_arr, c_arr


def pass_at_k_array(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int) -> np.ndarray:
    """Vectorized pass@k per question (log-gamma form)."""
    n_arr, c_arr = _arrays(n, c, k)
    out = np.ones(n_arr.size)
    ok = n_arr - c_arr >= k
    out[ok] = 0.0 - np.expm1(_log_comb(n_arr[ok] - c_arr[ok], np.full(ok.sum(), k)) - _log_comb(n_arr[ok], np.full(ok.sum(), k)))
    return out


def pass_hat_k_array(n: Sequence[int] | np.ndarray, c: Sequence[int] | np.ndarray, k: int) -> np.ndarray:
    """Vectorized pass^k per question."""
    n_arr, c_arr = _arrays(n, c, k)
    out = np.zeros(n_arr.size)
    ok = c_arr >= k
    out[ok] = np.exp(_log_comb(c_arr[ok], np.full(ok.sum(), k)) - _log_comb(n_arr[ok], np.full(ok.sum(), k)))
    return out


def maj_at_k(answers: Sequence[Hashable | None], correct: Sequence[bool], k: int | None = None) -> float:
    """maj@k for one question: expected correctness of a majority vote over k of the n sampled answers.

    `answers` are the n extracted answers (None for a parse failure, which votes like any other answer and is
    never correct); `correct[j]` says whether answer j is correct. Equal answers are one candidate. The expectation
    is exact over all C(n, k) subsets (k = n: the plain vote over all samples); ties are split evenly, i.e. a tie
    among t+1 candidates counts 1/(t+1) for each.
    """
    n = len(answers)
    if len(correct) != n:
        raise ValueError(f"answers ({n}) and correct ({len(correct)}) differ in length")
    if n == 0:
        raise ValueError("maj_at_k needs at least one answer")
    k = n if k is None else k
    _check(n, 0, k)
    counts: dict[Hashable, int] = {}
    good: dict[Hashable, bool] = {}
    for a, ok in zip(answers, correct, strict=True):
        key = ("__none__",) if a is None else a
        counts[key] = counts.get(key, 0) + 1
        good[key] = good.get(key, False) or (bool(ok) and a is not None)
    keys = list(counts)
    m = [counts[key] for key in keys]
    total = 0.0
    for g, key in enumerate(keys):
        if good[key]:
            total += _win_probability(m, g, k)
    return min(1.0, total)


def _win_probability(m: list[int], g: int, k: int) -> float:
    """P(candidate g has the (tie-shared) most votes) when k of sum(m) items are drawn without replacement."""
    others = [mj for j, mj in enumerate(m) if j != g]
    n_others = len(others)
    log_total = math.lgamma(sum(m) + 1) - math.lgamma(k + 1) - math.lgamma(sum(m) - k + 1)
    prob = 0.0
    for x in range(1, min(k, m[g]) + 1):
        # ways[s, t]: ways to draw s items from the groups seen so far, each < x except t groups == x.
        ways = np.zeros((k - x + 1, n_others + 1))
        ways[0, 0] = 1.0
        for mj in others:
            nxt = np.zeros_like(ways)
            for y in range(0, min(x, mj) + 1):
                w = math.comb(mj, y)
                if y == x:
                    nxt[y:, 1:] += w * ways[: k - x + 1 - y, :-1]
                else:
                    nxt[y:, :] += w * ways[: k - x + 1 - y, :]
            ways = nxt
        share = ways[k - x, :] / (1.0 + np.arange(n_others + 1))
        prob += math.comb(m[g], x) * float(share.sum()) / math.exp(log_total)
    return prob


def summarize_per_question(values: Sequence[float] | np.ndarray, clusters: Sequence[str] | None = None,
                           confidence: float = 0.95) -> MetricSummary:
    """Mean of per-question estimates (pass@k, pass^k, maj@k, avg@k) with the across-question CI."""
    return summarize_mean(np.asarray(values, dtype=float), clusters=clusters, confidence=confidence)


def summarize_pass_at_k(n: Sequence[int], c: Sequence[int], k: int, clusters: Sequence[str] | None = None,
                        confidence: float = 0.95) -> MetricSummary:
    """pass@k over questions with its CI (questions as the unit)."""
    return summarize_per_question(pass_at_k_array(n, c, k), clusters, confidence)


def summarize_pass_hat_k(n: Sequence[int], c: Sequence[int], k: int, clusters: Sequence[str] | None = None,
                         confidence: float = 0.95) -> MetricSummary:
    """pass^k over questions with its CI."""
    return summarize_per_question(pass_hat_k_array(n, c, k), clusters, confidence)


def summarize_avg_at_k(n: Sequence[int], c: Sequence[int], clusters: Sequence[str] | None = None,
                       confidence: float = 0.95) -> MetricSummary:
    """avg@k over questions with its CI (the mean of per-question c/n)."""
    n_arr, c_arr = _arrays(n, c, 1)
    return summarize_per_question(c_arr / n_arr, clusters, confidence)


def summarize_maj_at_k(answers: Sequence[Sequence[Hashable | None]], correct: Sequence[Sequence[bool]],
                       k: int | None = None, clusters: Sequence[str] | None = None,
                       confidence: float = 0.95) -> MetricSummary:
    """maj@k over questions with its CI; answers[i] and correct[i] are question i's n samples."""
    vals = [maj_at_k(a, c, k) for a, c in zip(answers, correct, strict=True)]
    return summarize_per_question(vals, clusters, confidence)
