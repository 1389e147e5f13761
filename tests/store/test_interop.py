"""Imports of lm-eval results and Inspect eval logs (fixture files written by this project in those formats)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from harness.core.errors import UserError
from harness.store.interop import import_inspect, import_lm_eval, import_results, value_to_float

FIXTURES = Path(__file__).parent / "fixtures"
LM_EVAL = FIXTURES / "lm_eval" / "results_2026-09-11T10-00-00.000000.json"
INSPECT = FIXTURES / "inspect_arith.json"


def _read(folder: Path) -> tuple[dict, dict]:
    return (json.loads((folder / "run.json").read_text()), json.loads((folder / "metrics.json").read_text()))


def test_lm_eval_results_and_samples(tmp_path: Path) -> None:
    folders = {p.name.split("-")[2]: p for p in import_lm_eval(LM_EVAL, tmp_path)}
    assert set(folders) == {"gsm8k", "arc_easy"}
    run, metrics = _read(folders["gsm8k"])
    assert run["source"]["kind"] == "lm-eval" and run["source"]["metric_key"] == "exact_match,strict-match"
    assert run["model"]["spec"] == "EleutherAI/pythia-160m" and run["status"] == "complete"
    assert run["task"]["version"] == "3.0" and run["task"]["content_hash"] == "a1b2c3d4e5f6"
    assert run["harness"] == {"version": "lm-eval 0.4.13", "git_sha": "4e7e0d47"}
    m = metrics["metrics"]["exact_match"]
    assert m["mean"] == 0.6 and m["n"] == 50 and m["ci_low"] == pytest.approx(0.6 - 1.959964 * 0.0699854212223765)
    import pyarrow.parquet as pq

    table = pq.read_table(folders["gsm8k"] / "samples.parquet").to_pylist()
    assert len(table) == 50  # the strict-match filter's rows only
    assert sum(r["score"] for r in table) == 30 and table[1]["sample_id"] == "1"
    assert not (folders["arc_easy"] / "samples.parquet").exists()  # no --log_samples file for it
    _, arc = _read(folders["arc_easy"])
    assert arc["primary"] == "acc" and arc["metrics"]["acc"]["mean"] == 0.72


def test_lm_eval_metric_choice_and_reimport(tmp_path: Path) -> None:
    first = import_lm_eval(LM_EVAL, tmp_path, metric="exact_match,flexible-extract", model_label="pythia")
    again = import_lm_eval(LM_EVAL, tmp_path, metric="exact_match,flexible-extract", model_label="pythia")
    assert sorted(first) == sorted(again) and len(list(tmp_path.iterdir())) == 2  # replaced, not duplicated
    gsm = next(p for p in first if "gsm8k" in p.name)
    assert _read(gsm)[1]["metrics"]["exact_match"]["mean"] == 0.64
    with pytest.raises(UserError, match="no metric 'bleu'"):
        import_lm_eval(LM_EVAL, tmp_path, metric="bleu")


def test_inspect_json_log(tmp_path: Path) -> None:
    folder = import_inspect(INSPECT, tmp_path)
    run, metrics = _read(folder)
    assert run["source"]["kind"] == "inspect" and run["source"]["inspect_version"] == "0.3.285"
    assert run["task"]["name"] == "arith" and run["task"]["version"] == "2" and run["epochs"] == 2
    assert run["model"]["spec"] == "openai/gpt-4o-mini"
    assert metrics["metrics"]["match"]["mean"] == 0.75 and metrics["metrics"]["match"]["n"] == 20
    import pyarrow.parquet as pq

    rows = pq.read_table(folder / "samples.parquet").to_pylist()
    assert len(rows) == 40 and {r["epoch"] for r in rows} == {0, 1}
    assert sum(r["score"] for r in rows) / len(rows) == 0.75
    first = next(r for r in rows if r["sample_id"] == "1" and r["epoch"] == 0)
    assert first["output"] == "ANSWER: 2" and first["answer"] == "2" and first["prompt_tokens"] == 20


def test_inspect_eval_zip_matches_json(tmp_path: Path) -> None:
    doc = json.loads(INSPECT.read_text())
    samples = doc.pop("samples")
    log = tmp_path / "arith.eval"
    with zipfile.ZipFile(log, "w") as zf:  # the .eval layout: header.json + samples/<id>_epoch_<n>.json
        zf.writestr("_journal/start.json", json.dumps({"version": 2, "eval": doc["eval"], "plan": doc["plan"]}))
        zf.writestr("header.json", json.dumps(doc))
        for s in samples:
            zf.writestr(f"samples/{s['id']}_epoch_{s['epoch']}.json", json.dumps(s))
    (folder,) = import_results(log, tmp_path / "store")
    _, metrics = _read(folder)
    assert metrics["metrics"]["match"]["mean"] == 0.75
    import pyarrow.parquet as pq

    assert pq.read_table(folder / "samples.parquet").num_rows == 40
    unfinished = tmp_path / "crashed.eval"
    with zipfile.ZipFile(unfinished, "w") as zf:
        zf.writestr("_journal/start.json", "{}")
    with pytest.raises(UserError, match="did not finish"):
        import_inspect(unfinished, tmp_path / "store")


def test_auto_detection_and_errors(tmp_path: Path) -> None:
    assert len(import_results(LM_EVAL, tmp_path)) == 2
    assert len(import_results(INSPECT, tmp_path)) == 1
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(UserError, match="not an lm-eval results file"):
        import_results(bad, tmp_path)
    with pytest.raises(UserError, match="no such file"):
        import_results(tmp_path / "nope.json", tmp_path)
    assert [value_to_float(v) for v in ("C", "I", "P", "N", True, 0.25, "yes", "3.5")] == [1, 0, 0.5, 0, 1, 0.25, 1,
                                                                                           3.5]


def test_imported_runs_sit_in_the_leaderboard(tmp_path: Path) -> None:
    import numpy as np

    from harness.leaderboards.build import build_leaderboard
    from harness.leaderboards.render import to_markdown

    import_lm_eval(LM_EVAL, tmp_path / "imported", model_label="pythia-160m")
    # A harness run of gsm8k on the same question ids (doc ids), so the pair is tested on shared samples.
    from leaderboards.run_factory import write_run  # tests/ is on sys.path (rootdir conftest)

    write_run(tmp_path / "ours", task="gsm8k", model="vllm:pythia-160m", scores=np.ones(50),
              sample_ids=[str(i) for i in range(50)])
    board = build_leaderboard([tmp_path])
    md = to_markdown(board)
    assert "pythia-160m [lm-eval]" in md
    test = next(p for p in board.pairs if p.task == "gsm8k")
    assert test.test == "mcnemar-exact" and test.n == 50 and test.significant  # 30/50 vs 50/50
