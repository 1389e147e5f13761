"""The engine end to end on the toy task: results folder, cache, epochs and reducers, errors, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from toy import write_rows

from harness.core.errors import UserError
from harness.engine.run import RunOptions, run_task


def _run(tmp_path: Path, **kw) -> Path:
    data = write_rows(tmp_path / "rows.jsonl", kw.pop("n", 12))
    opts = RunOptions(task="toy-arith", data=str(data), output=tmp_path / "results", progress="none", **kw)
    return run_task(opts)


def test_gold_run_writes_complete_results_folder(tmp_path: Path) -> None:
    run = _run(tmp_path, model="gold")
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "complete"
    for key in ("spec_hash", "harness", "task", "dataset", "model", "generation_config", "seed", "timings",
                "backend_versions", "created_at", "finished_at"):
        assert key in record, key
    assert record["task"]["content_hash"] and record["dataset"]["sha256"]
    assert record["harness"]["version"]
    metrics = json.loads((run / "metrics.json").read_text())
    acc = metrics["metrics"]["accuracy"]
    assert acc["mean"] == 1.0 and acc["n"] == 12 and acc["ci_low"] < 1.0
    rows = pq.read_table(run / "samples.parquet").to_pylist()
    assert [r["sample_id"] for r in rows] == [str(i) for i in range(12)]
    assert rows[3]["output"] == "The answer is 9." and rows[3]["answer"] == "9" and rows[3]["score"] == 1.0
    assert dict(rows[3]["scores"]) == {"accuracy": 1.0}
    assert not (run / "journal.jsonl").read_text().count("\n") != 12


def test_epochs_reducers_and_seeds(tmp_path: Path) -> None:
    run = _run(tmp_path, model="toy-seed", epochs=4, n=10)
    m = json.loads((run / "metrics.json").read_text())["metrics"]
    # correct exactly when seed + id is even: every sample is right in 2 of 4 epochs
    assert m["accuracy"]["mean"] == 0.5
    assert m["pass@4"]["mean"] == 1.0
    # maj@4 ties 2-2 and keeps the earliest epoch's answer (seed 0): correct for even ids
    assert m["maj@4"]["mean"] == 0.5
    rows = pq.read_table(run / "samples.parquet").to_pylist()
    assert len(rows) == 40 and {r["epoch"] for r in rows} == {0, 1, 2, 3}


def test_custom_reducers_validated(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="between 1 and --epochs"):
        _run(tmp_path, model="toy-seed", epochs=2, reducers="pass@3")


def test_request_cache_answers_a_repeated_run(tmp_path: Path) -> None:
    first = _run(tmp_path, model="toy-seed")
    assert json.loads((first / "metrics.json").read_text())["cached_rate"] == 0.0
    second = run_task(RunOptions(task="toy-arith", model="toy-seed", data=str(tmp_path / "rows.jsonl"),
                                 output=tmp_path / "again", progress="none"))
    assert json.loads((second / "metrics.json").read_text())["cached_rate"] == 1.0
    third = run_task(RunOptions(task="toy-arith", model="toy-seed", data=str(tmp_path / "rows.jsonl"),
                                output=tmp_path / "nocache", progress="none", cache=False))
    assert json.loads((third / "metrics.json").read_text())["cached_rate"] == 0.0


def test_a_completed_run_is_not_resumed_but_rerun(tmp_path: Path) -> None:
    a = _run(tmp_path, model="gold")
    b = run_task(RunOptions(task="toy-arith", model="gold", data=str(tmp_path / "rows.jsonl"),
                            output=tmp_path / "results", progress="none"))
    assert a != b


def test_model_and_scorer_errors_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    run = _run(tmp_path, model="toy-seed?fail=3&raise=5", n=10)
    rows = {r["sample_id"]: r for r in pq.read_table(run / "samples.parquet").to_pylist()}
    assert rows["3"]["error_kind"] == "model" and "injected failure" in rows["3"]["error"]
    assert rows["5"]["error_kind"] == "scorer" and "scorer exploded" in rows["5"]["error"]
    assert rows["5"]["output"] == "RAISE"  # the model's output is kept even when its scorer failed
    m = json.loads((run / "metrics.json").read_text())
    assert m["errors"] == {"model": 1, "scorer": 1}
    assert m["metrics"]["accuracy"]["n"] == 8  # errors are not scored as the model's failures
    assert m["error_rate"] == pytest.approx(0.2)


def test_resume_retries_model_errors(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "rows.jsonl", 6)
    out = tmp_path / "results"
    first = run_task(RunOptions(task="toy-arith", model="toy-seed?fail=2", data=str(data), output=out, progress="none"))
    rows = pq.read_table(first / "samples.parquet").to_pylist()
    assert sum(r["error_kind"] == "model" for r in rows) == 1
    # the journal keeps the error; an explicit resume with the same spec re-asks only the failed sample
    record = json.loads((first / "run.json").read_text())
    record["status"] = "running"
    (first / "run.json").write_text(json.dumps(record))
    again = run_task(RunOptions(task="toy-arith", model="toy-seed?fail=2", data=str(data), output=out,
                                progress="none", resume=first.name))
    assert again == first
    lines = [json.loads(x) for x in (first / "journal.jsonl").read_text().splitlines()]
    assert [x["sample_id"] for x in lines].count("2") == 2  # asked again, appended, never rewritten
    rows = pq.read_table(first / "samples.parquet").to_pylist()
    assert len(rows) == 6 and sum(r["error_kind"] == "model" for r in rows) == 1


def test_a_small_run_where_everything_fails_says_so(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="every request failed .* connection refused"):
        _run(tmp_path, model="toy-down", n=3)


def test_unreachable_backend_fails_fast_with_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="failed 8 requests in a row and answered none: connection refused"):
        _run(tmp_path, model="toy-down", n=50)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task": "toy-arth"}, "unknown task 'toy-arth'; did you mean toy-arith"),
        ({"model": "gld"}, "unknown model adapter 'gld'; did you mean gold"),
        ({"model": "Open AI:x"}, "malformed model spec"),
        ({"model": "gold?temperature"}, "is not key=value"),
        ({"method": "self-consistensy:n=3"}, "unknown method 'self-consistensy'; did you mean self-consistency"),
        ({"sample_ids": ["999"]}, "no such sample"),
        ({"limit": 0}, "--limit must be at least 1"),
    ],
)
def test_bad_input_gets_one_clear_error(tmp_path: Path, kwargs: dict, message: str) -> None:
    data = write_rows(tmp_path / "rows.jsonl", 3)
    base = {"task": "toy-arith", "model": "gold", "data": str(data), "output": tmp_path / "r", "progress": "none"}
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("?", r"\?")):
        run_task(RunOptions(**{**base, **kwargs}))


def test_malformed_dataset_row_is_named(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"id": 1, "a": 1, "b": 2}\n{"id": 2, "a": 5}\n')
    with pytest.raises(UserError, match="dataset row 1 cannot be read.*KeyError"):
        run_task(RunOptions(task="toy-arith", model="gold", data=str(data), output=tmp_path / "r", progress="none"))
    data.write_text('{"id": 1, "a": 1, "b": 2}\n{"id": 1, "a": 1, "b": 2}\n')
    with pytest.raises(UserError, match="duplicate sample id '1'"):
        run_task(RunOptions(task="toy-arith", model="gold", data=str(data), output=tmp_path / "r", progress="none"))


def test_self_consistency_votes_over_separate_requests(tmp_path: Path) -> None:
    run = _run(tmp_path, model="toy-seed", method="self-consistency:n=3,batch=0", n=6)
    rows = pq.read_table(run / "samples.parquet").to_pylist()
    # seeds 0,1,2 -> (seed + id) even for 2 of 3 requests when id is even, 1 of 3 when odd
    assert [r["score"] for r in rows] == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    out = json.loads(rows[0]["output_json"])
    assert out["metadata"]["self_consistency"]["n"] == 3


def test_score_column_is_the_tasks_primary_metric_whatever_the_dict_order() -> None:
    from toy import ToyArith

    from harness.core import Completion, ModelOutput, Sample, Score
    from harness.engine.scheduler import build_row

    task = ToyArith()
    sample = Sample(id="1", input="q", target="a", metadata={"group": "g1"})
    score = Score(values={"coverage": 0.25, "accuracy": 1.0})
    output = ModelOutput(completions=[Completion("a", "stop")])
    row = build_row("r", task, "m", sample, 0, output, score, None, None, 0.1)
    assert row["score"] == 1.0 and row["scores"] == {"coverage": 0.25, "accuracy": 1.0}
    assert row["cluster"] is None  # the toy task declares no cluster key
    assert build_row("r", task, "m", sample, 0, output, Score(values={"coverage": 0.5}), None, None, 0.1)["score"] is None


def test_cluster_column_carries_the_tasks_cluster_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toy import ToyArith

    monkeypatch.setattr(ToyArith, "cluster_key", "group")
    run = _run(tmp_path, model="gold", n=6)
    rows = pq.read_table(run / "samples.parquet").to_pylist()
    assert [r["cluster"] for r in rows] == ["g0", "g1", "g2", "g0", "g1", "g2"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"]["ci_method"] in ("cluster-CR1-t", "wilson")


def test_replay_file_with_a_non_integer_epoch_is_one_clear_error(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "rows.jsonl", 2)
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": "0", "output": "0", "epoch": "first"}) + "\n")
    with pytest.raises(UserError, match="row 0 has epoch 'first', not an integer"):
        run_task(RunOptions(task="toy-arith", model=f"replay:{preds}", data=str(data), output=tmp_path / "r",
                            progress="none", cache=False))


def test_cache_hits_do_not_carry_the_original_retries(tmp_path: Path) -> None:
    from harness.core import Completion, GenerateRequest, GenerationConfig, ModelOutput
    from harness.engine.cache import RequestCache, request_key

    cache = RequestCache(tmp_path / "c.sqlite")
    request = GenerateRequest(messages=[{"role": "user", "content": "hi"}], config=GenerationConfig())
    key = request_key("openai:m", request)
    cache.put(key, ModelOutput(completions=[Completion("yo", "stop")], retries=3, latency_s=2.5))
    hit = cache.get(key)
    assert hit is not None and hit.cached and hit.retries == 0 and hit.latency_s == 0.0 and hit.text == "yo"


def test_resuming_a_finished_journal_keeps_the_model_description(tmp_path: Path) -> None:
    run = _run(tmp_path, model="toy-seed")
    record = json.loads((run / "run.json").read_text())
    described = record["model"]["describe"]
    record["status"] = "running"
    (run / "run.json").write_text(json.dumps(record))
    again = run_task(RunOptions(task="toy-arith", model="toy-seed", data=str(tmp_path / "rows.jsonl"),
                                output=tmp_path / "results", progress="none", resume=run.name))
    assert json.loads((again / "run.json").read_text())["model"]["describe"] == described


def test_resume_of_a_corrupt_run_json_is_one_clear_error(tmp_path: Path) -> None:
    run = _run(tmp_path, model="gold")
    (run / "run.json").write_text("{not json")
    with pytest.raises(UserError, match="run.json is unreadable"):
        run_task(RunOptions(task="toy-arith", model="gold", data=str(tmp_path / "rows.jsonl"),
                            output=tmp_path / "results", progress="none", resume=str(run)))
