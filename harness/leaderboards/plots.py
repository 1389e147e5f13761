"""Leaderboard plots with matplotlib (Agg, no display): per-task bars with 95% CIs, and a model x task heatmap.

Each plot is written as PNG and SVG. SVG text stays text (svg.fonttype = none), so the HTML page that inlines the
SVG is searchable and its labels can be checked in the DOM.
"""

from __future__ import annotations

import math
from pathlib import Path

from harness.leaderboards.build import Leaderboard


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["svg.hashsalt"] = "harness"  # deterministic SVG ids: same board, same file
    return plt


def _save(fig, out: Path, stem: str) -> list[Path]:  # type: ignore[no-untyped-def]
    paths = []
    for ext in ("png", "svg"):
        p = out / f"{stem}.{ext}"
        fig.savefig(p, dpi=100, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)
        paths.append(p)
    return paths


def bars_with_ci(board: Leaderboard, out: Path) -> list[Path]:
    """One panel per task: a horizontal bar per model, sorted by score, with its 95% CI as an error bar."""
    plt = _pyplot()
    tasks = board.tasks
    if not tasks:
        return []
    ncols = min(3, len(tasks))
    nrows = math.ceil(len(tasks) / ncols)
    n_models = max(1, len(board.rows))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 0.5 + nrows * (0.8 + 0.2 * n_models)),
                             squeeze=False)
    for ax, col in zip(axes.flat, tasks):
        scale = 100.0 if col.percent else 1.0
        entries = [(r.model, r.cells[col.name]) for r in board.rows
                   if col.name in r.cells and math.isfinite(r.cells[col.name].mean)]
        entries.sort(key=lambda e: e[1].mean)
        names = [e[0] for e in entries]
        means = [e[1].mean * scale for e in entries]
        lows = [max(0.0, (e[1].mean - e[1].ci_low) * scale) if math.isfinite(e[1].ci_low) else 0.0 for e in entries]
        highs = [max(0.0, (e[1].ci_high - e[1].mean) * scale) if math.isfinite(e[1].ci_high) else 0.0
                 for e in entries]
        colors = ["#2f6db3" if e[1].rank_lo == 1 else "#8fb3de" for e in entries]
        ax.barh(range(len(entries)), means, xerr=[lows, highs], color=colors, capsize=3, ecolor="#333333")
        ax.set_yticks(range(len(entries)), labels=[_short(n) for n in names], fontsize=8)
        ax.set_title(f"{col.name} ({col.primary}{' %' if col.percent else ''})", fontsize=9)
        if col.percent:
            ax.set_xlim(0, 100)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(tasks):]:
        ax.set_visible(False)
    fig.suptitle("Scores with 95% CIs (dark: rank 1 or tied for it)", fontsize=10)
    fig.tight_layout()
    paths = _save(fig, out, "bars")
    plt.close(fig)
    return paths


def heatmap(board: Leaderboard, out: Path) -> list[Path]:
    """Models (rows, in leaderboard order) x tasks (columns), coloured by score, annotated when it fits."""
    import numpy as np

    plt = _pyplot()
    if not board.tasks or not board.rows:
        return []
    grid = np.full((len(board.rows), len(board.tasks)), np.nan)
    for i, row in enumerate(board.rows):
        for j, col in enumerate(board.tasks):
            c = row.cells.get(col.name)
            if c is not None and math.isfinite(c.mean):
                grid[i, j] = c.mean * (100.0 if col.percent else 1.0)
    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(board.tasks), 1.0 + 0.32 * len(board.rows)))
    im = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(board.tasks)), labels=[c.name for c in board.tasks], rotation=30, ha="right",
                  fontsize=8)
    ax.set_yticks(range(len(board.rows)), labels=[_short(r.model) for r in board.rows], fontsize=8)
    if grid.size <= 600:
        finite = grid[np.isfinite(grid)]
        mid = float(finite.mean()) if finite.size else 0.0
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if math.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=7,
                            color="white" if grid[i, j] < mid else "black")
    fig.colorbar(im, ax=ax, fraction=0.04)
    ax.set_title("Model x task scores", fontsize=10)
    fig.tight_layout()
    paths = _save(fig, out, "heatmap")
    plt.close(fig)
    return paths


def _short(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def write_plots(board: Leaderboard, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return bars_with_ci(board, out) + heatmap(board, out)
