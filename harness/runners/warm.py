"""Warm pytest start for pooled containers: pay for `import pytest` while the container sits idle.

Starting CPython and importing pytest costs about 0.3 s on this 2-core machine, more than the rest of a small
test run. After a pooled container has been cleaned, the backend starts `python -c WARM_SCRIPT` in it as the
sandbox uid, attached to a socket: the script imports pytest and blocks reading one JSON request line. When the
next command is exactly `python -m pytest ...` or `pytest ...` (and sets no PYTHON* variable, which only take
effect at interpreter start), the request goes down that socket and the warm process runs pytest in the
workspace as `python -m pytest` would: same interpreter, '' (the working directory) first on sys.path for
`-m`, the script folder for the `pytest` entry point. Anything else is exec'd unchanged by a normal exec, and the
warm process is discarded. Each warm process is started only after the previous command's processes were
killed and /tmp, /dev/shm and the workspace wiped, so nothing of one sample reaches the next.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

WARM_PYTHON = "python"  # the image's PATH resolves it (the venv in harness-sandbox/python)

WARM_SCRIPT = r"""
import json, os, sys
import pytest
line = sys.stdin.buffer.readline()
if not line:
    os._exit(0)
req = json.loads(line)
fd = os.open("/dev/null", os.O_RDONLY)
os.dup2(fd, 0)
os.close(fd)
os.chdir(req["cwd"])
os.environ.update(req["env"])
import runpy
if req["mode"] == "script":
    import shutil
    script = shutil.which("pytest")
    sys.argv = [script, *req["args"]]
    sys.path[0] = os.path.dirname(script)
    runpy.run_path(script, run_name="__main__")
else:
    sys.argv = ["-m", *req["args"]]  # run_module puts the module's file here, as `python -m` does
    runpy.run_module("pytest", run_name="__main__", alter_sys=True)
"""


def warm_request(argv: Sequence[str], env: dict[str, str], cwd: str) -> bytes | None:
    """The request line for a warm pytest process, or None when this command must run the normal way."""
    if any(k.startswith("PYTHON") for k in env):
        return None
    if len(argv) >= 3 and argv[0] == WARM_PYTHON and argv[1] == "-m" and argv[2] == "pytest":
        mode, args = "module", list(argv[3:])
    elif argv and argv[0] == "pytest":
        mode, args = "script", list(argv[1:])
    else:
        return None
    return (json.dumps({"mode": mode, "args": args, "env": env, "cwd": cwd}) + "\n").encode()
