"""Typer commands for leaderboards, compare, regress, suites and imports (argument wiring only).

Register in harness/cli.py:

    from harness.leaderboards import cli as lb_cli
    app.command("leaderboard")(lb_cli.leaderboard)
    app.command("compare")(lb_cli.compare)
    app.command("regress")(lb_cli.regress)
    app.command("import")(lb_cli.import_results)
    app.add_typer(lb_cli.suite_app, name="suite")

Heavy imports (duckdb, scipy, matplotlib) happen inside the functions, so `harness --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

suite_app = typer.Typer(help="Suites: tasks x models x variants from one YAML file.", no_args_is_help=True)


def _split(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


_LOWER_HELP = ("Comma-separated tasks whose metric is better when lower (e.g. an attack success rate); overrides "
               "what run.json declares (task.higher_is_better).")


def leaderboard(
    results: Annotated[Optional[list[Path]], typer.Argument(help="Results folders or run folders.")] = None,
    tasks: Annotated[Optional[str], typer.Option(help="Comma-separated tasks (columns, in this order).")] = None,
    models: Annotated[Optional[str], typer.Option(help="Comma-separated models (spec or label).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="md,csv,html,latex,json")] = "md",
    out: Annotated[Optional[Path], typer.Option(help="Write leaderboard.<ext> and plots/ here.")] = None,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the PNG/SVG plots.")] = False,
    alpha: Annotated[float, typer.Option(help="Significance level for ties (Holm-adjusted).")] = 0.05,
    lower_is_better: Annotated[Optional[str], typer.Option("--lower-is-better", help=_LOWER_HELP)] = None,
) -> None:
    """One row per model, one column per task and an aggregate; score ± 95% CI (n); ties marked =k."""
    from harness.leaderboards.publish import parse_formats, publish

    formats = parse_formats(format)
    board, written = publish(results or [Path("results")], formats=formats, out=out, tasks=_split(tasks),
                             models=_split(models), plots=not no_plots, alpha=alpha,
                             lower_is_better=tuple(_split(lower_is_better) or ()))
    if out is None:
        for fmt in formats:
            typer.echo(written[fmt])
    else:
        for name, path in written.items():
            typer.echo(f"{name}: {path}")


def compare(
    run_a: Annotated[Path, typer.Argument(help="Run folder (or folder of runs) A.")],
    run_b: Annotated[Path, typer.Argument(help="Run folder (or folder of runs) B.")],
    max_items: Annotated[int, typer.Option(help="Flipped items listed per direction and task.")] = 20,
    alpha: Annotated[float, typer.Option(help="Significance level (Holm across tasks).")] = 0.05,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the full report as JSON.")] = None,
    lower_is_better: Annotated[Optional[str], typer.Option("--lower-is-better", help=_LOWER_HELP)] = None,
) -> None:
    """Paired difference B - A per task (CI, p, Holm) and the questions that flipped."""
    from harness.leaderboards.compare import compare_runs

    report = compare_runs(run_a, run_b, max_items=max_items, alpha=alpha,
                          lower_is_better=tuple(_split(lower_is_better) or ()))
    typer.echo(report.to_markdown())
    if json_out:
        json_out.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")


def regress(
    baseline: Annotated[Path, typer.Option(help="Baseline results folder (or golden run with --golden).")],
    candidate: Annotated[Path, typer.Option(help="Candidate results folder.")],
    tolerance: Annotated[float, typer.Option(help="Drops smaller than this are not regressions.")] = 0.01,
    alpha: Annotated[float, typer.Option(help="One-sided level per task, Holm across tasks.")] = 0.05,
    min_samples: Annotated[int, typer.Option(help="Fewer shared questions: inconclusive.")] = 30,
    max_mde: Annotated[float, typer.Option(help="Inconclusive when the gate cannot detect this drop.")] = 0.10,
    allow_task_change: Annotated[bool, typer.Option(help="Gate even if the task version/hash changed.")] = False,
    golden: Annotated[bool, typer.Option("--golden", help="Exact comparison with stored predictions and scores.")]
    = False,
    max_items: Annotated[int, typer.Option(help="Items listed per task.")] = 20,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the report as JSON.")] = None,
    lower_is_better: Annotated[Optional[str], typer.Option("--lower-is-better", help=_LOWER_HELP)] = None,
) -> None:
    """Exit 0: no regression beyond noise; 1: regressed (or, with --golden, harness drift); 2: inconclusive."""
    from harness.leaderboards import regress as gate

    if golden:
        report = gate.golden(baseline, candidate, max_items=max_items)
    else:
        report = gate.regress(baseline, candidate, gate.GateSettings(
            tolerance=tolerance, alpha=alpha, min_samples=min_samples, max_mde=max_mde, max_items=max_items,
            allow_task_change=allow_task_change, lower_is_better=tuple(_split(lower_is_better) or ())))
    typer.echo(report.to_markdown())
    if json_out:
        json_out.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    raise typer.Exit(report.exit_code)


def import_results(
    files: Annotated[list[Path], typer.Argument(help="lm-eval results_*.json or Inspect .eval/.json logs.")],
    out: Annotated[Path, typer.Option(help="Results folder to import into.")] = Path("results/imported"),
    kind: Annotated[str, typer.Option(help="auto, lm-eval or inspect.")] = "auto",
    metric: Annotated[Optional[str], typer.Option(help="lm-eval metric to use (default: each task's first).")]
    = None,
    model_label: Annotated[Optional[str], typer.Option(help="Model name to show (default: from the file).")]
    = None,
) -> None:
    """Import other harnesses' results into the store (marked with their source)."""
    from harness.store.interop import import_results as do_import

    for f in files:
        for path in do_import(f, out, kind=kind, metric=metric, model_label=model_label):
            typer.echo(str(path))


@suite_app.command("run")
def suite_run(
    file: Annotated[Path, typer.Argument(help="Suite YAML file.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Results folder (default: the file's).")]
    = None,
    fail_fast: Annotated[bool, typer.Option(help="Stop at the first failed run.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only list the runs the file expands to.")] = False,
) -> None:
    """Run every task x model x variant of a suite; rerun to resume. Exit 1 if any run failed."""
    from harness.suites.runner import plan, run_suite

    if dry_run:
        typer.echo(plan(file, output))
        return
    result = run_suite(file, output=output, fail_fast=fail_fast, log=typer.echo)
    typer.echo(result.summary())
    if result.failed:
        raise typer.Exit(1)
