"""The leaderboard as data: one row per model, one cell per task, an aggregate, and ranks that respect ties.

Ranking follows stats.md §4.2, option 2 (Chatbot-Arena style): within a task, every pair of models is tested on
the questions both answered (McNemar exact for 0/1 single-epoch scores, paired t otherwise; an unpaired z-test only
when a run has no per-sample data, e.g. an imported lm-eval summary), p-values are Holm-adjusted across the pairs of
that task, and a model's rank is the interval [1 + #models significantly better, N - #models significantly worse].
Models whose rank intervals cannot be told apart are ties: the table shows "=k" rather than ranking them apart.

The aggregate is the unweighted mean of a model's task scores (only for models that have every task); its SE adds
the task SEs in quadrature (tasks are different questions), and aggregate pairs use the per-task paired
differences the same way.

Direction: each task's metric is better when higher unless its runs declare otherwise (run.json
task.higher_is_better, e.g. an attack success rate) or `lower_is_better` names it; a task's ranks follow its
direction. Averaging scores of opposite directions means nothing, so when a board mixes them the aggregate (and
the overall rank) covers the higher-is-better tasks only, with a warning; a board of lower-is-better tasks only
aggregates them all and ranks the lowest first.

Cells show the run's own metrics.json numbers (the engine's CI method: Wilson, t or clustered); the pairwise tests
come from samples.parquet through DuckDB, so memory stays flat in the number of samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.core.errors import UserError
from harness.store.query import ResultsDB, RunInfo

UNDERPOWERED_HALF_WIDTH = 0.03  # stats.md §4.2: CI half-width above 3 points (on a 0-1 metric) -> underpowered


@dataclass
class Cell:
    run_id: str
    mean: float
    ci_low: float
    ci_high: float
    stderr: float
    n: int
    ci_method: str
    task_version: str = ""
    source: str = "harness"
    rank_lo: int = 0
    rank_hi: int = 0
    underpowered: bool = False

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2 if _finite(self.ci_low, self.ci_high) else math.nan


@dataclass
class TaskColumn:
    name: str
    versions: list[str]
    primary: str
    percent: bool  # scores are fractions in [0, 1]: show them as percentages
    higher_is_better: bool = True


@dataclass
class Row:
    model: str
    cells: dict[str, Cell]
    aggregate: Cell | None
    rank_lo: int = 0
    rank_hi: int = 0
    tied: bool = False
    sources: list[str] = field(default_factory=list)

    @property
    def rank_text(self) -> str:
        if not self.rank_lo:
            return "-"
        return f"={self.rank_lo}" if self.tied else str(self.rank_lo)

    @property
    def rank_range(self) -> str:
        if not self.rank_lo:
            return "-"
        return str(self.rank_lo) if self.rank_lo == self.rank_hi else f"{self.rank_lo}-{self.rank_hi}"


@dataclass
class PairTest:
    task: str  # a task name, or "aggregate"
    model_a: str
    model_b: str
    n: int
    diff: float  # b - a
    stderr: float
    p_value: float
    p_adjusted: float
    test: str
    significant: bool


@dataclass
class Leaderboard:
    tasks: list[TaskColumn]
    rows: list[Row]
    pairs: list[PairTest]
    runs: list[RunInfo]
    warnings: list[str]
    alpha: float
    harness_versions: list[str]
    generated_at: str
    aggregate_tasks: list[str] = field(default_factory=list)  # the tasks the aggregate averages
    aggregate_higher_is_better: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "alpha": self.alpha,
            "harness_versions": self.harness_versions,
            "tasks": [asdict(t) for t in self.tasks],
            "rows": [{**asdict(r), "rank_text": r.rank_text, "rank_range": r.rank_range} for r in self.rows],
            "pairs": [asdict(p) for p in self.pairs],
            "runs": [r.to_dict() for r in self.runs],
            "warnings": self.warnings,
            "aggregate_tasks": self.aggregate_tasks,
            "aggregate_higher_is_better": self.aggregate_higher_is_better,
        }


def _finite(*xs: float) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


def _latest_per_cell(runs: list[RunInfo]) -> tuple[dict[tuple[str, str], RunInfo], int]:
    """The newest complete run for each (model, task); older ones are superseded (counted for a warning)."""
    chosen: dict[tuple[str, str], RunInfo] = {}
    for r in sorted(runs, key=lambda r: (r.created_at, r.run_id)):
        chosen[(r.model, r.task)] = r
    return chosen, len(runs) - len(chosen)


def _cell_from_run(run: RunInfo, stats: dict[str, Any] | None, half_width_limit: float) -> Cell:
    mean, lo, hi, se, n, method = run.mean, run.ci_low, run.ci_high, run.stderr, run.n, run.ci_method
    if not _finite(mean) and stats:
        # No metrics.json: summarise the samples with the same rules the engine uses (Wilson for 0/1, else t).
        from harness.stats.uncertainty import wilson_interval

        n, mean = stats["n"], stats["mean"]
        se = math.sqrt(stats["var"] / n) if n > 1 and _finite(stats["var"]) else math.nan
        if stats["binary"]:
            lo, hi = wilson_interval(stats["successes"], n, 0.95)
            method = "wilson"
        elif _finite(se):
            from harness.stats.paired import t_ppf

            q = t_ppf(0.975, n - 1)
            lo, hi, method = mean - q * se, mean + q * se, "t"
    if not _finite(se) and _finite(lo, hi):
        se = (hi - lo) / (2 * 1.959964)
    cell = Cell(run_id=run.run_id, mean=mean, ci_low=lo, ci_high=hi, stderr=se, n=n, ci_method=method,
                task_version=run.task_version, source=run.source)
    cell.underpowered = _finite(cell.half_width) and cell.half_width > half_width_limit
    return cell


def _pair_tests_from_stats(pairs: list[dict[str, Any]]) -> list[tuple[float, float, float, str]]:
    """(diff, stderr, p, test) for each pair's summary statistics, vectorised (thousands of pairs are common)."""
    import numpy as np

    from harness.stats.paired import mcnemar_exact_pvalue, t_sf

    out = []
    if not pairs:
        return out
    n = np.array([p["n"] for p in pairs], dtype=float)
    d = np.array([p["mean_d"] for p in pairs], dtype=float)
    var = np.array([p["var_d"] for p in pairs], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(var / n)
        t = np.abs(d) / se
        p_t = 2 * t_sf(t, np.maximum(n - 1, 1))
    b10 = np.array([p["b10"] for p in pairs], dtype=float)
    b01 = np.array([p["b01"] for p in pairs], dtype=float)
    disc = b10 + b01
    # Exact McNemar: two-sided binomial test of min(b10, b01) against Binomial(b10 + b01, 1/2).
    p_mc = mcnemar_exact_pvalue(b01, b10)
    for i, p in enumerate(pairs):
        if p["binary"]:
            out.append((float(d[i]), float(se[i]), float(p_mc[i]) if disc[i] > 0 else 1.0, "mcnemar-exact"))
        elif p["n"] >= 2 and var[i] > 0:
            out.append((float(d[i]), float(se[i]), float(p_t[i]), "paired-t"))
        elif p["n"] >= 2 and var[i] == 0:
            out.append((float(d[i]), 0.0, 1.0 if d[i] == 0 else 0.0, "paired-t"))
        else:
            out.append((float(d[i]), math.nan, math.nan, "none"))
    return out


def _unpaired_test(a: Cell, b: Cell) -> tuple[float, float, float, str]:
    """z-test from two reported SEs: used only when a run has no per-sample data. It ignores the positive
    correlation of two models on the same questions, so it is conservative (more ties, never fewer)."""
    from harness.stats.paired import normal_sf

    diff = b.mean - a.mean
    se = math.sqrt(a.stderr**2 + b.stderr**2) if _finite(a.stderr, b.stderr) else math.nan
    if not _finite(se) or se == 0:
        return diff, se, math.nan, "none"
    return diff, se, float(2 * normal_sf(abs(diff) / se)), "unpaired-z"


def _ranks(names: list[str], tests: list[PairTest], higher_is_better: bool = True) -> dict[str, tuple[int, int]]:
    better = {m: 0 for m in names}  # number of models significantly better than m
    worse = {m: 0 for m in names}
    for t in tests:
        if not t.significant:
            continue
        b_wins = t.diff > 0 if higher_is_better else t.diff < 0
        winner, loser = (t.model_b, t.model_a) if b_wins else (t.model_a, t.model_b)
        better[loser] += 1
        worse[winner] += 1
    n = len(names)
    return {m: (1 + better[m], n - worse[m]) for m in names}


def _holm_family(tests: list[PairTest], alpha: float) -> None:
    from harness.stats.paired import holm

    idx = [i for i, t in enumerate(tests) if _finite(t.p_value)]
    adjusted = holm([tests[i].p_value for i in idx])
    for i, p in zip(idx, adjusted):
        tests[i].p_adjusted = p
        tests[i].significant = p < alpha


def build_leaderboard(
    paths: Sequence[str | Path],
    *,
    tasks: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    alpha: float = 0.05,
    underpowered_half_width: float = UNDERPOWERED_HALF_WIDTH,
    db: ResultsDB | None = None,
    lower_is_better: Sequence[str] = (),
) -> Leaderboard:
    """Read every complete run at or below `paths` and build the leaderboard (see the module docstring)."""
    from harness.leaderboards.pairing import check_task_names
    from harness.store.query import open_results

    own_db = db is None
    db = db or open_results(paths)
    try:
        check_task_names(lower_is_better, db.runs)
        return _build(db, tasks, models, alpha, underpowered_half_width, frozenset(lower_is_better))
    finally:
        if own_db:
            db.close()


def _build(db: ResultsDB, tasks: Sequence[str] | None, models: Sequence[str] | None, alpha: float,
           hw_limit: float, lower_is_better: frozenset[str] = frozenset()) -> Leaderboard:
    from harness.leaderboards.pairing import task_direction

    warnings: list[str] = []
    runs = db.runs
    if tasks:
        missing = [t for t in tasks if t not in {r.task for r in runs}]
        if missing:
            raise UserError(f"no runs of task(s) {', '.join(missing)} in these results")
        runs = [r for r in runs if r.task in set(tasks)]
    if models:
        wanted = set(models)
        runs = [r for r in runs if r.model in wanted or r.model_spec in wanted]
        if not runs:
            raise UserError(f"no runs of model(s) {', '.join(models)} in these results")
    chosen, superseded = _latest_per_cell(runs)
    if superseded:
        warnings.append(f"{superseded} older run(s) of the same model and task were superseded by newer ones")
    selected = list(chosen.values())
    task_names = list(tasks) if tasks else sorted({r.task for r in selected})
    model_names = sorted({r.model for r in selected})

    db.build_questions([r.key for r in selected if r.has_samples])
    run_stats = db.run_stats()

    cells: dict[tuple[str, str], Cell] = {}
    for (model, task), run in chosen.items():
        cells[(model, task)] = _cell_from_run(run, run_stats.get(run.key), hw_limit)

    columns: list[TaskColumn] = []
    all_tests: list[PairTest] = []
    task_pair_effects: dict[tuple[str, str, str], tuple[float, float]] = {}  # (task, a, b) -> (diff, se)
    for task in task_names:
        task_runs = {m: chosen[(m, task)] for m in model_names if (m, task) in chosen}
        versions = sorted({r.task_version for r in task_runs.values()})
        if len(versions) > 1:
            warnings.append(f"task {task}: runs of different task versions ({', '.join(versions)}) are compared")
        hashes = {r.content_hash for r in task_runs.values() if r.content_hash}
        if len(hashes) > 1 and len(versions) == 1:
            warnings.append(f"task {task}: runs differ in task content hash (prompts, scorer or data changed)")
        primaries = sorted({r.primary for r in task_runs.values()})
        if len(primaries) > 1:
            warnings.append(f"task {task}: runs report different primary metrics ({', '.join(primaries)})")
        task_cells = [cells[(m, task)] for m in task_runs]
        percent = all(_finite(c.mean) and -1e-9 <= c.mean <= 1 + 1e-9 for c in task_cells)
        direction = task_direction(task_runs.values(), task, lower_is_better)
        if direction is None:
            warnings.append(f"task {task}: runs disagree on whether higher is better; ranked as higher is better "
                            f"(pass --lower-is-better {task} if it is not)")
        higher = direction is not False
        columns.append(TaskColumn(task, versions, primaries[0] if primaries else "?", percent, higher))

        by_key = {r.key: m for m, r in task_runs.items()}
        stats = db.pair_stats([r.key for r in task_runs.values() if r.has_samples])
        keyed = sorted(stats.items())
        computed = _pair_tests_from_stats([s for _, s in keyed])
        tests: list[PairTest] = []
        done: set[tuple[str, str]] = set()
        for ((ka, kb), s), (diff, se, p, test) in zip(keyed, computed):
            a, b = by_key[ka], by_key[kb]
            tests.append(PairTest(task, a, b, s["n"], diff, se, p, math.nan, test, False))
            done.add((a, b))
            done.add((b, a))
        names = list(task_runs)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if (a, b) in done:
                    continue
                diff, se, p, test = _unpaired_test(cells[(a, task)], cells[(b, task)])
                tests.append(PairTest(task, a, b, 0, diff, se, p, math.nan, test, False))
        _holm_family(tests, alpha)
        for m, (lo, hi) in _ranks(names, tests, higher).items():
            cells[(m, task)].rank_lo, cells[(m, task)].rank_hi = lo, hi
        for t in tests:
            task_pair_effects[(task, t.model_a, t.model_b)] = (t.diff, t.stderr)
            task_pair_effects[(task, t.model_b, t.model_a)] = (-t.diff, t.stderr)
        all_tests.extend(tests)

    # Scores of opposite directions cannot be averaged: the aggregate covers the higher-is-better tasks, or all
    # tasks when every one is lower-is-better.
    agg_higher = any(c.higher_is_better for c in columns) or not columns
    agg_tasks = [c.name for c in columns if c.higher_is_better == agg_higher]
    if len(agg_tasks) < len(columns):
        left = [c.name for c in columns if c.name not in agg_tasks]
        warnings.append(f"lower-is-better task(s) {', '.join(left)} are ranked on their own and left out of the "
                        "aggregate (scores of opposite directions cannot be averaged)")
    rows: list[Row] = []
    for m in model_names:
        row_cells = {t: cells[(m, t)] for t in task_names if (m, t) in cells}
        sources = sorted({c.source for c in row_cells.values()})
        agg_cells = {t: c for t, c in row_cells.items() if t in agg_tasks}
        rows.append(Row(m, row_cells, _aggregate(agg_cells, agg_tasks, columns, hw_limit), sources=sources))

    agg_rows = [r for r in rows if r.aggregate is not None]
    agg_tests = _aggregate_tests(agg_rows, agg_tasks, task_pair_effects)
    _holm_family(agg_tests, alpha)
    ranks = _ranks([r.model for r in agg_rows], agg_tests, agg_higher)
    for r in agg_rows:
        r.rank_lo, r.rank_hi = ranks[r.model]
        assert r.aggregate is not None
        r.aggregate.rank_lo, r.aggregate.rank_hi = ranks[r.model]
    counts: dict[int, int] = {}
    for r in agg_rows:
        counts[r.rank_lo] = counts.get(r.rank_lo, 0) + 1
    for r in agg_rows:
        r.tied = counts[r.rank_lo] > 1 or r.rank_lo != r.rank_hi
    all_tests.extend(agg_tests)
    if len(agg_rows) < len(rows):
        warnings.append(f"{len(rows) - len(agg_rows)} model(s) lack some task and get no aggregate or overall rank")

    sign = -1.0 if agg_higher else 1.0  # best first

    def order(r: Row) -> tuple[int, float, str]:
        if r.aggregate is not None:
            return (0, sign * r.aggregate.mean, r.model)
        means = [c.mean for t, c in r.cells.items() if t in agg_tasks and _finite(c.mean)]
        return (1, sign * (sum(means) / len(means)) if means else 0.0, r.model)

    rows.sort(key=order)
    versions = sorted({f"{r.harness_version} ({r.git_sha[:7]})" if r.git_sha else r.harness_version
                       for r in selected})
    return Leaderboard(
        tasks=columns, rows=rows, pairs=all_tests, runs=sorted(selected, key=lambda r: (r.model, r.task)),
        warnings=warnings, alpha=alpha, harness_versions=versions,
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        aggregate_tasks=agg_tasks, aggregate_higher_is_better=agg_higher,
    )


def _aggregate(row_cells: dict[str, Cell], task_names: list[str], columns: list[TaskColumn],
               hw_limit: float) -> Cell | None:
    if len(row_cells) != len(task_names) or not task_names:
        return None
    cs = [row_cells[t] for t in task_names]
    if not all(_finite(c.mean, c.stderr) for c in cs):
        return None
    k = len(cs)
    mean = sum(c.mean for c in cs) / k
    # A task's SE, at least what its CI implies: at 0% or 100% the plug-in SE is 0 but the Wilson CI is not.
    ses = [max(c.stderr, c.half_width / 1.959964 if _finite(c.half_width) else 0.0) for c in cs]
    se = math.sqrt(sum(x**2 for x in ses)) / k
    cell = Cell(run_id="", mean=mean, ci_low=mean - 1.959964 * se, ci_high=mean + 1.959964 * se, stderr=se,
                n=sum(c.n for c in cs), ci_method="normal (task SEs in quadrature)",
                source="+".join(sorted({c.source for c in cs})))
    cell.underpowered = cell.half_width > hw_limit
    return cell


def _aggregate_tests(rows: list[Row], task_names: list[str],
                     effects: dict[tuple[str, str, str], tuple[float, float]]) -> list[PairTest]:
    from harness.stats.paired import normal_sf

    tests = []
    k = len(task_names)
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            parts = [effects.get((t, a.model, b.model)) for t in task_names]
            if k == 0 or any(p is None or not _finite(p[0], p[1]) for p in parts):
                tests.append(PairTest("aggregate", a.model, b.model, 0, math.nan, math.nan, math.nan, math.nan,
                                      "none", False))
                continue
            diff = sum(p[0] for p in parts) / k  # type: ignore[index]
            se = math.sqrt(sum(p[1] ** 2 for p in parts)) / k  # type: ignore[index]
            if se > 0:
                p_value = float(2 * normal_sf(abs(diff) / se))
            else:
                p_value = 1.0 if diff == 0 else 0.0
            tests.append(PairTest("aggregate", a.model, b.model, 0, diff, se, p_value, math.nan, "z (task diffs)",
                                  False))
    return tests
