"""Append-only per-sample journal: the ground truth of a run while it is in progress.

One JSON line per finished (sample, epoch). A run killed at any moment leaves at most one torn last line, which
`read` drops (and opening a `Journal` truncates away), so a resumed run neither loses nor duplicates a sample. A later
line for the same (sample, epoch) supersedes an earlier one: that is how a retried error is recorded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

Key = tuple[str, int]


def _scan(path: Path) -> tuple[dict[Key, dict[str, Any]], int]:
    """The rows of the complete, parseable lines, and how many bytes those lines take."""
    rows: dict[Key, dict[str, Any]] = {}
    good = 0
    if not path.exists():
        return rows, good
    with path.open("rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break  # torn write from a kill: the sample was not finished
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            rows[(row["sample_id"], int(row["epoch"]))] = row
            good += len(line)
    return rows, good


def read(path: Path) -> dict[Key, dict[str, Any]]:
    return _scan(path)[0]


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists():
            size = _scan(path)[1]
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
