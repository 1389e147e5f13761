"""Per-sample metrics (teval/evaluator.py `Metrics._set_delta_metrics` / `_set_AST_stats`) and the official
aggregation (teval/utils/tracking.py `calc_aggregated_metrics`).

Per sample, against the *given* test file's numbers from the scenario (`coverage.coverage`, `mutation_kill_rate`):
- FAIL: delta_test_cov = delta_mut_cov = 0.0 and test_cov/mut_cov are the initial values (a FAIL is never negative).
- PASS: delta = round(new - initial, 2); NaN when the initial value is NaN; delta_mut_cov is NaN (officially None)
  when the mutation step failed.
- delta_test_case_num: the official code tests `fail_reason == "PASS"` (never true), so the count is always the
  initial one and the delta always 0. That bug is kept by default; the task option `fix_test_case_count=true`
  counts the candidate's test cases on PASS.

Aggregation: pandas-style means that skip NaN/None, so mean_delta_mut_cov runs over a different subset than
pass_rate; reported overall, per task, per create sub-scenario and per language, values rounded to 2 decimals.
The engine's metrics.json takes the same NaN-skipping means (with CIs) over the per-sample values.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from harness.tasks.tam_eval.execute import Evaluation
from harness.tasks.tam_eval.scenario import Scenario

NAN = math.nan


def _r2(x: float) -> float:
    return round(x, 2)


def sample_metrics(sc: Scenario, ev: Evaluation, initial_test_case_num: int, *,
                   fix_test_case_count: bool = False) -> dict[str, float]:
    init_cov, init_mut = sc.initial_test_cov, sc.initial_mut_cov
    passed = ev.status == "PASS"
    if not passed:
        test_cov, mut_cov = init_cov, init_mut
        d_cov = d_mut = 0.0
        d_cases = 0.0
    else:
        test_cov = ev.test_cov if ev.test_cov is not None else NAN
        mut_cov = ev.mut_cov if ev.mut_cov is not None else NAN
        d_cov = _r2(test_cov - init_cov)  # NaN propagates
        d_mut = NAN if ev.mut_cov is None else _r2(mut_cov - init_mut)
        if fix_test_case_count and ev.test_case_num is not None:
            d_cases = float(ev.test_case_num - initial_test_case_num)
        else:
            d_cases = 0.0  # official: test_case_num stays the initial count
    return {
        "pass": 1.0 if passed else 0.0,
        "delta_test_cov": d_cov,
        "delta_mut_cov": d_mut,
        "test_cov": test_cov,
        "mut_cov": mut_cov,
        "delta_test_case_num": d_cases,
    }


def _mean(values: Iterable[Any]) -> float:
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return _r2(statistics.fmean(vals)) if vals else NAN  # pandas: all-NaN mean is NaN; _round keeps it


def _median(values: Iterable[Any]) -> float:
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return _r2(statistics.median(vals)) if vals else NAN


def subset_metrics(records: list[dict[str, Any]], prefix: str = "", fail_table: bool = False) -> dict[str, Any]:
    """One `get_metrics_for_subset` block. Records carry the per-sample fields of an official result JSON."""
    if not records:
        return {}
    p = f"{prefix.upper()}/" if prefix else ""
    out: dict[str, Any] = {
        f"{p}count": len(records),
        f"{p}num_samples": len({(r["id"], r["scenario"]) for r in records}),
        f"{p}mean_delta_test_cov": _mean(r["delta_test_cov"] for r in records),
        f"{p}mean_delta_mut_cov": _mean(r["delta_mut_cov"] for r in records),
        f"{p}median_delta_test_cov": _median(r["delta_test_cov"] for r in records),
        f"{p}median_delta_mut_cov": _median(r["delta_mut_cov"] for r in records),
        f"{p}mean_test_cov": _mean(r["test_cov"] for r in records),
        f"{p}mean_mut_cov": _mean(r["mut_cov"] for r in records),
        f"{p}mean_init_test_cov": _mean(r["initial_test_cov"] for r in records),
        f"{p}mean_init_mut_cov": _mean(r["initial_mut_cov"] for r in records),
        f"{p}mean_delta_test_case_num": _mean(r["delta_test_case_num"] for r in records),
        f"{p}pass_rate": round(sum(1 for r in records if r["status"] == "PASS") / len(records), 2),
    }
    if fail_table:
        counts = Counter(r.get("fail_reason") or "pass" for r in records)
        total = sum(counts.values())
        out[f"{p}fail_reason_table"] = [
            {"fail_reason": k, "count": v, "%": round(v / total * 100, 1)} for k, v in counts.most_common()
        ]
    return out


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The official metrics dict: overall, per task, per create sub-scenario, per language (`overall_<lang>`)."""
    metrics = subset_metrics(records, fail_table=True)
    for task in dict.fromkeys(r["task"] for r in records):
        metrics.update(subset_metrics([r for r in records if r["task"] == task], f"task_{task}", fail_table=True))
    for scen in dict.fromkeys(r["scenario"] for r in records):
        subset = [r for r in records if r["scenario"] == scen and r["task"] == "create"]
        metrics.update(subset_metrics(subset, f"subtask_{scen}", fail_table=True))
    for lang in dict.fromkeys(r["lang"] for r in records):
        metrics.update(subset_metrics([r for r in records if r["lang"] == lang], f"overall_{lang}"))
    return metrics
