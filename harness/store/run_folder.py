"""Reading and writing one run's folder: run.json, journal.jsonl, samples.parquet, metrics.json."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.errors import UserError

RUN_JSON = "run.json"
METRICS_JSON = "metrics.json"
SAMPLES_PARQUET = "samples.parquet"
JOURNAL = "journal.jsonl"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class RunFolder:
    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def journal_path(self) -> Path:
        return self.path / JOURNAL

    def read_run(self) -> dict[str, Any]:
        return json.loads((self.path / RUN_JSON).read_text(encoding="utf-8"))

    def write_run(self, record: dict[str, Any]) -> None:
        write_json_atomic(self.path / RUN_JSON, record)

    def read_metrics(self) -> dict[str, Any]:
        return json.loads((self.path / METRICS_JSON).read_text(encoding="utf-8"))

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_json_atomic(self.path / METRICS_JSON, metrics)

    def write_samples(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow.parquet as pq

        from harness.store.schema import rows_to_table

        tmp = self.path / (SAMPLES_PARQUET + ".tmp")
        pq.write_table(rows_to_table(rows), tmp)
        os.replace(tmp, self.path / SAMPLES_PARQUET)

    def read_samples(self) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        table = pq.read_table(self.path / SAMPLES_PARQUET)
        rows = table.to_pylist()
        for r in rows:
            r["scores"] = dict(r["scores"] or [])
        return rows


def find_run(ref: str, output: Path) -> RunFolder:
    """A run folder from a path or a run id (exact or unique prefix) inside `output`."""
    candidate = Path(ref)
    if (candidate / RUN_JSON).exists():
        return RunFolder(candidate)
    if output.is_dir():
        exact = output / ref
        if (exact / RUN_JSON).exists():
            return RunFolder(exact)
        matches = sorted(p for p in output.iterdir() if p.name.startswith(ref) and (p / RUN_JSON).exists())
        if len(matches) == 1:
            return RunFolder(matches[0])
        if len(matches) > 1:
            raise UserError(f"run {ref!r} is ambiguous in {output}: {', '.join(m.name for m in matches[:5])}")
    raise UserError(f"no run {ref!r} (looked for a folder with run.json, and for a run id in {output})")


def iter_runs(output: Path) -> list[RunFolder]:
    if not output.is_dir():
        return []
    return [RunFolder(p) for p in sorted(output.iterdir()) if (p / RUN_JSON).exists()]
