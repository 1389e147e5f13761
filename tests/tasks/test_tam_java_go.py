"""TAM-Eval's Java and Go sample scenarios in real Docker sandboxes (the runners' java and go images): a gold reply
passes with a measured coverage delta and a NaN mutation delta (no PIT / go-mutesting), and a reply that does not
compile fails with the reason recorded. Maven runs offline on Debian's packaged plugins, so a Java run takes ~15 s."""

from __future__ import annotations

import asyncio
import math

import pytest

from harness.core import Completion, GenerateRequest, ModelOutput
from harness.models.base import ModelAdapter
from harness.models.spec import parse_spec
from harness.tasks.tam_eval.task import TamEvalTask
from tests.conftest import require_backend

IMAGES = {"java": "harness-sandbox/java:bookworm", "go": "harness-sandbox/go:bookworm"}


def _image_ready(lang: str) -> bool:
    try:
        from harness.tasks.tam_eval.images import image_exists

        return image_exists(IMAGES[lang])
    except Exception:  # noqa: BLE001 - any failure means no usable docker
        return False


@pytest.fixture(scope="module")
def task():  # type: ignore[no-untyped-def]
    # Maven's JVM plus surefire's forked JVM need more than the Python tests' 512 MB.
    t = TamEvalTask(timeout=120, memory_mb=2048, max_attempts=1)
    from harness.tasks.data import load_task_rows

    rows, _ = load_task_rows(t, "sample")
    t.samples = {s.id: s for s in (t.to_sample(r, i) for i, r in enumerate(rows))}  # type: ignore[attr-defined]
    yield t
    asyncio.run(t.close())


class ReplyModel(ModelAdapter):
    """Test double for an LLM: always answers with one fixed reply."""

    kind = "fixed-reply-test-double"

    def __init__(self, reply: str) -> None:
        super().__init__(parse_spec("fixed-reply-test-double"))
        self.reply = reply

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        return ModelOutput(completions=[Completion(text=self.reply, finish_reason="stop")])


def _run(task: TamEvalTask, sid: str, reply: str):  # type: ignore[no-untyped-def]
    sample = task.samples[sid]  # type: ignore[attr-defined]
    out = asyncio.run(task.solve(sample, ReplyModel(reply), task.default_config, 0))
    return asyncio.run(task.ascore(sample, out))


def test_sample_has_create_repair_update_for_every_language() -> None:
    from harness.tasks.tam_eval.sample_index import SAMPLES, build_rows
    from harness.tasks.tam_eval.scenario import scenario_from_row
    from harness.tasks.tam_eval.syntax import check_syntax

    seen = set()
    for row in build_rows():
        sc = scenario_from_row(row, SAMPLES)
        assert sc.available, sc.id
        seen.add((sc.lang_key, sc.task))
        reference = sc.read_project_file(sc.test_file_path)
        assert check_syntax(sc.lang_key, reference, sc.test_file_path).correct, sc.id
        assert reference != sc.test_file_content, sc.id
    assert seen == {(lang, task) for lang in ("python", "java", "go") for task in ("create", "repair", "update")}


@pytest.mark.docker
@pytest.mark.parametrize(("lang", "sid", "initial_cov"), [
    ("java", "repair_java-textkit__BoundedStack", 0.0),
    ("go", "create_go-mathkit__intmath", 37.04),
])
def test_gold_reply_passes_with_coverage_delta_and_nan_mutation(task: TamEvalTask, lang: str, sid: str,
                                                                initial_cov: float) -> None:
    require_backend(_image_ready(lang), f"docker with {IMAGES[lang]} (harness sandbox build {lang})")
    sample = task.samples[sid]  # type: ignore[attr-defined]
    score = _run(task, sid, task.gold_output(sample))
    rec = score.metadata["tam_eval"]
    assert score.values["pass"] == 1.0, score.metadata["error_logs_tail"]
    assert rec["lang"] == lang and rec["initial_test_cov"] == initial_cov
    # The reference tests cover every line of the focal file (JaCoCo LINE counter / go coverprofile statements).
    assert score.values["test_cov"] == 100.0
    assert score.values["delta_test_cov"] == round(100.0 - initial_cov, 2)
    # No PIT / go-mutesting in the images: a PASS whose mutation step could not run, as officially.
    assert (rec["fail_reason"], rec["detail"]) == ("mutations_failed", "mutation_tool_unavailable")
    assert math.isnan(score.values["delta_mut_cov"]) and math.isnan(score.values["mut_cov"])


JAVA_NOT_COMPILING = """```java
package org.harness.textkit;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class BoundedStackTest {
    @Test
    public void peekShowsTheTop() {
        BoundedStack stack = new BoundedStack(2);
        stack.push(4);
        assertEquals(4, stack.peekTop());
    }
}
```"""

GO_NOT_COMPILING = """```go
package intmath

import "testing"

func TestGCD(t *testing.T) {
	if got := GreatestCommonDivisor(12, 18); got != 6 {
		t.Errorf("got %d", got)
	}
}
```"""


@pytest.mark.docker
@pytest.mark.parametrize(("lang", "sid", "reply", "symbol"), [
    ("java", "repair_java-textkit__BoundedStack", JAVA_NOT_COMPILING, "peekTop"),
    ("go", "create_go-mathkit__intmath", GO_NOT_COMPILING, "GreatestCommonDivisor"),
])
def test_reply_that_does_not_compile_fails_with_compile_error(task: TamEvalTask, lang: str, sid: str, reply: str,
                                                              symbol: str) -> None:
    require_backend(_image_ready(lang), f"docker with {IMAGES[lang]} (harness sandbox build {lang})")
    score = _run(task, sid, reply)
    rec = score.metadata["tam_eval"]
    assert score.values["pass"] == 0.0 and score.answer == "FAIL"
    # Syntactically valid (tree-sitter accepts it), so the compiler is what rejects it.
    assert (rec["fail_reason"], rec["detail"]) == ("execution_error", "compile_error")
    assert score.values["delta_test_cov"] == 0.0 and score.values["delta_mut_cov"] == 0.0
    logs = score.metadata["error_logs_tail"]
    assert symbol in logs and "\x1b[" not in logs  # Maven's colour codes are stripped
