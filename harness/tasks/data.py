"""Where a task's rows come from: the bundled sample, a local file, or a hub dataset prefetched at a pinned revision."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness.core.errors import UserError
from harness.tasks.base import DatasetSource, Task

SAMPLE = "sample"


def data_dir() -> Path:
    return Path(os.environ.get("HARNESS_DATA_DIR", Path.home() / ".cache" / "harness" / "datasets"))


def prefetched_path(source: DatasetSource) -> Path:
    assert source.hub_id is not None
    name = source.hub_id.replace("/", "__")
    config = source.config or "default"
    return data_dir() / name / (source.revision or "unpinned") / config / f"{source.split}.jsonl"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows from a .jsonl, .json (a list, or a dict of lists) or .parquet file."""
    if not path.exists():
        raise UserError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pylist()
        text = path.read_text(encoding="utf-8")
        if suffix == ".json":
            data = json.loads(text)
            if isinstance(data, dict):
                for value in data.values():
                    if isinstance(value, list):
                        return list(value)
                raise UserError(f"{path}: a .json data file must hold a list of rows")
            return list(data)
        return parse_jsonl(text, path)
    except UserError:
        raise
    except Exception as e:  # pyarrow / decoding errors on a user's file: one line, not a traceback
        raise UserError(f"cannot read {path}: {e}") from None


def parse_jsonl(text: str, path: Path, hint: str = "") -> list[dict[str, Any]]:
    """JSON Lines text -> rows; a bad line is one UserError naming the file and line (plus `hint`)."""
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise UserError(f"{path}:{lineno}: not valid JSON ({e.msg}){hint}") from None
    return rows


def load_task_rows(task: Task, data: str | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The task's rows and a description of where they came from (recorded in run.json)."""
    if data == SAMPLE:
        path = task.sample_path()
        if path is None:
            raise UserError(f"task {task.name!r} ships no bundled sample; pass --data PATH")
        return read_rows(path), {"kind": "bundled-sample", "path": str(path), "sha256": _file_hash(path)}
    if data is not None:
        path = Path(data).expanduser()
        return read_rows(path), {"kind": "file", "path": str(path.resolve()), "sha256": _file_hash(path)}
    source = task.source
    if source.hub_id is None:
        raise UserError(f"task {task.name!r} has no hub dataset; pass --data PATH or --data sample")
    path = prefetched_path(source)
    if not path.exists():
        raise UserError(
            f"dataset for {task.name!r} ({source.hub_id}@{source.revision}) is not available offline: "
            f"run `harness data pull {task.name}` with network access, or pass --data PATH (or --data sample)"
        )
    return read_rows(path), {
        "kind": "hub",
        "hub_id": source.hub_id,
        "revision": source.revision,
        "config": source.config,
        "split": source.split,
        "path": str(path),
        "sha256": _file_hash(path),
    }


def pull_hub(task: Task) -> Path:
    """Download the task's hub split at its pinned revision into the harness data folder (needs network)."""
    source = task.source
    if source.hub_id is None:
        raise UserError(f"task {task.name!r} has no hub dataset to pull")
    try:
        import datasets
    except ImportError:
        raise UserError("`harness data pull` needs the `datasets` package: pip install 'harness[data]'") from None
    try:
        ds = datasets.load_dataset(source.hub_id, source.config, split=source.split, revision=source.revision)
    except Exception as e:
        raise UserError(f"could not download {source.hub_id}@{source.revision}: {type(e).__name__}: {e}") from None
    path = prefetched_path(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in ds:
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)
    return path


def _file_hash(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
