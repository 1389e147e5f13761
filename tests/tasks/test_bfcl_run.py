"""`harness run` end to end on BFCL with the gold adapter: run.json records the package version and data hash,
metrics.json has per-category metrics with CIs.

BFCL files are JSON Lines named .json with ground truth in a sibling folder, so the task reads its own data
(`BfclTask.load_rows`). Until the engine's `load_task_rows` dispatches to a task's `load_rows`, this test routes it
there itself (`_route_to_task_loader`, a stand-in for that one-line engine hook)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

pytest.importorskip("bfcl_eval")

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "bfcl"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/bfcl")


@pytest.fixture
def _route_to_task_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.tasks.data as data_mod

    if "load_rows" in inspect.getsource(data_mod.load_task_rows):
        return  # the engine already asks the task
    original = data_mod.load_task_rows

    def load(task, data):  # type: ignore[no-untyped-def]
        return task.load_rows(data) if hasattr(task, "load_rows") else original(task, data)

    monkeypatch.setattr(data_mod, "load_task_rows", load)


@pytest.mark.usefixtures("_route_to_task_loader")
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
