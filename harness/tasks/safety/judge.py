"""The judge a safety task runs on every attempt: any adapter spec, started lazily and closed with the run.

`judge=SPEC` takes the same specs as `--model` (`openai:gpt-4o-mini`, `vllm:cais/HarmBench-Llama-2-13b-cls?api=
completions`, `replay:judgements.jsonl`, `gold`). The task owns the adapter: it is built with
`harness.registry.create_model`, started on the first judgement, and closed when the run's event loop ends (a
guard task whose cancellation at the end of `asyncio.run` awaits `close()`), or earlier by `SafetyTask.close()`.

`judge=gold` is a TEST DOUBLE, not a judge: the `gold` adapter answers each judge request with
`GoldVerdicts.gold_output(judge_sample)`, which writes the verdict the sample's `gold_judge` label calls for, in the
official judge's output format, so the real parser and scorer run on it. Only the project's bundled samples carry
that label.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.core import GenerateRequest, GenerationConfig, ModelOutput, Sample
from harness.core.errors import ModelError, UserError

if TYPE_CHECKING:
    from harness.models.base import ModelAdapter


class JudgeError(RuntimeError):
    """The judge backend failed for one attempt. Not a ModelError, so the engine files it as an infra error (the
    attempt is retried on resume and never counted as the attacked model's failure)."""


class GoldVerdicts:
    """What the `gold` adapter asks for (`task.gold_output(sample)`) when it stands in for the judge."""

    def __init__(self, verdict: Callable[[Sample], str]) -> None:
        self._verdict = verdict

    def gold_output(self, sample: Sample) -> str:
        return self._verdict(sample)


class Judge:
    def __init__(self, spec: str, sampling: dict[str, Any], max_concurrency: int = 32) -> None:
        self.spec = spec
        self.config = GenerationConfig().merged(sampling)
        self.max_concurrency = max_concurrency
        self._adapter: ModelAdapter | None = None
        self._start_lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: asyncio.Task[None] | None = None

    @property
    def is_gold(self) -> bool:
        return self.spec.split(":", 1)[0].split("?", 1)[0] == "gold"

    async def _ensure_started(self) -> ModelAdapter:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new run (event loop): anything from an earlier loop is gone
            self._adapter, self._start_lock, self._loop = None, asyncio.Lock(), loop
        assert self._start_lock is not None
        async with self._start_lock:
            if self._adapter is None:
                from harness.models.base import AdapterContext
                from harness.registry import create_model

                adapter = create_model(self.spec)
                try:
                    await adapter.start(AdapterContext(max_concurrency=self.max_concurrency))
                except UserError as e:
                    raise UserError(f"judge {self.spec}: {e}") from None
                self._adapter = adapter
                self._guard = loop.create_task(self._close_when_loop_ends())
        return self._adapter

    async def _close_when_loop_ends(self) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def close(self) -> None:
        adapter, self._adapter = self._adapter, None
        if adapter is not None:
            await adapter.close()
        guard, self._guard = self._guard, None
        if guard is not None and guard is not asyncio.current_task() and not guard.done():
            guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await guard

    async def judge(self, messages: list[dict[str, Any]], sample: Sample, epoch: int,
                    gold: GoldVerdicts | None = None) -> ModelOutput:
        """One judgement. `sample` carries the attacked sample's id (replay judges are keyed by it) and metadata."""
        adapter = await self._ensure_started()
        request = GenerateRequest(messages=messages, config=self.config, sample=sample, epoch=epoch,
                                  task=gold)  # type: ignore[arg-type]  # the gold adapter only calls gold_output
        try:
            return await adapter.generate(request)
        except ModelError as e:
            raise JudgeError(f"judge {self.spec} failed: {e}") from None

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"spec": self.spec, "config": self.config.to_dict()}
        if self.is_gold:
            info["test_double"] = "gold verdicts from the samples' gold_judge labels, not a real judge"
        return info
