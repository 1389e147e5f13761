"""The CLI wiring: run, show, score and their error lines (in-process, with the toy task registered)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import toy  # noqa: F401  (registers toy-arith)
from toy import write_rows
from typer.testing import CliRunner

from harness.cli import _kv, app

runner = CliRunner()


def test_run_show_and_score(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "rows.jsonl", 5)
    out = tmp_path / "res"
    ran = runner.invoke(app, ["run", "-t", "toy-arith", "-m", "gold", "--data", str(data), "-o", str(out),
                              "--progress", "none", "-G", "repetition_penalty=1.1", "--max-tokens", "7"])
    assert ran.exit_code == 0, ran.output
    assert "accuracy" in ran.output and "1.0000" in ran.output
    (run_dir,) = out.iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["generation_config"]["max_tokens"] == 7
    assert record["generation_config"]["extra"] == {"repetition_penalty": 1.1}

    shown = runner.invoke(app, ["show", run_dir.name[:20], "-o", str(out)])
    assert shown.exit_code == 0 and "accuracy" in shown.output

    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": str(i), "response": f"= {3 * i if i < 4 else 0}"}) + "\n"
                             for i in range(5)))
    scored = runner.invoke(app, ["score", "-t", "toy-arith", "--predictions", str(preds), "--data", str(data),
                                 "-o", str(tmp_path / "scored"), "--progress", "none"])
    assert scored.exit_code == 0, scored.output
    (score_dir,) = (tmp_path / "scored").iterdir()
    metrics = json.loads((score_dir / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"]["mean"] == 0.8  # sample 4 is wrong (0 instead of 12)


def test_key_value_options_parse_json_values() -> None:
    assert _kv(["a=1", "b=true", "c=text", "d=[1, 2]"], "-T") == {"a": 1, "b": True, "c": "text", "d": [1, 2]}


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "-t", "gsm8k", "-m", "gold", "-T", "oops"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    lines = [x for x in proc.stderr.splitlines() if x.strip() and "Warning" not in x and "_load(" not in x]
    assert lines == ["error: --task-arg 'oops': expected key=value"]
    assert "Traceback" not in proc.stderr


def test_help_lists_the_commands() -> None:
    helped = runner.invoke(app, ["--help"])
    for command in ("run", "score", "show", "tasks", "models", "data"):
        assert command in helped.output


def test_summary_line_separates_the_error_counts(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "rows.jsonl", 5)
    ran = runner.invoke(app, ["run", "-t", "toy-arith", "-m", "toy-seed?fail=3", "--data", str(data), "-o",
                              str(tmp_path / "res"), "--progress", "none", "--no-cache"], env={"COLUMNS": "300"})
    assert ran.exit_code == 0, ran.output
    assert 'errors 20.0% {"model": 1} | retries 0 |' in ran.output


def test_generation_options_of_the_wrong_type_are_one_clear_error(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "rows.jsonl", 2)
    ran = runner.invoke(app, ["run", "-t", "toy-arith", "-m", "gold", "--data", str(data), "-o", str(tmp_path / "r"),
                              "--progress", "none", "-G", "max_tokens=abc"])
    assert ran.exit_code != 0
    assert "generation option max_tokens='abc' must be an integer" in str(ran.exception)
