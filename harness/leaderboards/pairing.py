"""Pairing the runs of two results folders (for `compare` and `regress`) and aligning their questions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    # Per shared question, its cluster (stats.md §3.3), aligned with sample_ids; None when neither run recorded
    # clusters (no `cluster` column, or every value null), so the caller falls back to the unclustered test.
    clusters: list[str] | None = None

    @property
    def n_clusters(self) -> int | None:
        return len(set(self.clusters)) if self.clusters is not None else None

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
        clusters=shared_clusters(db.question_clusters(pair.a.key), db.question_clusters(pair.b.key), shared),
    )


def shared_clusters(ca: dict[str, str | None], cb: dict[str, str | None], ids: list[str]) -> list[str] | None:
    """One cluster label per question: the baseline's, else the candidate's (the same task assigns the same
    clusters; a run written before clusters were recorded has none). A question neither run clusters is its own
    cluster, which is what the unclustered test assumes of every question. None when no question is clustered."""
    labels = [ca.get(s) if ca.get(s) is not None else cb.get(s) for s in ids]
    if all(c is None for c in labels):
        return None
    # The prefixes keep a singleton from ever colliding with a real cluster label.
    return [f"c:{c}" if c is not None else f"q:{s}" for s, c in zip(ids, labels)]


def flips(aligned: Aligned, eps: float = 1e-12, higher_is_better: bool = True) -> tuple[list[int], list[int]]:
    """Indices of questions that got worse and better in b (by the metric's direction), largest changes first."""
    d = aligned.b - aligned.a if higher_is_better else aligned.a - aligned.b
    worse = [int(i) for i in np.argsort(d, kind="stable") if d[i] < -eps]
    better = [int(i) for i in np.argsort(-d, kind="stable") if d[i] > eps]
    return worse, better


def run_differences(a: RunInfo, b: RunInfo) -> dict[str, tuple[str, str]]:
    """Provenance fields that differ between two runs (what could explain a change)."""
    fields = ("model", "task_version", "content_hash", "harness_version", "git_sha", "dataset_sha256", "epochs",
              "source", "higher_is_better")
    return {f: (str(getattr(a, f)), str(getattr(b, f))) for f in fields if getattr(a, f) != getattr(b, f)}


# -- metric direction ----------------------------------------------------------------------------------------------

def parse_task_list(text: str | Sequence[str] | None) -> frozenset[str]:
    """'a,b' or ['a', 'b,c'] -> {'a', 'b', 'c'} (a CLI option that may be repeated or comma-separated)."""
    if not text:
        return frozenset()
    parts = [text] if isinstance(text, str) else list(text)
    return frozenset(t.strip() for p in parts for t in p.split(",") if t.strip())


def check_task_names(names: Iterable[str], runs: Iterable[RunInfo], option: str = "--lower-is-better") -> None:
    """A task named in a direction override must exist: a typo would silently gate a safety metric upside down."""
    known = {r.task for r in runs}
    unknown = sorted(set(names) - known)
    if unknown:
        raise UserError(f"{option}: no runs of task(s) {', '.join(unknown)} here "
                        f"(tasks: {', '.join(sorted(known)) or 'none'})")


def task_direction(runs: Iterable[RunInfo], task: str, lower_is_better: Iterable[str] = ()) -> bool | None:
    """Whether a larger score is better for `task`: the override wins (named in `lower_is_better`), then what the
    runs declare in run.json (task.higher_is_better), then True. None when the runs declare opposite directions
    and no override settles it."""
    if task in set(lower_is_better):
        return False
    declared = {r.higher_is_better for r in runs if r.higher_is_better is not None}
    if len(declared) > 1:
        return None
    return declared.pop() if declared else True
