"""Bounded capture of a command's output: keep the tail of each stream, count everything, stop at a cap.

A sample that prints a gigabyte must not cost the harness a gigabyte of memory, and the end of the output
(the failing test summary) is what a scorer needs, so only a tail is kept.
"""

from __future__ import annotations

from collections import deque


class TailBuffer:
    """Keeps the last `keep` bytes written to it and the total count."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.total = 0
        self._chunks: deque[bytes] = deque()
        self._held = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.total += len(data)
        if len(data) >= self.keep:
            self._chunks.clear()
            self._chunks.append(data[-self.keep :] if self.keep else b"")
            self._held = len(self._chunks[0])
            return
        self._chunks.append(data)
        self._held += len(data)
        # Drop whole chunks from the front while the rest still covers `keep` bytes.
        while self._chunks and self._held - len(self._chunks[0]) >= self.keep:
            self._held -= len(self._chunks.popleft())

    def text(self) -> str:
        data = b"".join(self._chunks)
        return data[-self.keep :].decode("utf-8", "replace") if self.keep else ""


class OutputCapture:
    """stdout and stderr tails plus a shared byte budget; `exceeded` turns true once the budget is spent."""

    def __init__(self, keep: int, limit: int) -> None:
        self.stdout = TailBuffer(keep)
        self.stderr = TailBuffer(keep)
        self.limit = limit

    def feed(self, stdout: bytes | None, stderr: bytes | None) -> bool:
        """Add a chunk; returns True when the total output is now over the limit."""
        if stdout:
            self.stdout.write(stdout)
        if stderr:
            self.stderr.write(stderr)
        return self.exceeded

    @property
    def exceeded(self) -> bool:
        return self.stdout.total + self.stderr.total > self.limit
