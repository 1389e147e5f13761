"""The pynguin baseline adapter on a bundled Python scenario, in a real Docker sandbox (slow: Pynguin searches)."""

from __future__ import annotations

import asyncio

import pytest

from harness.core import GenerationConfig
from harness.core.errors import ModelError
from harness.models.pynguin_adapter import PynguinAdapter
from harness.models.spec import parse_spec
from harness.tasks.data import load_task_rows
from harness.tasks.tam_eval.task import TamEvalTask
from tests.conftest import require_backend


def test_pynguin_generates_a_passing_test_file_for_slug() -> None:
    from harness.tasks.tam_eval.images import image_exists

    require_backend(image_exists("harness-sandbox/python:bookworm"), "docker with harness-sandbox/python:bookworm")
    task = TamEvalTask(max_attempts=1, timeout=60)
    rows, _ = load_task_rows(task, "sample")
    samples = {s.id: s for s in (task.to_sample(r, i) for i, r in enumerate(rows))}
    model = PynguinAdapter(parse_spec("pynguin?time=3&seed=1"))

    async def go():  # type: ignore[no-untyped-def]
        try:
            out = await task.solve(samples["create_py-textkit__slug"], model, GenerationConfig(), 0)
            score = await task.ascore(samples["create_py-textkit__slug"], out)
            with pytest.raises(ModelError):
                from harness.core import GenerateRequest

                await model.generate(GenerateRequest(messages=[], config=GenerationConfig()))
            return out, score
        finally:
            await model.close()
            await task.close()

    out, score = asyncio.run(go())
    assert "Pynguin" in out.text or "def test_" in out.text
    assert score.values["pass"] == 1.0  # Pynguin asserts observed behaviour, so its tests pass on the focal file
    assert score.values["delta_test_cov"] > 0
