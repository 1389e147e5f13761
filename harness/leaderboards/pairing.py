"""Pairing the runs of two results folders (for `compare` and `regress`) and aligning their questions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.core.errors import UserError
from harness.store.query import ResultsDB, RunInfo, find_run_dirs


@dataclass
class RunPair:
    task: str
    a: RunInfo
    b: RunInfo


@dataclass
class Aligned:
    """Per-question values of two runs on the questions both answered (sorted by sample id)."""

    sample_ids: list[str]
    a: np.ndarray
    b: np.ndarray
    only_a: list[str]  # answered (without error) in a but not in b
    only_b: list[str]

    @property
    def binary(self) -> bool:
        return bool(np.isin(self.a, (0.0, 1.0)).all() and np.isin(self.b, (0.0, 1.0)).all())


def open_two(path_a: str | Path, path_b: str | Path) -> tuple[ResultsDB, list[RunInfo], list[RunInfo]]:
    """One DuckDB over both sides; the runs of each side (complete runs only)."""
    dirs_a = find_run_dirs([path_a])
    dirs_b = find_run_dirs([path_b])
    if not dirs_a:
        raise UserError(f"no runs (folders with run.json) under {path_a}")
    if not dirs_b:
        raise UserError(f"no runs (folders with run.json) under {path_b}")
    overlap = set(dirs_a) & set(dirs_b)
    if overlap:
        raise UserError(f"{path_a} and {path_b} share run folders (e.g. {next(iter(overlap)).name}); "
                        "pass two separate folders")
    db = ResultsDB(dirs_a + dirs_b)
    side_a = {str(d) for d in dirs_a}
    runs_a = [r for r in db.runs if r.path in side_a]
    runs_b = [r for r in db.runs if r.path not in side_a]
    if not runs_a or not runs_b:
        db.close()
        empty = path_a if not runs_a else path_b
        raise UserError(f"no complete runs under {empty}")
    return db, runs_a, runs_b


def _latest(runs: list[RunInfo]) -> RunInfo:
    return max(runs, key=lambda r: (r.created_at, r.run_id))


def pair_runs(runs_a: list[RunInfo], runs_b: list[RunInfo]) -> tuple[list[RunPair], list[str], list[str]]:
    """Match runs by task; when a side holds several models for a task, by (task, model); several runs of the
    same model and task: the newest. Returns the pairs and the tasks found on one side only."""
    pairs: list[RunPair] = []
    tasks_a = {r.task for r in runs_a}
    tasks_b = {r.task for r in runs_b}
    for task in sorted(tasks_a & tasks_b):
        ta = [r for r in runs_a if r.task == task]
        tb = [r for r in runs_b if r.task == task]
        models_a = {r.model for r in ta}
        models_b = {r.model for r in tb}
        if len(models_a) == 1 and len(models_b) == 1:
            pairs.append(RunPair(task, _latest(ta), _latest(tb)))
            continue
        shared = sorted(models_a & models_b)
        if not shared:
            raise UserError(f"task {task}: several models on one side and none in common "
                            f"({', '.join(sorted(models_a))} vs {', '.join(sorted(models_b))}); "
                            "pass folders with one model each")
        for m in shared:
            pairs.append(RunPair(task, _latest([r for r in ta if r.model == m]),
                                 _latest([r for r in tb if r.model == m])))
    return pairs, sorted(tasks_a - tasks_b), sorted(tasks_b - tasks_a)


def align(db: ResultsDB, pair: RunPair) -> Aligned:
    va = db.question_values(pair.a.key)
    vb = db.question_values(pair.b.key)
    shared = sorted(set(va) & set(vb))
    return Aligned(
        sample_ids=shared,
        a=np.array([va[s] for s in shared], dtype=float),
        b=np.array([vb[s] for s in shared], dtype=float),
        only_a=sorted(set(va) - set(vb)),
        only_b=sorted(set(vb) - set(va)),
    )


def flips(aligned: Aligned, eps: float = 1e-12) -> tuple[list[int], list[int]]:
    """Indices of questions that got worse (b < a) and better (b > a), largest changes first."""
    d = aligned.b - aligned.a
    worse = [int(i) for i in np.argsort(d, kind="stable") if d[i] < -eps]
    better = [int(i) for i in np.argsort(-d, kind="stable") if d[i] > eps]
    return worse, better


def run_differences(a: RunInfo, b: RunInfo) -> dict[str, tuple[str, str]]:
    """Provenance fields that differ between two runs (what could explain a change)."""
    fields = ("model", "task_version", "content_hash", "harness_version", "git_sha", "dataset_sha256", "epochs",
              "source")
    return {f: (str(getattr(a, f)), str(getattr(b, f))) for f in fields if getattr(a, f) != getattr(b, f)}
