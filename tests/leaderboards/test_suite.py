"""Suites through the real engine: the gold adapter on bundled math samples (no network, no model server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.core.errors import UserError
from harness.suites.runner import plan, run_suite
from harness.suites.spec import load_suite

SUITE = """
name: smoke
output: {out}
defaults: {{data: sample, limit: 3}}
tasks:
  - gsm8k
  - {{name: aime24, limit: 2}}
models: [gold]
variants:
  - {{name: s0, seed: 0}}
  - {{name: s1, seed: 1}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "suite.yaml"
    f.write_text(text)
    return f


def test_expansion_and_merge_order(tmp_path: Path) -> None:
    f = _write(tmp_path, SUITE.format(out=tmp_path / "r"))
    suite = load_suite(f)
    assert [i.key for i in suite.items] == ["gsm8k | gold | s0", "gsm8k | gold | s1", "aime24 | gold | s0",
                                           "aime24 | gold | s1"]
    assert suite.items[2].settings == {"data": "sample", "limit": 2, "seed": 0}
    assert "4 runs" in plan(f)


@pytest.mark.parametrize("text,message", [
    ("tasks: [a]\nmodels: [m]\nbogus: 1\n", "unknown key"),
    ("tasks: []\nmodels: [m]\n", "non-empty list"),
    ("tasks: [{name: a, temperature: 0}]\nmodels: [m]\n", "unknown key"),
    ("tasks: [a, a]\nmodels: [m]\n", "appears twice"),
    ("tasks: [a\n", "not valid YAML"),
])
def test_invalid_suites(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_suite(_write(tmp_path, text))


def test_run_resume_and_leaderboard(tmp_path: Path) -> None:
    out = tmp_path / "results"
    f = _write(tmp_path, SUITE.format(out=out))
    first = run_suite(f, log=lambda _m: None)
    assert [i.status for i in first.items] == ["ran"] * 4
    manifest = json.loads((out / "suite.json").read_text())
    assert len(manifest["items"]) == 4 and manifest["name"] == "smoke"
    record = json.loads((Path(first.items[0].run_dir) / "run.json").read_text())
    assert record["status"] == "complete" and record["suite"]["variant"] == "s0"

    again = run_suite(f, log=lambda _m: None)  # everything complete: nothing reruns
    assert [i.status for i in again.items] == ["skipped"] * 4
    assert [i.run_dir for i in again.items] == [i.run_dir for i in first.items]

    from harness.leaderboards.build import build_leaderboard

    board = build_leaderboard([out])
    assert [r.model for r in board.rows] == ["gold [s0]", "gold [s1]"]
    assert all(c.mean == 1.0 for r in board.rows for c in r.cells.values())  # gold scores 100%
    assert all(r.tied for r in board.rows)


def test_a_failed_item_does_not_stop_the_suite(tmp_path: Path) -> None:
    f = _write(tmp_path, f"output: {tmp_path / 'r'}\ndefaults: {{data: sample, limit: 2}}\n"
                         "tasks: [no-such-task, gsm8k]\nmodels: [gold]\n")
    result = run_suite(f, log=lambda _m: None)
    assert [i.status for i in result.items] == ["failed", "ran"]
    assert "no-such-task" in (result.items[0].error or "")
    assert "1 failed" in result.summary()


def test_the_nightly_suite_file_is_valid() -> None:
    repo = Path(__file__).resolve().parents[2]
    suite = load_suite(repo / "suites" / "nightly.yaml")
    assert suite.name == "nightly" and {i.task for i in suite.items} >= {"gsm8k", "aime24"}
    workflow = (repo / ".github" / "workflows" / "nightly.yml").read_text()
    import yaml

    jobs = yaml.safe_load(workflow)["jobs"]["nightly"]["steps"]
    commands = " ".join(s.get("run", "") for s in jobs)
    for needed in ("harness suite run", "harness regress --baseline", "harness regress --golden",
                   "harness leaderboard"):
        assert needed in commands
