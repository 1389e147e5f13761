"""Hard time limits for symbolic answer checks: one helper process, killed and replaced when a check overruns.

Why a process: sympy can spend minutes inside one C-level big-integer operation (`10^{10^{10^{10}}}`), where
`signal.alarm` cannot interrupt it, and signals only reach the main thread anyway. Qwen2.5-Math's own evaluation
does the same thing (a pebble process pool of one worker with a 3 s timeout; a timeout scores False).

The helper is started lazily with the `spawn` method (safe when the parent has threads), serves requests one at a
time over a pipe, and is killed on timeout; the next call starts a new one. Callers from several threads share it
under a lock.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any

TIMED_OUT = object()


def _serve(conn: Connection) -> None:
    """Helper process loop: receive (module, function, args), reply ("ok", result) or ("err", message)."""
    while True:
        try:
            module, name, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            fn = getattr(importlib.import_module(module), name)
            reply: tuple[str, Any] = ("ok", fn(*args))
        except Exception as e:  # the checker's own failure: reported, never fatal to the helper
            reply = ("err", f"{type(e).__name__}: {e}")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Helper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.restarts = 0

    def _ensure(self) -> Connection:
        if self._proc is None or not self._proc.is_alive() or self._conn is None:
            self._stop()
            ctx = multiprocessing.get_context("spawn")
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="harness-math-check")
            proc.start()
            child.close()
            self._proc, self._conn = proc, parent
            self.restarts += 1
        return self._conn

    def _stop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=5)
        self._proc, self._conn = None, None

    def call(self, module: str, name: str, args: tuple[Any, ...], timeout_s: float) -> Any:
        """`module.name(*args)` in the helper; TIMED_OUT when it takes longer than `timeout_s` (the helper is then
        killed); raises RuntimeError when the function raised there."""
        with self._lock:
            conn = self._ensure()
            try:
                conn.send((module, name, args))
                ready = conn.poll(timeout_s)
            except (OSError, EOFError, ValueError):
                self._stop()
                raise RuntimeError("math check helper process died") from None
            if not ready:
                self._stop()
                return TIMED_OUT
            try:
                status, value = conn.recv()
            except (OSError, EOFError):
                self._stop()
                raise RuntimeError("math check helper process died") from None
        if status == "err":
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        with self._lock:
            self._stop()


_helper = _Helper()
atexit.register(_helper.close)


def call_with_timeout(module: str, name: str, args: tuple[Any, ...], timeout_s: float) -> Any:
    return _helper.call(module, name, args, timeout_s)


def helper_starts() -> int:
    """How many helper processes have been started (tests use it to see that a timeout replaced the helper)."""
    return _helper.restarts
