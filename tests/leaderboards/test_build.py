from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from harness.core.errors import UserError
from harness.leaderboards.build import build_leaderboard

from .run_factory import simulate_scores, write_run


def test_rows_cells_and_ranks(board_dir: Path) -> None:
    board = build_leaderboard([board_dir])
    assert [c.name for c in board.tasks] == ["aime24", "gsm8k"]
    names = [r.model for r in board.rows]
    assert set(names[:2]) == {"vllm:strong", "vllm:strong-twin"}
    assert names[2:] == ["openai:mid", "hf:weak"]
    top, twin, mid, weak = board.rows
    # Equal abilities: not significantly different, so tied for first rather than ranked 1 and 2.
    assert top.rank_lo == twin.rank_lo == 1 and top.tied and twin.tied and top.rank_text == "=1"
    assert (mid.rank_lo, mid.rank_hi, mid.tied) == (3, 3, False)
    assert (weak.rank_lo, weak.rank_text) == (4, "4")
    # Cells are the runs' own metrics.json numbers.
    run = next(r for r in board.runs if r.model == "openai:mid" and r.task == "gsm8k")
    m = json.loads((Path(run.path) / "metrics.json").read_text())["metrics"]["accuracy"]
    cell = mid.cells["gsm8k"]
    assert (cell.mean, cell.ci_low, cell.ci_high, cell.n, cell.ci_method) == (
        m["mean"], m["ci_low"], m["ci_high"], 600, "wilson")
    # Aggregate: unweighted mean of the task scores, SEs in quadrature.
    agg = mid.aggregate
    assert agg is not None
    assert agg.mean == pytest.approx((mid.cells["aime24"].mean + mid.cells["gsm8k"].mean) / 2)
    assert agg.stderr == pytest.approx(math.hypot(mid.cells["aime24"].stderr, mid.cells["gsm8k"].stderr) / 2)
    assert board.harness_versions == ["0.1.0 (abc1234)"]


def test_pair_tests_match_harness_stats(board_dir: Path) -> None:
    """The DuckDB-computed pair statistics give the same McNemar p as harness.stats on the raw arrays."""
    from harness.stats.paired import holm, mcnemar_exact
    from harness.store.query import open_results

    board = build_leaderboard([board_dir], tasks=["gsm8k"])
    tests = [p for p in board.pairs if p.task == "gsm8k"]
    assert len(tests) == 6 and all(t.test == "mcnemar-exact" for t in tests)
    with open_results([board_dir]) as db:
        runs = {r.model: r for r in db.runs if r.task == "gsm8k"}
        raw = []
        for t in tests:
            va, vb = db.question_values(runs[t.model_a].key), db.question_values(runs[t.model_b].key)
            ids = sorted(va)
            a, b = np.array([va[i] for i in ids]), np.array([vb[i] for i in ids])
            assert t.diff == pytest.approx(b.mean() - a.mean())
            raw.append(mcnemar_exact(a, b).p_value)
    assert [t.p_value for t in tests] == pytest.approx(raw, rel=1e-9)
    assert [t.p_adjusted for t in tests] == pytest.approx(holm(raw), rel=1e-9)


def test_filters_and_unknown_task(board_dir: Path) -> None:
    board = build_leaderboard([board_dir], tasks=["gsm8k"], models=["hf:weak", "openai:mid"])
    assert [r.model for r in board.rows] == ["openai:mid", "hf:weak"]
    with pytest.raises(UserError, match="no runs of task"):
        build_leaderboard([board_dir], tasks=["nope"])
    with pytest.raises(UserError, match="no such results folder"):
        build_leaderboard([board_dir / "missing"])


def test_newest_run_wins_and_versions_are_flagged(tmp_path: Path) -> None:
    old = datetime(2026, 1, 1, tzinfo=timezone.utc)
    new = datetime(2026, 2, 1, tzinfo=timezone.utc)
    write_run(tmp_path, task="t", model="m", scores=np.zeros(50), created_at=old, task_version="1")
    write_run(tmp_path, task="t", model="m", scores=np.ones(50), created_at=new, task_version="2")
    write_run(tmp_path, task="t", model="other", scores=np.ones(50), created_at=new, task_version="1")
    board = build_leaderboard([tmp_path])
    m = next(r for r in board.rows if r.model == "m")
    assert m.cells["t"].mean == 1.0 and m.cells["t"].task_version == "2"
    assert any("superseded" in w for w in board.warnings)
    assert any("different task versions" in w for w in board.warnings)
    assert board.tasks[0].versions == ["1", "2"]


def test_missing_task_gets_no_aggregate_and_unpaired_fallback(tmp_path: Path) -> None:
    write_run(tmp_path, task="a", model="m1", scores=simulate_scores(300, 1.0, seed=1))
    write_run(tmp_path, task="b", model="m1", scores=simulate_scores(300, 1.0, seed=2))
    folder = write_run(tmp_path, task="a", model="m2", scores=simulate_scores(300, -1.0, seed=3))
    (folder / "samples.parquet").unlink()  # e.g. an imported summary without per-sample data
    board = build_leaderboard([tmp_path])
    m2 = next(r for r in board.rows if r.model == "m2")
    assert m2.aggregate is None and m2.rank_text == "-"
    test = next(p for p in board.pairs if p.task == "a")
    assert test.test == "unpaired-z" and test.significant


def test_cells_from_samples_when_metrics_json_is_missing(tmp_path: Path) -> None:
    folder = write_run(tmp_path, task="t", model="m", scores=np.array([1, 0, 1, 1] * 25, dtype=float),
                       with_metrics=False)
    assert not (folder / "metrics.json").exists()
    cell = build_leaderboard([tmp_path]).rows[0].cells["t"]
    assert cell.mean == 0.75 and cell.n == 100 and cell.ci_method == "wilson"
    from harness.stats.uncertainty import wilson_interval

    assert (cell.ci_low, cell.ci_high) == pytest.approx(wilson_interval(75, 100, 0.95))


def test_errored_rows_are_left_out_of_pairs(tmp_path: Path) -> None:
    errs = [None] * 90 + ["infra"] * 10
    write_run(tmp_path, task="t", model="a", scores=np.ones(100), error_kinds=errs)
    write_run(tmp_path, task="t", model="b", scores=np.zeros(100))
    board = build_leaderboard([tmp_path])
    pair = next(p for p in board.pairs if p.task == "t")
    assert pair.n == 90


def test_incomplete_runs_are_ignored(tmp_path: Path) -> None:
    write_run(tmp_path, task="t", model="a", scores=np.ones(40))
    write_run(tmp_path, task="t", model="b", scores=np.ones(40), status="running")
    assert [r.model for r in build_leaderboard([tmp_path]).rows] == ["a"]
