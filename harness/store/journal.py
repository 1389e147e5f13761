"""Append-only per-sample journal: the ground truth of a run while it is in progress.

One JSON line per finished (sample, epoch). A run killed at any moment leaves at most one torn last line, which
`read` drops (and `open_for_append` truncates away), so a resumed run neither loses nor duplicates a sample. A later
line for the same (sample, epoch) supersedes an earlier one: that is how a retried error is recorded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

Key = tuple[str, int]


def read(path: Path) -> dict[Key, dict[str, Any]]:
    rows: dict[Key, dict[str, Any]] = {}
    if not path.exists():
        return rows
    with path.open("rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break  # torn write from a kill: the sample was not finished
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            rows[(row["sample_id"], int(row["epoch"]))] = row
    return rows


def _valid_length(path: Path) -> int:
    """Bytes up to the end of the last complete, parseable line."""
    good = 0
    with path.open("rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break
            try:
                json.loads(line)
            except json.JSONDecodeError:
                break
            good += len(line)
    return good


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists():
            size = _valid_length(path)
            if size != path.stat().st_size:
                with path.open("r+b") as f:
                    f.truncate(size)
        self._f: IO[str] = path.open("a", encoding="utf-8")
        self._since_sync = 0

    def append(self, row: dict[str, Any]) -> None:
        # One write call per line keeps a kill from interleaving two rows; flush hands it to the OS, which survives
        # SIGKILL of this process. fsync every 64 rows bounds what a machine crash can take.
        self._f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self._f.flush()
        self._since_sync += 1
        if self._since_sync >= 64:
            os.fsync(self._f.fileno())
            self._since_sync = 0

    def close(self) -> None:
        if not self._f.closed:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
