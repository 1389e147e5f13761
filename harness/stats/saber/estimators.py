"""ASR@N estimators (SABER paper eqs. 11-16 plus our variants). All take grouped counts and return one value
per target budget N. Every estimator is a mean over queries, so the same code serves the query bootstrap.

Names (the `--estimator` choices):
- naive: eq 15, mean_i 1 - (1 - k_i/n_i)^N. Baseline; biased low (queries with k_i = 0 add nothing).
- plugin: eq 11 with the small-N correction (eq 56): 1 - Γ(a+b)/Γ(b)·(N + b + (a-1)/2)^-a.
- anchored: eq 12, 1 - (1 - ASR@n)(n/N)^a. With uneven budgets each query is anchored at its own n_i,
  1 - mean_i 1{k_i=0}(n_i/N)^a, which is eq 12 when budgets are equal (the package instead anchors at
  int(mean n_i), which is biased low).
- anchored_exact: exact ratio, 1 - mean_i 1{k_i=0}·B(a, b+N)/B(a, b+n_i) (ours; removes the (n/N)^a bias at large b).
- anchored_per_query: the same per-query exact-ratio anchor (the name used for uneven budgets).
- eb_posterior: 1 - mean_i B(a+k_i, b+n_i-k_i+N)/B(a+k_i, b+n_i-k_i): posterior expectation per query.
- combinatorial: 1 - mean_i C(n_i-k_i, N)/C(n_i, N); unbiased, only for N <= min n_i (NaN beyond).
- loglinear: Hughes et al. / SABER-Fit (eq 13): fit log(-log ASR@m) = log A - B log m on the combinatorial
  curve (m = 5..min n_i, weights 1/m, as saber-risk does) and predict exp(-A N^-B).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import betaln, gammaln

from harness.stats.saber.data import QueryCounts

Estimator = Callable[[np.ndarray, QueryCounts, float, float], np.ndarray]


def _N(N: np.ndarray | float) -> np.ndarray:
    return np.atleast_1d(np.asarray(N, dtype=float))


def _mean(values: np.ndarray, data: QueryCounts) -> np.ndarray:
    # values: (groups, len(N)) -> weighted mean over queries
    return (data.w[:, None] * values).sum(axis=0) / data.w.sum()


def model_asr(N: np.ndarray | float, alpha: float, beta: float) -> np.ndarray:
    """Exact population ASR@N under Beta(alpha, beta): 1 - B(a, b+N)/B(a, b) (Theorem 3.1)."""
    N = _N(N)
    return -np.expm1(betaln(alpha, beta + N) - betaln(alpha, beta))


def naive(N: np.ndarray | float, data: QueryCounts, alpha: float = np.nan, beta: float = np.nan) -> np.ndarray:
    theta = (data.k / data.n)[:, None]
    return _mean(1.0 - (1.0 - theta) ** _N(N)[None, :], data)


def plugin(N: np.ndarray | float, data: QueryCounts | None, alpha: float, beta: float,
           correction: bool = True) -> np.ndarray:
    N = _N(N)
    n_eff = N + beta + (alpha - 1.0) / 2.0 if correction else N
    n_eff = np.maximum(n_eff, 1e-300)
    return np.clip(1.0 - np.exp(gammaln(alpha + beta) - gammaln(beta) - alpha * np.log(n_eff)), 0.0, 1.0)


def anchored(N: np.ndarray | float, data: QueryCounts, alpha: float, beta: float = np.nan,
             correction_beta: float | None = None) -> np.ndarray:
    """Eq 12 (per-query anchors when budgets differ). `correction_beta` shifts n and N by beta + (alpha-1)/2
    (saber-risk uses beta = 1 there)."""
    N = _N(N)[None, :]
    n = data.n[:, None]
    if correction_beta is not None:
        shift = correction_beta + (alpha - 1.0) / 2.0
        n, N = n + shift, N + shift
    fail = (data.k == 0)[:, None]
    return np.clip(1.0 - _mean(fail * (n / N) ** alpha, data), 0.0, 1.0)


def anchored_exact(N: np.ndarray | float, data: QueryCounts, alpha: float, beta: float) -> np.ndarray:
    N = _N(N)[None, :]
    ratio = np.exp(betaln(alpha, beta + N) - betaln(alpha, beta + data.n[:, None]))
    return np.clip(1.0 - _mean((data.k == 0)[:, None] * ratio, data), 0.0, 1.0)


def eb_posterior(N: np.ndarray | float, data: QueryCounts, alpha: float, beta: float) -> np.ndarray:
    a = (alpha + data.k)[:, None]
    b = (beta + data.n - data.k)[:, None]
    return np.clip(1.0 - _mean(np.exp(betaln(a, b + _N(N)[None, :]) - betaln(a, b)), data), 0.0, 1.0)


def combinatorial(N: np.ndarray | float, data: QueryCounts, alpha: float = np.nan,
                  beta: float = np.nan) -> np.ndarray:
    N = _N(N)
    out = np.full(N.shape, np.nan)
    ok = (N >= 0) & (N <= data.n_min)
    if ok.any():
        m = N[ok][None, :]
        n, f = data.n[:, None], (data.n - data.k)[:, None]
        with np.errstate(invalid="ignore"):
            log_ratio = (gammaln(f + 1) - gammaln(f - m + 1)) - (gammaln(n + 1) - gammaln(n - m + 1))
        ratio = np.where(f >= m, np.exp(np.where(f >= m, log_ratio, 0.0)), 0.0)
        out[ok] = 1.0 - _mean(ratio, data)
    return out


def loglinear_fit(data: QueryCounts, num_points: int = 30) -> tuple[float, float]:
    """(A, B) of -log ASR@m = A·m^-B, fitted on the combinatorial curve like saber-risk's fit_log_linear_curve."""
    n_goal = data.n_min
    gap = max(1, (n_goal - 5) // num_points)
    m = np.arange(5, n_goal, gap, dtype=float)
    if m.size == 0:
        return (np.nan, np.nan)
    asr = combinatorial(m, data)
    ok = (asr > 0) & (asr < 1)
    if ok.sum() < 2:
        return (np.nan, np.nan)
    slope, offset = np.polyfit(np.log(m[ok]), np.log(-np.log(asr[ok])), 1, w=1.0 / m[ok])
    return (float(np.exp(offset)), float(-slope))


def loglinear(N: np.ndarray | float, data: QueryCounts, alpha: float = np.nan, beta: float = np.nan) -> np.ndarray:
    A, B = loglinear_fit(data)
    return np.exp(-A * _N(N) ** (-B))


ESTIMATORS: dict[str, Estimator] = {
    "anchored": anchored,
    "anchored_exact": anchored_exact,
    "anchored_per_query": anchored_exact,
    "plugin": plugin,
    "eb_posterior": eb_posterior,
    "naive": naive,
    "combinatorial": combinatorial,
    "loglinear": loglinear,
}
# Estimators that use the Beta-binomial fit (and so are refitted in every bootstrap resample).
USES_FIT = {"anchored", "anchored_exact", "anchored_per_query", "plugin", "eb_posterior"}


def budget_plugin(tau: float, alpha: float, beta: float) -> float:
    """Budget@tau from the plug-in law: N = (Γ(a+b)/((1-tau)Γ(b)))^(1/a)."""
    if tau >= 1.0:
        return float("inf")
    return float(np.exp((gammaln(alpha + beta) - gammaln(beta) - np.log1p(-tau)) / alpha))


def budget_anchored(tau: float, data: QueryCounts, alpha: float) -> float:
    """Budget@tau from eq 16, N = n((1-ASR@n)/(1-tau))^(1/a); with uneven budgets the per-query anchor gives
    N = (mean_i 1{k_i=0} n_i^a / (1-tau))^(1/a). If the observed ASR already reaches tau, returns the budget used
    (min n_i), as saber-risk does."""
    if tau >= 1.0:
        return float("inf")
    if data.observed_asr() >= tau:
        return float(data.n_min)
    s = float((data.w * (data.k == 0) * data.n**alpha).sum() / data.w.sum())
    return float(np.exp((np.log(s) - np.log1p(-tau)) / alpha))


def alpha_only_interval(N: np.ndarray | float, data: QueryCounts, alpha: float, se_alpha: float,
                        confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Eq 14: push alpha ± z·SE(alpha) through the anchored estimator. It covers the uncertainty in alpha ONLY
    (not the noise in the observed ASR@n) and badly under-covers; report it labelled as such."""
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    lo_a, hi_a = max(alpha - z * se_alpha, 1e-6), alpha + z * se_alpha
    x, y = anchored(N, data, hi_a), anchored(N, data, lo_a)
    return np.minimum(x, y), np.maximum(x, y)
