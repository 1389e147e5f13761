"""A toy task and toy adapters for engine tests (test doubles: the real tasks and adapters have their own tests)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from harness.core import Completion, GenerateRequest, ModelOutput, Sample, Score
from harness.core.errors import ModelError
from harness.models.base import ModelAdapter
from harness.registry import register_model, register_task
from harness.tasks.base import DatasetSource, Task


@register_task("toy-arith")
class ToyArith(Task):
    name = "toy-arith"
    version = "1"
    description = "a + b, answered as 'The answer is N.' (engine tests)"
    source = DatasetSource(size=None)

    def to_sample(self, row: dict[str, Any], index: int) -> Sample:
        return Sample(id=str(row["id"]), input=f"What is {row['a']} + {row['b']}?", target=str(row["a"] + row["b"]),
                      metadata={"group": row.get("group", "g")})

    def prompt(self, sample: Sample) -> list[dict[str, Any]]:
        return sample.messages()

    def extract_answer(self, text: str) -> str | None:
        m = re.findall(r"-?\d+", text)
        return m[-1] if m else None

    def score(self, sample: Sample, output: ModelOutput) -> Score:
        if "RAISE" in output.text:
            raise RuntimeError("scorer exploded")
        ans = self.extract_answer(output.text)
        return Score(values={"accuracy": float(ans == sample.target)}, answer=ans, parse_failure=ans is None)

    def gold_output(self, sample: Sample) -> str:
        return f"The answer is {sample.target}."


@register_model
class SeedParity(ModelAdapter):
    """Answers correctly when (seed + int(sample id)) is even, else off by one; `delay` seconds per request."""

    kind = "toy-seed"

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        delay = float(self.spec.params.get("delay", "0"))
        if delay:
            await asyncio.sleep(delay)
        assert request.sample is not None
        if request.sample.id in self.spec.params.get("fail", "").split(","):
            raise ModelError(f"injected failure for {request.sample.id}")
        if request.sample.id in self.spec.params.get("raise", "").split(","):
            return ModelOutput(completions=[Completion("RAISE", "stop")])
        good = ((request.config.seed or 0) + int(request.sample.id)) % 2 == 0
        value = int(request.sample.target) + (0 if good else 1)
        return ModelOutput(completions=[Completion(f"I think {value}", "stop")])


@register_model
class AlwaysDown(ModelAdapter):
    kind = "toy-down"

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        raise ModelError("connection refused (http://127.0.0.1:9)")


def write_rows(path: Path, n: int) -> Path:
    with path.open("w") as f:
        for i in range(n):
            f.write(json.dumps({"id": i, "a": i, "b": 2 * i, "group": f"g{i % 3}"}) + "\n")
    return path
