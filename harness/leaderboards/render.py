"""Leaderboard tables as Markdown, CSV, LaTeX and JSON.

A cell reads `72.3 ± 2.8` (n=1000): the score and half the width of its 95% CI, rounded to the digits the CI
supports (stats.md §4.2). CSV and JSON carry the exact interval ends, the CI method and the rank interval.
Bold marks a model significantly better than every other model on that task; `=k` marks a tie; `†` marks an
underpowered cell (CI half-width above 3 points), whose rank should not be read.
"""

from __future__ import annotations

import csv
import io
import json
import math

from harness.leaderboards.build import Cell, Leaderboard, TaskColumn

LEGEND = (
    "score ± half-width of the 95% CI (n questions); rank = 1 + number of models significantly better "
    "(paired tests on shared questions, Holm-adjusted); =k: tied; bold: significantly best on that task; "
    "†: underpowered (CI half-width > 3 points)"
)


def decimals_for(half_width: float, scale: float) -> int:
    """Digits the CI supports: one significant digit of the half-width, plus one (0 to 3 decimals)."""
    hw = half_width * scale
    if not math.isfinite(hw) or hw <= 0:
        return 1 if scale == 100 else 3
    return max(0, min(3, 1 - math.floor(math.log10(hw))))


def format_score(cell: Cell | None, percent: bool, with_n: bool = True) -> str:
    if cell is None or not math.isfinite(cell.mean):
        return "-"
    scale = 100.0 if percent else 1.0
    hw = cell.half_width
    d = decimals_for(hw, scale)
    text = f"{cell.mean * scale:.{d}f}"
    if math.isfinite(hw):
        text += f" ± {hw * scale:.{d}f}"
    if with_n and cell.n:
        text += f" (n={cell.n})"
    if cell.underpowered:
        text += " †"
    return text


def task_header(col: TaskColumn) -> str:
    unit = " %" if col.percent else ""
    way = "" if col.higher_is_better else ", lower is better"
    return f"{col.name} v{'/'.join(col.versions)} ({col.primary}{unit}{way})"


def aggregate_percent(board: Leaderboard) -> bool:
    covered = set(board.aggregate_tasks)
    return all(c.percent for c in board.tasks if not covered or c.name in covered)


def _source_note(sources: list[str]) -> str:
    other = [s for s in sources if s != "harness"]
    return f" [{', '.join(other)}]" if other else ""


def to_markdown(board: Leaderboard) -> str:
    headers = ["Rank", "Model"] + [task_header(c) for c in board.tasks] + ["Aggregate"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(["---"] * len(headers)) + "|"]
    agg_pct = aggregate_percent(board)
    for row in board.rows:
        cells = []
        for col in board.tasks:
            c = row.cells.get(col.name)
            text = format_score(c, col.percent)
            if c is not None and c.rank_hi == 1 and len(board.rows) > 1:
                text = f"**{text}**"
            cells.append(text)
        cells.append(format_score(row.aggregate, agg_pct, with_n=False))
        model = row.model.replace("|", "\\|") + _source_note(row.sources)
        lines.append("| " + " | ".join([row.rank_text, model, *cells]) + " |")
    out = "\n".join(lines) + "\n\n" + LEGEND + ".\n"
    out += f"\nHarness: {', '.join(board.harness_versions)}. Generated {board.generated_at}.\n"
    for w in board.warnings:
        out += f"\nWarning: {w}."
    return out + ("\n" if board.warnings else "")


def to_csv(board: Leaderboard) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    header = ["rank", "rank_lo", "rank_hi", "tied", "model", "sources"]
    for col in board.tasks:
        header += [f"{col.name}:{k}" for k in
                   ("mean", "ci_low", "ci_high", "stderr", "n", "ci_method", "task_version", "rank_lo", "rank_hi",
                    "run_id")]
    header += ["aggregate:mean", "aggregate:ci_low", "aggregate:ci_high", "aggregate:stderr"]
    w.writerow(header)
    for row in board.rows:
        line: list[object] = [row.rank_text, row.rank_lo or "", row.rank_hi or "", row.tied, row.model,
                              ";".join(row.sources)]
        for col in board.tasks:
            c = row.cells.get(col.name)
            if c is None:
                line += [""] * 10
            else:
                line += [_num(c.mean), _num(c.ci_low), _num(c.ci_high), _num(c.stderr), c.n, c.ci_method,
                         c.task_version, c.rank_lo, c.rank_hi, c.run_id]
        a = row.aggregate
        line += [_num(a.mean), _num(a.ci_low), _num(a.ci_high), _num(a.stderr)] if a else ["", "", "", ""]
        w.writerow(line)
    return buf.getvalue()


def _num(x: float) -> str:
    return "" if x is None or not math.isfinite(x) else repr(float(x))


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                  "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(board: Leaderboard) -> str:
    """A booktabs table (needs \\usepackage{booktabs} in the preamble)."""
    agg_pct = aggregate_percent(board)
    cols = "ll" + "r" * (len(board.tasks) + 1)
    head = ["Rank", "Model"] + [latex_escape(task_header(c)) for c in board.tasks] + ["Aggregate"]
    lines = [r"\begin{tabular}{" + cols + "}", r"\toprule", " & ".join(head) + r" \\", r"\midrule"]
    for row in board.rows:
        cells = []
        for col in board.tasks:
            c = row.cells.get(col.name)
            text = latex_escape(format_score(c, col.percent)).replace("±", r"$\pm$").replace("†", r"$^\dagger$")
            if c is not None and c.rank_hi == 1 and len(board.rows) > 1:
                text = r"\textbf{" + text + "}"
            cells.append(text)
        agg = latex_escape(format_score(row.aggregate, agg_pct, with_n=False))
        cells.append(agg.replace("±", r"$\pm$").replace("†", r"$^\dagger$"))
        model = latex_escape(row.model + _source_note(row.sources))
        lines.append(" & ".join([latex_escape(row.rank_text), model, *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    caption = latex_escape(LEGEND).replace("±", r"$\pm$").replace("†", r"$^\dagger$")
    return "% " + caption + "\n" + "\n".join(lines) + "\n"


def to_json(board: Leaderboard) -> str:
    def clean(x: object) -> object:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(board.to_dict()), indent=2) + "\n"
