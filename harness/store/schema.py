"""The columns of samples.parquet (one row per sample x epoch). Documented in docs/results-schema.md."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

SAMPLES_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("task", pa.string()),
        ("model", pa.string()),
        ("sample_id", pa.string()),
        ("epoch", pa.int32()),
        ("prompt_hash", pa.string()),
        ("cluster", pa.string()),
        ("target", pa.string()),
        ("output", pa.string()),
        ("answer", pa.string()),
        ("score", pa.float64()),
        ("scores", pa.map_(pa.string(), pa.float64())),
        ("parse_failure", pa.bool_()),
        ("truncated", pa.bool_()),
        ("finish_reason", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("latency_s", pa.float64()),
        ("retries", pa.int32()),
        ("cached", pa.bool_()),
        ("error", pa.string()),
        ("error_kind", pa.string()),
        ("output_json", pa.string()),
        ("score_json", pa.string()),
    ]
)


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    # Column by column with pa.array: Table.from_pydict would import pandas (0.2 s) to check for pandas objects.
    arrays = []
    for f in SAMPLES_SCHEMA:
        if f.name == "scores":
            values: list[Any] = [list((r.get("scores") or {}).items()) for r in rows]
        else:
            values = [r.get(f.name) for r in rows]
        arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=SAMPLES_SCHEMA)
