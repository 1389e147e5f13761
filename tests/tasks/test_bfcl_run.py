"""`harness run` end to end on BFCL with the gold adapter: run.json records the package version and data hash,
metrics.json has per-category metrics with CIs.

BFCL files are JSON Lines named .json with ground truth in a sibling folder, so the task reads its own data
(`BfclTask.load_rows`, which the engine calls)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("bfcl_eval")

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "bfcl"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/bfcl")


def test_gold_run_of_a_group_end_to_end(tmp_path: Path) -> None:
    from harness.engine.run import RunOptions, run_task

    opts = RunOptions(task="bfcl-multi-turn", model="gold", data=str(SHARED), output=tmp_path, progress="off",
                      task_options={"mode": "prompt"}, cache=False, max_concurrency=4, limit=None)
    folder = run_task(opts)
    run = json.loads((folder / "run.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())
    assert run["task"]["options"]["bfcl_eval_version"] == "2026.3.23"
    assert len(run["task"]["options"]["data_sha256"]) == 64
    assert metrics["metrics"]["accuracy"]["mean"] == 1.0 and metrics["n_samples"] == 120
    for c in ("multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context"):
        m = metrics["metrics"][f"acc_{c}"]
        assert m["n"] == 30 and m["mean"] == 1.0 and m["ci_low"] < 1.0
    assert metrics["metrics"]["error_recovery"]["n"] == 0  # gold never hits a tool error


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_gold_single_turn_scores_100_in_both_modes(tmp_path: Path, mode: str) -> None:
    from harness.engine.run import RunOptions, run_task

    data = SHARED / "question" / "BFCL_v4_multiple_first30.json"
    folder = run_task(RunOptions(task="bfcl-multiple", model="gold", data=str(data), output=tmp_path,
                                 progress="none", task_options={"mode": mode}, cache=False))
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"]["mean"] == 1.0 and metrics["n_samples"] == 30
    assert "bfcl_summary" in metrics
