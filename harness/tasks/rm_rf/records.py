"""RM-RF validation records (trndcenter/RM-RF-unit-tests@848cfd6, `validation_subset/*.toml`) -> labels and rows.

Labels (the paper's three targets): `correct` = test_case_info.correctness; `coverage_up` = target_deltas.coverage > 0;
`mutation_up` = target_deltas.mutation > 0. The float targets for Spearman are target_deltas.increase_coverage_by and
increase_mutation_kill_rate_by (percentage points).
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

TARGETS = ("correct", "coverage_up", "mutation_up")
FLOAT_TARGETS = {"coverage_up": "increase_coverage_by", "mutation_up": "increase_mutation_kill_rate_by"}


def _f(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def labels(record: dict[str, Any]) -> dict[str, Any]:
    info = record.get("test_case_info") or {}
    deltas = record.get("target_deltas") or {}
    if "correctness" not in info:
        raise ValueError("an RM-RF record needs test_case_info.correctness")
    return {
        "correct": bool(info["correctness"]),
        "coverage_up": _f(deltas.get("coverage")) > 0,
        "mutation_up": _f(deltas.get("mutation")) > 0,
        "coverage_gain": _f(deltas.get("increase_coverage_by")),
        "mutation_gain": _f(deltas.get("increase_mutation_kill_rate_by")),
    }


def row_from_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {"id": path.stem, **data}


def convert(folder: Path, out: Path) -> int:
    """A folder of validation TOMLs -> one JSONL the task reads with --data."""
    rows = [row_from_toml(p) for p in sorted(folder.glob("*.toml"))]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m harness.tasks.rm_rf.records VALIDATION_DIR OUT.jsonl")
    print(convert(Path(sys.argv[1]), Path(sys.argv[2])), "rows")
