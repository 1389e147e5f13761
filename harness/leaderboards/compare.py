"""`harness compare RUN_A RUN_B`: per task the paired difference (B - A) on shared questions, its 95% CI and
p-value (paired t, cluster-robust CR1 when samples.parquet records clusters; exact McNemar alongside for 0/1
single-epoch scores), Holm-adjusted across tasks; per question, the items that flipped. RUN_A and RUN_B are run
folders or folders of runs (matched by task, then model).

B - A is always shown in the metric's own units; whether that is better or worse depends on the metric's
direction (run.json task.higher_is_better, or `--lower-is-better TASK`): for an attack success rate a positive
difference means B is worse, and the report says so."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.leaderboards.pairing import (
    align,
    check_task_names,
    flips,
    open_two,
    pair_runs,
    run_differences,
    task_direction,
)


def json_clean(x: Any) -> Any:
    """x with every non-finite float replaced by None (JSON has no NaN), through dicts, lists and tuples."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_clean(v) for v in x]
    return x


@dataclass
class ItemChange:
    sample_id: str
    a: float
    b: float
    answer_a: str | None = None
    answer_b: str | None = None


@dataclass
class TaskComparison:
    task: str
    model_a: str
    model_b: str
    run_a: str
    run_b: str
    n: int
    mean_a: float
    mean_b: float
    diff: float
    stderr: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float
    test: str
    mcnemar_p: float | None
    n_worse: int
    n_better: int
    worse: list[ItemChange] = field(default_factory=list)
    better: list[ItemChange] = field(default_factory=list)
    only_a: int = 0
    only_b: int = 0
    differences: dict[str, tuple[str, str]] = field(default_factory=dict)
    higher_is_better: bool | None = True  # None: the runs declare opposite directions (then shown as "?")
    clusters: int | None = None  # G when the SE is cluster-robust

    @property
    def flip_rate(self) -> float:
        return (self.n_worse + self.n_better) / self.n if self.n else math.nan

    def verdict(self, alpha: float) -> str:
        """'better' / 'worse' (B relative to A, by the metric's direction) when significant after Holm, else
        'no sig. difference'; '?' when the direction is unknown."""
        if not (math.isfinite(self.p_holm) and self.p_holm < alpha) or self.diff == 0:
            return "no sig. difference"
        if self.higher_is_better is None:
            return "? (direction unknown)"
        return "better" if (self.diff > 0) == self.higher_is_better else "worse"


@dataclass
class Comparison:
    tasks: list[TaskComparison]
    only_in_a: list[str]
    only_in_b: list[str]
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return json_clean({"alpha": self.alpha, "only_in_a": self.only_in_a, "only_in_b": self.only_in_b,
                           "tasks": [{**asdict(t), "flip_rate": t.flip_rate, "verdict": t.verdict(self.alpha)}
                                     for t in self.tasks]})

    def to_markdown(self) -> str:
        lines = [("| Task | Better | A | B | B - A | B vs A | 95% CI | p | p (Holm) | test | n | G "
                  "| flips (worse/better) |"),
                 "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for t in self.tasks:
            sig = " *" if math.isfinite(t.p_holm) and t.p_holm < self.alpha else ""
            way = {True: "higher", False: "lower", None: "?"}[t.higher_is_better]
            lines.append(
                f"| {t.task} | {way} | {t.mean_a:.4f} | {t.mean_b:.4f} | {t.diff:+.4f}{sig} | {t.verdict(self.alpha)} | "
                f"[{t.ci_low:+.4f}, {t.ci_high:+.4f}] | {t.p_value:.3g} | {t.p_holm:.3g} | {t.test}"
                f"{f' (McNemar p={t.mcnemar_p:.3g})' if t.mcnemar_p is not None else ''} | {t.n} | "
                f"{t.clusters if t.clusters is not None else '-'} | {t.n_worse}/{t.n_better} |"
            )
        out = ("\n".join(lines) + f"\n\n* significant at {self.alpha} after Holm across tasks. 'Better' is the "
               "metric's direction (lower: a larger B - A means B is worse, e.g. attack success rate).\n")
        for t in self.tasks:
            out += f"\n## {t.task}: {t.model_a} ({t.run_a}) -> {t.model_b} ({t.run_b})\n"
            for k, (va, vb) in t.differences.items():
                out += f"- {k}: {va} -> {vb}\n"
            if t.only_a or t.only_b:
                out += f"- questions only in A: {t.only_a}, only in B: {t.only_b} (not compared)\n"
            for label, items, total in (("worse in B", t.worse, t.n_worse), ("better in B", t.better, t.n_better)):
                if not total:
                    continue
                shown = ", ".join(f"{i.sample_id} ({i.a:g}->{i.b:g}{_answers(i)})" for i in items)
                more = f" ... and {total - len(items)} more" if total > len(items) else ""
                out += f"- {label} ({total}): {shown}{more}\n"
        if self.only_in_a:
            out += f"\nTasks only in A: {', '.join(self.only_in_a)}\n"
        if self.only_in_b:
            out += f"\nTasks only in B: {', '.join(self.only_in_b)}\n"
        return out


def _answers(item: ItemChange) -> str:
    return f"; {item.answer_a!r}->{item.answer_b!r}" if item.answer_a != item.answer_b else ""


def compare_runs(path_a: str | Path, path_b: str | Path, *, max_items: int = 20, alpha: float = 0.05,
                 confidence: float = 0.95, lower_is_better: tuple[str, ...] | frozenset[str] = ()) -> Comparison:
    from harness.stats.paired import holm, mcnemar_exact, paired_difference

    db, runs_a, runs_b = open_two(path_a, path_b)
    try:
        check_task_names(lower_is_better, runs_a + runs_b)
        pairs, only_a, only_b = pair_runs(runs_a, runs_b)
        results: list[TaskComparison] = []
        for pair in pairs:
            al = align(db, pair)
            direction = task_direction([pair.a, pair.b], pair.task, lower_is_better)
            res = paired_difference(al.a, al.b, confidence=confidence, clusters=al.clusters)
            clustered = res.test == "paired-cluster-CR1-t"
            mc = None
            if al.binary and pair.a.epochs == 1 and pair.b.epochs == 1 and len(al.sample_ids):
                mc = mcnemar_exact(al.a, al.b).p_value
            worse_idx, better_idx = flips(al, higher_is_better=direction is not False)
            shown = [al.sample_ids[i] for i in worse_idx[:max_items] + better_idx[:max_items]]
            ans_a = db.first_answers(pair.a.key, shown)
            ans_b = db.first_answers(pair.b.key, shown)

            def item(i: int) -> ItemChange:
                sid = al.sample_ids[i]
                return ItemChange(sid, float(al.a[i]), float(al.b[i]), ans_a.get(sid), ans_b.get(sid))

            results.append(TaskComparison(
                task=pair.task, model_a=pair.a.model, model_b=pair.b.model, run_a=pair.a.run_id,
                run_b=pair.b.run_id, n=res.n, mean_a=res.mean_a, mean_b=res.mean_b, diff=res.diff,
                stderr=res.stderr, ci_low=res.ci_low, ci_high=res.ci_high, p_value=res.p_value, p_holm=math.nan,
                test=res.test, mcnemar_p=mc, n_worse=len(worse_idx), n_better=len(better_idx),
                worse=[item(i) for i in worse_idx[:max_items]], better=[item(i) for i in better_idx[:max_items]],
                only_a=len(al.only_a), only_b=len(al.only_b), differences=run_differences(pair.a, pair.b),
                higher_is_better=direction, clusters=al.n_clusters if clustered else None,
            ))
        idx = [i for i, r in enumerate(results) if math.isfinite(r.p_value)]
        for i, p in zip(idx, holm([results[i].p_value for i in idx])):
            results[i].p_holm = p
        return Comparison(results, only_a, only_b, alpha)
    finally:
        db.close()
