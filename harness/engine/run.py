"""`harness run`: one task x one model, resumable, into results/<run-id>/."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.core import GenerationConfig, Sample
from harness.core.errors import UserError
from harness.store.run_folder import RunFolder, find_run, iter_runs

RESUMABLE_ERRORS = ("model", "infra")  # rows with these errors are tried again when a run resumes


@dataclass
class RunOptions:
    task: str
    model: str
    method: str | None = None
    task_options: dict[str, Any] = field(default_factory=dict)
    data: str | None = None  # None: the prefetched hub split; "sample": the bundled sample; else a file path
    limit: int | None = None
    sample_ids: list[str] | None = None
    seed: int = 0
    epochs: int | None = None
    reducers: str | None = None
    max_concurrency: int = 32
    output: Path = Path("results")
    base_url: str | None = None
    cache: bool = True
    cache_path: Path | None = None
    resume: str | None = None
    generation: dict[str, Any] = field(default_factory=dict)
    progress: str = "auto"


@dataclass
class _Prepared:
    task: Any
    samples: list[Sample]
    data_info: dict[str, Any]
    config: GenerationConfig
    epochs: int
    reducers: list[str]
    spec: dict[str, Any]
    spec_hash: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def prepare(opts: RunOptions) -> _Prepared:
    from harness.engine.metrics import parse_reducers
    from harness.registry import create_task

    task = create_task(opts.task, **opts.task_options)
    rows, data_info = task.load_rows(opts.data)
    rows = [row for row in rows if task.keep_row(row)]
    samples: list[Sample] = []
    for i, row in enumerate(rows):
        try:
            samples.append(task.to_sample(row, i))
        except Exception as e:  # a malformed row: name it, since the user must fix the file
            raise UserError(f"dataset row {i} cannot be read by task {task.name!r}: {type(e).__name__}: {e}") from None
    seen: set[str] = set()
    for s in samples:
        if s.id in seen:
            raise UserError(f"dataset has duplicate sample id {s.id!r}; sample ids must be unique")
        seen.add(s.id)
    if opts.sample_ids:
        missing = [i for i in opts.sample_ids if i not in seen]
        if missing:
            raise UserError(f"--sample-ids: no such sample(s) {', '.join(missing[:5])} in {task.name}")
        wanted = set(opts.sample_ids)
        samples = [s for s in samples if s.id in wanted]
    if opts.limit is not None:
        if opts.limit < 1:
            raise UserError("--limit must be at least 1")
        samples = samples[: opts.limit]
    if not samples:
        raise UserError(f"task {task.name!r} has no samples to run")
    config = task.default_config.merged(opts.generation)
    epochs = opts.epochs or task.default_epochs
    if epochs < 1:
        raise UserError("--epochs must be at least 1")
    reducers = parse_reducers(opts.reducers, epochs)
    spec = {
        "task": task.name,
        "task_options": task.options,
        "task_content_hash": task.content_hash(),
        "data_sha256": data_info.get("sha256"),
        "model": opts.model,
        "method": opts.method,
        "generation_config": config.to_dict(),
        "epochs": epochs,
        "seed": opts.seed,
        "limit": opts.limit,
        "sample_ids": opts.sample_ids,
    }
    spec_hash = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return _Prepared(task, samples, data_info, config, epochs, reducers, spec, spec_hash)


def _locate_folder(opts: RunOptions, prep: _Prepared) -> tuple[RunFolder, bool]:
    """The folder to write into and whether it is resumed: --resume, else an unfinished run of the same spec."""
    if opts.resume:
        folder = find_run(opts.resume, opts.output)
        try:
            previous = folder.read_run()
        except (OSError, json.JSONDecodeError) as e:
            raise UserError(f"cannot resume {folder.run_id}: its run.json is unreadable ({e})") from None
        if previous.get("spec_hash") != prep.spec_hash:
            changed = [k for k, v in prep.spec.items() if previous.get("spec", {}).get(k) != v]
            raise UserError(f"cannot resume {folder.run_id}: it was made with different settings "
                            f"({', '.join(changed) or 'spec'}); drop --resume to start a new run")
        return folder, True
    for folder in reversed(iter_runs(opts.output)):
        try:
            record = folder.read_run()
        except (OSError, json.JSONDecodeError):
            continue
        if record.get("spec_hash") == prep.spec_hash and record.get("status") != "complete":
            return folder, True
    from harness.models.spec import parse_spec

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_id = f"{stamp}-{prep.task.name}-{parse_spec(opts.model).slug()}-{prep.spec_hash[:8]}"
    opts.output.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):  # two runs of one spec in the same second get -2, -3 ...
        path = opts.output / (run_id if attempt == 1 else f"{run_id}-{attempt}")
        try:
            path.mkdir()
            return RunFolder(path), False
        except FileExistsError:
            continue
    raise UserError(f"cannot create a run folder for {run_id} in {opts.output}")


def run_task(opts: RunOptions) -> Path:
    """Run (or resume) one evaluation; returns the run folder. Raises UserError for anything the user can fix."""
    t_start = time.monotonic()
    prep = prepare(opts)
    folder, resumed = _locate_folder(opts, prep)
    from harness.engine import provenance

    record: dict[str, Any] = folder.read_run() if resumed else {}
    previous_describe = record.get("model", {}).get("describe")
    record.update({
        "run_id": folder.run_id,
        "status": "running",
        "created_at": record.get("created_at", _now()),
        "spec_hash": prep.spec_hash,
        "spec": prep.spec,
        "harness": provenance.harness_info(),
        "task": {"name": prep.task.name, "version": prep.task.version, "content_hash": prep.spec["task_content_hash"],
                 "options": prep.task.options, "metrics": list(prep.task.metrics),
                 "higher_is_better": prep.task.higher_is_better},
        "dataset": prep.data_info,
        "model": {"spec": opts.model, "method": opts.method,
                  **({"describe": previous_describe} if previous_describe else {})},
        "generation_config": prep.config.to_dict(),
        "epochs": prep.epochs,
        "reducers": prep.reducers,
        "seed": opts.seed,
        "limit": opts.limit,
        "sample_ids": opts.sample_ids,
        "n_samples": len(prep.samples),
        "backend_versions": provenance.library_versions(),
        "resumed": record.get("resumed", 0) + (1 if resumed else 0),
    })
    folder.write_run(record)

    from harness.engine.scheduler import execute

    t_load = time.monotonic()
    try:
        describe = asyncio.run(execute(opts, prep, folder))
    except KeyboardInterrupt:
        raise UserError(f"interrupted; finished samples are kept in {folder.path}. Resume with the same command "
                        f"or --resume {folder.run_id}") from None
    t_gen = time.monotonic()
    if describe is not None:
        record["model"]["describe"] = describe
    metrics = finalize(folder, prep, record)
    record["finished_at"] = _now()
    record["status"] = "complete"
    record["timings"] = {"prepare_s": round(t_load - t_start, 3), "generate_s": round(t_gen - t_load, 3),
                         "finalize_s": round(time.monotonic() - t_gen, 3)}
    folder.write_run(record)
    if metrics["n_samples"] == 0 and metrics["error_rate"] == 1.0:
        raise UserError(f"every request failed (results kept in {folder.path}); first error: {_first_error(folder)}")
    return folder.path


def _first_error(folder: RunFolder) -> str:
    from harness.store import journal

    for row in journal.read(folder.journal_path).values():
        if row.get("error"):
            return str(row["error"])
    return "unknown"


def finalize(folder: RunFolder, prep: _Prepared, record: dict[str, Any]) -> dict[str, Any]:
    """Journal -> samples.parquet (dataset order, then epoch) and metrics.json."""
    from harness.engine.metrics import compute_metrics
    from harness.store import journal

    rows_by_key = journal.read(folder.journal_path)
    order = {s.id: i for i, s in enumerate(prep.samples)}
    rows = sorted((r for r in rows_by_key.values() if r["sample_id"] in order and r["epoch"] < prep.epochs),
                  key=lambda r: (order[r["sample_id"]], r["epoch"]))
    folder.write_samples(rows)
    task = prep.task
    clusters = None
    if task.cluster_key:
        # a sample without the key is a cluster of its own, as the regression gate counts it
        clusters = {s.id: (str(s.metadata[task.cluster_key]) if s.metadata.get(task.cluster_key) is not None
                           else f"q:{s.id}") for s in prep.samples}
    metrics = compute_metrics(rows, metric_names=list(task.metrics), primary=task.metrics[0],
                              reducers=prep.reducers, clusters=clusters, answers_equal=task.answers_equal)
    metrics = {"run_id": folder.run_id, "task": task.name, "model": record["model"]["spec"],
               "method": record["model"].get("method"), "epochs": prep.epochs, **metrics}
    extra = task.summarize(metrics, rows)
    metrics["metrics"].update(extra.pop("metrics", {}))
    metrics.update(extra)
    folder.write_metrics(metrics)
    return metrics


def with_epoch_seed(config: GenerationConfig, seed: int, epoch: int) -> GenerationConfig:
    """Each epoch samples with its own seed, or several epochs at temperature > 0 would repeat one another."""
    return config if config.seed is not None else replace(config, seed=seed + epoch)
