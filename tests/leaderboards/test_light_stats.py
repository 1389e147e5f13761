"""The leaderboard's tests computed with scipy.special give scipy.stats' numbers, and building a board imports
neither scipy.stats, statsmodels nor pandas (about a second each on these machines)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from harness.leaderboards.build import _pair_tests_from_stats, build_leaderboard

from .run_factory import simulate_scores, write_run

REL = 1e-12


def _reference(pairs: list[dict]) -> list[tuple[float, float, float, str]]:
    """The same decisions, written with scipy.stats (what build.py called before)."""
    out = []
    for p in pairs:
        n, d, var = p["n"], p["mean_d"], p["var_d"]
        se = math.sqrt(var / n) if n > 0 and math.isfinite(var) else math.nan
        if p["binary"]:
            disc = p["b10"] + p["b01"]
            pv = float(min(1.0, 2 * stats.binom.cdf(min(p["b10"], p["b01"]), disc, 0.5))) if disc else 1.0
            out.append((d, se, pv, "mcnemar-exact"))
        elif n >= 2 and var > 0:
            out.append((d, se, float(2 * stats.t.sf(abs(d) / se, n - 1)), "paired-t"))
        elif n >= 2 and var == 0:
            out.append((d, 0.0, 1.0 if d == 0 else 0.0, "paired-t"))
        else:
            out.append((d, math.nan, math.nan, "none"))
    return out


def _grid() -> list[dict]:
    rng = np.random.default_rng(5)
    pairs = []
    for n in (1, 2, 3, 10, 57, 300, 1000, 5000):
        for _ in range(12):
            b10, b01 = (int(x) for x in rng.integers(0, n + 1, 2))
            if b10 + b01 > n:
                b10, b01 = b10 // 2, b01 // 2
            mean_d = (b01 - b10) / n
            var_d = float(rng.choice([0.0, rng.uniform(1e-4, 1.0)])) if n >= 2 else math.nan
            for binary in (True, False):
                pairs.append({"n": n, "mean_d": mean_d, "var_d": var_d, "binary": binary, "b10": b10, "b01": b01})
    pairs.append({"n": 400, "mean_d": 0.5, "var_d": 1e-3, "binary": False, "b10": 0, "b01": 0})  # p ~ 1e-300
    return pairs


def test_pair_tests_match_scipy_stats_on_a_grid() -> None:
    pairs = _grid()
    got, want = _pair_tests_from_stats(pairs), _reference(pairs)
    assert [g[3] for g in got] == [w[3] for w in want]
    for (gd, gse, gp, _), (wd, wse, wp, _) in zip(got, want):
        assert gd == wd
        assert gse == pytest.approx(wse, rel=REL, nan_ok=True)
        assert gp == pytest.approx(wp, rel=REL, abs=0, nan_ok=True)
        assert (gp == 0) == (wp == 0)


def test_unpaired_and_aggregate_p_values_are_normal_tails(tmp_path: Path) -> None:
    for task, ability_seed in (("a", 1), ("b", 2)):
        for m, ability in (("m1", 1.0), ("m2", 0.7), ("m3", -0.5)):
            folder = write_run(tmp_path, task=task, model=m,
                               scores=simulate_scores(300, ability, seed=ability_seed * 10 + len(m + task),
                                                      item_seed=ability_seed))
            if task == "b" and m == "m3":
                (folder / "samples.parquet").unlink()  # an imported summary: unpaired z-test against it
    board = build_leaderboard([tmp_path])
    kinds = {p.test for p in board.pairs}
    assert {"unpaired-z", "z (task diffs)", "mcnemar-exact"} <= kinds
    for p in board.pairs:
        if p.test in ("unpaired-z", "z (task diffs)") and p.stderr > 0:
            assert p.p_value == pytest.approx(float(2 * stats.norm.sf(abs(p.diff) / p.stderr)), rel=REL)


def test_t_interval_for_non_binary_samples_without_metrics(tmp_path: Path) -> None:
    scores = np.random.default_rng(3).random((40, 1)).round(2)
    write_run(tmp_path, task="t", model="m", scores=scores, with_metrics=False)
    cell = build_leaderboard([tmp_path]).rows[0].cells["t"]
    assert cell.ci_method == "t"
    q = stats.t.ppf(0.975, 39)
    assert cell.ci_high - cell.mean == pytest.approx(q * cell.stderr, rel=REL)


def test_building_a_board_imports_no_scipy_stats_statsmodels_or_pandas(board_dir: Path) -> None:
    code = ("import sys; from harness.leaderboards.publish import publish;"
            f"publish([{str(board_dir)!r}], formats=['md', 'csv', 'latex', 'json'], plots=False);"
            "print(sorted({m.split('.')[0] + '.' + m.split('.')[1] if '.' in m else m for m in sys.modules "
            "if m.startswith(('scipy.stats', 'statsmodels', 'pandas'))}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
