"""The `harness` command line. Argument wiring only: each command calls into the package."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

app = typer.Typer(
    name="harness",
    help="Evaluate AI models on benchmarks, scored like the official code, with honest statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Datasets: prefetch hub data at pinned revisions.", no_args_is_help=True)
app.add_typer(data_app, name="data")

OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="Results folder.")]


def _kv(pairs: list[str] | None, flag: str) -> dict[str, Any]:
    from harness.core.errors import UserError

    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise UserError(f"{flag} {pair!r}: expected key=value")
        out[key.strip()] = _coerce(value.strip())
    return out


def _coerce(value: str) -> Any:
    import json

    try:
        return json.loads(value)
    except ValueError:
        return value


@app.command()
def run(
    task: Annotated[str, typer.Option("--task", "-t", help="Task name (see `harness tasks`).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Adapter spec kind:name?key=value (see `harness models`).")],
    method: Annotated[Optional[str], typer.Option(help="Wrap the model in a method, e.g. self-consistency:n=8.")] = None,
    task_arg: Annotated[Optional[list[str]], typer.Option("--task-arg", "-T", help="Task option key=value.")] = None,
    data: Annotated[Optional[str], typer.Option(help="'sample' (bundled), a file, or default: the prefetched hub split.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N samples.")] = None,
    sample_ids: Annotated[Optional[str], typer.Option(help="Comma-separated sample ids.")] = None,
    seed: Annotated[int, typer.Option(help="Seed (epoch e samples with seed + e).")] = 0,
    epochs: Annotated[Optional[int], typer.Option(help="Samples per item (default: the task's).")] = None,
    reducers: Annotated[Optional[str], typer.Option(help="Epoch reducers: mean,pass@k,maj@k.")] = None,
    max_concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 32,
    output: OutputOpt = Path("results"),
    base_url: Annotated[Optional[str], typer.Option(help="Endpoint of a running OpenAI-compatible server.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the request cache.")] = False,
    resume: Annotated[Optional[str], typer.Option(help="Resume this run id or folder.")] = None,
    max_tokens: Annotated[Optional[int], typer.Option(help="Override the task's max_tokens.")] = None,
    temperature: Annotated[Optional[float], typer.Option(help="Override the task's temperature.")] = None,
    top_p: Annotated[Optional[float], typer.Option(help="Override the task's top_p.")] = None,
    gen: Annotated[Optional[list[str]], typer.Option("--gen", "-G", help="Other generation option key=value.")] = None,
    progress: Annotated[str, typer.Option(help="auto, rich, plain or none.")] = "auto",
) -> None:
    """Evaluate a model on a task; results go to OUTPUT/<run-id>/. Rerun the same command to resume."""
    from harness.engine.run import RunOptions, run_task
    from harness.reporting import print_metrics

    generation = {"max_tokens": max_tokens, "temperature": temperature, "top_p": top_p, **_kv(gen, "--gen")}
    opts = RunOptions(
        task=task, model=model, method=method, task_options=_kv(task_arg, "--task-arg"), data=data, limit=limit,
        sample_ids=[s.strip() for s in sample_ids.split(",") if s.strip()] if sample_ids else None, seed=seed,
        epochs=epochs, reducers=reducers, max_concurrency=max_concurrency, output=output, base_url=base_url,
        cache=not no_cache, resume=resume, generation={k: v for k, v in generation.items() if v is not None},
        progress=progress,
    )
    print_metrics(run_task(opts))


@app.command()
def score(
    task: Annotated[str, typer.Option("--task", "-t", help="Task name.")],
    predictions: Annotated[Path, typer.Option(help="JSONL or Parquet with sample_id|id and output|response.")],
    task_arg: Annotated[Optional[list[str]], typer.Option("--task-arg", "-T", help="Task option key=value.")] = None,
    data: Annotated[Optional[str], typer.Option(help="'sample', a file, or the prefetched hub split.")] = None,
    output: OutputOpt = Path("results"),
    progress: Annotated[str, typer.Option(help="auto, rich, plain or none.")] = "auto",
) -> None:
    """Score predictions made elsewhere (the `replay:` adapter)."""
    from harness.engine.run import RunOptions, run_task
    from harness.reporting import print_metrics

    opts = RunOptions(task=task, model=f"replay:{predictions}", task_options=_kv(task_arg, "--task-arg"), data=data,
                      output=output, cache=False, progress=progress)
    print_metrics(run_task(opts))


@app.command()
def show(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id (or unique prefix) or run folder.")],
    output: OutputOpt = Path("results"),
) -> None:
    """Print a run's metrics table."""
    from harness.reporting import print_metrics
    from harness.store.run_folder import find_run

    print_metrics(find_run(run_ref, output).path)


@app.command()
def tasks() -> None:
    """List tasks: name, version, sizes and source."""
    from harness.reporting import print_tasks

    print_tasks()


@app.command()
def models() -> None:
    """List model adapter kinds, methods, and their spec syntax."""
    from harness.reporting import print_models

    print_models()


@data_app.command("pull")
def data_pull(names: Annotated[list[str], typer.Argument(metavar="TASK...", help="Tasks to prefetch.")]) -> None:
    """Download tasks' hub datasets at their pinned revisions (needs network) for offline runs."""
    from harness.registry import create_task

    for name in names:
        path = create_task(name).pull()
        typer.echo(f"{name}: {path}")


def _register_commands_from_modules() -> None:
    """Commands whose code lives with their subsystem; imported lazily so `harness --help` stays fast."""
    from harness.leaderboards import cli as leaderboards
    from harness.runners.cli import doctor, sandbox_app
    from harness.stats.forecast_cli import forecast

    app.add_typer(sandbox_app, name="sandbox")
    app.command("doctor", help="Which sandbox backends work on this machine, and how to fix the others.")(doctor)

    app.command("leaderboard")(leaderboards.leaderboard)
    app.command("compare")(leaderboards.compare)
    app.command("regress")(leaderboards.regress)
    app.command("import")(leaderboards.import_results)
    app.add_typer(leaderboards.suite_app, name="suite")

    app.command("forecast", help="Forecast best-of-N attack success (SABER ASR@N) from per-attempt outcomes.")(
        forecast
    )


_register_commands_from_modules()


def main() -> None:
    from harness.core.errors import UserError

    try:
        app()
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
