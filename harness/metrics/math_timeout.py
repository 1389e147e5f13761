"""Hard time limits for symbolic answer checks: one helper process, killed and replaced when a check overruns.

Why a process: sympy can spend minutes inside one C-level big-integer operation (`10^{10^{10^{10}}}`), where
`signal.alarm` cannot interrupt it, and signals only reach the main thread anyway. Qwen2.5-Math's own evaluation
does the same thing (a pebble process pool of one worker with a 3 s timeout; a timeout scores False).

The helper is a plain `python -m harness.metrics.math_timeout` subprocess speaking JSON lines over stdin/stdout
(not `multiprocessing`, whose spawn start method re-runs an unguarded `__main__` script in the child). It starts
lazily, serves one request at a time, and is killed on timeout; the next call starts a new one. Callers from
several threads share it under a lock. Only functions of the math metric modules can be called.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import select
import subprocess
import sys
import threading
from typing import Any

TIMED_OUT = object()
ALLOWED_MODULES = ("harness.metrics.math_answer", "harness.metrics.math_qwen")


class _Helper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self.starts = 0

    def _ensure(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._stop()
            env = dict(os.environ)
            # The child must import the same `harness` as this process, however this one found it.
            env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "harness.metrics.math_timeout"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True, bufsize=1, env=env,
            )
            self.starts += 1
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def call(self, module: str, name: str, args: tuple[Any, ...], timeout_s: float) -> Any:
        """`module.name(*args)` in the helper; TIMED_OUT when it takes longer than `timeout_s` (the helper is then
        killed); raises RuntimeError when the function raised there or the helper died."""
        if module not in ALLOWED_MODULES:
            raise ValueError(f"not a math checker module: {module}")
        request = json.dumps({"module": module, "name": name, "args": list(args)}) + "\n"
        with self._lock:
            proc = self._ensure()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(request)
                proc.stdin.flush()
                # The first call also waits for the helper to import sympy (about a second).
                limit = timeout_s + (10.0 if self.starts and not getattr(proc, "_ready", False) else 0.0)
                ready, _, _ = select.select([proc.stdout], [], [], limit)
                line = proc.stdout.readline() if ready else None
            except (OSError, ValueError):
                self._stop()
                raise RuntimeError("math check helper process died") from None
            if line is None:
                self._stop()
                return TIMED_OUT
            if not line:
                self._stop()
                raise RuntimeError("math check helper process died")
            proc._ready = True  # type: ignore[attr-defined]
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]

    def close(self) -> None:
        with self._lock:
            self._stop()


_helper = _Helper()
atexit.register(_helper.close)


def call_with_timeout(module: str, name: str, args: tuple[Any, ...], timeout_s: float) -> Any:
    return _helper.call(module, name, args, timeout_s)


def helper_starts() -> int:
    """How many helper processes have been started (tests use it to see that a timeout replaced the helper)."""
    return _helper.starts


def _serve() -> None:
    """Helper loop: one JSON request per stdin line, one JSON reply per stdout line."""
    # Replies own stdout; anything a checker prints (warnings, logging) goes to stderr instead.
    out, sys.stdout = sys.stdout, sys.stderr
    # Warm up the heavy imports before the first request so its time limit measures the check, not the import.
    for module in ALLOWED_MODULES:
        importlib.import_module(module)
    import latex2sympy2_extended  # noqa: F401
    import sympy  # noqa: F401

    for line in sys.stdin:
        try:
            req = json.loads(line)
            if req["module"] not in ALLOWED_MODULES:
                raise ValueError(f"not a math checker module: {req['module']}")
            fn = getattr(importlib.import_module(req["module"]), req["name"])
            reply: dict[str, Any] = {"result": fn(*req["args"])}
        except Exception as e:  # the checker's own failure: reported, never fatal to the helper
            reply = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    _serve()
