"""The BFCL task: one class for every category and group; the official checkers score each item.

Options (`--task-arg` / `-T key=value`):
- `mode=fc|prompt` (default fc): native function calling (OpenAI `tools`, calls read from Completion.tool_calls) or
  the official prompting format (system prompt with JSON function docs; replies decoded by the official decoder,
  which keeps keyword arguments only: `f(1)` decodes to `f()`, as upstream; see docs/tasks/bfcl.md).
- `web_search=auto|yes|no` (groups only): include web-search items (they need SERPAPI_API_KEY and live pages).
- `memory=auto|yes|no` (groups only): memory items. auto (default) runs memory_kv and memory_rec_sum and leaves
  out memory_vector, whose backend loads an embedding model from the Hugging Face hub; yes includes all three.
- `memory_prereq=shared|per_item`: memory questions first need their scenario's prerequisite conversations run with
  the model (memory.py): once per scenario and epoch, shared by its questions (default, as upstream), or replayed by
  every question on its own.

Score values per item: `accuracy`, `acc_<category>` (so a group reports each category with its CI), and for
multi-step items `had_tool_error` and `error_recovery` (NaN when no tool call failed; see recovery.py).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.core import Completion, GenerationConfig, ModelOutput, Sample, Score, ToolCall
from harness.core.errors import UserError
from harness.tasks.base import DatasetSource, Task
from harness.tasks.bfcl import categories as cats
from harness.tasks.bfcl.compat import BFCL_EVAL_VERSION

if TYPE_CHECKING:
    from harness.models.base import ModelAdapter

MODES = ("fc", "prompt")


class BfclTask(Task):
    categories: ClassVar[list[str]] = []
    version = "1"
    source = DatasetSource(url="https://github.com/ShishirPatil/gorilla/tree/main/berkeley-function-call-leaderboard")
    # BFCL queries models at temperature 0 (BaseHandler's temperature argument in the official generation).
    default_config = GenerationConfig(temperature=0.0)

    def __init__(self, **options: Any) -> None:
        mode = str(options.get("mode", "fc"))
        if mode not in MODES:
            raise UserError(f"{self.name}: mode={mode!r}; use mode=fc or mode=prompt")
        web = str(options.get("web_search", "auto"))
        memory = str(options.get("memory", "auto"))
        prereq = str(options.get("memory_prereq", "shared"))
        if web not in ("auto", "yes", "no") or memory not in ("auto", "yes", "no"):
            raise UserError(f"{self.name}: web_search and memory must be auto|yes|no")
        if prereq not in ("shared", "per_item"):
            raise UserError(f"{self.name}: memory_prereq={prereq!r}; use shared or per_item")
        if any(c in cats.MEMORY for c in self.categories):
            options = {**options, "memory_prereq": prereq}
        super().__init__(**{**options, "mode": mode, "bfcl_eval_version": BFCL_EVAL_VERSION})
        self.mode = mode
        self.active, skipped = self._select(web, memory)
        if skipped:
            self.options["skipped_categories"] = skipped
        self.options["categories"] = list(self.active)
        self._gold_cache: dict[str, Any] = {}
        self._prereq_memo: Any = None  # memory.PrereqMemo, made fresh by start() for each run

    def _select(self, web: str, memory: str) -> tuple[list[str], dict[str, str]]:
        if len(self.categories) == 1:  # a single-category task always runs its category
            return list(self.categories), {}
        active, skipped = [], {}
        for c in self.categories:
            if c in cats.WEB_SEARCH and (web == "no" or (web == "auto" and not os.environ.get("SERPAPI_API_KEY"))):
                skipped[c] = "web search needs SERPAPI_API_KEY and live pages (web_search=yes to force)"
            elif c in cats.MEMORY and memory == "no":
                skipped[c] = "memory=no"
            elif c == "memory_vector" and memory == "auto":
                from harness.tasks.bfcl.memory import VECTOR_REASON

                skipped[c] = f"{VECTOR_REASON} (memory=yes to include)"
            else:
                active.append(c)
        return active, skipped

    @property
    def metrics(self) -> tuple[str, ...]:  # type: ignore[override]
        per_category = tuple(cats.metric_name(c) for c in self.active) if len(self.active) > 1 else ()
        steps = ("had_tool_error", "error_recovery") if any(cats.is_multi_step(c) for c in self.active) else ()
        return ("accuracy", *per_category, *steps)

    # --- data -------------------------------------------------------------------------------------------------
    def load_rows(self, data: str | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Rows (processed official entries with ground truth) and provenance for run.json."""
        from harness.tasks.bfcl.data import load_entries

        path = None if data in (None, "sample") else Path(data).expanduser()
        if path is not None and not path.exists():
            raise UserError(f"data file not found: {path}")
        rows, info = load_entries(self.active, path)
        kind = "bfcl-eval-package" if path is None else ("dir" if path.is_dir() else "file")
        self.options["data_sha256"] = info["sha256"]
        return rows, {"kind": kind, "path": str(path.resolve()) if path else None, "bfcl_eval": BFCL_EVAL_VERSION,
                      **info}

    def pull(self) -> Path:
        from harness.tasks.bfcl.data import package_data_dir

        return package_data_dir()  # the data ships inside the pinned bfcl-eval wheel

    def to_sample(self, row: dict[str, Any], index: int) -> Sample:
        category = row.get("category") or cats.category_of(row["id"])
        first = row["question"][0] if row.get("question") else []
        metadata: dict[str, Any] = {"category": category}
        if "memory_prereq" in row:  # shared per scenario; kept out of the entry the checkers copy
            metadata["memory_prereq"] = row["memory_prereq"]
            row = {k: v for k, v in row.items() if k != "memory_prereq"}
        return Sample(id=row["id"], input=[dict(m) for m in first], target=row.get("ground_truth"),
                      metadata={**metadata, "entry": row})

    # --- solving ----------------------------------------------------------------------------------------------
    async def start(self, ctx: Any) -> None:
        from harness.tasks.bfcl.memory import PrereqMemo

        self._prereq_memo = PrereqMemo()  # prerequisite chains never outlive a run

    def prompt(self, sample: Sample) -> list[dict[str, Any]]:
        from harness.tasks.bfcl.loop import first_messages

        return first_messages(sample.metadata["entry"], self.mode)

    async def solve(self, sample: Sample, model: ModelAdapter, config: GenerationConfig, epoch: int) -> ModelOutput:
        from harness.tasks.bfcl import loop

        category = sample.metadata["category"]
        if category in cats.WEB_SEARCH and not os.environ.get("SERPAPI_API_KEY"):
            raise UserError("BFCL web search needs SERPAPI_API_KEY (SerpAPI, engine=duckduckgo) and live page "
                            "fetches; set it, or leave web search out (web_search=no)")
        if category in cats.MEMORY:
            from harness.tasks.bfcl.memory import PrereqMemo, solve_memory

            if self._prereq_memo is None:  # solve called outside the engine
                self._prereq_memo = PrereqMemo()
            memo = self._prereq_memo if self.options.get("memory_prereq", "shared") == "shared" else None
            return await solve_memory(self, sample, model, config, epoch, self.mode, memo)
        if cats.is_multi_step(category):
            return await loop.solve_multi_turn(self, sample, model, config, epoch, self.mode)
        return await loop.solve_single_turn(self, sample, model, config, epoch, self.mode)

    # --- scoring ----------------------------------------------------------------------------------------------
    def score(self, sample: Sample, output: ModelOutput) -> Score:
        from harness.tasks.bfcl import checkers, recovery
        from harness.tasks.bfcl.loop import model_result

        category = sample.metadata["category"]
        if "bfcl_result" in output.metadata:
            result = output.metadata["bfcl_result"]
        else:  # an output made elsewhere for a single-turn item
            result = model_result(output.completions[0], self.mode) if output.completions else ""
        verdict = checkers.evaluate(sample.metadata["entry"], result, self.mode)
        value = 1.0 if verdict.valid else 0.0
        values = {"accuracy": value}
        if len(self.active) > 1:
            values[cats.metric_name(category)] = value
        meta: dict[str, Any] = {"category": category, "error_type": verdict.error_type, **verdict.details}
        if cats.is_multi_step(category):
            rec = recovery.recovery(output.metadata.get("bfcl_steps") or [])
            values["had_tool_error"] = 1.0 if rec.had_error else 0.0
            values["error_recovery"] = (1.0 if rec.recovered else 0.0) if rec.had_error else math.nan
            meta["tool_errors"] = rec.errors
            meta["force_quit"] = bool(output.metadata.get("force_quit"))
        parse_failure = (verdict.error_type or "").startswith(("ast_decoder:decoder_failed", "relevance_error"))
        explanation = None if verdict.valid else f"{verdict.error_type}: {_short(verdict.error)}"
        return Score(values=values, answer=_short(result, 2000), explanation=explanation,
                     parse_failure=parse_failure, metadata=meta)

    def gold_output(self, sample: Sample) -> str | Completion:
        """The reference reply in this task's mode: prompting-format text, or (mode=fc) a Completion carrying the
        reference tool calls. Multi-step items answer step by step (the loop passes the step in the metadata)."""
        from harness.tasks.bfcl import gold

        entry = sample.metadata["entry"]
        if sample.metadata.get("bfcl_prereq"):  # prerequisite conversations have no reference: no calls
            return "" if self.mode == "prompt" else Completion(text="", finish_reason="stop")
        reference = gold.official_result(entry, self.mode)
        step = sample.metadata.get("bfcl_step")
        if cats.is_multi_step(sample.metadata["category"]):
            turn, count = step if step is not None else (0, 0)
            steps = reference[turn] if turn < len(reference) else []
            reference = steps[count] if count < len(steps) else ("" if self.mode == "prompt" else [])
        if self.mode == "prompt" or isinstance(reference, str):
            return reference if isinstance(reference, str) else str(reference)
        calls = [ToolCall(id=f"gold_{i}", name=name, arguments=args)
                 for i, call in enumerate(reference) for name, args in call.items()]
        return Completion(text="", finish_reason="tool_calls" if calls else "stop", tool_calls=calls)

    def summarize(self, metrics: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
        """V4 and V3 summary scores for metrics.json (missing categories: None, i.e. N/A)."""
        from harness.tasks.bfcl.aggregate import from_metrics

        if len(self.active) == 1:
            metrics = {"metrics": {cats.metric_name(self.active[0]): metrics.get("metrics", {}).get("accuracy")}}
        return {"bfcl_summary": from_metrics(metrics), "bfcl_summary_official": from_metrics(metrics, official=True)}


def _short(value: Any, limit: int = 500) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
