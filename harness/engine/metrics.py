"""Per-run metrics from per-sample rows: epochs reduced within a question first, then uncertainty across questions."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

REDUCERS_HELP = "mean (always), pass@k (unbiased, k <= epochs), maj@k (majority vote over extracted answers)"


def parse_reducers(text: str | None, epochs: int) -> list[str]:
    """`mean,pass@4,maj@4`; the default adds pass@k and maj@k for k = epochs when there are several epochs."""
    if not text:
        return ["mean"] + ([f"pass@{epochs}", f"maj@{epochs}"] if epochs > 1 else [])
    from harness.core.errors import UserError

    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part == "mean":
            out.append(part)
            continue
        m = re.fullmatch(r"(pass|maj)@(\d+)", part)
        if not m:
            raise UserError(f"unknown reducer {part!r}; use {REDUCERS_HELP}")
        k = int(m.group(2))
        if k < 1 or k > epochs:
            raise UserError(f"reducer {part}: k must be between 1 and --epochs ({epochs})")
        out.append(part)
    return out if "mean" in out else ["mean"] + out


def compute_metrics(
    rows: list[dict[str, Any]],
    *,
    metric_names: list[str],
    primary: str,
    reducers: list[str],
    clusters: dict[str, str] | None = None,
    answers_equal: Callable[[str, str], bool] | None = None,
) -> dict[str, Any]:
    from harness.stats.passk import pass_at_k
    from harness.stats.uncertainty import summarize_mean

    ok = [r for r in rows if r.get("error_kind") is None]
    by_sample: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in ok:
        by_sample[r["sample_id"]].append(r)
    sample_ids = sorted(by_sample)
    cluster_list = [clusters[s] for s in sample_ids] if clusters else None

    metrics: dict[str, Any] = {}
    for name in metric_names:
        per_q = []
        for sid in sample_ids:
            vals = [r["scores"].get(name) for r in by_sample[sid]]
            vals = [v for v in vals if v is not None and not math.isnan(v)]
            per_q.append(sum(vals) / len(vals) if vals else math.nan)
        keep = [i for i, v in enumerate(per_q) if not math.isnan(v)]
        summary = summarize_mean([per_q[i] for i in keep], [cluster_list[i] for i in keep] if cluster_list else None)
        metrics[name] = summary.to_dict()

    for reducer in reducers:
        if reducer == "mean":
            continue
        kind, k = reducer.split("@")
        k_int = int(k)
        per_q = []
        for sid in sample_ids:
            epochs = sorted(by_sample[sid], key=lambda r: r["epoch"])
            values = [r["scores"].get(primary, math.nan) for r in epochs]
            if kind == "pass":
                n = len(values)
                if n < k_int:
                    continue
                c = sum(1 for v in values if v is not None and v >= 1.0)
                per_q.append(pass_at_k(n, c, k_int))
            else:
                per_q.append(_majority_score(epochs[:k_int], primary, answers_equal))
        metrics[f"{primary}_{reducer}" if primary != "accuracy" else reducer] = summarize_mean(per_q).to_dict()

    n_rows = len(rows)
    return {
        "primary": primary,
        "n_samples": len(sample_ids),
        "n_rows": n_rows,
        "metrics": metrics,
        "parse_failure_rate": _rate(ok, "parse_failure"),
        "truncation_rate": _rate(ok, "truncated"),
        "error_rate": (n_rows - len(ok)) / n_rows if n_rows else 0.0,
        "errors": dict(Counter(r["error_kind"] for r in rows if r.get("error_kind"))),
        "retries": int(sum(r.get("retries") or 0 for r in rows)),
        "cached_rate": _rate(rows, "cached"),
    }


def _rate(rows: list[dict[str, Any]], key: str) -> float:
    return sum(1 for r in rows if r.get(key)) / len(rows) if rows else 0.0


def _majority_score(
    epochs: list[dict[str, Any]], primary: str, answers_equal: Callable[[str, str], bool] | None
) -> float:
    """Score of the most common extracted answer (ties: the earliest epoch's answer); 0 when none was extracted."""
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for r in epochs:
        ans = r.get("answer")
        if ans is None:
            continue
        for rep, members in groups:
            if (answers_equal or str.__eq__)(rep, ans):
                members.append(r)
                break
        else:
            groups.append((ans, [r]))
    if not groups:
        return 0.0
    best = max(groups, key=lambda g: len(g[1]))  # max keeps the first of equal counts: earliest answer wins ties
    return float(best[1][0]["scores"].get(primary, 0.0))
