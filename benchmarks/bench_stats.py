"""Benchmark the SABER fit and query bootstrap (issue 3 performance targets) and print the times.

Targets on a 2-core machine: fit K = 100,000 queries with n = 100 in < 1 s; a 1,000-resample query bootstrap over
K = 1,000 queries in < 10 s. Also prints the authors' package (saber-risk) fit time side by side when installed.
Run: python benchmarks/bench_stats.py
"""

from __future__ import annotations

import time

import numpy as np

from harness.stats.saber import estimators as est
from harness.stats.saber import fit_beta_binomial, query_counts, saber_forecast


def _best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    k_big = rng.binomial(100, rng.beta(0.3, 5.0, 100_000))
    fit_s = _best_of(lambda: fit_beta_binomial(query_counts(k_big, 100)))
    print(f"fit K=100,000 n=100 (group + multi-start MLE): {fit_s:.3f} s  (target < 1 s)")
    try:
        import saber

        pkg_s = _best_of(lambda: saber.fit_beta_binomial_MLE(k_big, 100), repeat=1)
        print(f"  saber-risk fit_beta_binomial_MLE on the same data: {pkg_s:.3f} s  (ratio {pkg_s / fit_s:.1f}x)")
    except ImportError:
        print("  saber-risk not installed: no side-by-side number")

    k_mid = rng.binomial(100, rng.beta(0.3, 5.0, 1_000))
    boot_s = _best_of(lambda: saber_forecast(k_mid, 100, (1000, 10000), n_bootstrap=1000, seed=0), repeat=2)
    print(f"forecast K=1,000 n=100 with a 1,000-resample query bootstrap (fit, diagnostics, CIs): {boot_s:.3f} s"
          "  (target < 10 s)")

    n_uneven = rng.integers(1, 201, 1_000)
    k_uneven = rng.binomial(n_uneven, rng.beta(0.3, 5.0, 1_000))
    uneven_s = _best_of(lambda: saber_forecast(k_uneven, n_uneven, (1000, 10000), n_bootstrap=1000, seed=0), repeat=1)
    print(f"same with uneven budgets n_i ~ U(1..200): {uneven_s:.3f} s")

    d = query_counts(k_mid, 100)
    f = fit_beta_binomial(d)
    t = time.perf_counter()
    for name in est.ESTIMATORS:
        est.ESTIMATORS[name](np.array([1000.0, 10000.0]), d, f.alpha, f.beta)
    print(f"all {len(est.ESTIMATORS)} estimators once: {time.perf_counter() - t:.4f} s")


if __name__ == "__main__":
    main()
