"""Progress reporting: a rich bar with throughput and ETA on a terminal, periodic plain lines in CI logs."""

from __future__ import annotations

import sys
import time
from typing import Protocol


class Progress(Protocol):
    def start(self, total: int, done: int, label: str) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def stop(self) -> None: ...


def make_progress(mode: str) -> Progress:
    """`auto` picks rich on a terminal and plain otherwise (and plain when CI is set)."""
    import os

    if mode == "auto":
        mode = "rich" if sys.stderr.isatty() and not os.environ.get("CI") else "plain"
    if mode == "rich":
        return RichProgress()
    if mode == "plain":
        return PlainProgress()
    return NoProgress()


class NoProgress:
    def start(self, total: int, done: int, label: str) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def stop(self) -> None:
        pass


class PlainProgress:
    """One line every 10% or 10 s, whichever comes first: readable in CI logs."""

    def __init__(self) -> None:
        self.total = self.done = 0
        self.t0 = self.last_print = 0.0
        self.start_done = 0
        self.label = ""
        self.next_pct = 0.1

    def start(self, total: int, done: int, label: str) -> None:
        self.total, self.done, self.start_done, self.label = total, done, done, label
        self.t0 = self.last_print = time.monotonic()
        print(f"[harness] {label}: {done}/{total} already done", file=sys.stderr, flush=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        frac = self.done / self.total if self.total else 1.0
        if frac >= self.next_pct or now - self.last_print >= 10 or self.done == self.total:
            while self.next_pct <= frac:
                self.next_pct += 0.1
            self.last_print = now
            rate = (self.done - self.start_done) / max(now - self.t0, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            print(f"[harness] {self.label}: {self.done}/{self.total} ({frac:.0%}) {rate:.1f} samples/s, "
                  f"ETA {eta:.0f}s", file=sys.stderr, flush=True)

    def stop(self) -> None:
        pass


class RichProgress:
    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.fields[rate]}"),
                           TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
        self._task = None
        self.t0 = 0.0
        self.start_done = self.done = 0

    def start(self, total: int, done: int, label: str) -> None:
        self._p.start()
        self.t0 = time.monotonic()
        self.start_done = self.done = done
        self._task = self._p.add_task(label, total=total, completed=done, rate="")

    def advance(self, n: int = 1) -> None:
        self.done += n
        rate = (self.done - self.start_done) / max(time.monotonic() - self.t0, 1e-9)
        self._p.update(self._task, advance=n, rate=f"{rate:.1f} samples/s")  # type: ignore[arg-type]

    def stop(self) -> None:
        self._p.stop()
