"""Terminal tables for the CLI: metrics of a run, the task list, the adapter list."""

from __future__ import annotations

import json
import math
from pathlib import Path

from rich.console import Console
from rich.table import Table


def _fmt(x: float | None, digits: int = 4) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def print_metrics(run_dir: Path) -> None:
    from harness.store.run_folder import RunFolder

    folder = RunFolder(run_dir)
    m = folder.read_metrics()
    table = Table(title=f"{m['task']} x {m['model']}" + (f" [{m['method']}]" if m.get("method") else ""))
    for col in ("metric", "n", "mean", "stderr", "95% CI"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, s in m["metrics"].items():
        table.add_row(name, str(s["n"]), _fmt(s["mean"]), _fmt(s["stderr"]),
                      f"[{_fmt(s['ci_low'])}, {_fmt(s['ci_high'])}]")
    console = Console()
    console.print(table)
    console.print(
        f"samples {m['n_samples']} x epochs {m['epochs']} | parse failures {m['parse_failure_rate']:.1%} | "
        f"truncated {m['truncation_rate']:.1%} | errors {m['error_rate']:.1%}"
        f"{' ' + json.dumps(m['errors']) if m['errors'] else ''} | retries {m['retries']} | cached {m['cached_rate']:.0%}"
    )
    console.print(f"results: {run_dir}")


def _count_lines(path: Path | None) -> int | None:
    if path is None or not path.exists():
        return None
    if path.suffix == ".jsonl":
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())
    return None


def print_tasks() -> None:
    from harness.registry import task_entries

    table = Table(title="tasks")
    table.add_column("name", no_wrap=True)
    for col in ("version", "size", "sample"):
        table.add_column(col, justify="right")
    table.add_column("source", overflow="fold")
    for name, entry in task_entries().items():
        try:
            task = entry.factory()
        except Exception as e:  # a plug-in that cannot be built without options still shows up
            table.add_row(name, "?", "?", "?", f"({type(e).__name__}: {e})")
            continue
        src = task.source
        where = f"{src.hub_id}@{(src.revision or 'unpinned')[:12]}" if src.hub_id else (src.url or "-")
        table.add_row(name, task.version, str(src.size or "?"), str(_count_lines(task.sample_path()) or "-"), where)
    Console().print(table)


def print_models() -> None:
    from harness.registry import model_entries

    table = Table(title="model adapters and methods")
    for col in ("kind", "type", "spec"):
        table.add_column(col)
    for kind, entry in model_entries().items():
        table.add_row(kind, "method" if entry.is_method else "adapter", entry.cls.spec_help or kind)
    Console().print(table)
