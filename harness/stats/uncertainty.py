"""Uncertainty for one metric: standard errors with questions as the unit, Wilson, clustered (CR1) and bootstrap CIs.

The caller passes one value per question (epochs already averaged within the question), so the standard error is
taken across questions, never across samples (Miller 2024, arXiv 2411.00640).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class MetricSummary:
    """A point estimate with its standard error and a two-sided confidence interval.

    `ci_method` names how the interval was made: "wilson", "t", "cluster-CR1-t", "bootstrap-BCa",
    "bootstrap-percentile", or "none" (no interval could be computed, e.g. n = 0).
    """

    n: int
    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    ci_method: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_NAN = float("nan")


def _empty() -> MetricSummary:
    return MetricSummary(n=0, mean=_NAN, stderr=_NAN, ci_low=_NAN, ci_high=_NAN, ci_method="none")


def _z(confidence: float) -> float:
    # statistics.NormalDist: the normal quantile without importing scipy.stats (see _t_quantile)
    from statistics import NormalDist

    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(successes: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (nan, nan) when n == 0.

    (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n); unlike the Wald interval it stays useful at 0/n and n/n.
    """
    if n <= 0:
        return (_NAN, _NAN)
    if successes < 0 or successes > n:
        raise ValueError(f"successes must be in [0, n]; got {successes} of {n}")
    z = _z(confidence)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Clamp only the rounding noise at the ends: at p = 0 the lower bound is 0 analytically.
    return (max(0.0, centre - half), min(1.0, centre + half))


def clustered_stderr(values: Sequence[float], clusters: Sequence[Any]) -> float:
    """Cluster-robust standard error of the mean (CR1: statsmodels OLS on a constant, cov_type="cluster").

    CR1 multiplies the CR0 sandwich by G/(G-1)·(n-1)/(n-k); with k = 1 (the constant) that is G/(G-1), the usual
    Stata small-sample factor.
    """
    import statsmodels.api as sm

    y = np.asarray(values, dtype=float)
    groups = _cluster_codes(clusters)
    if y.size != groups.size:
        raise ValueError(f"values ({y.size}) and clusters ({groups.size}) differ in length")
    if np.unique(groups).size < 2:
        return _NAN
    fit = sm.OLS(y, np.ones(y.size)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return float(fit.bse[0])


def _cluster_codes(clusters: Sequence[Any]) -> np.ndarray:
    # statsmodels wants integer group labels; any hashable label (str, int) is mapped to a code.
    _, codes = np.unique(np.asarray([str(c) for c in clusters], dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int64)


def _finite(values: Sequence[float], clusters: Sequence[Any] | None) -> tuple[np.ndarray, list[Any] | None]:
    x = np.asarray(values, dtype=float).reshape(-1)
    if clusters is not None and len(clusters) != x.size:
        raise ValueError(f"values ({x.size}) and clusters ({len(clusters)}) differ in length")
    keep = np.isfinite(x)
    if not keep.all():
        # Non-finite per-question values cannot be averaged; say so loudly instead of returning NaN for everything.
        warnings.warn(f"summarize_mean: ignoring {int((~keep).sum())} non-finite value(s)", RuntimeWarning, stacklevel=3)
        x = x[keep]
        if clusters is not None:
            clusters = [c for c, k in zip(clusters, keep, strict=True) if k]
    return x, (list(clusters) if clusters is not None else None)


def summarize_mean(
    values: Sequence[float], clusters: Sequence[str] | None = None, confidence: float = 0.95
) -> MetricSummary:
    """Mean of per-question values with a standard error and CI; never raises on empty input.

    - clusters given (and at least 2 distinct): CR1 clustered SE, t interval with G-1 degrees of freedom.
    - all values in {0, 1}: Wilson interval; stderr = sd(ddof=1)/sqrt(n).
    - otherwise: t interval with n-1 degrees of freedom around sd(ddof=1)/sqrt(n).
    Non-finite values are dropped with a RuntimeWarning.
    """
    x, cl = _finite(values, clusters)
    n = int(x.size)
    if n == 0:
        return _empty()
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else _NAN
    stderr = sd / math.sqrt(n) if n > 1 else _NAN

    if cl is not None:
        groups = _cluster_codes(cl)
        n_groups = int(np.unique(groups).size)
        if n_groups >= 2:
            se = clustered_stderr(x, cl)
            q = _t_quantile(0.5 + confidence / 2.0, n_groups - 1)
            return MetricSummary(n, mean, se, mean - q * se, mean + q * se, "cluster-CR1-t")

    if np.all((x == 0.0) | (x == 1.0)):
        low, high = wilson_interval(float(x.sum()), n, confidence)
        return MetricSummary(n, mean, stderr, low, high, "wilson")

    if n < 2:
        return MetricSummary(n, mean, _NAN, _NAN, _NAN, "none")
    q = _t_quantile(0.5 + confidence / 2.0, n - 1)
    return MetricSummary(n, mean, stderr, mean - q * stderr, mean + q * stderr, "t")


def _t_quantile(p: float, df: int) -> float:
    # scipy.special.stdtrit is scipy.stats.t.ppf without importing scipy.stats (1 s on these machines), which every
    # `harness run` would otherwise pay for its metrics table; binary metrics (Wilson) need neither.
    from scipy.special import stdtrit

    return float(stdtrit(df, p))


def bootstrap_ci(
    data: Sequence[float] | tuple[Sequence[float], ...],
    statistic: Callable[..., Any],
    n_resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    method: str = "BCa",
) -> MetricSummary:
    """Seeded bootstrap CI (scipy.stats.bootstrap) for a statistic that is not a plain mean.

    `data` is one 1-D sample, or a tuple of equal-length samples resampled together (paired), in which case
    `statistic` receives one argument per sample. If `statistic` accepts an `axis` keyword it is called
    vectorized (much faster). BCa falls back to the percentile method when it is undefined (e.g. all-equal data).
    """
    from scipy.stats import bootstrap

    samples = tuple(np.asarray(d, dtype=float) for d in data) if isinstance(data, tuple) else (np.asarray(data, dtype=float),)
    n = int(samples[0].size)
    if n == 0:
        return _empty()
    estimate = float(statistic(*samples))
    if n < 2:
        return MetricSummary(n, estimate, _NAN, _NAN, _NAN, "none")
    rng = np.random.default_rng(seed)
    for m in (method, "percentile") if method != "percentile" else ("percentile",):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DegenerateDataWarning on constant data: handled by the fallback
            res = bootstrap(
                samples,
                statistic,
                n_resamples=n_resamples,
                confidence_level=confidence,
                method=m,
                paired=len(samples) > 1,
                rng=np.random.default_rng(rng.integers(2**63)),
            )
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            return MetricSummary(n, estimate, float(res.standard_error), low, high, f"bootstrap-{m}")
    return MetricSummary(n, estimate, float(res.standard_error), estimate, estimate, "bootstrap-percentile")
