"""`gold`: answers each sample with its reference, written the way the task's model would write it.

A gold run must score 100% (or the task's documented ceiling): it checks the data, prompt, extraction and scoring
pipeline end to end, as SWE-bench's gold patches do."""

from __future__ import annotations

from harness.core import Completion, GenerateRequest, ModelOutput
from harness.core.errors import UserError
from harness.models.base import ModelAdapter
from harness.registry import register_model


@register_model
class GoldAdapter(ModelAdapter):
    kind = "gold"
    spec_help = "gold  (reference answers in the task's output form; a gold run scores 100%)"
    cacheable = False

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        if request.sample is None or request.task is None:
            raise UserError("the gold adapter needs the task and sample with each request")
        gold = request.task.gold_output(request.sample)
        completion = gold if isinstance(gold, Completion) else Completion(text=gold, finish_reason="stop")
        return ModelOutput(completions=[completion])
