"""rm-rf: labels from the official validation TOMLs, prediction parsing, F1/Spearman aggregation, gold run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from harness.core import Completion, ModelOutput
from harness.tasks.rm_rf.records import convert, labels, row_from_toml
from harness.tasks.rm_rf.task import RmRfTask, aggregate, f1, parse_prediction

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "rm-rf" / "validation_subset"


def _out(text: str) -> ModelOutput:
    return ModelOutput(completions=[Completion(text=text)])


def test_labels_from_official_validation_files() -> None:
    if not SHARED.exists():
        pytest.skip(f"official sample data not available: {SHARED}")
    rows = [row_from_toml(p) for p in sorted(SHARED.glob("*.toml"))]
    assert len(rows) == 14
    for row in rows:
        lab = labels(row)
        assert lab["correct"] == row["test_case_info"]["correctness"]
        assert lab["coverage_up"] == (row["target_deltas"]["coverage"] > 0)
    assert {labels(r)["correct"] for r in rows} == {True, False}


def test_parse_prediction_and_scoring() -> None:
    task = RmRfTask()
    sample = task.to_sample(json.loads((Path(task.sample_path())).read_text().splitlines()[0]), 0)
    assert parse_prediction('blah {"correct": true, "coverage_up": false, "mutation_up": true} end')["mutation_up"]
    assert parse_prediction("no json here") is None
    perfect = task.score(sample, _out(task.gold_output(sample)))
    assert perfect.values["avg_accuracy"] == 1.0 and not perfect.parse_failure
    garbage = task.score(sample, _out("I think it passes"))
    assert garbage.parse_failure and garbage.values["avg_accuracy"] == 0.0


def test_scoring_survives_huge_numbers_in_the_reply() -> None:
    # A 5,000-digit integer makes json.loads raise ValueError (not JSONDecodeError), and a 400-digit one makes
    # float() raise OverflowError; neither may take the scorer down.
    task = RmRfTask()
    sample = task.to_sample(json.loads((Path(task.sample_path())).read_text().splitlines()[0]), 0)
    flags = '"correct": true, "coverage_up": true, "mutation_up": false'
    too_long = task.score(sample, _out("{" + flags + ', "coverage_gain": 1' + "0" * 5000 + "}"))
    assert too_long.parse_failure
    too_big = task.score(sample, _out("{" + flags + ', "coverage_gain": 1' + "0" * 400 + "}"))
    assert not too_big.parse_failure and math.isnan(too_big.values["coverage_gain_pred"])


def test_aggregate_f1_and_spearman() -> None:
    assert f1(1, 1, 0) == pytest.approx(2 / 3)
    rows = []
    for p, y, gp, gt in [(1, 1, 1.0, 2.0), (1, 0, 2.0, 3.0), (0, 1, 3.0, 5.0), (0, 0, 0.0, 1.0)]:
        r = {}
        for k in ("correct", "coverage_up", "mutation_up"):
            r |= {f"{k}_tp": float(p and y), f"{k}_fp": float(p and not y), f"{k}_fn": float(y and not p)}
        r |= {"coverage_gain_pred": gp, "coverage_gain_true": gt, "mutation_gain_pred": math.nan,
              "mutation_gain_true": 1.0}
        rows.append(r)
    agg = aggregate(rows)
    assert agg["f1_correct"] == pytest.approx(0.5) and agg["f1_avg"] == pytest.approx(0.5)
    assert agg["spearman_coverage_gain"] == pytest.approx(1.0)
    assert math.isnan(agg["spearman_mutation_gain"])


def test_gold_run_on_converted_official_files(tmp_path: Path) -> None:
    if not SHARED.exists():
        pytest.skip(f"official sample data not available: {SHARED}")
    from harness.engine.run import RunOptions, run_task

    data = tmp_path / "val.jsonl"
    assert convert(SHARED, data) == 14
    folder = run_task(RunOptions(task="rm-rf", model="gold", data=str(data), output=tmp_path / "res", progress="off"))
    metrics = json.loads((Path(folder) / "metrics.json").read_text())
    assert metrics["n_samples"] == 14 and metrics["metrics"]["avg_accuracy"]["mean"] == 1.0
