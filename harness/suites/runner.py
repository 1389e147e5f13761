"""`harness suite run FILE.yaml`: every task x model x variant through the engine, into one results folder.

Resumable at two levels: a combination whose complete run (same spec hash) is already in the folder is skipped,
and an unfinished one is resumed by the engine itself (it picks up its per-sample journal). `suite.json` in the
folder records what ran, what was skipped and what failed; a failed combination does not stop the others unless
`fail_fast` is set. Each run's run.json gets a `suite` entry (suite name, file hash, variant), so that the
leaderboard can tell variants of one model apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.core.errors import UserError
from harness.suites.spec import Suite, SuiteItem, load_suite


@dataclass
class ItemResult:
    key: str
    status: str  # "ran", "skipped" (already complete), "failed"
    run_dir: str | None = None
    error: str | None = None


@dataclass
class SuiteResult:
    name: str
    output: str
    items: list[ItemResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ItemResult]:
        return [i for i in self.items if i.status == "failed"]

    def summary(self) -> str:
        counts = {s: sum(1 for i in self.items if i.status == s) for s in ("ran", "skipped", "failed")}
        lines = [f"suite {self.name}: {counts['ran']} ran, {counts['skipped']} already complete, "
                 f"{counts['failed']} failed -> {self.output}"]
        lines += [f"  FAILED {i.key}: {i.error}" for i in self.failed]
        return "\n".join(lines)


def run_options(item: SuiteItem, output: Path) -> Any:
    from harness.engine.run import RunOptions

    s = dict(item.settings)
    task_options = s.pop("options", {}) or {}
    return RunOptions(task=item.task, model=item.model, task_options=task_options, output=output,
                      progress=s.pop("progress", "none"), **s)


def _complete_run(opts: Any) -> Path | None:
    """The folder of a complete run with this spec in opts.output, if any (the engine would start a new one)."""
    from harness.engine.run import prepare
    from harness.store.run_folder import iter_runs

    spec_hash = prepare(opts).spec_hash
    for folder in reversed(iter_runs(opts.output)):
        try:
            record = folder.read_run()
        except (OSError, ValueError):
            continue
        if record.get("spec_hash") == spec_hash and record.get("status") == "complete":
            return folder.path
    return None


def _tag_run(run_dir: Path, suite: Suite, item: SuiteItem) -> None:
    from harness.store.run_folder import RunFolder

    folder = RunFolder(run_dir)
    record = folder.read_run()
    record["suite"] = {"name": suite.name, "file_sha256": suite.sha256, "variant": item.variant}
    folder.write_run(record)


def run_suite(
    path: str | Path,
    *,
    output: Path | None = None,
    fail_fast: bool = False,
    only: Callable[[SuiteItem], bool] | None = None,
    log: Callable[[str], None] = print,
) -> SuiteResult:
    from harness.engine.run import run_task

    suite = load_suite(path, output)
    suite.output.mkdir(parents=True, exist_ok=True)
    result = SuiteResult(suite.name, str(suite.output))
    items = [i for i in suite.items if only is None or only(i)]
    for n, item in enumerate(items, 1):
        opts = run_options(item, suite.output)
        try:
            done = _complete_run(opts)
            if done is not None:
                log(f"[{n}/{len(items)}] {item.key}: already complete ({done.name})")
                result.items.append(ItemResult(item.key, "skipped", str(done)))
                continue
            log(f"[{n}/{len(items)}] {item.key}: running")
            run_dir = run_task(opts)
            _tag_run(run_dir, suite, item)
            result.items.append(ItemResult(item.key, "ran", str(run_dir)))
        except UserError as e:
            result.items.append(ItemResult(item.key, "failed", error=str(e)))
            log(f"[{n}/{len(items)}] {item.key}: FAILED: {e}")
            if fail_fast:
                break
        finally:
            _write_manifest(suite, result)
    return result


def _write_manifest(suite: Suite, result: SuiteResult) -> None:
    from harness.store.run_folder import write_json_atomic

    write_json_atomic(suite.output / "suite.json", {
        "name": suite.name, "file": str(suite.path), "file_sha256": suite.sha256,
        "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "planned": [i.key for i in suite.items],
        "items": [asdict(i) for i in result.items],
    })


def plan(path: str | Path, output: Path | None = None) -> str:
    """The combinations a suite file expands to, one line each (for `--dry-run`)."""
    suite = load_suite(path, output)
    lines = [f"suite {suite.name} -> {suite.output} ({len(suite.items)} runs)"]
    lines += [f"  {i.key}  {json.dumps(i.settings, sort_keys=True)}" for i in suite.items]
    return "\n".join(lines)
