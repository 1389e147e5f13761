"""The async loop: bounded-concurrency workers solve and score (sample, epoch) pairs and journal each result."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

from harness.core import ModelOutput, Sample, Score
from harness.core.errors import InfraError, ModelError, UserError
from harness.store import journal as journal_mod
from harness.store.run_folder import RunFolder

if TYPE_CHECKING:
    from harness.engine.run import RunOptions, _Prepared
    from harness.models.base import ModelAdapter
    from harness.tasks.base import Task

# If this many requests fail in a row before any succeeds, the backend is unreachable: stop instead of journalling
# thousands of identical errors.
_FAIL_FAST_AFTER = 8


def _target_text(target: Any) -> str:
    return target if isinstance(target, str) else json.dumps(target, ensure_ascii=False, default=str)


def _prompt_hash(task: Any, sample: Sample) -> str:
    try:
        payload = json.dumps(task.prompt(sample), sort_keys=True, ensure_ascii=False, default=str)
    except Exception:
        payload = repr(sample.input)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def build_row(run_id: str, task: Task, model: str, sample: Sample, epoch: int, output: ModelOutput | None,
              score: Score | None, error: str | None, error_kind: str | None, latency: float) -> dict[str, Any]:
    """One journal row. `score` is the value of the task's primary metric (its first), null when absent;
    `cluster` is the sample's value of the task's cluster key (shared passage, template ...), null when none."""
    scores = score.values if score else {}
    finish = output.finish_reason if output else None
    cluster = sample.metadata.get(task.cluster_key) if task.cluster_key else None
    return {
        "run_id": run_id,
        "task": task.name,
        "model": model,
        "sample_id": sample.id,
        "epoch": epoch,
        "prompt_hash": _prompt_hash(task, sample),
        "cluster": None if cluster is None else str(cluster),
        "target": _target_text(sample.target),
        "output": output.text if output else None,
        "answer": score.answer if score else None,
        "score": scores.get(task.metrics[0]),
        "scores": scores,
        "parse_failure": bool(score.parse_failure) if score else False,
        "truncated": finish == "length",
        "finish_reason": finish,
        "prompt_tokens": output.usage.prompt_tokens if output else 0,
        "completion_tokens": output.usage.completion_tokens if output else 0,
        "latency_s": output.latency_s if output and output.latency_s else latency,
        "retries": output.retries if output else 0,
        "cached": output.cached if output else False,
        "error": error,
        "error_kind": error_kind,
        "output_json": json.dumps(output.to_json(), ensure_ascii=False, default=str) if output else None,
        "score_json": json.dumps({"explanation": score.explanation, "metadata": score.metadata},
                                 ensure_ascii=False, default=str) if score else None,
    }


async def execute(opts: RunOptions, prep: _Prepared, folder: RunFolder) -> dict[str, Any] | None:
    from harness.engine.cache import CachingAdapter, RequestCache, default_cache_path
    from harness.engine.progress import make_progress
    from harness.engine.run import RESUMABLE_ERRORS, with_epoch_seed
    from harness.models.base import AdapterContext
    from harness.registry import create_model, wrap_method

    task = prep.task
    done = journal_mod.read(folder.journal_path)
    pending = [
        (s, e)
        for e in range(prep.epochs)
        for s in prep.samples
        if (s.id, e) not in done or done[(s.id, e)].get("error_kind") in RESUMABLE_ERRORS
    ]
    total = len(prep.samples) * prep.epochs
    base = create_model(opts.model)
    cache = RequestCache(opts.cache_path or default_cache_path()) if opts.cache and base.cacheable else None
    model: ModelAdapter = CachingAdapter(base, cache) if cache else base
    if opts.method:
        model = wrap_method(opts.method, model)
    progress = make_progress(opts.progress)
    jour = journal_mod.Journal(folder.journal_path)
    state = {"ok": 0, "failed_in_a_row": 0, "last_error": ""}
    abort: list[BaseException] = []
    try:
        if pending:
            ctx = AdapterContext(run_dir=folder.path, base_url=opts.base_url, max_concurrency=opts.max_concurrency,
                                 seed=opts.seed)
            await task.start(ctx)
            await model.start(ctx)
        progress.start(total, total - len(pending), f"{task.name} x {opts.model}")
        queue: asyncio.Queue[tuple[Sample, int]] = asyncio.Queue()
        for item in pending:
            queue.put_nowait(item)

        async def one(sample: Sample, epoch: int) -> None:
            config = with_epoch_seed(prep.config, opts.seed, epoch)
            t0 = time.monotonic()
            output: ModelOutput | None = None
            score: Score | None = None
            error = kind = None
            try:
                output = await task.solve(sample, model, config, epoch)
            except ModelError as e:
                error, kind = str(e), "model"
            except UserError:
                raise
            except Exception as e:  # an adapter bug or a dead backend: never scored as the model's failure
                error, kind = f"{type(e).__name__}: {e}", "infra"
            latency = time.monotonic() - t0
            if output is not None:
                state["ok"] += 1
                state["failed_in_a_row"] = 0
                try:
                    score = await task.ascore(sample, output)
                except InfraError as e:
                    error, kind = f"{type(e).__name__}: {e}", "infra"
                except Exception as e:
                    error, kind = f"{type(e).__name__}: {e}", "scorer"
            else:
                state["failed_in_a_row"] += 1
                state["last_error"] = error or ""
                if state["ok"] == 0 and state["failed_in_a_row"] >= _FAIL_FAST_AFTER:
                    raise UserError(f"model {opts.model} failed {state['failed_in_a_row']} requests in a row and "
                                    f"answered none: {state['last_error']}")
            jour.append(build_row(folder.run_id, task, opts.model, sample, epoch, output, score, error, kind,
                                  latency))
            progress.advance()

        async def worker() -> None:
            while not abort:
                try:
                    sample, epoch = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    await one(sample, epoch)
                except BaseException as e:
                    abort.append(e)
                    raise

        workers = [asyncio.create_task(worker()) for _ in range(max(1, min(opts.max_concurrency, len(pending))))]
        results = await asyncio.gather(*workers, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r
        # A resume with nothing left to ask never started the adapter: keep the description the run already has.
        return model.describe() if pending else None
    finally:
        progress.stop()
        jour.close()
        try:
            await model.close()
        finally:
            await task.close()
        if cache:
            cache.close()
