"""`--method self-consistency:n=8`: sample n answers and return the one the majority agrees on (Wang et al. 2022)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.core import GenerateRequest, ModelOutput, Usage
from harness.core.errors import UserError
from harness.models.base import MethodAdapter, ModelAdapter
from harness.models.spec import ModelSpec
from harness.registry import register_model


@register_model
class SelfConsistency(MethodAdapter):
    kind = "self-consistency"
    spec_help = ("--method self-consistency:n=8[,temperature=0.7][,batch=1]  majority vote over the task's "
                 "extracted answers; batch=1 asks for n completions in one request, batch=0 sends n requests")

    def __init__(self, spec: ModelSpec, inner: ModelAdapter) -> None:
        super().__init__(spec, inner)
        try:
            self.n = int(spec.params.get("n", "8"))
            self.temperature = float(spec.params["temperature"]) if "temperature" in spec.params else None
            self.batch = spec.params.get("batch", "1") not in ("0", "false")
        except ValueError as e:
            raise UserError(f"method {spec.kind}: {e}") from None
        if self.n < 1:
            raise UserError("self-consistency: n must be at least 1")
        unknown = set(spec.params) - {"n", "temperature", "batch"}
        if unknown:
            raise UserError(f"self-consistency: unknown option(s) {', '.join(sorted(unknown))} (n, temperature, batch)")

    async def _samples(self, request: GenerateRequest) -> list[ModelOutput]:
        config = request.config
        if self.temperature is not None:
            config = replace(config, temperature=self.temperature)
        if self.batch:
            return [await self.inner.generate(replace(request, config=replace(config, n=self.n)))]
        outs = []
        for i in range(self.n):  # distinct seeds, so each request is a distinct sample (and a distinct cache key)
            seed = (config.seed or 0) * 1000 + i
            outs.append(await self.inner.generate(replace(request, config=replace(config, n=1, seed=seed))))
        return outs

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        if request.task is None:
            raise UserError("self-consistency needs the task to extract answers")
        task = request.task
        outputs = await self._samples(request)
        completions = [c for o in outputs for c in o.completions]
        groups: list[tuple[str, list[int]]] = []
        for i, c in enumerate(completions):
            ans = task.extract_answer(c.text)
            if ans is None:
                continue
            for rep, members in groups:
                if task.answers_equal(rep, ans):
                    members.append(i)
                    break
            else:
                groups.append((ans, [i]))
        chosen = max(groups, key=lambda g: len(g[1]))[1][0] if groups else 0
        usage = Usage(sum(o.usage.prompt_tokens for o in outputs), sum(o.usage.completion_tokens for o in outputs))
        votes: dict[str, Any] = {rep: len(m) for rep, m in groups}
        return ModelOutput(
            completions=[completions[chosen]] if completions else [],
            usage=usage,
            latency_s=sum(o.latency_s for o in outputs),
            retries=sum(o.retries for o in outputs),
            cached=all(o.cached for o in outputs),
            metadata={"self_consistency": {"n": len(completions), "votes": votes,
                                           "all_outputs": [c.text for c in completions]}},
        )
