"""SABER (arXiv 2601.22636): forecast best-of-N attack success rate ASR@N from a small per-query budget.

Entry point: `saber_forecast(k, n, budgets, estimator=..., target=..., n_bootstrap=..., seed=...)`.
Building blocks: `query_counts`, `from_first_success` (data), `fit_beta_binomial`, `fit_zero_inflated` (fit),
`harness.stats.saber.estimators` (every ASR@N estimator and Budget@tau), `goodness_of_fit` (diagnostics).
"""

from __future__ import annotations

from harness.stats.saber.data import QueryCounts, from_first_success, query_counts
from harness.stats.saber.diagnostics import GoodnessOfFit, goodness_of_fit, model_free_bounds
from harness.stats.saber.estimators import ESTIMATORS, budget_anchored, budget_plugin, model_asr
from harness.stats.saber.fit import BetaBinomialFit, ZeroInflatedFit, fit_beta_binomial, fit_zero_inflated
from harness.stats.saber.forecast import ALPHA_ONLY_LABEL, SaberForecast, saber_forecast

__all__ = [
    "ALPHA_ONLY_LABEL",
    "ESTIMATORS",
    "BetaBinomialFit",
    "GoodnessOfFit",
    "QueryCounts",
    "SaberForecast",
    "ZeroInflatedFit",
    "budget_anchored",
    "budget_plugin",
    "fit_beta_binomial",
    "fit_zero_inflated",
    "from_first_success",
    "goodness_of_fit",
    "model_asr",
    "model_free_bounds",
    "query_counts",
    "saber_forecast",
]
