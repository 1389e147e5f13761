"""Error-recovery rate for multi-step BFCL items (the metric Fission-GRPO reports), defined precisely.

Within one turn, a *step* is one model reply whose calls were decoded and executed. A tool result is an *error*
when the official executor returned `Error during execution: ...` (the call raised: unknown function, wrong
argument names or types) or the backend returned a JSON object with an `error` key (e.g. `cd` into a missing
folder). A step with at least one error is an *error step*. An error step is *recovered* when a later step of the
same turn executes at least one call and none of its calls errs. An item *had a tool error* when it has at least
one error step; it *recovered* when every error step was recovered.

Per item: `had_tool_error` in {0, 1}; `error_recovery` in {0, 1} only for items that had a tool error (NaN
otherwise, so the run's mean is the recovery rate among items with errors, with its CI). Recovery measures the
model's reaction to errors, not task success: `accuracy` stays the official all-or-nothing verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recovery:
    had_error: bool = False
    recovered: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)  # (turn, step, recovered) of each error step


def recovery(steps_log: list[list[dict[str, Any]]]) -> Recovery:
    out = Recovery()
    for turn, steps in enumerate(steps_log):
        executed = [s for s in steps if s.get("calls")]
        for i, step in enumerate(executed):
            if not any(step.get("errors") or []):
                continue
            later_clean = any(not any(s.get("errors") or []) for s in executed[i + 1:])
            out.errors.append({"turn": turn, "step": step.get("step"), "recovered": later_clean})
    out.had_error = bool(out.errors)
    out.recovered = out.had_error and all(e["recovered"] for e in out.errors)
    return out
