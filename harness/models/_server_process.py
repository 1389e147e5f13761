"""A server subprocess that never outlives the harness: own process group, log file, health wait, clean stop.

The server runs under a small watchdog process that leads a new session (process group), so one signal reaches
the server and every worker it spawned. On SIGTERM the watchdog asks the server to stop (SIGTERM), waits a grace
period, then SIGKILLs the whole group. The watchdog gets SIGTERM from `stop()`, from an atexit hook (normal exit,
Ctrl-C) and, on Linux, from the kernel through PR_SET_PDEATHSIG when the harness dies without running any Python
(SIGKILL, OOM killer), so a 3 GB vLLM server never outlives the run.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_live: dict[int, ServerProcess] = {}
_live_lock = threading.Lock()

PR_SET_PDEATHSIG = 1

# Runs as `python -c WATCHDOG GRACE_S CMD...`; stdlib only, so any interpreter can run it.
WATCHDOG = """
import os, signal, subprocess, sys, time
grace = float(sys.argv[1])
proc = subprocess.Popen(sys.argv[2:])
deadline = None
def stop(signum, frame):
    # Only os.kill here: Popen.wait in the main loop holds a lock a handler cannot take.
    global deadline
    if deadline is None:
        deadline = time.monotonic() + grace
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGHUP, stop)
rc = None
while rc is None and (deadline is None or time.monotonic() < deadline):
    try:
        rc = proc.wait(timeout=0.2)
    except subprocess.TimeoutExpired:
        pass
if deadline is not None:
    os.killpg(0, signal.SIGKILL)  # workers the server left behind, and this watchdog
sys.exit(rc)
"""


def _pdeathsig_hook() -> object | None:
    """A preexec function asking the kernel to SIGTERM the child when its parent dies (Linux only).

    The libc function is resolved here, before fork, so the child only makes one foreign call.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    sig = int(signal.SIGTERM)

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return hook


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(
        self, cmd: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None, grace_s: float = 20.0
    ) -> None:
        self.cmd = list(cmd)
        self.grace_s = grace_s
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self._log.write(("$ " + " ".join(redact_secrets(list(self.cmd))) + "\n").encode())
        self._log.flush()
        hook = _pdeathsig_hook()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(grace_s), *self.cmd],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            preexec_fn=hook,  # type: ignore[arg-type]
        )
        with _live_lock:
            _live[self.proc.pid] = self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exit_code(self) -> int | None:
        return self.proc.poll()

    def log_tail(self, lines: int = 25) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 64_000))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the watchdog (which stops the server gracefully, then kills its group); SIGKILL as a backstop."""
        proc = self.proc
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=self.grace_s + 5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # stragglers: engine workers that outlived the API process
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        _wait_group_gone(proc.pid, 5.0)  # killed workers linger briefly as zombies until init reaps them
        with _live_lock:
            _live.pop(proc.pid, None)
        if not self._log.closed:
            self._log.close()


def _wait_group_gone(pgid: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        servers = list(_live.values())
    for server in servers:
        server.stop()


_SECRET_FLAGS = ("--api-key", "--hf-token", "--token")


def redact_secrets(argv: list[str]) -> list[str]:
    """`--api-key X` / `--api-key=X` -> `--api-key ***`, so run.json never holds a key given through args=."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append("***")
            hide_next = False
        elif arg in _SECRET_FLAGS:
            out.append(arg)
            hide_next = True
        elif arg.startswith(tuple(f + "=" for f in _SECRET_FLAGS)):
            out.append(arg.split("=", 1)[0] + "=***")
        else:
            out.append(arg)
    return out
