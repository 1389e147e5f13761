"""SABER ASR@N forecast: fit, estimators, query-level bootstrap, diagnostics and refusal on degenerate data.

The bootstrap resamples queries (with replacement), refits (alpha, beta) on every resample and recomputes the
estimator, so its interval includes the noise in both alpha and the observed anchor ASR@n. It targets the
population of queries the measured ones were drawn from (stats.md §2.2: 89-97% coverage of nominal 95%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from harness.stats.saber import estimators as est
from harness.stats.saber.data import QueryCounts, query_counts
from harness.stats.saber.diagnostics import GoodnessOfFit, degenerate_reason, goodness_of_fit, model_free_bounds
from harness.stats.saber.fit import BetaBinomialFit, ZeroInflatedFit, fit_beta_binomial, fit_many, fit_zero_inflated

ALPHA_ONLY_LABEL = "eq14 (alpha-only; ignores noise in ASR@n, under-covers)"


@dataclass(frozen=True)
class ForecastRow:
    N: int
    estimate: float  # NaN when refused (degenerate data)
    ci_low: float  # query-bootstrap percentile interval (population of queries)
    ci_high: float
    eq14_low: float  # alpha-only interval (anchored family only), NaN otherwise
    eq14_high: float
    zero_inflated: float  # the zero-inflated fit's forecast, reported beside
    lower_bound: float  # model-free bounds (always valid; the only output for degenerate data)
    upper_bound: float
    extrapolation: float  # N / max n_i
    others: dict[str, float]  # every estimator's point value


@dataclass(frozen=True)
class BudgetRow:
    tau: float
    anchored: float
    plugin: float
    ci_low: float  # bootstrap interval of the budget for the chosen estimator's family
    ci_high: float
    method: str


@dataclass
class SaberForecast:
    estimator: str
    n_queries: int
    n_min: int
    n_max: int
    even_budget: bool
    observed_asr: float  # share of queries with >= 1 success within their budget
    fit: BetaBinomialFit | None
    zero_inflated: ZeroInflatedFit | None
    gof: GoodnessOfFit | None
    rows: list[ForecastRow]
    budget: BudgetRow | None
    degenerate: str | None
    warnings: list[str] = field(default_factory=list)
    n_bootstrap: int = 0
    seed: int = 0
    confidence: float = 0.95
    curve: dict[str, list[float]] = field(default_factory=dict)  # for plots: N, estimate, ci_low, ci_high
    observed_curve: dict[str, list[float]] = field(default_factory=dict)  # m, ASR@m (combinatorial, m <= n_min)

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float | np.floating):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, np.integer | np.bool_):
        return x.item()
    return x


def _evaluate(name: str, N: np.ndarray, data: QueryCounts, a: float, b: float) -> np.ndarray:
    return est.ESTIMATORS[name](N, data, a, b)


def saber_forecast(
    k: Sequence[int] | np.ndarray | None = None,
    n: Sequence[int] | np.ndarray | int | None = None,
    budgets: Sequence[int] = (1000, 10000),
    *,
    data: QueryCounts | None = None,
    estimator: str = "anchored",
    target: float | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    curve_points: int = 60,
) -> SaberForecast:
    """Forecast ASR@N for each N in `budgets` from per-query counts (k_i successes of n_i attempts).

    Raises ValueError for bad counts or an unknown estimator; never extrapolates from degenerate data (all-fail,
    all-success, saturated anchor, under-dispersion): those return NaN estimates with model-free bounds and a
    reason in `degenerate`.
    """
    if estimator not in est.ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; choose from {', '.join(est.ESTIMATORS)}")
    if target is not None and not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), got {target}")
    if data is None:
        if k is None or n is None:
            raise ValueError("pass k and n, or data=")
        data = query_counts(k, n)
    N = np.asarray(sorted({int(x) for x in budgets}), dtype=float)
    if N.size == 0 or N.min() < 1:
        raise ValueError("budgets must be positive integers")
    warnings: list[str] = []
    K = int(round(data.n_queries))

    fit: BetaBinomialFit | None = None
    if not (np.all(data.k == 0) or np.all(data.k == data.n)):
        fit = fit_beta_binomial(data)
    reason = degenerate_reason(data, fit)
    lower, upper = model_free_bounds(N, data, confidence)
    # The forecast curve starts at the measured budget: below it the observed curve is the answer (and the
    # asymptotic laws are poor there).
    grid = np.unique(np.round(np.geomspace(data.n_min, max(N.max(), data.n_max + 1), curve_points)))
    m_obs = np.unique(np.round(np.geomspace(1, data.n_min, min(30, data.n_min))))
    observed_curve = {"m": m_obs.tolist(), "asr": est.combinatorial(m_obs, data).tolist()}
    forecast = SaberForecast(estimator, K, data.n_min, data.n_max, data.even_budget, data.observed_asr(), fit, None,
                             None, [], None, reason, warnings, n_bootstrap, seed, confidence,
                             observed_curve=observed_curve)
    if reason is not None:
        nan = float("nan")
        forecast.rows = [ForecastRow(int(x), nan, nan, nan, nan, nan, nan, float(lo), float(hi), x / data.n_max, {})
                         for x, lo, hi in zip(N, lower, upper, strict=True)]
        warnings.append(f"no extrapolation: {reason}")
        return forecast

    assert fit is not None
    a, b = fit.alpha, fit.beta
    if not fit.converged:
        warnings.append(f"fit: {fit.message}")
    gof = goodness_of_fit(data, fit)
    zi = fit_zero_inflated(data, fit)
    forecast.gof, forecast.zero_inflated = gof, zi
    if np.isfinite(gof.p_value) and gof.p_value < 0.05:
        warnings.append(f"the Beta-binomial fits poorly (chi2 = {gof.chi2:.1f}, df = {gof.df}, p = {gof.p_value:.3g}); "
                        "treat forecasts with caution")
    if zi.p_value < 0.05 or (np.isfinite(gof.zero_excess_p) and gof.zero_excess_p < 0.05):
        warnings.append(f"unbreakable queries suspected: {gof.observed_zero:.0f} all-fail queries vs "
                        f"{gof.expected_zero:.1f} expected, zero-inflated fit pi = {zi.pi:.2f} (LR p = {zi.p_value:.3g}); "
                        "Beta-based forecasts overestimate ASR at large N - see the zero-inflated column")
    if not data.even_budget and estimator == "anchored":
        warnings.append("budgets differ across queries: each query is anchored at its own n_i")
    if estimator == "combinatorial" and N.max() > data.n_min:
        warnings.append(f"combinatorial is only defined for N <= min n_i = {data.n_min}")
    if N.max() / data.n_max > 100:
        warnings.append(f"extrapolating {N.max() / data.n_max:.0f}x beyond the largest measured budget")

    point = _evaluate(estimator, N, data, a, b)
    curve_point = _evaluate(estimator, grid, data, a, b)
    others = {name: _evaluate(name, N, data, a, b) for name in est.ESTIMATORS if name != "anchored_per_query"}
    zi_values = (1.0 - zi.pi) * est.model_asr(N, zi.alpha, zi.beta)
    anchored_family = estimator.startswith("anchored")
    eq14 = est.alpha_only_interval(N, data, a, fit.se_alpha, confidence) if anchored_family and np.isfinite(
        fit.se_alpha) else (np.full(N.shape, np.nan), np.full(N.shape, np.nan))

    # Query-level bootstrap: multinomial reweighting of the distinct (k, n) groups, refit per resample.
    ci_lo = ci_hi = np.full(N.shape, np.nan)
    band_lo = band_hi = np.full(grid.shape, np.nan)
    budget_ci = (float("nan"), float("nan"))
    budget_method = "plugin" if estimator == "plugin" else "anchored"
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        weights = rng.multinomial(K, data.w / data.w.sum(), size=n_bootstrap).astype(float)
        params = fit_many(data, weights, (a, b)) if estimator in est.USES_FIT or target is not None else None
        both = np.concatenate([N, grid])
        draws = np.empty((n_bootstrap, both.size))
        budgets_b = np.empty(n_bootstrap)
        for i in range(n_bootstrap):
            d_i = data.reweighted(weights[i])
            a_i, b_i = (params[i] if params is not None else (a, b))
            draws[i] = _evaluate(estimator, both, d_i, a_i, b_i)
            if target is not None:
                budgets_b[i] = (est.budget_plugin(target, a_i, b_i) if budget_method == "plugin"
                                else est.budget_anchored(target, d_i, a_i))
        tail = 100 * (1 - confidence) / 2
        lo, hi = np.nanpercentile(draws, [tail, 100 - tail], axis=0)
        ci_lo, ci_hi, band_lo, band_hi = lo[: N.size], hi[: N.size], lo[N.size:], hi[N.size:]
        if target is not None:
            q = np.nanpercentile(budgets_b, [tail, 100 - tail])
            budget_ci = (float(q[0]), float(q[1]))
    rows = []
    for j, x in enumerate(N):
        rows.append(ForecastRow(int(x), float(point[j]), float(ci_lo[j]), float(ci_hi[j]), float(eq14[0][j]),
                                float(eq14[1][j]), float(zi_values[j]), float(lower[j]), float(upper[j]),
                                float(x / data.n_max), {name: float(v[j]) for name, v in others.items()}))
    forecast.rows = rows
    forecast.curve = {"N": grid.tolist(), "estimate": curve_point.tolist(), "ci_low": band_lo.tolist(),
                      "ci_high": band_hi.tolist()}
    if target is not None:
        forecast.budget = BudgetRow(target, est.budget_anchored(target, data, a), est.budget_plugin(target, a, b),
                                    budget_ci[0], budget_ci[1], budget_method)
    return forecast
