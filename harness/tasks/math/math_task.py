"""The shared math task: prompt, last-boxed extraction, and a grader chosen by option.

Task options (`--task-arg key=value`):
- `grader`: `math-verify` (default) or `qwen` (the Qwen2.5-Math evaluation grader, see harness/metrics/math_qwen.py).
- `prompt`: `qwen-boxed` (default), `user-boxed` or `plain` (see prompts.py).
- `boxed_only` (math-verify grader): `false` (default) lets Math-Verify's own extraction read an output that has no
  `\\boxed{}` ("The final answer is 7", the last `$...$`, the last number), as lighteval does; `true` counts such an
  output as a parse failure.
- `include_percentage` (qwen grader): `true` (default, upstream behaviour: a prediction equal to the gold x100 or
  /100 counts as correct, so AIME 25 vs 0.25 is correct); `false` turns that leniency off.
"""

from __future__ import annotations

from typing import Any, ClassVar

from harness.core import GenerationConfig, ModelOutput, Sample, Score
from harness.core.errors import UserError
from harness.core.options import parse_bool
from harness.tasks.base import Task
from harness.tasks.math.loaders import MathRow, RowMapper
from harness.tasks.math.prompts import PROMPT_STYLES, build_messages

GRADERS = ("math-verify", "qwen")

# Qwen2.5-Math `sh/eval.sh`: greedy, one sample, max_tokens_per_call 2048. Reasoning models need far more tokens
# (e.g. --max-tokens 32768 with temperature 0.6, top_p 0.95 and --epochs k for avg@k, as DeepSeek-R1 reports).
QWEN_GENERATION = GenerationConfig(max_tokens=2048, temperature=0.0, top_p=1.0)


def _flag(options: dict[str, Any], key: str, default: bool) -> bool:
    return parse_bool(options.get(key, default), f"task option {key}")


class MathTask(Task):
    """A boxed-answer math task. Subclasses set `name`, `source`, `row_mapper` and a description."""

    row_mapper: ClassVar[RowMapper]
    metrics: ClassVar[tuple[str, ...]] = ("accuracy",)
    default_config: ClassVar[GenerationConfig] = QWEN_GENERATION
    known_options: ClassVar[tuple[str, ...]] = ("grader", "prompt", "boxed_only", "include_percentage")

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.known_options))
        if unknown:
            raise UserError(f"task {self.name!r} has no option {', '.join(unknown)}; "
                            f"options: {', '.join(self.known_options)}")
        super().__init__(**options)
        self.grader = str(options.get("grader", "math-verify"))
        if self.grader not in GRADERS:
            raise UserError(f"task option grader={self.grader!r}: choose one of {', '.join(GRADERS)}")
        self.prompt_style = str(options.get("prompt", "qwen-boxed"))
        if self.prompt_style not in PROMPT_STYLES:
            raise UserError(f"task option prompt={self.prompt_style!r}: choose one of {', '.join(PROMPT_STYLES)}")
        self.boxed_only = _flag(options, "boxed_only", False)
        self.include_percentage = _flag(options, "include_percentage", True)

    # --- identity -------------------------------------------------------------------------------------------
    def content_hash(self) -> str:
        """The base hash (class chain, options, source) plus what else moves a math score: the loaders, prompts and
        grader modules, and the installed math-verify / latex2sympy2_extended / sympy versions."""
        import hashlib
        import importlib
        import inspect
        from importlib.metadata import PackageNotFoundError, version

        h = hashlib.sha256(super().content_hash().encode())
        for name in ("harness.tasks.math.loaders", "harness.tasks.math.prompts", "harness.metrics.math_answer",
                     "harness.metrics.math_qwen", "harness.metrics.math_timeout"):
            h.update(inspect.getsource(importlib.import_module(name)).encode())
        for package in ("math-verify", "latex2sympy2_extended", "sympy", "word2number"):
            try:
                h.update(f"{package}=={version(package)}".encode())
            except PackageNotFoundError:
                h.update(f"{package} absent".encode())
        return h.hexdigest()[:16]

    # --- data -----------------------------------------------------------------------------------------------
    def to_sample(self, row: dict[str, Any], index: int) -> Sample:
        mapped: MathRow = type(self).row_mapper(row, index)
        return Sample(id=mapped.id, input=mapped.problem, target=mapped.answer, metadata=dict(mapped.metadata))

    # --- solving --------------------------------------------------------------------------------------------
    def prompt(self, sample: Sample) -> list[dict[str, Any]]:
        return build_messages(self.prompt_style, str(sample.input))

    def gold_output(self, sample: Sample) -> str:
        return f"The final answer is $\\boxed{{{sample.target}}}$."

    # --- scoring --------------------------------------------------------------------------------------------
    def extract_answer(self, text: str) -> str | None:
        try:
            if self.grader == "qwen":
                from harness.metrics.math_qwen import extract_answer

                return extract_answer(text or "") or None
            from harness.metrics.math_answer import fallback_extract, last_boxed

            answer = last_boxed(text or "")
            if answer is None and not self.boxed_only:
                answer = fallback_extract(text or "")
            return answer
        except Exception:  # bad model output must never take the scorer down
            return None

    def answers_equal(self, a: str, b: str) -> bool:
        return self._equal(a, b)

    def _equal(self, gold: str, pred: str) -> bool:
        if self.grader == "qwen":
            from harness.metrics.math_qwen import math_equal, strip_string

            return math_equal(pred, strip_string(gold), self.include_percentage)
        from harness.metrics.math_answer import math_verify_equal

        return math_verify_equal(gold, pred)

    def score(self, sample: Sample, output: ModelOutput) -> Score:
        text = output.text or ""
        answer = self.extract_answer(text)
        meta = {"grader": self.grader}
        if answer is None:
            return Score(values={"accuracy": 0.0}, answer=None, parse_failure=True,
                         explanation="no final answer found", metadata=meta)
        try:
            correct = self._equal(str(sample.target), answer)
        except Exception as e:  # graders catch their own errors; this keeps a surprise from failing the sample
            correct = False
            meta["grader_error"] = f"{type(e).__name__}: {e}"
        return Score(values={"accuracy": 1.0 if correct else 0.0}, answer=answer,
                     explanation=f"gold {sample.target!r} vs answer {answer!r}", metadata=meta)
