"""pytest fork server for pooled containers: import pytest once per container, fork once per sample.

Starting CPython and importing pytest costs ~0.3 s of CPU on this 2-core machine, more than everything else in a
small test run, and every fresh process pays it. So a pooled container runs one *fork server* (`ZYGOTE`) as the
sandbox uid, attached to a socket held by the host: it imports pytest, then for each request forks a child that
runs `python -m pytest ARGS` (or the `pytest` entry point) in the workspace via `runpy`, exactly as the command
would (same interpreter, `__main__`, `sys.argv`, `sys.path[0]`, working directory, environment; `random`
reseeds itself after fork). The child's stdout/stderr come back as frames, then one status frame.

Isolation between samples:
- The server never runs sample code itself; each child is forked from the same pristine state.
- The server makes itself non-dumpable (prctl), so a sample running as the same uid can neither ptrace it nor
  open its /proc/<pid>/{mem,fd,environ}; the child turns dumpable again so that its own /proc works normally.
- After each child exits, the server checks /proc for any other process of the sandbox uid and wipes /tmp and
  /dev/shm. If anything is left (a daemon, an undeletable file), it reports "dirty" and exits; the host then
  kills everything in the container and starts a new server. A sample can kill or stop the server (same uid);
  that only ends its own run (the host sees no status frame, exactly like a killed command).
- Only `python -m pytest ...` and `pytest ...` without PYTHON* variables (read at interpreter start) take this
  path; everything else runs through a normal `docker exec`.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Sequence

WARM_PYTHON = "python"  # the image's PATH resolves it (the venv in harness-sandbox/python)

FRAME = struct.Struct(">BI")  # kind, length
STDOUT, STDERR, STATUS = 1, 2, 3

ZYGOTE = r"""
import atexit, ctypes, importlib, json, os, runpy, selectors, shutil, struct, sys, traceback
import pytest
import _pytest.config

# pytest imports its built-in plugins on every run; doing it here (they would be imported anyway) leaves each
# forked child only the work that depends on the sample.
for _name in _pytest.config.default_plugins:
    try:
        importlib.import_module(f"_pytest.{_name}")
    except Exception:
        pass

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_DUMPABLE = 4
libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
FRAME = struct.Struct(">BI")
ME, UID = os.getpid(), os.getuid()
pending = b""


def send(kind, data):
    buf = FRAME.pack(kind, len(data)) + data
    while buf:
        buf = buf[os.write(1, buf):]


def readline():
    global pending
    while b"\n" not in pending:
        chunk = os.read(0, 65536)
        if not chunk:
            return b""
        pending += chunk
    line, _, pending = pending.partition(b"\n")
    return line


def leftovers():
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != ME:
            try:
                with open(f"/proc/{d}/status") as fh:
                    st = fh.read()
            except OSError:
                continue
            fields = dict(l.split(":", 1) for l in st.splitlines() if ":" in l)
            if int(fields["Uid"].split()[0]) == UID and not fields["State"].strip().startswith("Z"):
                found.append(int(d))
    return found


def wipe():
    for root in ("/tmp", "/dev/shm"):
        for entry in os.scandir(root):
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                return False
    return not any(True for root in ("/tmp", "/dev/shm") for _ in os.scandir(root))


def child(req, out_w, err_w):
    code = 1
    try:
        os.setsid()
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, 4096)
        os.chdir(req["cwd"])
        os.environ.update(req["env"])
        if req["mode"] == "script":
            script = shutil.which("pytest")
            sys.argv = [script, *req["args"]]
            sys.path[0] = os.path.dirname(script)
            runpy.run_path(script, run_name="__main__")
        else:
            sys.argv = ["-m", *req["args"]]
            runpy.run_module("pytest", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code & 0xFF
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


while True:
    line = readline()
    if not line:
        os._exit(0)
    req = json.loads(line)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        child(req, out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    sel = selectors.DefaultSelector()
    sel.register(out_r, selectors.EVENT_READ, 1)
    sel.register(err_r, selectors.EVENT_READ, 2)
    status = None
    while sel.get_map():
        for key, _ in sel.select(timeout=0.05):
            data = os.read(key.fd, 65536)
            if data:
                send(key.data, data)
            else:
                sel.unregister(key.fd)
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
        elif not sel.select(timeout=0):
            break  # like `docker exec`: output ends when the command exits, even if a daemon holds the pipe
    sel.close()
    os.close(out_r)
    os.close(err_r)
    if status is None:
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        code = 128 - code
    clean = not leftovers() and wipe()
    send(3, json.dumps({"code": code, "clean": clean}).encode())
    if not clean:
        os._exit(0)
"""


def warm_request(argv: Sequence[str], env: dict[str, str], cwd: str) -> bytes | None:
    """The request line for the fork server, or None when this command must run the normal way."""
    if any(k.startswith("PYTHON") for k in env):
        return None
    if len(argv) >= 3 and argv[0] == WARM_PYTHON and argv[1] == "-m" and argv[2] == "pytest":
        mode, args = "module", list(argv[3:])
    elif argv and argv[0] == "pytest":
        mode, args = "script", list(argv[1:])
    else:
        return None
    return (json.dumps({"mode": mode, "args": args, "env": env, "cwd": cwd}) + "\n").encode()


class FrameReader:
    """Splits the fork server's stdout (as docker delivers it, in arbitrary chunks) into frames."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self._buf += data
        while len(self._buf) >= FRAME.size:
            kind, length = FRAME.unpack_from(self._buf)
            if len(self._buf) < FRAME.size + length:
                return
            payload = self._buf[FRAME.size : FRAME.size + length]
            self._buf = self._buf[FRAME.size + length :]
            yield kind, payload
