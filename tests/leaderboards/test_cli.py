"""The typer commands (registered here on a local app, as harness/cli.py registers them)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from harness.leaderboards import cli

from .run_factory import simulate_scores, write_run

app = typer.Typer()
app.command("leaderboard")(cli.leaderboard)
app.command("compare")(cli.compare)
app.command("regress")(cli.regress)
app.command("import")(cli.import_results)
app.add_typer(cli.suite_app, name="suite")
runner = CliRunner()


def _side(root: Path, ability: float, seed: int, n: int = 600) -> Path:
    for j, task in enumerate(("a", "b")):
        write_run(root, task=task, model="m", scores=simulate_scores(n, ability, seed=seed * 10 + j, item_seed=j))
    return root


def test_regress_exit_codes(tmp_path: Path) -> None:
    base = _side(tmp_path / "base", 0.5, 1)
    ok = runner.invoke(app, ["regress", "--baseline", str(base), "--candidate", str(_side(tmp_path / "aa", 0.5, 1))])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["regress", "--baseline", str(base), "--candidate", str(_side(tmp_path / "bad", -0.5, 2)),
                              "--json", str(tmp_path / "gate.json")])
    assert bad.exit_code == 1 and "FAIL" in bad.output
    assert json.loads((tmp_path / "gate.json").read_text())["exit_code"] == 1
    small = runner.invoke(app, ["regress", "--baseline", str(_side(tmp_path / "s1", 0.5, 1, n=10)),
                                "--candidate", str(_side(tmp_path / "s2", 0.5, 2, n=10))])
    assert small.exit_code == 2 and "INCONCLUSIVE" in small.output
    gold = runner.invoke(app, ["regress", "--golden", "--baseline", str(base), "--candidate", str(tmp_path / "aa")])
    assert gold.exit_code == 0 and "matches the golden run" in gold.output


def test_leaderboard_compare_and_import(tmp_path: Path) -> None:
    _side(tmp_path / "r" / "x", 0.5, 1)
    res = runner.invoke(app, ["leaderboard", str(tmp_path / "r"), "--format", "md,csv"])
    assert res.exit_code == 0 and "| Rank | Model |" in res.output and "rank,rank_lo" in res.output
    res = runner.invoke(app, ["leaderboard", str(tmp_path / "r"), "-f", "html,latex", "--out", str(tmp_path / "o"),
                              "--no-plots"])
    assert res.exit_code == 0 and (tmp_path / "o" / "leaderboard.html").exists()
    assert not (tmp_path / "o" / "plots").exists()
    res = runner.invoke(app, ["compare", str(tmp_path / "r" / "x"), str(_side(tmp_path / "y", 0.0, 2))])
    assert res.exit_code == 0 and "| Task | Better | A | B | B - A | B vs A |" in res.output
    fixture = Path(__file__).resolve().parents[1] / "store" / "fixtures" / "inspect_arith.json"
    res = runner.invoke(app, ["import", str(fixture), "--out", str(tmp_path / "imp")])
    assert res.exit_code == 0 and "inspect-arith" in res.output


def test_suite_dry_run(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("tasks: [gsm8k]\nmodels: [gold, 'openai:x']\n")
    res = runner.invoke(app, ["suite", "run", str(f), "--dry-run"])
    assert res.exit_code == 0 and "(2 runs)" in res.output and "gsm8k | openai:x" in res.output
