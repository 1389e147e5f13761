"""The shared safety task: send the behaviour, have the judge rate the response, score one attempt.

`solve` runs the attacked model (through `--method best-of-n-attack` when given: each epoch is one attempt), then
the judge on (original behaviour, response); the judge's raw output goes into `ModelOutput.metadata["judge"]` and
`score` parses it with the official rule. The judge always sees the original behaviour, never the augmented prompt
(as in HarmBench and in Hughes et al.).

Common task options (`-T key=value`):
- `judge`: adapter spec of the judge. Required, except with `--model gold`, where it defaults to the `gold` test
  double (see judge.py).
- `judge_concurrency`: connections the judge adapter may open (default 32).
"""

from __future__ import annotations

import hashlib
import inspect
from typing import Any, ClassVar

from harness.core import GenerationConfig, ModelOutput, Sample, Score
from harness.core.errors import UserError
from harness.tasks.base import Task
from harness.tasks.safety.judge import GoldVerdicts, Judge

COMMON_OPTIONS = ("judge", "judge_concurrency")
GOLD_JUDGE_KEY = "gold_judge"  # sample metadata read by the gold test-double judge: {"p_success": 0.3}


def base_adapter_kind(model: Any) -> str:
    """The kind of the innermost adapter under methods and the request cache (`gold` for `--model gold`)."""
    while hasattr(model, "inner"):
        model = model.inner
    return str(getattr(model, "kind", ""))


def gold_success(sample: Sample, epoch: int, attempt_prompt: str) -> bool:
    """The test double's verdict: a deterministic Bernoulli(p_success) draw per (sample, epoch, attempt prompt).

    Hashing the augmented prompt makes the outcome depend on the attack's seed as a real attack would, while a rerun
    of the same run reproduces it."""
    label = sample.metadata.get(GOLD_JUDGE_KEY)
    if not isinstance(label, dict) or "p_success" not in label:
        raise UserError(f"judge=gold is a test double that needs a {GOLD_JUDGE_KEY!r} label with p_success in the "
                        f"sample's metadata (only the bundled samples carry one; sample {sample.id!r} does not); "
                        "use a real judge, e.g. -T judge=openai:gpt-4o-mini")
    p = float(label["p_success"])
    digest = hashlib.sha256(f"gold-judge|{sample.id}|{epoch}|{attempt_prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < p


class SafetyTask(Task):
    """A behaviour dataset scored by a judge. Subclasses give the judge prompt, its sampling, parsing and scores."""

    default_config: ClassVar[GenerationConfig] = GenerationConfig(max_tokens=512, temperature=0.0)
    task_options: ClassVar[tuple[str, ...]] = ()
    # the primary metric is an attack success rate: a rise is a regression of the attacked model
    higher_is_better: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        known = COMMON_OPTIONS + self.task_options
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise UserError(f"task {self.name!r} has no option {', '.join(unknown)}; options: {', '.join(known)}")
        super().__init__(**options)
        spec = options.get("judge")
        self.judge_spec: str | None = str(spec) if spec not in (None, "") else None
        try:
            self.judge_concurrency = int(options.get("judge_concurrency", 32))
        except (TypeError, ValueError):
            raise UserError(f"task option judge_concurrency={options.get('judge_concurrency')!r}: expected an "
                            "integer") from None
        self._judge: Judge | None = None

    # --- subclass hooks -------------------------------------------------------------------------------------------
    def behavior(self, sample: Sample) -> str:
        return str(sample.input)

    def judge_sampling(self) -> dict[str, Any]:
        raise NotImplementedError

    def judge_messages(self, sample: Sample, response: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def gold_verdict(self, success: bool) -> str:
        """The judge output, in the official format, that the gold test double writes for a verdict."""
        raise NotImplementedError

    def pre_judge(self, sample: Sample, output: ModelOutput) -> str | None:
        """A verdict decided without calling the judge (None: ask the judge)."""
        return None

    # --- solving --------------------------------------------------------------------------------------------------
    def prompt(self, sample: Sample) -> list[dict[str, Any]]:
        return [{"role": "user", "content": self.behavior(sample)}]

    def gold_output(self, sample: Sample) -> str:
        """The attacked model's reply under `--model gold`: the sample's placeholder response."""
        return str(sample.metadata.get("gold_response") or "Sure, here is a placeholder response.")

    def _judge_for(self, model: Any) -> Judge:
        if self._judge is None:
            spec = self.judge_spec
            if spec is None:
                if base_adapter_kind(model) != "gold":
                    raise UserError(f"task {self.name!r} needs a judge: -T judge=SPEC, e.g. "
                                    f"{self.example_judge} (see docs/tasks/safety.md)")
                spec = "gold"
            self._judge = Judge(spec, self.judge_sampling(), self.judge_concurrency)
        return self._judge

    example_judge: ClassVar[str] = "openai:gpt-4o-mini"

    async def solve(self, sample: Sample, model: Any, config: GenerationConfig, epoch: int) -> ModelOutput:
        output = await super().solve(sample, model, config, epoch)
        judge = self._judge_for(model)
        response = output.text or ""
        record: dict[str, Any] = {"spec": judge.spec}
        decided = self.pre_judge(sample, output)
        if decided is not None:
            record.update(output=decided, skipped=True)
        else:
            messages = self.judge_messages(sample, response)
            attempt_prompt = str((output.metadata.get("best_of_n") or {}).get("augmented_prompt", ""))
            gold = GoldVerdicts(lambda s: self.gold_verdict(gold_success(s, epoch, attempt_prompt)))
            judged = await judge.judge(messages, sample, epoch, gold if judge.is_gold else None)
            record.update(output=judged.text, finish_reason=judged.finish_reason,
                          prompt_tokens=judged.usage.prompt_tokens, completion_tokens=judged.usage.completion_tokens)
            if judge.is_gold:
                record["test_double"] = True
        output.metadata = {**output.metadata, "judge": record}
        return output

    async def close(self) -> None:
        """Close the judge now (the run's end closes it anyway); for an engine that calls task hooks."""
        if self._judge is not None:
            await self._judge.close()

    def judge_output(self, output: ModelOutput) -> str | None:
        record = output.metadata.get("judge")
        return None if not isinstance(record, dict) else record.get("output")

    # --- identity -------------------------------------------------------------------------------------------------
    def content_hash(self) -> str:
        """The base hash plus the judge prompts and parsers, which live outside the class chain's modules."""
        from harness.tasks.safety import judge, parsing, prompts

        h = hashlib.sha256(super().content_hash().encode())
        for module in (prompts, parsing, judge):
            h.update(inspect.getsource(module).encode())
        return h.hexdigest()[:16]

    def unscored(self, why: str) -> Score:
        return Score(values={m: (0.0 if m == self.metrics[0] else float("nan")) for m in self.metrics},
                     parse_failure=True, explanation=why)
