"""Result files in the official layout (`result/<model>/<group>/BFCL_v4_<category>_result.json`, JSON Lines), so
that `bfcl evaluate` can score our predictions and we can score files it scored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.tasks.bfcl.data import PREFIX, read_jsonl


def result_path(result_dir: Path, model_name: str, entry_id: str, category: str) -> Path:
    from harness.tasks.bfcl.compat import official

    group = official().utils.get_directory_structure_by_id(entry_id)
    return result_dir / model_name.replace("/", "_") / group / f"{PREFIX}{category}_result.json"


def write_results(result_dir: Path, model_name: str, items: list[tuple[dict[str, Any], Any]]) -> list[Path]:
    """Write (entry, result) pairs; one file per category, sorted as the official writer sorts them."""
    from harness.tasks.bfcl.compat import official

    by_file: dict[Path, list[dict[str, Any]]] = {}
    for entry, result in items:
        path = result_path(result_dir, model_name, entry["id"], entry["category"])
        by_file.setdefault(path, []).append({"id": entry["id"], "result": result})
    for path, rows in by_file.items():
        rows.sort(key=official().utils.sort_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return list(by_file)


def read_results(path: Path) -> dict[str, Any]:
    return {row["id"]: row["result"] for row in read_jsonl(path)}


def failed_ids_from_score_file(path: Path) -> tuple[dict[str, Any], set[str]]:
    """The header line and the ids of failed entries in an official score file."""
    rows = read_jsonl(path)
    return rows[0], {str(r["id"]) for r in rows[1:]}
