"""`harness leaderboard`: build the board once, write each requested format (and the plots) into a folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.core.errors import UserError
from harness.leaderboards.build import Leaderboard, build_leaderboard

FORMATS = ("md", "csv", "html", "latex", "json")
_EXT = {"md": "md", "csv": "csv", "html": "html", "latex": "tex", "json": "json"}


def parse_formats(text: str) -> list[str]:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UserError(f"unknown format(s) {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}")
    return formats


def render(board: Leaderboard, fmt: str, plots: list[Path] | None = None) -> str:
    from harness.leaderboards import render as r

    if fmt == "md":
        return r.to_markdown(board)
    if fmt == "csv":
        return r.to_csv(board)
    if fmt == "latex":
        return r.to_latex(board)
    if fmt == "json":
        return r.to_json(board)
    from harness.leaderboards.html import render_html

    return render_html(board, plots)


def publish(
    paths: Sequence[str | Path],
    *,
    formats: Sequence[str] = ("md",),
    out: Path | None = None,
    tasks: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    plots: bool = True,
    alpha: float = 0.05,
    lower_is_better: Sequence[str] = (),
) -> tuple[Leaderboard, dict[str, Path | str]]:
    """Build the leaderboard and write it. With `out`, files go to out/leaderboard.<ext> and out/plots/*.png|svg
    and the result maps each format to its path; without it, the result maps each format to its text."""
    board = build_leaderboard(paths, tasks=tasks, models=models, alpha=alpha, lower_is_better=lower_is_better)
    written: dict[str, Path | str] = {}
    plot_paths: list[Path] = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        if plots:
            from harness.leaderboards.plots import write_plots

            plot_paths = write_plots(board, out / "plots")
            for p in plot_paths:
                written[f"plot:{p.name}"] = p
    for fmt in formats:
        text = render(board, fmt, plot_paths)
        if out is None:
            written[fmt] = text
        else:
            path = out / f"leaderboard.{_EXT[fmt]}"
            path.write_text(text, encoding="utf-8")
            written[fmt] = path
    return board, written
