"""TAM-Eval in real Docker sandboxes (the runners' python image + MutPy): gold run through the engine, the attempt
loop with feedback, and bad input (no code block, syntax error, failing test, hang, memory hog, infra failure)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from harness.core import Completion, GenerateRequest, ModelOutput
from harness.models.base import ModelAdapter
from harness.models.spec import parse_spec
from harness.tasks.tam_eval.execute import (
    Evaluation,
    ExecSettings,
    Executor,
    InfraFailure,
)
from harness.tasks.tam_eval.task import TamEvalTask
from tests.conftest import require_backend


def _docker_ready() -> bool:
    try:
        from harness.tasks.tam_eval.images import image_exists

        return image_exists("harness-sandbox/python:bookworm")
    except Exception:  # noqa: BLE001 - any failure means no usable docker
        return False




@pytest.fixture(scope="module")
def task():  # type: ignore[no-untyped-def]
    require_backend(_docker_ready(), "docker with harness-sandbox/python:bookworm (harness sandbox build python)")
    t = TamEvalTask(timeout=20, memory_mb=512)
    from harness.tasks.data import load_task_rows

    rows, _ = load_task_rows(t, "sample")
    t.samples = {s.id: s for s in (t.to_sample(r, i) for i, r in enumerate(rows))}  # type: ignore[attr-defined]
    yield t
    asyncio.run(t.close())


class ScriptedModel(ModelAdapter):
    """Test double for an LLM: answers each attempt with the next scripted reply and records the prompts."""

    kind = "scripted-test-double"

    def __init__(self, replies: list[str]) -> None:
        super().__init__(parse_spec("scripted-test-double"))
        self.replies = list(replies)
        self.prompts: list[str] = []

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        self.prompts.append(request.messages[-1]["content"])
        return ModelOutput(completions=[Completion(text=self.replies.pop(0), finish_reason="stop")])


def _eval(task: TamEvalTask, sid: str, code: str, **kw) -> Evaluation:  # type: ignore[no-untyped-def]
    sc = task.scenario(task.samples[sid])  # type: ignore[attr-defined]
    return asyncio.run(task.executor.evaluate(sc, code, **kw))


WRAP = "repair_py-textkit__wrap"


def test_bad_inputs_are_failures_with_reasons(task: TamEvalTask) -> None:
    head = "from textkit.wrap import wrap\n\n"
    assert _eval(task, WRAP, "").fail_reason == "empty_file"
    given = task.scenario(task.samples[WRAP]).test_file_content  # type: ignore[attr-defined]
    assert _eval(task, WRAP, given).fail_reason == "no_changes"
    ev = _eval(task, WRAP, "Here are the tests you asked for, enjoy\n", had_code_block=False)
    assert (ev.fail_reason, ev.detail) == ("syntax_error", "no_code_block") and "syntax errors" in ev.fail_feedback
    ev = _eval(task, WRAP, head + "def test_x(:\n    pass\n")
    assert (ev.fail_reason, ev.detail) == ("syntax_error", "syntax_error")
    ev = _eval(task, WRAP, head + "def test_wrong():\n    assert wrap('a b', 1) == ['a b']\n")
    assert (ev.status, ev.fail_reason, ev.detail) == ("FAIL", "execution_error", "test_failure")
    assert "AssertionError" in ev.fail_feedback or "assert" in ev.fail_feedback
    ev = _eval(task, WRAP, head + "import missing_module\n\ndef test_a():\n    assert True\n")
    assert ev.detail == "compile_error"
    ev = _eval(task, WRAP, head + "def test_hang():\n    while True:\n        pass\n")
    assert (ev.fail_reason, ev.detail) == ("timeout", "timeout") and "timed out" in ev.fail_feedback
    ev = _eval(task, WRAP, head + "def test_hog():\n    x = []\n    while True:\n        x.append(bytearray(50_000_000))\n")
    assert (ev.status, ev.detail) in {("FAIL", "oom"), ("FAIL", "test_failure")}  # MemoryError vs OOM kill


def test_infra_failure_raises_instead_of_scoring(task: TamEvalTask) -> None:
    broken = Executor(ExecSettings(images=(("python", "harness-sandbox/does-not-exist:none"),), timeout_s=10))
    sc = task.scenario(task.samples[WRAP])  # type: ignore[attr-defined]
    try:
        with pytest.raises(InfraFailure):
            asyncio.run(broken.evaluate(sc, "from textkit.wrap import wrap\n\ndef test_a():\n    assert wrap('a', 1)\n"))
    finally:
        broken.close()


def test_attempt_loop_feeds_back_failure_then_passes(task: TamEvalTask) -> None:
    sample = task.samples[WRAP]  # type: ignore[attr-defined]
    reference = task.reference_test(task.scenario(sample))
    bad = "```python\nfrom textkit.wrap import wrap\n\ndef test_bad():\n    assert wrap('a b', 1) == ['nope']\n```"
    model = ScriptedModel([bad, f"```python\n{reference}```"])
    out = asyncio.run(task.solve(sample, model, task.default_config, 0))
    assert len(model.prompts) == 2
    assert "## Error feedback" not in model.prompts[0] and "## Error feedback" in model.prompts[1]
    assert "def test_bad" in model.prompts[1]  # the previous output is the test file of the next attempt
    score = asyncio.run(task.ascore(sample, out))
    assert score.values["pass"] == 1.0
    assert score.values["pass_attempt_1"] == 0.0 and score.values["pass_attempt_2"] == 1.0
    assert score.values["delta_test_cov"] > 0
    assert score.metadata["tam_eval"]["attempt_reasons"] == ["execution_error", None]


def test_gold_run_through_engine_scores_reference_tests(tmp_path: Path) -> None:
    require_backend(_docker_ready(), "docker with harness-sandbox/python:bookworm")
    from harness.engine.run import RunOptions, run_task

    folder = run_task(RunOptions(task="tam-eval", model="gold", data="sample", limit=2, output=tmp_path,
                                 progress="off", task_options={"timeout": "60"}))
    metrics = json.loads((Path(folder) / "metrics.json").read_text())
    assert metrics["n_samples"] == 2 and metrics["error_rate"] == 0.0
    assert metrics["metrics"]["pass"]["mean"] == 1.0
    assert metrics["metrics"]["delta_test_cov"]["mean"] > 0
