"""`harness forecast`: SABER ASR@N forecast from per-attempt outcomes, as a table and an ASR@N plot.

The lead registers `forecast` in harness/cli.py (app.command("forecast")(forecast)). Heavy imports (numpy,
matplotlib, rich) stay inside the function so `harness --help` stays fast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from harness.core.errors import UserError


def _parse_budgets(budget: str) -> list[int]:
    out = []
    for part in budget.split(","):
        part = part.strip().replace("_", "")
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise UserError(f"--budget {budget!r}: {part!r} is not a number") from None
        if not math.isfinite(value) or value < 1 or value != int(value):
            raise UserError(f"--budget {budget!r}: {part!r} must be a positive whole number")
        out.append(int(value))
    if not out:
        raise UserError("--budget: give at least one N, e.g. 1000,10000")
    return out


def _pct(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    if x > 0.99 and x < 1.0:
        return ">99%"
    return f"{100 * x:.1f}%"


def _outputs(attempts: str, out: str | None) -> tuple[Path, str]:
    src = Path(attempts)
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        return folder, "forecast"
    if src.is_dir():
        return src, "forecast"
    return src.parent, f"{src.stem}.forecast"


def forecast(
    attempts: Annotated[str, typer.Option("--attempts", help="Attempts file (JSONL/Parquet: query_id, attempt, success) or a run folder.")],
    budget: Annotated[str, typer.Option("--budget", help="Comma-separated target budgets N.")] = "1000,10000",
    target: Annotated[Optional[float], typer.Option("--target", help="Also report Budget@tau for this ASR, e.g. 0.9.")] = None,
    estimator: Annotated[str, typer.Option("--estimator", help="anchored, anchored_exact, anchored_per_query, plugin, eb_posterior, naive, combinatorial, loglinear.")] = "anchored",
    out: Annotated[Optional[str], typer.Option("--out", help="Folder for forecast.png/.svg/.json (default: next to the input).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    n_bootstrap: Annotated[int, typer.Option("--n-bootstrap", help="Query-bootstrap resamples (0: no CI).")] = 1000,
) -> int:
    """Forecast best-of-N attack success ASR@N (SABER) with query-bootstrap CIs, diagnostics and a plot."""
    from harness.stats.attempts import load_attempts
    from harness.stats.saber import estimators as est
    from harness.stats.saber.forecast import ALPHA_ONLY_LABEL, saber_forecast

    budgets = _parse_budgets(budget)
    if estimator not in est.ESTIMATORS:
        raise UserError(f"--estimator {estimator!r}: choose one of {', '.join(est.ESTIMATORS)}")
    if target is not None and not 0.0 < target < 1.0:
        raise UserError(f"--target {target}: must be between 0 and 1 (e.g. 0.9)")
    if n_bootstrap < 0:
        raise UserError("--n-bootstrap must be >= 0")
    data = load_attempts(attempts)
    if estimator == "combinatorial" and max(budgets) > min(data.n):
        raise UserError(f"--estimator combinatorial only covers N <= {min(data.n)} (the smallest per-query budget)")
    try:
        result = saber_forecast(data.k, data.n, budgets, estimator=estimator, target=target,
                                n_bootstrap=n_bootstrap, seed=seed)
    except ValueError as e:
        raise UserError(f"{attempts}: {e}") from e

    folder, stem = _outputs(attempts, out)
    png, svg, js = folder / f"{stem}.png", folder / f"{stem}.svg", folder / f"{stem}.json"
    _plot(result, png, svg)
    payload = result.to_dict()
    payload.update({"source": data.source, "rows_read": data.n_rows, "ci_method": "query bootstrap, percentile",
                    "eq14_label": ALPHA_ONLY_LABEL})
    js.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    _print(result, data.source, ALPHA_ONLY_LABEL, (png, svg, js))
    return 0


def _print(result, source: str, eq14_label: str, files: tuple[Path, Path, Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    conf = f"{100 * result.confidence:.0f}%"
    budgets = "n = " + (str(result.n_min) if result.even_budget else f"{result.n_min}..{result.n_max}")
    title = f"SABER ASR@N forecast - {source} ({result.n_queries} queries, {budgets}, observed ASR@n {_pct(result.observed_asr)})"
    table = Table(title=title)
    if result.degenerate:
        for col in ("N", "x n", "forecast", f"model-free {conf} bounds"):
            table.add_column(col, justify="right")
        for r in result.rows:
            table.add_row(str(r.N), f"{r.extrapolation:.0f}x", "refused", f"[{_pct(r.lower_bound)}, {_pct(r.upper_bound)}]")
    else:
        for col in ("N", "x n", result.estimator, f"{conf} CI (query bootstrap)", "eq14 alpha-only", "zero-inflated", "naive"):
            table.add_column(col, justify="right")
        for r in result.rows:
            ci = f"[{_pct(r.ci_low)}, {_pct(r.ci_high)}]" if math.isfinite(r.ci_low) else "-"
            eq14 = f"[{_pct(r.eq14_low)}, {_pct(r.eq14_high)}]" if math.isfinite(r.eq14_low) else "-"
            table.add_row(str(r.N), f"{r.extrapolation:.0f}x", _pct(r.estimate), ci, eq14, _pct(r.zero_inflated),
                          _pct(r.others.get("naive", float("nan"))))
    console.print(table)
    if result.fit is not None:
        f = result.fit
        diag = Table(title="fit diagnostics", show_header=False)
        diag.add_column("item")
        diag.add_column("value")
        diag.add_row("alpha (scaling exponent)", f"{f.alpha:.4g} ± {f.se_alpha:.2g}")
        diag.add_row("beta", f"{f.beta:.4g} ± {f.se_beta:.2g}")
        diag.add_row("fit", f"{f.message} (|grad| {f.grad_norm:.1e}, {f.n_starts} starts)")
        if result.gof is not None:
            g = result.gof
            diag.add_row("all-fail queries", f"{g.observed_zero:.0f} observed vs {g.expected_zero:.1f} expected")
            diag.add_row("all-success queries", f"{g.observed_all:.0f} observed vs {g.expected_all:.1f} expected")
            chi = f"chi2 = {g.chi2:.2f}, df = {g.df}, p = {g.p_value:.3g}" if g.df >= 1 else "too few bins"
            diag.add_row("goodness of fit", chi)
        if result.zero_inflated is not None:
            z = result.zero_inflated
            diag.add_row("zero-inflated fit", f"pi = {z.pi:.3f}, alpha = {z.alpha:.3g}, beta = {z.beta:.3g}, LR p = {z.p_value:.3g}")
        if result.budget is not None:
            b = result.budget
            ci = f" ({conf} CI {b.ci_low:,.0f}..{b.ci_high:,.0f}, {b.method})" if math.isfinite(b.ci_low) else ""
            diag.add_row(f"Budget@{100 * b.tau:g}%", f"anchored {b.anchored:,.0f}, plugin {b.plugin:,.0f}{ci}")
        console.print(diag)
    if not result.degenerate:
        console.print(f"CI: query bootstrap ({result.n_bootstrap} resamples, seed {result.seed}), population of "
                      f"queries. {eq14_label}.")
    for w in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print("wrote " + ", ".join(str(p) for p in files))


def _plot(result, png: Path, svg: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4.5))
    m = np.asarray(result.observed_curve.get("m", []), dtype=float)
    asr = np.asarray(result.observed_curve.get("asr", []), dtype=float)
    if m.size:
        ax.plot(m, 100 * asr, "o", ms=4, color="black", label="observed ASR@m (unbiased, m <= n)")
    if result.degenerate:
        N = np.array([r.N for r in result.rows], dtype=float)
        ax.vlines(N, [100 * r.lower_bound for r in result.rows], [100 * r.upper_bound for r in result.rows],
                  color="tab:red", lw=3, label="model-free bounds (no extrapolation)")
        ax.set_title("ASR@N: degenerate data, forecast refused")
    else:
        grid = np.asarray(result.curve["N"], dtype=float)
        est_curve = 100 * np.asarray(result.curve["estimate"], dtype=float)
        lo = 100 * np.asarray(result.curve["ci_low"], dtype=float)
        hi = 100 * np.asarray(result.curve["ci_high"], dtype=float)
        ax.plot(grid, est_curve, color="tab:blue", label=f"SABER {result.estimator}")
        if np.isfinite(lo).any():
            ax.fill_between(grid, lo, hi, color="tab:blue", alpha=0.2,
                            label=f"{100 * result.confidence:.0f}% query-bootstrap CI")
        N = np.array([r.N for r in result.rows], dtype=float)
        ax.plot(N, [100 * r.estimate for r in result.rows], "s", color="tab:blue")
        ax.set_title(f"ASR@N forecast (alpha = {result.fit.alpha:.3g}, {result.n_queries} queries)")
    ax.axvline(result.n_max, color="grey", ls="--", lw=1, label=f"measured budget n = {result.n_max}")
    ax.set_xscale("log")
    ax.set_ylim(0, 100)
    ax.set_xlabel("attempts per query N")
    ax.set_ylabel("ASR@N (%)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    fig.savefig(svg)
    plt.close(fig)
