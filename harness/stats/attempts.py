"""Read per-attempt outcomes for `harness forecast` and turn them into per-query counts (k_i, n_i).

Accepted inputs:
- a JSONL / JSON-lines or Parquet file with columns query_id, attempt, success (one row per attempt; success is
  0/1 or true/false), or with per-query counts query_id, k, n;
- a harness run folder (results/<run-id>/ with samples.parquet): sample_id is the query, epoch the attempt and the
  binary score the success.
Every problem raises UserError naming the column or the row (1-based; JSONL rows are line numbers).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.errors import UserError

ATTEMPT_COLUMNS = ("query_id", "attempt", "success")
COUNT_COLUMNS = ("query_id", "k", "n")


@dataclass(frozen=True)
class Attempts:
    query_ids: list[str]
    k: list[int]
    n: list[int]
    source: str  # human description: file path or run folder
    n_rows: int


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, Any]], str]:
    """Column names, rows and what a row number means ("line" or "row")."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as e:  # pyarrow raises several types for a damaged file
            raise UserError(f"{path}: cannot read Parquet ({e})") from e
        return list(table.column_names), table.to_pylist(), "row"
    if suffix in (".jsonl", ".json", ".ndjson"):
        rows: list[dict[str, Any]] = []
        columns: dict[str, None] = {}
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise UserError(f"{path}: line {lineno} is not valid JSON ({e.msg})") from e
                if not isinstance(obj, dict):
                    raise UserError(f"{path}: line {lineno} is not a JSON object")
                obj["__line__"] = lineno
                rows.append(obj)
                columns.update(dict.fromkeys(k for k in obj if k != "__line__"))
        return list(columns), rows, "line"
    raise UserError(f"{path}: unsupported attempts file (use .jsonl or .parquet, or a run folder)")


def _row_no(row: dict[str, Any], index: int, unit: str) -> str:
    return f"{unit} {row.get('__line__', index + 1)}"


def _as_int(value: Any, *, column: str, where: str, path: Path) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    raise UserError(f"{path}: {where}: column '{column}' must be a whole number, got {value!r}")


def _success(value: Any, *, column: str, where: str, path: Path) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        return int(value)
    raise UserError(f"{path}: {where}: column '{column}' must be 0/1 or true/false, got {value!r}")


def load_attempts(source: str) -> Attempts:
    path = Path(source)
    if not path.exists():
        raise UserError(f"{source}: no such file or run folder")
    if path.is_dir():
        return _load_run(path)
    columns, rows, unit = _read_rows(path)
    if not rows:
        raise UserError(f"{path}: no rows")
    if "success" in columns or "attempt" in columns:
        return _from_attempt_rows(path, columns, rows, unit, ATTEMPT_COLUMNS, ("query_id", "attempt", "success"))
    if "k" in columns or "n" in columns:
        return _from_count_rows(path, columns, rows, unit)
    missing = [c for c in ATTEMPT_COLUMNS if c not in columns]
    raise UserError(f"{path}: missing column '{missing[0]}' (need query_id, attempt, success; or query_id, k, n)")


def _require(path: Path, columns: list[str], needed: tuple[str, ...]) -> None:
    for c in needed:
        if c not in columns:
            raise UserError(f"{path}: missing column '{c}' (need {', '.join(needed)})")


def _from_attempt_rows(path: Path, columns: list[str], rows: list[dict[str, Any]], unit: str,
                       needed: tuple[str, ...], names: tuple[str, str, str]) -> Attempts:
    _require(path, columns, needed)
    qcol, acol, scol = names
    k: dict[str, int] = {}
    n: dict[str, int] = {}
    seen: set[tuple[str, int]] = set()
    for i, row in enumerate(rows):
        where = _row_no(row, i, unit)
        for c in needed:
            if row.get(c) is None:
                raise UserError(f"{path}: {where}: column '{c}' is missing or null")
        q = str(row[qcol])
        attempt = _as_int(row[acol], column=acol, where=where, path=path)
        if attempt < 0:
            raise UserError(f"{path}: {where}: column '{acol}' is negative ({attempt})")
        if (q, attempt) in seen:
            raise UserError(f"{path}: {where}: duplicate {acol} {attempt} for {qcol} {q!r}")
        seen.add((q, attempt))
        s = _success(row[scol], column=scol, where=where, path=path)
        k[q] = k.get(q, 0) + s
        n[q] = n.get(q, 0) + 1
    ids = list(n)
    return Attempts(ids, [k[q] for q in ids], [n[q] for q in ids], str(path), len(rows))


def _from_count_rows(path: Path, columns: list[str], rows: list[dict[str, Any]], unit: str) -> Attempts:
    _require(path, columns, COUNT_COLUMNS)
    ids, ks, ns = [], [], []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = _row_no(row, i, unit)
        for c in COUNT_COLUMNS:
            if row.get(c) is None:
                raise UserError(f"{path}: {where}: column '{c}' is missing or null")
        q = str(row["query_id"])
        kk = _as_int(row["k"], column="k", where=where, path=path)
        nn = _as_int(row["n"], column="n", where=where, path=path)
        if kk < 0 or nn < 0:
            raise UserError(f"{path}: {where}: negative count (k={kk}, n={nn})")
        if nn == 0:
            raise UserError(f"{path}: {where}: n must be at least 1")
        if kk > nn:
            raise UserError(f"{path}: {where}: k > n (k={kk}, n={nn})")
        if q in seen:
            raise UserError(f"{path}: {where}: duplicate query_id {q!r}")
        seen.add(q)
        ids.append(q)
        ks.append(kk)
        ns.append(nn)
    return Attempts(ids, ks, ns, str(path), len(rows))


def _load_run(folder: Path) -> Attempts:
    samples = folder / "samples.parquet"
    if not samples.exists():
        raise UserError(f"{folder}: not a harness run folder (no samples.parquet) and not an attempts file")
    import pyarrow.parquet as pq

    table = pq.read_table(samples, columns=None)
    columns = list(table.column_names)
    for c in ("sample_id", "epoch", "score"):
        if c not in columns:
            raise UserError(f"{samples}: missing column '{c}'")
    rows = table.select(["sample_id", "epoch", "score"]).to_pylist()
    if not rows:
        raise UserError(f"{samples}: no rows")
    for i, row in enumerate(rows):
        score = row["score"]
        if score is None or (isinstance(score, float) and not math.isfinite(score)):
            raise UserError(f"{samples}: row {i + 1}: score is missing (errored sample {row['sample_id']!r}); "
                            "rescore or rerun it first")
        if score not in (0, 1):
            raise UserError(f"{samples}: row {i + 1}: score {score!r} is not binary; forecast needs 0/1 success")
    att = _from_attempt_rows(samples, ["sample_id", "epoch", "score"], rows, "row", ("sample_id", "epoch", "score"),
                             ("sample_id", "epoch", "score"))
    return Attempts(att.query_ids, att.k, att.n, str(folder), att.n_rows)
