"""`harness regress`: the nightly regression gate (stats.md §4.1), and a golden mode for harness drift.

Statistical mode, per task, on the questions both runs answered without error, d_i = candidate_i - baseline_i
(epoch means). The metric's direction comes from run.json (task.higher_is_better, declared by the task class),
overridden by `--lower-is-better TASK,...`; for a lower-is-better metric (attack success rate) "worse" means
larger, so every rule below is applied to the gain g = -Δ instead of Δ. The standard error is the paired one from
harness.stats.paired.paired_difference: cluster-robust (CR1, t with G-1 df, stats.md §3.3 and §4.1) when the runs'
samples.parquet carries a `cluster` column (the task's cluster_key), the plain paired t (n-1 df) otherwise.

  FAIL          the candidate is worse by more than the tolerance δ, beyond noise: the one-sided test of
                H0: g >= -δ rejects at level α after Holm across tasks (the worse-side bound is beyond δ).
  WARN          significantly worse (H0: g >= 0 rejected, Holm) but not provably by more than δ: reported, exit 0.
  INCONCLUSIVE  too few samples to tell: fewer than `min_samples` shared questions, the candidate answered less
                than `min_coverage` of the baseline's questions, the task itself changed (version or content
                hash), the runs disagree on the metric's direction, or the gate could not detect a drop of
                `max_mde` with 80% power (MDE > max_mde).
  PASS          none of the above.

Exit code: 1 if any task FAILs, else 2 if any is INCONCLUSIVE (or a baseline task is missing), else 0.

An A/A run (the same model, a different seed) must PASS with probability about 1 - α: tests in
tests/leaderboards/test_compare_regress.py check that rate over many simulated A/A pairs, and
tests/leaderboards/test_gate_clusters_direction.py checks it on clustered items, where the unclustered SE would
be too small and the false-alarm rate inflated.

Golden mode compares a deterministic model's candidate run with stored predictions and scores row by row
(prompt hash, output, extracted answer, scores, flags): any difference is harness drift (exit 1).
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.leaderboards.compare import ItemChange, json_clean
from harness.leaderboards.pairing import (
    align,
    check_task_names,
    flips,
    open_two,
    pair_runs,
    run_differences,
    task_direction,
)

PASS, WARN, FAIL, INCONCLUSIVE = "PASS", "WARN", "FAIL", "INCONCLUSIVE"


@dataclass
class GateSettings:
    tolerance: float = 0.01
    alpha: float = 0.05
    min_samples: int = 30
    min_coverage: float = 0.9
    max_mde: float = 0.10
    power: float = 0.8
    max_items: int = 20
    allow_task_change: bool = False
    lower_is_better: tuple[str, ...] = ()  # tasks whose metric is better when smaller, whatever run.json says


@dataclass
class TaskVerdict:
    task: str
    model: str
    baseline_run: str
    candidate_run: str
    status: str
    reasons: list[str]
    n: int
    baseline: float
    candidate: float
    diff: float  # candidate - baseline, in the metric's own units (whatever its direction)
    stderr: float
    ucb: float  # one-sided upper confidence bound on Δ at level 1 - α (before Holm)
    lcb: float
    p_regression: float  # one-sided p for H0: g >= -tolerance, g the gain (Δ, or -Δ when lower is better)
    p_regression_holm: float
    p_worse: float  # one-sided p for H0: g >= 0
    p_worse_holm: float
    mde: float
    flip_rate: float
    n_worse: int
    n_better: int
    worse: list[ItemChange] = field(default_factory=list)
    differences: dict[str, tuple[str, str]] = field(default_factory=dict)
    higher_is_better: bool = True
    clusters: int | None = None  # G when the SE is cluster-robust, else None
    test: str = "paired-t"

    @property
    def bound(self) -> float:
        """The one-sided confidence bound on the worse side: UCB when higher is better, LCB when lower is."""
        return self.ucb if self.higher_is_better else self.lcb


@dataclass(frozen=True)
class GateStatistic:
    """The gate's numbers for one task (what `regress` computes before Holm and the preconditions)."""

    n: int
    mean_a: float
    mean_b: float
    diff: float  # b - a
    stderr: float
    df: int
    clusters: int | None
    test: str
    ucb: float
    lcb: float
    p_regression: float
    p_worse: float
    mde: float


def gate_statistic(a: Any, b: Any, clusters: list[str] | None = None, *, higher_is_better: bool = True,
                   tolerance: float = 0.01, alpha: float = 0.05, power: float = 0.8) -> GateStatistic:
    """Paired difference of aligned per-question values, cluster-robust when `clusters` is given (CR1 with G-1
    df, stats.md §4.1), with the one-sided p-values of the gate's two hypotheses on the direction-aware gain."""
    from harness.stats.paired import paired_difference, t_ppf

    res = paired_difference(a, b, clusters=clusters)
    n = res.n
    clustered = res.test == "paired-cluster-CR1-t"
    g = len(set(clusters)) if clustered and clusters is not None else None
    # The independent units: clusters when the SE is cluster-robust, else questions.
    units = g if g is not None else n
    df = max(units - 1, 1)
    se = res.stderr
    q = t_ppf(1 - alpha, df) if units >= 2 else math.nan
    ucb = res.diff + q * se if math.isfinite(se) else math.nan
    lcb = res.diff - q * se if math.isfinite(se) else math.nan
    sd_unit = se * math.sqrt(units) if math.isfinite(se) else math.nan
    mde = _mde(units, sd_unit, alpha, power)
    gain = res.diff if higher_is_better else -res.diff
    return GateStatistic(n=n, mean_a=res.mean_a, mean_b=res.mean_b, diff=res.diff, stderr=se, df=df, clusters=g,
                         test=res.test, ucb=ucb, lcb=lcb, p_regression=_one_sided(gain, se, tolerance, df),
                         p_worse=_one_sided(gain, se, 0.0, df), mde=mde)


def _mde(units: int, sd_unit: float, alpha: float, power: float) -> float:
    """MDE at one-sided level alpha (= two-sided 2·alpha). It is linear in the SD, so the standardised effect is
    solved once per (units, alpha, power): statsmodels' root finder takes ~20 ms a call."""
    if not math.isfinite(sd_unit):
        return math.inf
    if sd_unit <= 0:
        return 0.0
    return _standardised_mde(units, min(1.0, 2 * alpha), power) * sd_unit


@functools.lru_cache(maxsize=256)
def _standardised_mde(units: int, alpha: float, power: float) -> float:
    from harness.stats.paired import minimum_detectable_effect

    return minimum_detectable_effect(units, 1.0, alpha=alpha, power=power)


@dataclass
class GateReport:
    verdicts: list[TaskVerdict]
    missing_in_candidate: list[str]
    new_in_candidate: list[str]
    settings: GateSettings

    @property
    def exit_code(self) -> int:
        statuses = {v.status for v in self.verdicts}
        if FAIL in statuses:
            return 1
        if INCONCLUSIVE in statuses or self.missing_in_candidate or not self.verdicts:
            return 2
        return 0

    def to_dict(self) -> dict[str, Any]:
        return json_clean({"exit_code": self.exit_code, "settings": asdict(self.settings),
                       "missing_in_candidate": self.missing_in_candidate, "new_in_candidate": self.new_in_candidate,
                       "tasks": [asdict(v) for v in self.verdicts]})

    def to_markdown(self) -> str:
        s = self.settings
        lines = [(f"Regression gate: tolerance {s.tolerance}, one-sided alpha {s.alpha} (Holm across tasks), "
                  f"min {s.min_samples} shared questions, max MDE {s.max_mde}. Δ = candidate - baseline; "
                  "'bound' is the one-sided bound on the worse side (UCB when higher is better, LCB when lower "
                  "is); G = clusters when the SE is cluster-robust (CR1)."), "",
                 ("| Task | Model | Status | Better | Baseline | Candidate | Δ | SE | bound | p(worse by > tol), "
                  "Holm | MDE | n | G | flip rate |"),
                 "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for v in self.verdicts:
            lines.append(f"| {v.task} | {v.model} | **{v.status}** | {'higher' if v.higher_is_better else 'lower'} "
                         f"| {v.baseline:.4f} | {v.candidate:.4f} | {v.diff:+.4f} | {v.stderr:.4f} | "
                         f"{v.bound:+.4f} | {v.p_regression_holm:.3g} | {v.mde:.3f} | {v.n} | "
                         f"{v.clusters if v.clusters is not None else '-'} | {v.flip_rate:.3f} |")
        out = "\n".join(lines) + "\n"
        for v in self.verdicts:
            if v.reasons or v.worse or v.differences:
                out += f"\n### {v.task} ({v.status})\n"
                for r in v.reasons:
                    out += f"- {r}\n"
                for k, (a, b) in v.differences.items():
                    out += f"- changed {k}: {a} -> {b}\n"
                if v.n_worse:
                    items = ", ".join(f"{i.sample_id} ({i.a:g}->{i.b:g})" for i in v.worse)
                    more = f" ... and {v.n_worse - len(v.worse)} more" if v.n_worse > len(v.worse) else ""
                    out += f"- items worse in the candidate ({v.n_worse}): {items}{more}\n"
        if self.missing_in_candidate:
            out += f"\nTasks missing in the candidate: {', '.join(self.missing_in_candidate)}\n"
        if self.new_in_candidate:
            out += f"\nNew tasks in the candidate (not gated): {', '.join(self.new_in_candidate)}\n"
        meaning = {0: "no regression beyond noise", 1: "regressed", 2: "inconclusive"}[self.exit_code]
        out += f"\nExit code: {self.exit_code} ({meaning})\n"
        return out


def _one_sided(diff: float, se: float, shift: float, df: int) -> float:
    """p-value of H0: Δ >= -shift against Δ < -shift (t with df degrees of freedom)."""
    from harness.stats.paired import t_cdf

    if not math.isfinite(se):
        return math.nan
    if se == 0:
        return 0.0 if diff < -shift else 1.0
    return float(t_cdf((diff + shift) / se, df))


def regress(baseline: str | Path, candidate: str | Path, settings: GateSettings | None = None) -> GateReport:
    from harness.stats.paired import holm

    s = settings or GateSettings()
    db, runs_a, runs_b = open_two(baseline, candidate)
    try:
        check_task_names(s.lower_is_better, runs_a + runs_b)
        pairs, missing, new = pair_runs(runs_a, runs_b)
        verdicts: list[TaskVerdict] = []
        for pair in pairs:
            al = align(db, pair)
            direction = task_direction([pair.a, pair.b], pair.task, s.lower_is_better)
            higher = direction is not False
            stat = gate_statistic(al.a, al.b, al.clusters, higher_is_better=higher, tolerance=s.tolerance,
                                  alpha=s.alpha, power=s.power)
            n = stat.n
            worse_idx, better_idx = flips(al, higher_is_better=higher)
            shown = [al.sample_ids[i] for i in worse_idx[: s.max_items]]
            ans_a = db.first_answers(pair.a.key, shown)
            ans_b = db.first_answers(pair.b.key, shown)
            worse = [ItemChange(al.sample_ids[i], float(al.a[i]), float(al.b[i]), ans_a.get(al.sample_ids[i]),
                                ans_b.get(al.sample_ids[i])) for i in worse_idx[: s.max_items]]
            n_base = n + len(al.only_a)
            reasons: list[str] = []
            if pair.a.task_version != pair.b.task_version or (
                    pair.a.content_hash and pair.b.content_hash and pair.a.content_hash != pair.b.content_hash):
                if not s.allow_task_change:
                    reasons.append("the task changed between runs (version or content hash); "
                                   "rerun the baseline, or pass --allow-task-change")
            if direction is None:
                reasons.append("the runs disagree on whether higher is better (run.json task.higher_is_better); "
                               f"pass --lower-is-better {pair.task} if it is a lower-is-better metric")
            if n < s.min_samples:
                reasons.append(f"too few shared questions: {n} < {s.min_samples}")
            if n_base and n / n_base < s.min_coverage:
                reasons.append(f"the candidate answered only {n}/{n_base} of the baseline's questions without error")
            verdicts.append(TaskVerdict(
                task=pair.task, model=pair.b.model, baseline_run=pair.a.run_id, candidate_run=pair.b.run_id,
                status=INCONCLUSIVE if reasons else PASS, reasons=reasons, n=n, baseline=stat.mean_a,
                candidate=stat.mean_b, diff=stat.diff, stderr=stat.stderr, ucb=stat.ucb, lcb=stat.lcb,
                p_regression=stat.p_regression, p_regression_holm=math.nan, p_worse=stat.p_worse,
                p_worse_holm=math.nan, mde=stat.mde,
                flip_rate=(len(worse_idx) + len(better_idx)) / n if n else math.nan,
                n_worse=len(worse_idx), n_better=len(better_idx), worse=worse,
                differences=run_differences(pair.a, pair.b), higher_is_better=higher, clusters=stat.clusters,
                test=stat.test,
            ))
        # Holm across the gated tasks (those whose preconditions hold), separately for each hypothesis.
        gated = [v for v in verdicts if v.status == PASS]
        for attr in ("p_regression", "p_worse"):
            idx = [i for i, v in enumerate(gated) if math.isfinite(getattr(v, attr))]
            for i, p in zip(idx, holm([getattr(gated[i], attr) for i in idx])):
                setattr(gated[i], attr + "_holm", p)
        for v in gated:
            way = "" if v.higher_is_better else " (lower is better)"
            if math.isfinite(v.p_regression_holm) and v.p_regression_holm < s.alpha:
                v.status = FAIL
                v.reasons.append(f"worse by {abs(v.diff):.4f}{way} (one-sided {1 - s.alpha:.0%} bound "
                                 f"{v.bound:+.4f}) beyond the tolerance {s.tolerance}")
            elif math.isfinite(v.p_worse_holm) and v.p_worse_holm < s.alpha:
                v.status = WARN
                v.reasons.append(f"significantly worse ({v.diff:+.4f}{way}) but not provably by more than the "
                                 f"tolerance {s.tolerance}")
            elif not math.isfinite(v.mde) or v.mde > s.max_mde:
                v.status = INCONCLUSIVE
                v.reasons.append(f"underpowered: the smallest drop this run could detect (MDE, {s.power:.0%} power) "
                                 f"is {v.mde:.3f} > {s.max_mde}; add questions or epochs")
        return GateReport(verdicts, missing, new, s)
    finally:
        db.close()


# -- golden mode ---------------------------------------------------------------------------------------------------

GOLDEN_FIELDS = ("prompt_hash", "output", "answer", "score", "scores", "parse_failure", "truncated", "error_kind")


@dataclass
class GoldenDrift:
    sample_id: str
    epoch: int | None
    fields: list[str]
    golden: dict[str, Any]
    candidate: dict[str, Any]


@dataclass
class GoldenTask:
    task: str
    model: str
    golden_run: str
    candidate_run: str
    rows_compared: int
    drifted_rows: int
    field_counts: dict[str, int]
    missing_rows: int  # in the golden run, not in the candidate
    extra_rows: int
    run_changes: dict[str, tuple[str, str]]
    items: list[GoldenDrift] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return bool(self.drifted_rows or self.missing_rows or self.extra_rows or self.run_changes)


@dataclass
class GoldenReport:
    tasks: list[GoldenTask]
    missing_in_candidate: list[str]

    @property
    def exit_code(self) -> int:
        return 1 if any(t.drift for t in self.tasks) or self.missing_in_candidate else 0

    def to_dict(self) -> dict[str, Any]:
        return json_clean({"exit_code": self.exit_code, "missing_in_candidate": self.missing_in_candidate,
                       "tasks": [{**asdict(t), "drift": t.drift} for t in self.tasks]})

    def to_markdown(self) -> str:
        lines = ["| Task | Model | Rows | Drifted | Missing | Extra | Fields |", "|---|---|---|---|---|---|---|"]
        for t in self.tasks:
            fields = ", ".join(f"{k}: {v}" for k, v in t.field_counts.items() if v) or "-"
            lines.append(f"| {t.task} | {t.model} | {t.rows_compared} | {t.drifted_rows} | {t.missing_rows} | "
                         f"{t.extra_rows} | {fields} |")
        out = "\n".join(lines) + "\n"
        for t in self.tasks:
            for k, (a, b) in t.run_changes.items():
                out += f"\n- {t.task}: run {k} changed: {a} -> {b}"
            for d in t.items:
                out += f"\n- {t.task} {d.sample_id} epoch {d.epoch}: " + "; ".join(
                    f"{f}: {d.golden.get(f)!r} -> {d.candidate.get(f)!r}" for f in d.fields)
        if self.missing_in_candidate:
            out += f"\n\nTasks missing in the candidate: {', '.join(self.missing_in_candidate)}"
        verdict = "harness drift" if self.exit_code else "matches the golden run"
        return out + f"\n\nExit code: {self.exit_code} ({verdict})\n"


def golden(golden_path: str | Path, candidate: str | Path, *, max_items: int = 20,
           score_tolerance: float = 1e-9) -> GoldenReport:
    """Row-by-row comparison of a candidate run with a stored golden run (DuckDB full outer join on
    (sample_id, epoch), streamed)."""
    db, runs_a, runs_b = open_two(golden_path, candidate)
    try:
        pairs, missing, _new = pair_runs(runs_a, runs_b)
        tasks: list[GoldenTask] = []
        diff_exprs = {
            "prompt_hash": "g.prompt_hash IS DISTINCT FROM c.prompt_hash",
            "output": "g.output IS DISTINCT FROM c.output",
            "answer": "g.answer IS DISTINCT FROM c.answer",
            "score": f"(g.score IS NULL) <> (c.score IS NULL) OR abs(g.score - c.score) > {float(score_tolerance)}",
            "scores": "CAST(g.scores AS VARCHAR) IS DISTINCT FROM CAST(c.scores AS VARCHAR)",
            "parse_failure": "g.parse_failure IS DISTINCT FROM c.parse_failure",
            "truncated": "g.truncated IS DISTINCT FROM c.truncated",
            "error_kind": "g.error_kind IS DISTINCT FROM c.error_kind",
        }
        flags = ", ".join(f"coalesce({e}, false) AS d_{k}" for k, e in diff_exprs.items())
        for pair in pairs:
            base = (
                f"WITH g AS (SELECT * FROM samples WHERE run_key = {int(pair.a.key)}), "
                f"c AS (SELECT * FROM samples WHERE run_key = {int(pair.b.key)}), "
                "j AS (SELECT coalesce(g.sample_id, c.sample_id) AS sid, coalesce(g.epoch, c.epoch) AS ep, "
                "g.sample_id IS NULL AS extra, c.sample_id IS NULL AS missing, " + flags + ", "
                + ", ".join(f"CAST(g.{f} AS VARCHAR) AS g_{f}, CAST(c.{f} AS VARCHAR) AS c_{f}" for f in GOLDEN_FIELDS)
                + " FROM g FULL OUTER JOIN c ON g.sample_id = c.sample_id AND g.epoch = c.epoch) "
            )
            any_diff = " OR ".join(f"d_{k}" for k in diff_exprs)
            counts = db.sql(base + "SELECT count(*), sum(CASE WHEN extra THEN 1 ELSE 0 END), "
                            "sum(CASE WHEN missing THEN 1 ELSE 0 END), "
                            f"sum(CASE WHEN NOT extra AND NOT missing AND ({any_diff}) THEN 1 ELSE 0 END), "
                            + ", ".join(f"sum(CASE WHEN NOT extra AND NOT missing AND d_{k} THEN 1 ELSE 0 END)"
                                        for k in diff_exprs) + " FROM j")[0]
            total, extra, miss, drifted = (int(x or 0) for x in counts[:4])
            field_counts = {k: int(v or 0) for k, v in zip(diff_exprs, counts[4:])}
            rows = db.sql(base + "SELECT * FROM j WHERE extra OR missing OR " + any_diff
                          + f" ORDER BY sid, ep LIMIT {int(max_items)}")
            cols = [d[0] for d in db.con.description] if db.con.description else []
            items = []
            for r in rows:
                rec = dict(zip(cols, r))
                if rec["extra"] or rec["missing"]:
                    fields = ["(row only in the candidate)" if rec["extra"] else "(row missing in the candidate)"]
                else:
                    fields = [k for k in diff_exprs if rec[f"d_{k}"]]
                items.append(GoldenDrift(
                    str(rec["sid"]), rec["ep"], fields,
                    {f: rec[f"g_{f}"] for f in GOLDEN_FIELDS if f in fields or not fields},
                    {f: rec[f"c_{f}"] for f in GOLDEN_FIELDS if f in fields or not fields},
                ))
            changes = {k: v for k, v in run_differences(pair.a, pair.b).items()
                       if k in ("task_version", "content_hash", "dataset_sha256", "epochs")}
            tasks.append(GoldenTask(pair.task, pair.b.model, pair.a.run_id, pair.b.run_id, total - extra - miss,
                                    drifted, field_counts, miss, extra, changes, items))
        return GoldenReport(tasks, missing)
    finally:
        db.close()
