"""BFCL memory categories (`memory_kv`, `memory_rec_sum`, `memory_vector`): the prerequisite conversations that fill
a memory backend, then the questions that read it.

Official flow (bfcl-eval 2026.3.23, `utils.process_memory_test_case`, `BaseHandler.inference_multi_turn_*`,
`MemoryAPI._prepare_snapshot`): every scenario (student, customer, ...) has a chain of prerequisite conversations
(`memory_prereq_conversation/memory_<scenario>.json`, ids `memory_<backend>_prereq_<n>-<scenario>-<k>`). They run
first, in order, with the model and the memory tools; the first starts from an empty memory, each later one loads the
snapshot the previous one flushed (`<scenario>_final.json`), and each flushes its memory at the end. Every question
of the scenario then loads that final snapshot into a new backend instance, gets the official memory system prompt
(with the core memory dumped into it) and answers in one turn; questions never write snapshots back.

Here: the prerequisite chain of a (category, scenario, epoch) runs once per run, inside the solve of whichever
question of the scenario asks first, as a shared asyncio task that the scenario's other questions await; it never
depends on sample order or on other runs. Each chain and each question works in its own temporary folder with its
own backend instances (fresh state), and the question starts from a copy of the chain's final snapshot. With
`memory_prereq=per_item` every question replays the whole chain itself (independent memories; ~30-100x the
requests, since a chain is 4-13 conversations of ~10 turns).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.core import GenerationConfig, ModelOutput, Sample, Usage
from harness.core.errors import UserError
from harness.tasks.bfcl import categories as cats

if TYPE_CHECKING:
    from harness.models.base import ModelAdapter
    from harness.tasks.base import Task

PREREQ_DIR = "memory_prereq_conversation"
PREREQ_MODES = ("shared", "per_item")
VECTOR_REASON = ("memory_vector needs sentence-transformers, faiss and the all-MiniLM-L6-v2 embedding model from the "
                 "Hugging Face hub (loaded when the backend is imported)")


def backend_class(category: str) -> str:
    return f"MemoryAPI_{category[len('memory_'):]}"


def backend_problem(category: str) -> str | None:
    """Why this memory backend cannot run here, or None. Only memory_vector has outside needs."""
    if category != "memory_vector":
        return None
    import importlib.util

    missing = [m for m in ("sentence_transformers", "faiss") if importlib.util.find_spec(m) is None]
    return f"{VECTOR_REASON}; missing here: {', '.join(missing)}" if missing else None


def _import_backend(category: str) -> None:
    """Import the backend module now so that a failure (no embedding model offline) is one clear line."""
    import importlib

    from harness.tasks.bfcl.compat import official

    problem = backend_problem(category)
    if problem:
        raise UserError(f"BFCL {category}: {problem}")
    try:
        importlib.import_module(official().backend_config.CLASS_FILE_PATH_MAPPING[backend_class(category)])
    except Exception as e:  # e.g. the hub is unreachable and the model is not cached
        raise UserError(f"BFCL {category}: its backend cannot be loaded ({type(e).__name__}: {e}); "
                        f"{VECTOR_REASON}") from None


# --- data ---------------------------------------------------------------------------------------------------------
def prereq_file(scenario: str, near: Path | None) -> Path:
    """`memory_<scenario>.json` beside the question file (or one level up), else the package's copy."""
    from harness.tasks.bfcl.data import package_data_dir

    name = f"memory_{scenario}.json"
    candidates = [] if near is None else [near / PREREQ_DIR / name, near.parent / PREREQ_DIR / name]
    candidates.append(package_data_dir() / PREREQ_DIR / name)
    for c in candidates:
        if c.exists():
            return c
    raise UserError(f"no prerequisite conversations for memory scenario {scenario!r} ({PREREQ_DIR}/{name} not found "
                    f"beside the questions or in the bfcl-eval package)")


def load_prereq(category: str, path: Path) -> list[dict[str, Any]]:
    """The scenario's prerequisite entries for one backend, as `process_memory_test_case(include_prereq=True)`,
    `process_agentic_test_case` (which leaves prerequisites alone) and the function-doc population leave them."""
    from harness.tasks.bfcl.compat import official
    from harness.tasks.bfcl.data import read_jsonl

    b = official()
    entries = read_jsonl(path)
    for e in entries:
        e["id"] = e["id"].replace("memory", category)
        e["involved_classes"] = [backend_class(category)]
        e["category"] = category
    entries = b.utils.process_agentic_test_case(entries)
    return b.utils.populate_test_cases_with_predefined_functions(entries)


def initial_config(entry: dict[str, Any], result_dir: Path) -> dict[str, Any]:
    """As `populate_initial_settings_for_memory_test_cases`, with our own folder for the snapshots."""
    from harness.tasks.bfcl.compat import official

    utils = official().utils
    return {entry["involved_classes"][0]: {"model_result_dir": result_dir, "scenario": entry["scenario"],
                                           "test_id": entry["id"],
                                           "test_category": utils.extract_test_category_from_id(entry["id"])}}


def _final_snapshot_path(result_dir: Path, entry_id: str, scenario: str) -> Path:
    from harness.tasks.bfcl.compat import official

    structure = official().utils.get_directory_structure_by_id(entry_id)
    return result_dir / structure / "memory_snapshot" / f"{scenario}_final.json"


# --- inference ----------------------------------------------------------------------------------------------------
@dataclass
class PrereqRun:
    """The outcome of one scenario's prerequisite chain: the final snapshot (the backend's own file content)."""

    snapshot: dict[str, Any] | None
    ids: list[str]
    usage: Usage
    transcripts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


async def run_prereq_chain(task: Task, model: ModelAdapter, config: GenerationConfig, epoch: int, mode: str,
                           category: str, prereqs: list[dict[str, Any]]) -> PrereqRun:
    from harness.tasks.bfcl import loop

    if not prereqs:
        return PrereqRun(None, [], Usage())
    usage = Usage()
    result_dir = Path(tempfile.mkdtemp(prefix="harness-bfcl-memory-"))
    transcripts: dict[str, list[dict[str, Any]]] = {}
    try:
        for raw in prereqs:
            entry = loop.hinted_entry(raw)
            entry["initial_config"] = initial_config(entry, result_dir)
            sample = Sample(id=entry["id"], input=[dict(m) for m in entry["question"][0]], target=None,
                            metadata={"category": category, "entry": raw, "bfcl_prereq": True})
            conv = await loop.run_conversation(task, sample, model, config, epoch, mode, entry, usage,
                                               flush_memory=True)
            transcripts[entry["id"]] = conv.messages
        final = _final_snapshot_path(result_dir, prereqs[-1]["id"], prereqs[-1]["scenario"])
        snapshot = json.loads(final.read_text(encoding="utf-8")) if final.exists() else None
    finally:
        shutil.rmtree(result_dir, ignore_errors=True)
    return PrereqRun(snapshot, [p["id"] for p in prereqs], usage, transcripts)


class PrereqMemo:
    """One prerequisite chain per (category, scenario, epoch) for the life of a task instance (one run): the first
    question to ask starts it as an asyncio task, the others await the same task. A failed chain stays failed for
    this run (its questions become resumable errors) rather than being retried by every question."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str, int], asyncio.Task[PrereqRun]] = {}

    async def get(self, key: tuple[str, str, int], start: Any) -> tuple[PrereqRun, bool]:
        created = key not in self._runs
        if created:
            self._runs[key] = asyncio.ensure_future(start())
        # shield: one cancelled question must not cancel the chain the scenario's other questions wait for
        return await asyncio.shield(self._runs[key]), created


async def solve_memory(task: Task, sample: Sample, model: ModelAdapter, config: GenerationConfig, epoch: int,
                       mode: str, memo: PrereqMemo | None) -> ModelOutput:
    """Run (or await) the scenario's prerequisite chain, then the question on a fresh backend loaded from its
    final snapshot."""
    from harness.tasks.bfcl import loop

    category = sample.metadata["category"]
    _import_backend(category)
    raw = sample.metadata["entry"]
    prereqs: list[dict[str, Any]] = sample.metadata.get("memory_prereq") or []
    scenario = raw["scenario"]

    def start() -> Any:
        return run_prereq_chain(task, model, config, epoch, mode, category, prereqs)

    if memo is None:
        chain, created = await start(), True
    else:
        chain, created = await memo.get((category, scenario, epoch), start)
    usage = Usage()
    if created:  # the chain's tokens are billed once, to the question that ran it
        usage.prompt_tokens += chain.usage.prompt_tokens
        usage.completion_tokens += chain.usage.completion_tokens
    result_dir = Path(tempfile.mkdtemp(prefix="harness-bfcl-memory-"))
    try:
        entry = loop.hinted_entry(raw)
        if chain.snapshot is not None:
            path = _final_snapshot_path(result_dir, entry["id"], scenario)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(chain.snapshot), encoding="utf-8")
        entry["initial_config"] = initial_config(entry, result_dir)
        conv = await loop.run_conversation(task, sample, model, config, epoch, mode, entry, usage)
    finally:
        shutil.rmtree(result_dir, ignore_errors=True)
    snapshot_text = json.dumps(chain.snapshot, sort_keys=True)
    prereq_meta: dict[str, Any] = {"scenario": scenario, "ids": chain.ids, "ran_here": created,
                                   "snapshot_sha256": hashlib.sha256(snapshot_text.encode()).hexdigest()}
    if created:  # kept once per chain: what the model wrote to memory
        prereq_meta["snapshot"] = copy.deepcopy(chain.snapshot)
    return ModelOutput(completions=[conv.last], usage=usage, transcript=conv.messages,
                       metadata={"bfcl_result": conv.responses, "bfcl_steps": conv.steps,
                                 "force_quit": conv.force_quit, "memory_prereq": prereq_meta})


def is_memory(category: str) -> bool:
    return category in cats.MEMORY
