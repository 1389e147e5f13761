from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import betabinom

from harness.stats.saber import (
    estimators as est,
)
from harness.stats.saber import (
    fit_beta_binomial,
    from_first_success,
    goodness_of_fit,
    query_counts,
    saber_forecast,
)
from harness.stats.saber.fit import fit_many, loglik


def _sample(alpha: float, beta: float, K: int, n, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, K)
    n_arr = np.broadcast_to(np.asarray(n), (K,)).astype(int)
    return rng.binomial(n_arr, theta), n_arr, theta


def test_loglik_equals_scipy_betabinom() -> None:
    k, n, _ = _sample(0.4, 3.0, 200, 50, 0)
    d = query_counts(k, n)
    assert loglik(0.4, 3.0, d) == pytest.approx(betabinom.logpmf(k, n, 0.4, 3.0).sum(), rel=1e-12)


def test_fit_converges_with_zero_gradient_and_beats_nearby_points() -> None:
    k, n, _ = _sample(0.3, 5.0, 300, 100, 1)
    d = query_counts(k, n)
    f = fit_beta_binomial(d)
    assert f.converged and not f.at_bound and f.grad_norm < 1e-6
    for da, db in [(1.001, 1), (0.999, 1), (1, 1.001), (1, 0.999)]:
        assert loglik(f.alpha * da, f.beta * db, d) < f.loglik
    assert f.se_alpha > 0 and f.se_beta > 0


def test_bootstrap_refits_match_single_fits() -> None:
    k, n, _ = _sample(0.3, 5.0, 300, 100, 2)
    d = query_counts(k, n)
    f = fit_beta_binomial(d)
    w = np.random.default_rng(0).multinomial(300, d.w / 300, size=20).astype(float)
    many = fit_many(d, w, (f.alpha, f.beta))
    for i in range(5):
        one = fit_beta_binomial(d.reweighted(w[i]))
        assert many[i] == pytest.approx([one.alpha, one.beta], rel=1e-5)


def test_first_success_data_give_the_same_mle_as_full_trajectories() -> None:
    rng = np.random.default_rng(3)
    theta = rng.beta(0.5, 4.0, 400)
    outcomes = rng.random((400, 60)) < theta[:, None]
    first = [int(np.argmax(row)) + 1 if row.any() else None for row in outcomes]
    fs = fit_beta_binomial(from_first_success(first, 60))
    # Likelihood principle: the first-success likelihood kernel is the full one truncated at the stop; both fits
    # agree in distribution, and the observed best-of-60 ASR is the same exactly.
    full = query_counts(outcomes.sum(axis=1), 60)
    assert from_first_success(first, 60).observed_asr() == full.observed_asr()
    assert fs.converged and abs(fs.alpha - 0.5) < 0.2
    with pytest.raises(ValueError, match="query 0"):
        from_first_success([61], 60)


def test_estimators_formulas_by_hand() -> None:
    d = query_counts([0, 2, 5, 0], [10, 10, 10, 10])
    a, b = 0.4, 3.0
    N = np.array([100.0])
    assert est.naive(N, d)[0] == pytest.approx(np.mean([0, 1 - 0.8**100, 1 - 0.5**100, 0]))
    assert est.anchored(N, d, a)[0] == pytest.approx(1 - 0.5 * (10 / 100) ** a)
    assert est.plugin(N, None, a, b, correction=False)[0] == pytest.approx(
        1 - math.gamma(a + b) / math.gamma(b) * 100**-a)
    assert est.plugin(N, None, a, b)[0] == pytest.approx(
        1 - math.gamma(a + b) / math.gamma(b) * (100 + b + (a - 1) / 2) ** -a)
    ratio = math.exp(math.lgamma(b + 100) + math.lgamma(a + b + 10) - math.lgamma(b + 10) - math.lgamma(a + b + 100))
    assert est.anchored_exact(N, d, a, b)[0] == pytest.approx(1 - 0.5 * ratio)
    assert est.combinatorial([10], d)[0] == pytest.approx(0.5)
    assert est.combinatorial([1], d)[0] == pytest.approx(np.mean([0, 0.2, 0.5, 0]))
    assert math.isnan(est.combinatorial([11], d)[0])
    assert est.model_asr([1], a, b)[0] == pytest.approx(a / (a + b))
    # Exact small-N correction: the corrected plug-in is close to the exact model value (eq 56).
    assert est.plugin([1000], None, 0.8, 20.0)[0] == pytest.approx(est.model_asr([1000], 0.8, 20.0)[0], abs=1e-6)


def test_per_query_anchor_reduces_to_eq12_on_even_budgets_and_budget_formula() -> None:
    k, n, _ = _sample(0.3, 5.0, 300, 100, 4)
    d = query_counts(k, n)
    asr = np.mean(k > 0)
    assert est.anchored([1000], d, 0.3)[0] == pytest.approx(1 - (1 - asr) * 0.1**0.3)
    assert est.budget_anchored(0.9, d, 0.3) == pytest.approx(100 * ((1 - asr) / 0.1) ** (1 / 0.3))
    nb = est.budget_plugin(0.9, 0.3, 5.0)
    assert est.plugin([nb], None, 0.3, 5.0, correction=False)[0] == pytest.approx(0.9)


def test_goodness_of_fit_flags_a_bimodal_population() -> None:
    rng = np.random.default_rng(5)
    theta = np.where(rng.random(600) < 0.5, 0.0, 0.9)
    d = query_counts(rng.binomial(100, theta), 100)
    g = goodness_of_fit(d, fit_beta_binomial(d))
    assert g.p_value < 1e-3


def test_unbreakable_queries_warn_and_zero_inflated_is_reported() -> None:
    rng = np.random.default_rng(6)
    theta = np.where(rng.random(500) < 0.4, 0.0, rng.beta(2.0, 20.0, 500))
    k = rng.binomial(100, theta)
    f = saber_forecast(k, 100, (1000,), n_bootstrap=0)
    assert any("unbreakable" in w for w in f.warnings)
    assert 0.25 < f.zero_inflated.pi < 0.55
    assert f.rows[0].zero_inflated < f.rows[0].estimate


@pytest.mark.parametrize(
    "k,n,needle",
    [
        (np.zeros(50, int), 100, "failed on every attempt"),
        (np.full(50, 100), 100, "succeeded on every attempt"),
        (np.full(50, 3), 100, "at least once"),
    ],
)
def test_degenerate_data_refuse_extrapolation_with_bounds(k, n, needle) -> None:
    f = saber_forecast(k, n, (1000, 10000), n_bootstrap=50)
    assert f.degenerate and needle in f.degenerate
    assert all(math.isnan(r.estimate) for r in f.rows)
    assert all(0.0 <= r.lower_bound <= r.upper_bound <= 1.0 for r in f.rows)
    f.to_dict()  # JSON-safe


def test_all_fail_upper_bound_is_rule_of_three_scaled() -> None:
    f = saber_forecast(np.zeros(300, int), 100, (1000,), n_bootstrap=0)
    hi = 1 - 0.025 ** (1 / 300)  # two-sided 95% Clopper-Pearson upper bound at 0/300
    assert f.rows[0].upper_bound == pytest.approx(10 * hi, rel=1e-6)


def test_under_dispersion_is_refused() -> None:
    rng = np.random.default_rng(8)
    k = rng.binomial(100, 0.01, 400)  # every query has the same p: no Beta spread
    f = saber_forecast(k, 100, (1000,), n_bootstrap=0)
    assert f.degenerate is not None and "under-dispersed" in f.degenerate


def test_forecast_is_seeded_and_ci_contains_point() -> None:
    k, n, _ = _sample(0.3, 5.0, 200, 100, 9)
    a = saber_forecast(k, n, (1000, 10000), n_bootstrap=200, seed=3, target=0.9)
    b = saber_forecast(k, n, (1000, 10000), n_bootstrap=200, seed=3, target=0.9)
    assert a.to_dict() == b.to_dict()
    for r in a.rows:
        assert r.ci_low < r.estimate < r.ci_high
        assert r.eq14_low < r.estimate < r.eq14_high
    assert a.budget is not None and a.budget.ci_low < a.budget.anchored < a.budget.ci_high
    with pytest.raises(ValueError, match="unknown estimator"):
        saber_forecast(k, n, estimator="magic")


def test_bad_counts_name_the_query() -> None:
    with pytest.raises(ValueError, match="query 1: more successes"):
        query_counts([1, 5], [3, 4])
    with pytest.raises(ValueError, match="query 0: negative"):
        query_counts([-1], [3])
    with pytest.raises(ValueError, match="no queries"):
        query_counts([], [])


def test_uneven_budgets_use_per_query_anchor() -> None:
    rng = np.random.default_rng(10)
    n = rng.integers(1, 201, 300)
    k = rng.binomial(n, rng.beta(0.3, 5.0, 300))
    f = saber_forecast(k, n, (1000,), n_bootstrap=0)
    assert any("own n_i" in w for w in f.warnings)
    d = query_counts(k, n)
    assert f.rows[0].estimate == pytest.approx(1 - np.mean((k == 0) * (n / 1000) ** f.fit.alpha))
    assert abs(f.rows[0].others["anchored_exact"] - est.model_asr([1000], 0.3, 5.0)[0]) < 0.1
    assert d.even_budget is False



@pytest.mark.parametrize("seed", range(6))
def test_zero_inflated_fit_reports_parameters_consistent_with_its_loglik(seed: int) -> None:
    from harness.stats.saber.data import query_counts
    from harness.stats.saber.fit import _zi_loglik, fit_beta_binomial, fit_zero_inflated

    rng = np.random.default_rng(seed)
    p = rng.beta(0.3 + seed, 5.0, size=300)
    data = query_counts(rng.binomial(50, p), 50)
    bb = fit_beta_binomial(data)
    zi = fit_zero_inflated(data, bb)
    assert zi.loglik >= bb.loglik - 1e-9
    if zi.pi == 0.0:
        assert (zi.alpha, zi.beta, zi.loglik, zi.lr_stat) == (bb.alpha, bb.beta, bb.loglik, 0.0)
    else:
        x = np.array([np.log(zi.pi / (1 - zi.pi)), np.log(zi.alpha), np.log(zi.beta)])
        assert _zi_loglik(x, data) == pytest.approx(zi.loglik, rel=1e-9)
