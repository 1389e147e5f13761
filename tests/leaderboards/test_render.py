from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from harness.core.errors import UserError
from harness.leaderboards.build import Cell, build_leaderboard
from harness.leaderboards.publish import parse_formats, publish
from harness.leaderboards.render import decimals_for, format_score, latex_escape, to_csv, to_latex, to_markdown


def test_digits_follow_the_ci() -> None:
    assert decimals_for(0.028, 100) == 1  # ±2.8 points: one decimal
    assert decimals_for(0.003, 100) == 2
    assert decimals_for(0.15, 100) == 0
    cell = Cell("r", 0.7234, 0.6954, 0.7514, 0.0143, 1000, "wilson")
    assert format_score(cell, True) == "72.3 ± 2.8 (n=1000)"
    cell.underpowered = True
    assert format_score(cell, True, with_n=False) == "72.3 ± 2.8 †"
    assert format_score(None, True) == "-"


def test_markdown_has_versions_ties_and_bold(board_dir: Path) -> None:
    md = to_markdown(build_leaderboard([board_dir]))
    lines = md.splitlines()
    assert lines[0].startswith("| Rank | Model | aime24 v1 (accuracy %) | gsm8k v1 (accuracy %) | Aggregate |")
    assert sum(1 for line in lines if line.startswith("| =1 |")) == 2
    assert "| 4 | hf:weak |" in md
    assert "**" not in md  # nobody is significantly best on a task (the twins tie)
    assert "Harness: 0.1.0 (abc1234)" in md


def test_csv_is_machine_readable(board_dir: Path) -> None:
    board = build_leaderboard([board_dir])
    rows = list(csv.DictReader(io.StringIO(to_csv(board))))
    assert [r["model"] for r in rows] == [r.model for r in board.rows]
    weak = rows[-1]
    cell = board.rows[-1].cells["gsm8k"]
    assert float(weak["gsm8k:mean"]) == cell.mean and float(weak["gsm8k:ci_low"]) == cell.ci_low
    assert weak["gsm8k:n"] == "600" and weak["gsm8k:task_version"] == "1" and weak["rank"] == "4"


def test_latex_escapes_and_uses_booktabs(board_dir: Path) -> None:
    tex = to_latex(build_leaderboard([board_dir]))
    assert r"\toprule" in tex and r"\bottomrule" in tex and r"$\pm$" in tex
    assert latex_escape("a_b & 50% #1") == r"a\_b \& 50\% \#1"
    body = [line for line in tex.splitlines() if line.endswith(r"\\")]
    assert len(body) == 1 + 4  # header + 4 models
    assert all(line.count("&") - line.count("\\&") == 4 for line in body)  # 5 columns


def test_publish_writes_every_format_and_plots(board_dir: Path, tmp_path: Path) -> None:
    board, written = publish([board_dir], formats=parse_formats("md,csv,html,latex,json"), out=tmp_path)
    for ext in ("md", "csv", "html", "tex", "json"):
        assert (tmp_path / f"leaderboard.{ext}").stat().st_size > 200
    doc = json.loads((tmp_path / "leaderboard.json").read_text())
    assert [r["model"] for r in doc["rows"]] == [r.model for r in board.rows]
    png = (tmp_path / "plots" / "bars.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "plots" / "heatmap.png").read_bytes()[:4] == b"\x89PNG"
    svg = (tmp_path / "plots" / "heatmap.svg").read_text()
    assert "<svg" in svg and "hf:weak" in svg and "gsm8k" in svg  # text kept as text
    html = (tmp_path / "leaderboard.html").read_text()
    # No network: nothing is loaded from elsewhere (XML namespace names are identifiers, not fetched).
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//|url\(\s*["']?(https?:)?//|@import""", html)
    assert "<metadata" not in html
    assert html.count("<svg") == 2 and "<script>" in html and "<style>" in html


def test_bad_format_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown format"):
        parse_formats("md,pdf")
