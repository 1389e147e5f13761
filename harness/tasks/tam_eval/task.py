"""The `tam-eval` task: prompt, up-to-N-attempt loop with failure feedback, sandboxed scoring.

The attempt loop follows the official `run.py` + `generate/run.py::main_batch`: a sample that PASSes is not
regenerated; a failed one is re-prompted with its previous output as the test file and the attempt's fail_feedback.
Execution happens inside `solve` (the feedback needs it); the evaluation of every attempt travels in
`ModelOutput.metadata["tam_eval"]`, and `ascore` turns the last one into the official per-sample metrics plus
`pass_attempt_k` (PASS within the first k attempts: the paper's Attempt@k). An output without that record (a
prediction file scored on its own) is executed once in `ascore`.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.core import (
    Completion,
    GenerateRequest,
    GenerationConfig,
    ModelOutput,
    Sample,
    Score,
    Usage,
)
from harness.core.errors import UserError
from harness.core.options import parse_bool
from harness.tasks.base import DatasetSource, Task
from harness.tasks.tam_eval import metrics as tm
from harness.tasks.tam_eval.execute import Evaluation, ExecSettings, Executor
from harness.tasks.tam_eval.prompts import (
    MAX_NEW_TEST_CASES,
    extract_test_file,
    gold_reply,
    render_prompt,
)
from harness.tasks.tam_eval.scenario import Scenario, scenario_from_row
from harness.tasks.tam_eval.syntax import count_test_cases

if TYPE_CHECKING:
    from harness.models.base import ModelAdapter

TAMEVAL_REPO = "Tech871/tameval"
TAMEVAL_COMMIT = "269cf23ad906e9d23d80bfcb155066b5d0bc37bd"



def _bool(value: Any, name: str) -> bool:
    return parse_bool(value, f"tam-eval option {name}")


def _number(value: Any, name: str, kind: type[int | float]) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        what = "an integer" if kind is int else "a number"
        raise UserError(f"tam-eval option {name}={value!r}: expected {what}") from None


OPTIONS = ("max_attempts", "timeout", "backend", "pooled", "max_sandboxes", "memory_mb", "fix_test_case_count",
           "mutation_fallback", "max_new_test_cases", "image_python", "image_java", "image_go",
           "qwen3_disable_thinking")


class TamEvalTask(Task):
    """TAM-Eval (arXiv 2601.18241): create, repair or update a whole unit-test file for a focal file in Python, Java
    or Go; scored by running it (pass), focal-file line-coverage delta and mutation-score delta, up to 3 attempts.

    Options (-T key=value): max_attempts (3), timeout (150 s per command), backend (docker|bwrap|local),
    pooled (true), max_sandboxes (2), memory_mb (2048), fix_test_case_count (false: the official bug is kept),
    mutation_fallback (false: official bug, the fallback mutation command never runs), max_new_test_cases (5),
    image_python / image_java / image_go (sandbox image per language), qwen3_disable_thinking (true).

    Deviations (docs/tasks/tam-eval.md): MutPy from PyPI's mutpy-pynguin 0.7.1 instead of the Klema17 git fork;
    no PIT or go-mutesting (not packaged for Debian: Java/Go mutation deltas are NaN unless an image with them is
    given); newer tree-sitter grammars; replies under 5 characters are FAIL/empty_file instead of an ungenerated
    round; report freshness comes from fresh workspaces instead of mtimes.
    """

    name = "tam-eval"
    version = "1"
    description = "TAM-Eval: unit-test creation, repair and update (Python/Java/Go), scored by execution, coverage, mutation"
    source = DatasetSource(
        hub_id=TAMEVAL_REPO,  # a GitHub repository (not a HF dataset): `harness data pull tam-eval` calls pull()
        revision=TAMEVAL_COMMIT,
        split="v2",
        size=1539,
        sample_file="samples/tam-eval.jsonl",
        url="https://github.com/Tech871/tameval",
    )
    metrics: ClassVar[tuple[str, ...]] = (
        "pass", "delta_test_cov", "delta_mut_cov", "test_cov", "mut_cov", "delta_test_case_num",
    )
    default_config = GenerationConfig(temperature=0.2)  # --test-gen-temperature default

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise UserError(f"task 'tam-eval' has no option {', '.join(unknown)}; options: {', '.join(OPTIONS)}")
        super().__init__(**options)
        o = options
        self.max_attempts = _number(o.get("max_attempts", 3), "max_attempts", int)
        if self.max_attempts < 1:
            raise UserError("tam-eval option max_attempts must be at least 1")
        self.fix_test_case_count = _bool(o.get("fix_test_case_count", False), "fix_test_case_count")
        self.max_new_test_cases = _number(o.get("max_new_test_cases", MAX_NEW_TEST_CASES), "max_new_test_cases", int)
        self.qwen3_disable_thinking = _bool(o.get("qwen3_disable_thinking", True), "qwen3_disable_thinking")
        images = tuple((lang, str(o[f"image_{lang}"])) for lang in ("python", "java", "go") if o.get(f"image_{lang}"))
        self.settings = ExecSettings(
            backend=str(o.get("backend", "docker")),
            pooled=_bool(o.get("pooled", True), "pooled"),
            max_sandboxes=_number(o.get("max_sandboxes", 2), "max_sandboxes", int),
            timeout_s=_number(o.get("timeout", 150), "timeout", float),
            memory_mb=_number(o.get("memory_mb", 2048), "memory_mb", int),
            images=images,
            mutation_fallback=_bool(o.get("mutation_fallback", False), "mutation_fallback"),
        )
        self.metrics = self.metrics + tuple(f"pass_attempt_{k}" for k in range(1, self.max_attempts + 1))
        self._executor: Executor | None = None
        self._scenarios: dict[str, Scenario] = {}

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            self._executor = Executor(self.settings)
        return self._executor

    async def close(self) -> None:
        """Called by the engine at the end of a run: removes the pooled containers."""
        if self._executor is not None:
            self._executor.close()
            self._executor = None

    # ------------------------------------------------------------------------------------------------- data
    def to_sample(self, row: dict[str, Any], index: int) -> Sample:
        base = self.sample_path().parent if self.sample_path() is not None else None
        sc = scenario_from_row(row, base)
        self._scenarios[sc.id] = sc
        meta = {
            "task": sc.task, "scenario": sc.scenario, "lang": sc.lang, "repository": sc.repository, "sha": sc.sha,
            "available_offline": sc.available,
        }
        return Sample(id=sc.id, input=sc.test_file_content, target=sc.test_file_path, metadata=meta)

    def scenario(self, sample: Sample) -> Scenario:
        try:
            return self._scenarios[sample.id]
        except KeyError:
            raise UserError(f"tam-eval: sample {sample.id!r} was not loaded by this task instance") from None

    def pull(self) -> Path:
        """`harness data pull tam-eval`: clone the benchmark and each scenario's repository (needs network)."""
        from harness.tasks.tam_eval.pull import pull_benchmark

        return pull_benchmark(self.source)

    # ---------------------------------------------------------------------------------------------- prompts
    def prompt(self, sample: Sample, test_file: str | None = None, feedback: str | None = None,
               model_name: str = "") -> list[dict[str, Any]]:
        sc = self.scenario(sample)
        text = render_prompt(
            language=sc.lang,
            source_file=sc.read_project_file(sc.focal_file_path) if sc.available else "",
            source_file_name=sc.focal_file_path,
            test_file=sc.test_file_content if test_file is None else test_file,
            test_file_name=sc.test_file_path,
            fail_feedback=feedback,
            max_new_test_cases=self.max_new_test_cases,
        )
        if self.qwen3_disable_thinking and "qwen3" in model_name.lower():
            text = "/no_think\n" + text
        return [{"role": "user", "content": text}]

    def reference_test(self, sc: Scenario) -> str:
        return sc.read_project_file(sc.test_file_path)

    def gold_output(self, sample: Sample) -> str:
        sc = self.scenario(sample)
        return gold_reply(sc.lang, self.reference_test(sc))

    # ------------------------------------------------------------------------------------------------ solve
    async def solve(self, sample: Sample, model: ModelAdapter, config: GenerationConfig, epoch: int) -> ModelOutput:
        sc = self.scenario(sample)
        if not sc.available:
            # Not the model's failure: the repository was never pulled. The engine records it as "infra".
            raise RuntimeError(f"tam-eval scenario {sc.id}: repository {sc.repository}@{sc.sha[:12]} is not "
                               f"available offline; run `harness data pull tam-eval` with network access")
        model_name = str(getattr(model, "spec", ""))
        test_file: str | None = None
        feedback: str | None = None
        usage = Usage()
        latency = 0.0
        retries = 0
        attempts: list[dict[str, Any]] = []
        transcript: list[dict[str, Any]] = []
        seen: dict[str, Evaluation] = {}
        out: ModelOutput | None = None
        for k in range(1, self.max_attempts + 1):
            messages = self.prompt(sample, test_file, feedback, model_name)
            out = await model.generate(GenerateRequest(messages=messages, config=config, sample=sample, epoch=epoch,
                                                       task=self))
            usage.prompt_tokens += out.usage.prompt_tokens
            usage.completion_tokens += out.usage.completion_tokens
            latency += out.latency_s
            retries += out.retries
            transcript += [*messages, {"role": "assistant", "content": out.text}]
            extracted = extract_test_file(out.text)
            key = hashlib.sha256(extracted.code.encode()).hexdigest()
            # The same file gives the same result: a repeated reply (replay, greedy decoding) is not re-executed.
            ev = seen.get(key) or await self.executor.evaluate(sc, extracted.code,
                                                               had_code_block=extracted.had_code_block)
            seen[key] = ev
            attempts.append({"attempt": k, "code_sha256": key[:16], "finish_reason": out.finish_reason,
                             **ev.to_dict()})
            if ev.status == "PASS":
                break
            test_file, feedback = extracted.code, ev.fail_feedback
        assert out is not None
        final = ModelOutput(
            completions=[Completion(text=out.text, finish_reason=out.finish_reason)],
            usage=usage, latency_s=latency, retries=retries, cached=out.cached,
            transcript=transcript if self.max_attempts > 1 else None,
            metadata={"tam_eval": {"attempts": attempts}},
        )
        return final

    # ------------------------------------------------------------------------------------------------ score
    async def ascore(self, sample: Sample, output: ModelOutput) -> Score:
        sc = self.scenario(sample)
        attempts = list((output.metadata or {}).get("tam_eval", {}).get("attempts") or [])
        extracted = extract_test_file(output.text)
        key = hashlib.sha256(extracted.code.encode()).hexdigest()[:16]
        if not attempts or attempts[-1].get("code_sha256") != key:
            ev = await self.executor.evaluate(sc, extracted.code, had_code_block=extracted.had_code_block)
            attempts = [{"attempt": 1, "code_sha256": key, **ev.to_dict()}]
        ev = Evaluation.from_dict(attempts[-1])
        initial_cases = count_test_cases(sc.lang_key, sc.test_file_content)
        values = tm.sample_metrics(sc, ev, initial_cases, fix_test_case_count=self.fix_test_case_count)
        pass_k = [1.0 if a.get("status") == "PASS" else 0.0 for a in attempts]
        for k in range(1, self.max_attempts + 1):
            values[f"pass_attempt_{k}"] = 1.0 if any(pass_k[:k]) else 0.0
        record = {
            "id": sc.id, "task": sc.task, "scenario": sc.scenario, "lang": sc.lang_key,
            "status": ev.status, "fail_reason": ev.fail_reason, "detail": ev.detail,
            "initial_test_cov": sc.initial_test_cov, "initial_mut_cov": sc.initial_mut_cov,
            "killed_mutants_num": ev.killed_mutants_num, "total_mutants_num": ev.total_mutants_num,
            "attempts_used": len(attempts), "attempt_reasons": [a.get("fail_reason") for a in attempts],
            **{k: v for k, v in values.items() if not k.startswith("pass_attempt")},
        }
        explanation = f"{ev.status}" + (f" ({ev.fail_reason}: {ev.detail})" if ev.fail_reason else "")
        if ev.status == "PASS":
            explanation += f"; coverage {ev.test_cov}, mutation {ev.mut_cov}"
        return Score(values=values, answer=ev.status, explanation=explanation,
                     parse_failure=ev.detail in ("no_code_block", "empty_reply"),
                     metadata={"tam_eval": _clean(record), "error_logs_tail": ev.error_logs[-2000:]})

    def score(self, sample: Sample, output: ModelOutput) -> Score:
        raise UserError("tam-eval scores by executing code: use the async scorer (`ascore`)")

    def summarize(self, metrics: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The official metrics dict (overall, per task type, per create sub-scenario, per language), from the
        per-sample records the scorer kept; errored rows (infra) are left out as the official runner never saw
        them."""
        import json

        records = []
        for row in rows:
            if row.get("error_kind") is not None or not row.get("score_json"):
                continue
            rec = (json.loads(row["score_json"]).get("metadata") or {}).get("tam_eval")
            if rec:
                records.append({k: (math.nan if v is None and k not in _TEXT_FIELDS else v) for k, v in rec.items()})
        return {"tam_eval_official": _clean(tm.aggregate(records))} if records else {}


_TEXT_FIELDS = frozenset({"id", "task", "scenario", "lang", "status", "fail_reason", "detail", "attempt_reasons"})


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """NaN -> None so the record is valid JSON everywhere."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}
