"""One TAM-Eval scenario: the official TOML record plus where its project tree lives on this machine.

The official files (`tameval/benchmark/v2/*.toml` at the pinned commit) hold the task type, run commands, report
formats, the coverage of the *given* test file and that file's content, but not the repository: the focal file and
the reference test come from the project tree, which is either a sample project bundled with this package or a
checkout made by `harness data pull tam-eval` (the repository cloned at the scenario's sha).

A dataset row is `{"id": ..., "scenario": <the TOML as a mapping>, "project_dir": <folder or null>}`; `nan` in the
TOML is a float and survives JSON (Python writes and reads `NaN`).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANGS = {"python": "Python", "java": "Java", "go": "Go"}


@dataclass(frozen=True)
class Scenario:
    id: str
    task: str  # create | repair | update
    scenario: str  # from_scratch | add_new_test | extend_test_file | repair_<kind> | update_test
    lang: str  # Python | Java | Go (official spelling; used in the prompt)
    repository: str
    sha: str
    run: dict[str, Any]
    coverage: dict[str, Any]
    test_file_path: str
    focal_file_path: str
    test_file_content: str  # the test file handed to the model (empty / broken / stale)
    project_dir: Path | None  # the project tree; None when the repository is not available offline
    raw: dict[str, Any]

    @property
    def lang_key(self) -> str:
        return self.lang.lower()

    @property
    def initial_test_cov(self) -> float:
        return _float(self.coverage.get("coverage"))

    @property
    def initial_mut_cov(self) -> float:
        return _float(self.coverage.get("mutation_kill_rate"))

    @property
    def available(self) -> bool:
        return self.project_dir is not None and (self.project_dir / self.focal_file_path).is_file()

    def read_project_file(self, rel: str) -> str:
        if self.project_dir is None:
            raise FileNotFoundError(f"scenario {self.id}: repository {self.repository}@{self.sha[:12]} is not "
                                    f"available offline (run `harness data pull tam-eval`)")
        return (self.project_dir / rel).read_text(encoding="utf-8", errors="replace")


def _float(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def load_toml(path: Path) -> dict[str, Any]:
    """An official scenario file (tomllib: `nan` is a valid TOML float, so no hand-written parser)."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


def scenario_from_mapping(sid: str, data: dict[str, Any], project_dir: Path | None) -> Scenario:
    missing = [k for k in ("meta", "lang_info", "run_info", "coverage", "input_info") if k not in data]
    if missing:
        raise ValueError(f"scenario {sid}: missing section(s) {', '.join(missing)}")
    lang = str(data["lang_info"]["lang"])
    if lang.lower() not in LANGS:
        raise ValueError(f"scenario {sid}: unsupported language {lang!r}")
    repo = data.get("repo_info", {})
    inp = data["input_info"]
    return Scenario(
        id=sid,
        task=str(data["meta"]["task"]),
        scenario=str(data["meta"]["scenario"]),
        lang=LANGS[lang.lower()],
        repository=str(repo.get("repository", "")),
        sha=str(repo.get("sha", "")),
        run=dict(data["run_info"]),
        coverage=dict(data["coverage"]),
        test_file_path=str(inp["test_file_path"]),
        focal_file_path=str(inp["focal_file_path"]),
        test_file_content=str(inp.get("test_file_content") or ""),
        project_dir=project_dir,
        raw=data,
    )


def scenario_from_row(row: dict[str, Any], base_dir: Path | None) -> Scenario:
    """A dataset row -> Scenario. `project_dir` may be relative to `base_dir` (the bundled sample folder)."""
    data = row.get("scenario")
    if not isinstance(data, dict):
        raise ValueError("a tam-eval row needs a 'scenario' mapping (the official TOML content)")  # noqa: TRY004
    sid = str(row.get("id") or "")
    if not sid:
        raise ValueError("a tam-eval row needs an 'id'")
    project = row.get("project_dir")
    project_dir: Path | None = None
    if project:
        p = Path(project).expanduser()
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        project_dir = p.resolve() if p.is_dir() else None
    return scenario_from_mapping(sid, data, project_dir)


def row_from_toml(path: Path, project_dir: Path | str | None) -> dict[str, Any]:
    return {"id": path.stem, "scenario": load_toml(path), "project_dir": str(project_dir) if project_dir else None}
