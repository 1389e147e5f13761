"""SABER against the authors' package (saber-risk, test-only dependency) and against simulated known truth."""

from __future__ import annotations

import numpy as np
import pytest

from harness.stats.saber import estimators as est
from harness.stats.saber import fit_beta_binomial, query_counts
from harness.stats.saber.fit import fit_many


CASES = [(0.1, 1.0), (0.3, 5.0), (0.8, 20.0), (0.5, 2.0), (1.2, 4.0)]


@pytest.mark.parametrize("alpha,beta", CASES)
def test_fit_and_predictions_match_saber_risk(alpha: float, beta: float) -> None:
    saber = pytest.importorskip("saber", reason="saber-risk (the SABER authors' package) is not installed")
    rng = np.random.default_rng([20260130, int(alpha * 10), int(beta)])
    k = rng.binomial(100, rng.beta(alpha, beta, 300))
    d = query_counts(k, 100)
    ours = fit_beta_binomial(d)
    a_ref, b_ref = saber.fit_beta_binomial_MLE(k, 100)
    assert ours.alpha == pytest.approx(a_ref, rel=1e-4)
    assert ours.beta == pytest.approx(b_ref, rel=1e-4)
    # Our optimum is at least as good as the package's (analytic gradient, several starts, Newton polish).
    assert ours.loglik >= float(np.sum(__import__("scipy").stats.betabinom.logpmf(k, 100, a_ref, b_ref))) - 1e-9

    # Predictions from the same (alpha, beta) agree to 1e-6.
    N = np.array([200, 1000, 10000])
    asr_n = float(np.mean(k > 0))
    pairs = [
        (est.anchored(N, d, a_ref), saber.predict_anchored(N, 100, asr_n, a_ref)),
        (est.anchored(N, d, a_ref, correction_beta=1.0), saber.predict_anchored(N, 100, asr_n, a_ref, correction=True)),
        (est.plugin(N, d, a_ref, b_ref, correction=False), saber.predict_plugin(N, a_ref, b_ref)),
        (est.plugin(N, d, a_ref, b_ref), saber.predict_plugin(N, a_ref, b_ref, correction=True)),
        (est.naive(N, d), saber.predict_naive(N, k, 100)),
    ]
    for ours_v, ref_v in pairs:
        assert np.asarray(ours_v) == pytest.approx(np.asarray(ref_v), abs=1e-6)
    for m in (1, 5, 50, 100):
        assert est.combinatorial([m], d)[0] == pytest.approx(saber.predict_combinatorial(m, k, 100), abs=1e-6)
    A, B = est.loglinear_fit(d)
    A_ref, B_ref = saber.fit_log_linear_curve(k, 100)
    if np.isfinite(A_ref):
        assert (A, B) == pytest.approx((A_ref, B_ref), rel=1e-6)
    assert est.budget_anchored(0.95, d, a_ref) == pytest.approx(saber.estimate_budget(0.95, 100, asr_n, a_ref), rel=1e-9)
    lo, hi = est.alpha_only_interval([1000], d, a_ref, 0.02)
    ref = saber.confidence_interval_anchored(1000, 100, asr_n, a_ref, 0.02)
    assert (lo[0], hi[0]) == pytest.approx(ref, abs=1e-6)


@pytest.mark.slow
def test_simulated_known_truth_mae_and_bootstrap_coverage() -> None:
    """Beta(0.3, 5), K = 300 queries, n = 100, 50 seeded replicates (issue 3 Validation).

    MAE of anchored ASR@1000 against the conditional truth 1 - mean_i (1-p_i)^1000 must be under 3 points, and the
    query bootstrap 95% CI must cover the population ASR@1000 in 85%..99% of replicates.
    """
    alpha, beta, K, n, N = 0.3, 5.0, 300, 100, 1000
    population = float(est.model_asr([N], alpha, beta)[0])
    errors, naive_errors, covered = [], [], 0
    for rep in range(50):
        rng = np.random.default_rng([20260130, 1, rep])
        theta = rng.beta(alpha, beta, K)
        k = rng.binomial(n, theta)
        truth = 1.0 - float(np.mean((1.0 - theta) ** N))
        d = query_counts(k, n)
        f = fit_beta_binomial(d)
        errors.append(abs(est.anchored([N], d, f.alpha)[0] - truth))
        naive_errors.append(abs(est.naive([N], d)[0] - truth))
        w = rng.multinomial(K, d.w / K, size=200).astype(float)
        params = fit_many(d, w, (f.alpha, f.beta))
        draws = [est.anchored([N], d.reweighted(w[i]), params[i, 0])[0] for i in range(200)]
        lo, hi = np.percentile(draws, [2.5, 97.5])
        covered += lo <= population <= hi
    mae = 100 * float(np.mean(errors))
    print(f"anchored MAE {mae:.2f} points, naive {100 * np.mean(naive_errors):.2f}, coverage {covered / 50:.2f}")
    assert mae < 3.0, f"anchored MAE {mae:.2f} points"
    assert 100 * float(np.mean(naive_errors)) > 5 * mae  # the naive plug-in is far worse (stats.md: 19.2 vs 1.6)
    assert 0.85 <= covered / 50 <= 0.99, f"coverage {covered / 50:.2f}"
