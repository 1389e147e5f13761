"""BFCL summary scores from per-category accuracies: V4 (current leaderboard) and V3 (commit cd9429cc).

Every summary is a fixed linear combination of category means, sum_c w_c * mean_c, so its standard error is
sqrt(sum_c w_c^2 * se_c^2) (categories are disjoint item sets, hence independent) and the 95% CI is +-1.96 SE.
Count weights (live categories) use the counts in the run; with `official=True` a missing category counts as 0
with its full dataset size, exactly as `generate_leaderboard_csv` does; otherwise any summary that needs a missing
category is None ("N/A") instead of being silently pulled towards 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.tasks.bfcl import categories as cats


@dataclass(frozen=True)
class CategoryScore:
    mean: float
    n: int
    stderr: float = 0.0


Weights = dict[str, float]


def _mean_of(parts: list[Weights]) -> Weights:
    out: Weights = {}
    for p in parts:
        for c, w in p.items():
            out[c] = out.get(c, 0.0) + w / len(parts)
    return out


def _count_weighted(categories: list[str], counts: dict[str, int]) -> Weights:
    total = sum(counts[c] for c in categories)
    return {c: counts[c] / total for c in categories} if total else {c: 0.0 for c in categories}


def _combine(parts: list[tuple[Weights, float]]) -> Weights:
    out: Weights = {}
    total = sum(w for _, w in parts)
    for p, weight in parts:
        for c, w in p.items():
            out[c] = out.get(c, 0.0) + w * weight / total
    return out


def formulas(counts: dict[str, int]) -> dict[str, Weights]:
    """Each summary as category weights. `counts` gives the item count of every category (for count weights)."""
    one = {c: {c: 1.0} for c in cats.ALL}
    simple = _mean_of([one["simple_python"], one["simple_java"], one["simple_javascript"]])
    non_live = _mean_of([simple, one["multiple"], one["parallel"], one["parallel_multiple"]])
    live = _count_weighted(["live_simple", "live_multiple", "live_parallel", "live_parallel_multiple"], counts)
    irrelevance = _mean_of([one["irrelevance"], one["live_irrelevance"]])
    multi_turn = _mean_of([one[c] for c in cats.MULTI_TURN])
    agentic = _mean_of([_mean_of([one[c] for c in cats.WEB_SEARCH]), _mean_of([one[c] for c in cats.MEMORY])])
    v3_non_live = _mean_of([simple, one["multiple"], one["parallel"], one["parallel_multiple"], one["irrelevance"]])
    v3_live = _count_weighted(cats.LIVE, counts)
    return {
        "v4_non_live": non_live,
        "v4_live": live,
        "v4_irrelevance": irrelevance,
        "v4_multi_turn": multi_turn,
        "v4_agentic": agentic,
        "v4_overall": _combine([(non_live, 10), (live, 10), (irrelevance, 10), (multi_turn, 30), (agentic, 40)]),
        "v3_non_live": v3_non_live,
        "v3_live": v3_live,
        "v3_multi_turn": multi_turn,
        "v3_overall": _mean_of([v3_live, v3_non_live, multi_turn]),
    }


def summarize(scores: dict[str, CategoryScore], official: bool = False) -> dict[str, dict[str, Any] | None]:
    """Summary name -> {mean, stderr, ci_low, ci_high, missing} or None when a needed category is missing."""
    counts = {c: (scores[c].n if c in scores else cats.SIZES[c]) for c in cats.ALL}
    out: dict[str, dict[str, Any] | None] = {}
    for name, weights in formulas(counts).items():
        needed = [c for c, w in weights.items() if w > 0]
        missing = [c for c in needed if c not in scores]
        if missing and not official:
            out[name] = None
            continue
        mean = sum(w * (scores[c].mean if c in scores else 0.0) for c, w in weights.items())
        se = math.sqrt(sum((w * scores[c].stderr) ** 2 for c, w in weights.items() if c in scores))
        out[name] = {"mean": mean, "stderr": se, "ci_low": mean - 1.96 * se, "ci_high": mean + 1.96 * se,
                     "missing": missing}
    return out


def from_metrics(metrics: dict[str, Any], official: bool = False) -> dict[str, dict[str, Any] | None]:
    """Summaries from a run's metrics.json (per-category metrics named acc_<category>)."""
    scores = {}
    for c in cats.ALL:
        m = metrics.get("metrics", {}).get(cats.metric_name(c))
        if m and m.get("n"):
            scores[c] = CategoryScore(float(m["mean"]), int(m["n"]), float(m.get("stderr") or 0.0))
    return summarize(scores, official=official)
