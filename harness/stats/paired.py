"""Paired comparison of two runs on the same questions, multiple-testing corrections and power.

`a` is the baseline, `b` the candidate: arrays aligned by question (per-question means when there are several
epochs). Every difference is b - a. These are the building blocks of `harness compare` / `harness regress`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from harness.stats.uncertainty import MetricSummary, bootstrap_ci, clustered_stderr


@dataclass(frozen=True)
class PairedResult:
    """Mean difference b - a with its paired standard error, CI and two-sided p-value."""

    n: int
    mean_a: float
    mean_b: float
    diff: float
    stderr: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test. b01: questions a got wrong and b got right; b10: a right, b wrong."""

    b01: int
    b10: int
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PermutationResult:
    """Sign-flip permutation test of mean(b - a) = 0."""

    n: int
    diff: float
    p_value: float
    n_resamples: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _aligned(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(a, dtype=float).reshape(-1)
    y = np.asarray(b, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"a ({x.size}) and b ({y.size}) must be aligned arrays of the same length")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("a and b must be finite (score errored questions explicitly instead of dropping them)")
    return x, y


def paired_difference(a: Sequence[float], b: Sequence[float], confidence: float = 0.95,
                      clusters: Sequence[str] | None = None) -> PairedResult:
    """Paired t (scipy.stats.ttest_rel(b, a)), or a CR1 cluster-robust t with G-1 df on the differences."""
    x, y = _aligned(a, b)
    n = int(x.size)
    nan = float("nan")
    if n == 0:
        return PairedResult(0, nan, nan, nan, nan, nan, nan, nan, "none")
    d = y - x
    diff = float(d.mean())
    mean_a, mean_b = float(x.mean()), float(y.mean())
    if clusters is not None:
        if len(clusters) != n:
            raise ValueError(f"clusters ({len(clusters)}) and a ({n}) differ in length")
        g = len(set(map(str, clusters)))
        if g >= 2:
            se = clustered_stderr(d, clusters)
            q = t_ppf(0.5 + confidence / 2, g - 1)
            p = float(2 * t_sf(abs(diff) / se, g - 1)) if se > 0 else (1.0 if diff == 0 else 0.0)
            return PairedResult(n, mean_a, mean_b, diff, se, diff - q * se, diff + q * se, p, "paired-cluster-CR1-t")
    if n < 2:
        return PairedResult(n, mean_a, mean_b, diff, nan, nan, nan, nan, "none")
    se = float(d.std(ddof=1) / math.sqrt(n))
    if se == 0.0:
        # All differences equal: no sampling variability to test against.
        return PairedResult(n, mean_a, mean_b, diff, 0.0, diff, diff, 1.0 if diff == 0 else 0.0, "paired-t")
    # scipy.stats.ttest_rel's statistic, step for step (central second moment times n/(n-1), then sqrt(v/n)), so
    # the p-value is the same number without importing scipy.stats (tests compare the two).
    v = float(np.mean((d - diff) ** 2)) * (n / (n - 1))
    t = diff / math.sqrt(v / n)
    q = t_ppf(0.5 + confidence / 2, n - 1)
    p = float(2 * t_sf(abs(t), n - 1))
    return PairedResult(n, mean_a, mean_b, diff, se, diff - q * se, diff + q * se, p, "paired-t")


def paired_bootstrap(a: Sequence[float], b: Sequence[float], n_resamples: int = 10000, seed: int = 0,
                     confidence: float = 0.95) -> MetricSummary:
    """Seeded paired bootstrap of mean(b) - mean(a) (questions resampled jointly; BCa, percentile fallback)."""
    x, y = _aligned(a, b)
    return bootstrap_ci((x, y), lambda u, v, axis=-1: np.mean(v, axis=axis) - np.mean(u, axis=axis),
                        n_resamples=n_resamples, seed=seed, confidence=confidence)


def mcnemar_exact(a: Sequence[float], b: Sequence[float]) -> McNemarResult:
    """Exact McNemar test for binary scores, one sample per question (statsmodels, exact binomial on b01 vs b10)."""
    x, y = _aligned(a, b)
    if not (np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all()):
        raise ValueError("mcnemar_exact needs binary (0/1) scores; use paired_difference or permutation_test")
    n10 = int(((x == 1) & (y == 0)).sum())
    n01 = int(((x == 0) & (y == 1)).sum())
    if n01 + n10 == 0:
        return McNemarResult(b01=0, b10=0, p_value=1.0)
    return McNemarResult(b01=n01, b10=n10, p_value=float(mcnemar_exact_pvalue(n01, n10)))


def permutation_test(a: Sequence[float], b: Sequence[float], n_resamples: int = 10000,
                     seed: int = 0) -> PermutationResult:
    """Two-sided sign-flip permutation test on d = b - a (scipy.stats.permutation_test, 'samples' type).

    With n <= 13 questions all 2^n sign patterns are enumerated (exact); otherwise `n_resamples` seeded draws.
    """
    from scipy import stats

    x, y = _aligned(a, b)
    d = y - x
    n = int(d.size)
    if n == 0:
        return PermutationResult(0, float("nan"), float("nan"), 0)
    res = stats.permutation_test((d,), lambda v, axis=-1: np.mean(v, axis=axis), permutation_type="samples",
                                 vectorized=True, n_resamples=n_resamples, alternative="two-sided",
                                 rng=np.random.default_rng(seed))
    return PermutationResult(n, float(d.mean()), float(min(1.0, res.pvalue)), n_resamples)


# -- distribution functions without scipy.stats --------------------------------------------------------------------
# Importing scipy.stats (or statsmodels, which imports it) costs about a second on these machines: half of a
# leaderboard's run time. scipy.stats computes these through scipy.special ufuncs; calling the same ufuncs directly
# gives the same numbers (tests/stats/test_paired.py checks them against scipy.stats/statsmodels on grids).


def t_sf(t: Any, df: Any) -> Any:
    """Student t survival function, = scipy.stats.t.sf(t, df) (which is scipy.special.stdtr(df, -t))."""
    from scipy.special import stdtr

    return stdtr(df, -np.asarray(t, dtype=float))


def t_cdf(t: Any, df: Any) -> Any:
    """Student t CDF, = scipy.stats.t.cdf(t, df)."""
    from scipy.special import stdtr

    return stdtr(df, np.asarray(t, dtype=float))


def t_ppf(q: float, df: float) -> float:
    """Student t quantile, = scipy.stats.t.ppf(q, df) for 0 < q < 1 (scipy.special.stdtrit)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


def normal_sf(z: Any) -> Any:
    """Standard normal survival function, = scipy.stats.norm.sf(z) (scipy.special.ndtr(-z))."""
    from scipy.special import ndtr

    return ndtr(-np.asarray(z, dtype=float))


def _binom_cdf_ufunc() -> Any:
    # The Boost binomial CDF that scipy.stats.binom.cdf itself calls. It lives in a private module, so fall back to
    # scipy.stats (same numbers, slower import) should a SciPy release move it. scipy.special.bdtr is not used: it
    # differs from binom.cdf far in the tail (values near 1e-300).
    try:
        from scipy.special._ufuncs import _binom_cdf

        return _binom_cdf
    except ImportError:  # pragma: no cover - depends on the SciPy release
        from scipy.stats import binom

        return lambda k, n, p: binom.cdf(k, n, p)


def mcnemar_exact_pvalue(b01: Any, b10: Any) -> Any:
    """Two-sided exact McNemar p-value from the discordant counts (vectorised): min(1, 2·P(X <= min(b01, b10))) for
    X ~ Binomial(b01 + b10, 1/2), as statsmodels' mcnemar(exact=True). 1.0 where there are no discordant pairs."""
    lo = np.minimum(np.asarray(b01, dtype=float), np.asarray(b10, dtype=float))
    n = np.asarray(b01, dtype=float) + np.asarray(b10, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.minimum(2 * _binom_cdf_ufunc()(np.floor(lo), n, 0.5), 1.0)
    return np.where(n > 0, p, 1.0)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error rate, any dependence).

    Written out with numpy (it is four lines) rather than statsmodels' multipletests, which runs a full
    gc.collect() on every call: 0.2 s each inside a leaderboard that adjusts hundreds of families.
    Tests check it against multipletests(method="holm")."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [float(x) for x in adjusted]


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate, independent or positively dependent tests).
    numpy for the same reason as `holm`; tests check it against multipletests(method="fdr_bh")."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [float(x) for x in adjusted]


def minimum_detectable_effect(n: int, sd_diff: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true mean difference a two-sided paired t test at level alpha detects with the given power.

    Solved with statsmodels TTestPower (noncentral t), so it is exact for small n; for large n it approaches
    (z_{1-alpha/2} + z_power)·sd_diff/sqrt(n). Plan with sd_diff from an A/A or earlier paired run.
    """
    from statsmodels.stats.power import TTestPower

    if n < 2:
        return float("inf")
    if sd_diff <= 0:
        return 0.0
    effect = TTestPower().solve_power(effect_size=None, nobs=n, alpha=alpha, power=power, alternative="two-sided")
    # solve_power returns a 0-d or 1-element array depending on the statsmodels code path
    return float(np.asarray(effect, dtype=float).ravel()[0]) * sd_diff
