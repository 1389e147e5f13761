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


# -- the scipy.special equivalents of scipy.stats / statsmodels (the leaderboard path avoids importing those) -----

def _rel_close(got: np.ndarray, want: np.ndarray, rel: float = 1e-12) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    # exact zeros (underflow) must match exactly; everything else to `rel`
    assert np.array_equal(got[ok] == 0, want[ok] == 0)
    assert np.all(np.abs(got[ok] - want[ok]) <= rel * np.abs(want[ok]))


def test_t_and_normal_functions_match_scipy_stats_on_a_grid() -> None:
    from harness.stats.paired import normal_sf, t_cdf, t_ppf, t_sf

    t = np.concatenate([-np.logspace(-6, 2.5, 60), [0.0], np.logspace(-6, 2.5, 60)])
    for df in (1, 2, 3, 5, 9, 29, 99, 999, 4999, 10**6):
        _rel_close(t_sf(t, df), stats.t.sf(t, df))
        _rel_close(t_cdf(t, df), stats.t.cdf(t, df))
        for q in (1e-9, 0.001, 0.025, 0.05, 0.5, 0.9, 0.95, 0.975, 0.995, 1 - 1e-9):
            _rel_close(t_ppf(q, df), stats.t.ppf(q, df))
    # vectorised over df too, as the leaderboard calls it
    dfs = np.array([1, 4, 17, 250, 3000] * 3)
    ts = np.linspace(0.1, 40, dfs.size)
    _rel_close(t_sf(ts, dfs), stats.t.sf(ts, dfs))
    z = np.concatenate([-np.logspace(-6, 1.5, 50), [0.0], np.logspace(-6, 1.5, 50)])
    _rel_close(normal_sf(z), stats.norm.sf(z))


def test_mcnemar_exact_pvalue_matches_statsmodels_on_a_grid() -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    from harness.stats.paired import mcnemar_exact_pvalue

    b01, b10 = [], []
    for n in (*range(1, 60), 100, 257, 1000, 1999, 5000):
        for lo in sorted({0, 1, 2, n // 10, n // 4, n // 3, n // 2 - 1, n // 2}):
            if 0 <= lo <= n:
                b01.append(lo)
                b10.append(n - lo)
    b01a, b10a = np.array(b01), np.array(b10)
    want = np.array([mcnemar([[0, y], [x, 0]], exact=True).pvalue for x, y in zip(b01, b10)])
    _rel_close(mcnemar_exact_pvalue(b01a, b10a), want)
    _rel_close(mcnemar_exact_pvalue(b10a, b01a), want)  # symmetric in the two discordant counts
    assert mcnemar_exact_pvalue(0, 0) == 1.0


@pytest.mark.parametrize("seed", range(6))
def test_paired_difference_and_mcnemar_match_the_libraries_exactly_enough(seed: int) -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    rng = np.random.default_rng(seed)
    n = int(rng.choice([5, 40, 300, 2000]))
    skill = rng.random(n)
    a = (rng.random(n) < skill).astype(float)
    b = (rng.random(n) < np.clip(skill + rng.normal(0, 0.1), 0, 1)).astype(float)
    for x, y in ((a, b), (a, rng.random(n)), (rng.normal(size=n), rng.normal(0.3, 2, size=n))):
        r = paired_difference(x, y)
        ref = stats.ttest_rel(y, x)
        _rel_close(r.p_value, ref.pvalue)
        ci = ref.confidence_interval(0.95)
        _rel_close([r.ci_low, r.ci_high], [ci.low, ci.high], rel=1e-9)  # se via numpy std: ulp-level differences
    table = [[int(((a == 1) & (b == 1)).sum()), int(((a == 1) & (b == 0)).sum())],
             [int(((a == 0) & (b == 1)).sum()), int(((a == 0) & (b == 0)).sum())]]
    want = mcnemar(table, exact=True).pvalue if table[0][1] + table[1][0] else 1.0
    _rel_close(mcnemar_exact(a, b).p_value, want)


def test_clustered_paired_difference_uses_t_with_g_minus_1_df(binary_pair) -> None:
    from harness.stats.uncertainty import clustered_stderr

    a, b = binary_pair
    clusters = [f"c{i % 12}" for i in range(a.size)]
    r = paired_difference(a, b, clusters=clusters)
    se = clustered_stderr(b - a, clusters)
    _rel_close(r.p_value, 2 * stats.t.sf(abs(r.diff) / se, 11))
    q = stats.t.ppf(0.975, 11)
    _rel_close([r.ci_low, r.ci_high], [r.diff - q * se, r.diff + q * se])


def test_paired_module_does_not_import_scipy_stats_or_statsmodels() -> None:
    import subprocess
    import sys

    code = ("import sys; import numpy as np; from harness.stats.paired import paired_difference, mcnemar_exact, holm;"
            "a = np.array([0., 1, 1, 0, 1]); b = np.array([1., 1, 0, 1, 1]);"
            "paired_difference(a, b); mcnemar_exact(a, b); holm([0.01, 0.2]);"
            "print(sorted(m for m in sys.modules if m.startswith(('scipy.stats', 'statsmodels', 'pandas'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
