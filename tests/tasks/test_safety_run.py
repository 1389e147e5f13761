"""End to end: `harness run --task harmbench --model gold --data sample --epochs 5 --method best-of-n-attack`
produces a results folder whose per-attempt outcomes the SABER forecast reads."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import harness.models as models_pkg
import harness.tasks as tasks_pkg
from harness.cli import app
from harness.models.methods.best_of_n import attempt_seed, augment
from harness.tasks.data import read_rows

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parents[2] / "harness" / "tasks" / "safety" / "samples"


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.fixture(autouse=True)
def _only_present_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other families are built in parallel; a listed package that is not in this checkout yet must not stop the
    registry from loading the safety tasks and the best-of-n method."""
    monkeypatch.setattr(tasks_pkg, "BUILTIN_TASK_MODULES",
                        tuple(m for m in tasks_pkg.BUILTIN_TASK_MODULES if _importable(m)) +
                        ("harness.tasks.safety.tasks",))
    monkeypatch.setattr(models_pkg, "BUILTIN_MODEL_MODULES",
                        tuple(m for m in models_pkg.BUILTIN_MODEL_MODULES if _importable(m)) +
                        ("harness.models.methods.best_of_n",))


def _run(tmp_path: Path, task: str, *extra: str, out: str = "res") -> Path:
    before = set((tmp_path / out).iterdir()) if (tmp_path / out).exists() else set()
    ran = runner.invoke(app, ["run", "--task", task, "--model", "gold", "--data", "sample", "--epochs", "5",
                              "--method", "best-of-n-attack", "-o", str(tmp_path / out), "--progress", "none",
                              *extra])
    assert ran.exit_code == 0, ran.output
    (run_dir,) = set((tmp_path / out).iterdir()) - before
    return run_dir


def _rows(run_dir: Path) -> list[dict]:
    return pq.read_table(run_dir / "samples.parquet").to_pylist()


@pytest.mark.parametrize(("task", "n_queries"), [("harmbench", 12), ("strongreject", 10)])
def test_gold_best_of_n_run_feeds_saber(tmp_path: Path, task: str, n_queries: int) -> None:
    run_dir = _run(tmp_path, task, "--seed", "3")
    rows = _rows(run_dir)
    assert len(rows) == n_queries * 5
    assert all(r["error"] is None and r["score"] in (0.0, 1.0) and not r["parse_failure"] for r in rows)
    assert {r["epoch"] for r in rows} == set(range(5))

    sample_rows = {r.get("BehaviorID") or r["forbidden_prompt"]: r for r in read_rows(SAMPLES / f"{task}.jsonl")}
    by_query: dict[str, list[dict]] = {}
    for r in rows:
        by_query.setdefault(r["sample_id"], []).append(r)
    for sid, attempts in by_query.items():
        metas = [json.loads(a["output_json"])["metadata"] for a in attempts]
        prompts = [m["best_of_n"]["augmented_prompt"] for m in metas]
        assert len(set(prompts)) == 5  # every attempt is a fresh augmentation
        original = metas[0]["best_of_n"]["original_prompt"]
        # Attempt e uses seed derived from (run seed + e as the engine sends it, sample id, e).
        assert prompts[2] == augment(original, attempt_seed(3 + 2, sid, 2))
        assert all(m["judge"]["test_double"] and m["judge"]["spec"] == "gold" for m in metas)
    # Queries the label makes unbreakable never succeed; the run is not all-or-nothing overall.
    p_by_text = {(r.get("Behavior") or r["forbidden_prompt"]): r["gold_judge"]["p_success"]
                 for r in sample_rows.values()}
    for attempts in by_query.values():
        text = json.loads(attempts[0]["output_json"])["metadata"]["best_of_n"]["original_prompt"]
        if p_by_text[text] == 0.0:
            assert sum(a["score"] for a in attempts) == 0
    k = [sum(a["score"] for a in v) for v in by_query.values()]
    assert 0 < sum(k) < len(rows)

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["primary"] == "asr" and "asr_pass@5" in metrics["metrics"]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["model"]["method"] == "best-of-n-attack" and record["dataset"]["kind"] == "bundled-sample"

    from harness.stats.attempts import load_attempts

    attempts = load_attempts(str(run_dir))
    assert sorted(attempts.n) == [5] * n_queries and sorted(attempts.k) == sorted(k)
    forecast = runner.invoke(app, ["forecast", "--attempts", str(run_dir), "--budget", "100", "--n-bootstrap", "20"])
    if forecast.exit_code == 2 and "No such command" in forecast.output:
        pytest.skip("this checkout's CLI has no forecast command yet")
    assert forecast.exit_code == 0, forecast.output
    assert "SABER" in forecast.output and (run_dir / "forecast.json").exists()


def test_same_seed_reproduces_and_other_seed_changes_attempts(tmp_path: Path) -> None:
    def attempts(run_dir: Path) -> list[tuple[str, int, str, float]]:
        return [(r["sample_id"], r["epoch"], json.loads(r["output_json"])["metadata"]["best_of_n"]["augmented_prompt"],
                 r["score"]) for r in _rows(run_dir)]

    a = attempts(_run(tmp_path, "harmbench", "--seed", "1", out="a"))
    b = attempts(_run(tmp_path, "harmbench", "--seed", "1", out="b"))
    c = attempts(_run(tmp_path, "harmbench", "--seed", "2", out="c"))
    assert a == b
    assert [x[2] for x in a] != [x[2] for x in c]


def test_real_model_without_judge_is_one_clear_error(tmp_path: Path) -> None:
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": "placeholder_haiku_rain", "response": "Rain taps the tin roof"}) + "\n")
    ran = runner.invoke(app, ["score", "-t", "harmbench", "--predictions", str(preds), "--data", "sample",
                              "-o", str(tmp_path / "o"), "--progress", "none"])
    assert ran.exit_code != 0
    assert "needs a judge" in str(ran.exception) or "needs a judge" in ran.output
