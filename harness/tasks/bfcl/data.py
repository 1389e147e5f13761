"""BFCL entries: the package's bundled data (pinned by the bfcl-eval version) or files in the official layout.

Official layout: `<dir>/BFCL_v4_<file>.json` (JSON Lines despite the name) with ground truth in
`<dir>/possible_answer/BFCL_v4_<file>.json`, aligned by line index. The project's samples use
`question/BFCL_v4_<file>_first30.json` next to `possible_answer/...`; both layouts are found. Entries are processed
as the official `load_dataset_entry(include_prereq=False, include_language_specific_hint=False)` does (web-search
and memory ids derived per sub-category, the agentic answer-format system prompt, multi-turn function docs). Memory
questions also carry their scenario's prerequisite conversations (`memory_prereq_conversation/memory_<scenario>.json`
beside the question file or one level up, else the package's copy) under `memory_prereq`; inference runs them first
(memory.py) and they are part of the data hash.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

from harness.core.errors import UserError
from harness.tasks.bfcl import categories as cats

PREFIX = "BFCL_v4_"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    from harness.tasks.data import parse_jsonl

    return parse_jsonl(path.read_text(encoding="utf-8"), path, "; BFCL files are JSON Lines")


def package_data_dir() -> Path:
    from harness.tasks.bfcl.compat import official

    return Path(official().eval_config.PROMPT_PATH)


def _answer_path(question: Path) -> Path | None:
    for candidate in (question.parent / "possible_answer" / question.name,
                      question.parent.parent / "possible_answer" / question.name):
        if candidate.exists():
            return candidate
    return None


def _question_file(folder: Path, file_category: str) -> Path | None:
    for candidate in (folder / f"{PREFIX}{file_category}.json", folder / "question" / f"{PREFIX}{file_category}.json",
                      *sorted(folder.glob(f"{PREFIX}{file_category}_*.json")),
                      *sorted((folder / "question").glob(f"{PREFIX}{file_category}_*.json"))):
        if candidate.exists() and _file_category(candidate) == file_category:
            return candidate
    return None


def _file_category(path: Path) -> str | None:
    name = path.name
    if not name.startswith(PREFIX) or not name.endswith(".json"):
        return None
    stem = name[len(PREFIX):-len(".json")]
    for suffix in ("_result", "_score"):
        stem = stem.removesuffix(suffix)
    # `simple_python_first30` -> `simple_python`: the longest known file category the stem starts with
    known = sorted({cats.data_file_category(c) for c in cats.ALL}, key=len, reverse=True)
    for k in known:
        if stem == k or stem.startswith(k + "_"):
            return k
    return None


def load_entries(categories: list[str], data: Path | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Processed entries, each with `category` and `ground_truth` (None for (ir)relevance), plus provenance."""
    if data is None:
        folder, files_hint = package_data_dir(), None
    elif data.is_dir():
        folder, files_hint = data, None
    else:
        fc = _file_category(data)
        if fc is None:
            raise UserError(f"{data}: not a BFCL question file (expected a name like BFCL_v4_<category>.json)")
        folder, files_hint = data.parent, {fc: data}
    entries: list[dict[str, Any]] = []
    digest = hashlib.sha256()
    files: list[str] = []
    for category in categories:
        fc = cats.data_file_category(category)
        qpath = files_hint.get(fc) if files_hint is not None else _question_file(folder, fc)
        if qpath is None:  # a single file feeds only its own categories; a folder may hold a subset
            continue
        questions = read_jsonl(qpath)
        digest.update(qpath.name.encode() + b"\0" + qpath.read_bytes())
        files.append(str(qpath))
        answers: list[dict[str, Any]] | None = None
        if not cats.kind(category).relevance:
            apath = _answer_path(qpath)
            if apath is None:
                raise UserError(f"{qpath}: no ground truth found (expected possible_answer/{qpath.name} beside it)")
            answers = read_jsonl(apath)
            digest.update(apath.read_bytes())
            files.append(str(apath))
            if len(answers) < len(questions):
                raise UserError(f"{apath}: {len(answers)} answers for {len(questions)} questions")
        processed = [_process(copy.deepcopy(q), category, answers[i] if answers is not None else None)
                     for i, q in enumerate(questions)]
        if category in cats.MEMORY:
            _attach_prereqs(processed, category, qpath.parent, digest, files)
        entries.extend(processed)
    if not entries:
        where = "the bfcl-eval package data" if data is None else str(data)
        raise UserError(f"no BFCL entries for {', '.join(categories)} in {where}")
    info = {"files": files, "sha256": digest.hexdigest()}
    return entries, info


def _process(entry: dict[str, Any], category: str, answer: dict[str, Any] | None) -> dict[str, Any]:
    """One entry as the official loader leaves it (without the language hints, which only inference adds)."""
    from harness.tasks.bfcl.compat import official

    bfcl = official()
    if category in cats.WEB_SEARCH:
        entry["id"] = entry["id"].replace("web_search", category)
    elif category in cats.MEMORY:
        entry["id"] = entry["id"].replace("memory", category)
        entry["involved_classes"] = [f"MemoryAPI_{category[len('memory_'):]}"]
    processed = bfcl.utils.process_agentic_test_case([entry])
    processed = bfcl.utils.populate_test_cases_with_predefined_functions(processed)
    if category in cats.WEB_SEARCH:
        processed = bfcl.utils.populate_initial_settings_for_web_search_test_cases(processed)
    entry = processed[0]
    entry["category"] = category
    entry["ground_truth"] = None if answer is None else answer["ground_truth"]
    return entry


def _attach_prereqs(entries: list[dict[str, Any]], category: str, near: Path, digest: Any, files: list[str]) -> None:
    """Give each memory question its scenario's prerequisite conversations (one shared list per scenario, under
    `memory_prereq`; `BfclTask.to_sample` moves it out of the entry), hashing the files into the data hash."""
    from harness.tasks.bfcl import memory

    by_scenario: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        scenario = entry["scenario"]
        if scenario not in by_scenario:
            path = memory.prereq_file(scenario, near)
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
            if str(path) not in files:
                files.append(str(path))
            by_scenario[scenario] = memory.load_prereq(category, path)
        entry["memory_prereq"] = by_scenario[scenario]


def bundled_question_files(categories: list[str]) -> list[Path]:
    folder = package_data_dir()
    return [folder / f"{PREFIX}{fc}.json" for fc in dict.fromkeys(cats.data_file_category(c) for c in categories)]
