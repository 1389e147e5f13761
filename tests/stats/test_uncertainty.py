from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from harness.stats.uncertainty import bootstrap_ci, clustered_stderr, summarize_mean, wilson_interval


def test_empty_input_gives_nans_not_an_error() -> None:
    s = summarize_mean([])
    assert s.n == 0 and math.isnan(s.mean) and math.isnan(s.ci_low) and s.ci_method == "none"
    assert set(s.to_dict()) == {"n", "mean", "stderr", "ci_low", "ci_high", "ci_method"}


@pytest.mark.parametrize("k,n", [(0, 30), (27, 30), (5, 11), (100, 100), (1, 1)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    low, high = wilson_interval(k, n, 0.95)
    ref = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref[0], abs=1e-12) and high == pytest.approx(ref[1], abs=1e-12)


def test_binary_values_use_wilson_and_sample_stderr() -> None:
    x = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]
    s = summarize_mean(x)
    assert s.ci_method == "wilson"
    assert s.mean == pytest.approx(0.7)
    assert s.stderr == pytest.approx(np.std(x, ddof=1) / math.sqrt(10))
    assert (s.ci_low, s.ci_high) == pytest.approx(proportion_confint(7, 10, method="wilson"))


def test_continuous_values_use_t_interval() -> None:
    from scipy import stats

    x = np.random.default_rng(1).normal(0.4, 0.2, size=50)
    s = summarize_mean(x)
    ref = stats.t.interval(0.95, 49, loc=x.mean(), scale=stats.sem(x))
    assert s.ci_method == "t"
    assert (s.ci_low, s.ci_high) == pytest.approx(ref)


def test_clustered_se_matches_statsmodels_cr1() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    g = np.repeat(np.arange(100), 10)
    y = (rng.normal(size=100)[g] + rng.normal(size=1000) > 0).astype(float)
    ref = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": g}).bse[0]
    labels = [f"c{i}" for i in g]
    assert clustered_stderr(y, labels) == pytest.approx(ref, rel=1e-12)
    s = summarize_mean(y, clusters=labels)
    assert s.ci_method == "cluster-CR1-t" and s.stderr == pytest.approx(ref, rel=1e-12)
    # Strong within-cluster correlation: the clustered SE is much larger than the naive one.
    assert s.stderr > 1.5 * summarize_mean(y).stderr
    # CR0 by hand times the CR1 factor G/(G-1) * (n-1)/(n-p), p = 1.
    resid = y - y.mean()
    cr0 = math.sqrt(sum(resid[g == c].sum() ** 2 for c in range(100))) / y.size
    assert s.stderr == pytest.approx(cr0 * math.sqrt(100 / 99), rel=1e-9)


def test_non_finite_values_are_dropped_with_warning() -> None:
    with pytest.warns(RuntimeWarning, match="non-finite"):
        s = summarize_mean([1.0, float("nan"), 0.0])
    assert s.n == 2


def test_bootstrap_is_seeded_and_sensible() -> None:
    x = np.random.default_rng(3).exponential(size=200)
    a = bootstrap_ci(x, np.median, n_resamples=999, seed=5)
    b = bootstrap_ci(x, np.median, n_resamples=999, seed=5)
    assert a == b
    assert a.ci_low < np.median(x) < a.ci_high
    assert a.ci_method == "bootstrap-BCa"
    flat = bootstrap_ci(np.ones(30), lambda v, axis=-1: v.mean(axis=axis), n_resamples=200)
    assert flat.ci_method == "bootstrap-percentile" and flat.ci_low == flat.ci_high == 1.0
