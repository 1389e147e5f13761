from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from harness.stats.paired import (
    benjamini_hochberg,
    holm,
    mcnemar_exact,
    minimum_detectable_effect,
    paired_bootstrap,
    paired_difference,
    permutation_test,
)


@pytest.fixture()
def binary_pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    skill = rng.random(300)
    a = (rng.random(300) < skill).astype(float)
    b = (rng.random(300) < np.clip(skill + 0.05, 0, 1)).astype(float)
    return a, b


def test_paired_difference_matches_ttest_rel(binary_pair) -> None:
    a, b = binary_pair
    r = paired_difference(a, b)
    ref = stats.ttest_rel(b, a)
    assert r.diff == pytest.approx(b.mean() - a.mean())
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    ci = ref.confidence_interval(0.95)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high))
    assert r.test == "paired-t"


def test_paired_difference_clustered_matches_statsmodels(binary_pair) -> None:
    import statsmodels.api as sm

    a, b = binary_pair
    g = np.arange(300) // 6
    ref = sm.OLS(b - a, np.ones(300)).fit(cov_type="cluster", cov_kwds={"groups": g}).bse[0]
    r = paired_difference(a, b, clusters=[str(x) for x in g])
    assert r.stderr == pytest.approx(ref, rel=1e-12) and r.test == "paired-cluster-CR1-t"


def test_mcnemar_matches_statsmodels_and_binomial(binary_pair) -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    a, b = binary_pair
    r = mcnemar_exact(a, b)
    assert r.b01 == int(((a == 0) & (b == 1)).sum()) and r.b10 == int(((a == 1) & (b == 0)).sum())
    table = [[int(((a == 1) & (b == 1)).sum()), r.b10], [r.b01, int(((a == 0) & (b == 0)).sum())]]
    assert r.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)
    assert r.p_value == pytest.approx(stats.binomtest(r.b01, r.b01 + r.b10, 0.5).pvalue, rel=1e-9)
    with pytest.raises(ValueError, match="binary"):
        mcnemar_exact([0.5], [1.0])


def test_permutation_and_bootstrap_are_seeded_and_agree_roughly(binary_pair) -> None:
    a, b = binary_pair
    p1 = permutation_test(a, b, n_resamples=3000, seed=1)
    assert p1 == permutation_test(a, b, n_resamples=3000, seed=1)
    t = paired_difference(a, b)
    assert abs(p1.p_value - t.p_value) < 0.05
    bs = paired_bootstrap(a, b, n_resamples=3000, seed=2)
    assert bs.mean == pytest.approx(t.diff)
    assert abs(bs.ci_low - t.ci_low) < 0.02 and abs(bs.ci_high - t.ci_high) < 0.02


def test_exact_permutation_small_n() -> None:
    # 4 positive differences: exact two-sided p = 2/16 under sign flips.
    p = permutation_test([0, 0, 0, 0], [1, 2, 3, 4]).p_value
    assert p == pytest.approx(2 / 16)


def test_multiple_testing_reference_values() -> None:
    p = [0.001, 0.008, 0.02, 0.04, 0.2]
    assert holm(p) == pytest.approx([0.005, 0.032, 0.06, 0.08, 0.2])
    assert benjamini_hochberg(p) == pytest.approx([0.005, 0.02, 0.0333333, 0.05, 0.2], rel=1e-5)
    assert benjamini_hochberg(p) == pytest.approx(list(stats.false_discovery_control(p, method="bh")))
    assert holm([]) == []


def test_minimum_detectable_effect() -> None:
    # stats.md §3.7: delta = 3 points, sd_d = 0.35 needs n = 1070 at 80% power.
    assert minimum_detectable_effect(1070, 0.35) == pytest.approx(0.03, abs=2e-4)
    normal = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 0.35 / np.sqrt(1070)
    assert minimum_detectable_effect(1070, 0.35) == pytest.approx(normal, rel=2e-3)
    assert minimum_detectable_effect(20, 0.35) > (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 0.35 / np.sqrt(20)


def test_holm_and_bh_match_statsmodels_on_random_families() -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    for m in (1, 2, 7, 40):
        p = rng.uniform(0, 0.2, size=m)
        p[rng.integers(0, m)] = p[0]  # ties
        assert holm(p) == pytest.approx(list(multipletests(p, method="holm")[1]))
        assert benjamini_hochberg(p) == pytest.approx(list(multipletests(p, method="fdr_bh")[1]))


@pytest.mark.parametrize(("n", "alpha"), [(800, 0.1), (1000, 0.1), (50, 0.05)])
def test_minimum_detectable_effect_returns_a_float_for_all_inputs(n: int, alpha: float) -> None:
    mde = minimum_detectable_effect(n, 0.4, alpha=alpha)
    assert isinstance(mde, float) and 0 < mde < 1
