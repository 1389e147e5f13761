"""A launched server never outlives the harness: close(), normal exit without close, Ctrl-C and SIGKILL.

The "server" here is a real process tree (a Python parent that spawns a child and sleeps), standing in for vLLM so
the lifecycle can be checked in a second instead of 35.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.models._server_process import ServerProcess

# Parent spawns a grandchild in the same process group, prints both pids, then sleeps; it ignores nothing.
TREE = textwrap.dedent(
    """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print("PIDS", child.pid, flush=True)
    time.sleep(600)
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_dead(pids: list[int], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def read_pids(log: Path, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists():
            for line in log.read_text().splitlines():
                if line.startswith("PIDS"):
                    return int(line.split()[1])
        time.sleep(0.05)
    raise AssertionError(f"server tree never reported its pids: {log.read_text() if log.exists() else ''}")


def test_stop_kills_the_whole_group(tmp_path: Path) -> None:
    server = ServerProcess([sys.executable, "-c", TREE], tmp_path / "server.log", grace_s=5)
    grandchild = read_pids(tmp_path / "server.log")
    assert alive(server.pid) and alive(grandchild)
    server.stop()
    assert wait_dead([server.pid, grandchild])
    assert "$ " in (tmp_path / "server.log").read_text()  # the command line heads the log


DRIVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from harness.models._server_process import ServerProcess
    server = ServerProcess([sys.executable, "-c", {tree!r}], Path({log!r}), grace_s=5)
    while "\\nPIDS " not in Path({log!r}).read_text():  # the tree is fully up before we exit or get killed
        time.sleep(0.05)
    print("SERVER", server.pid, flush=True)
    if {mode!r} == "exit":
        sys.exit(0)
    time.sleep(600)
    """
)


@pytest.mark.parametrize("mode", ["exit", "sigint", "sigkill"])
def test_server_dies_with_the_harness(tmp_path: Path, mode: str) -> None:
    log = tmp_path / "server.log"
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER.format(tree=TREE, log=str(log), mode=mode)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert driver.stdout is not None
    server_pid = int(driver.stdout.readline().split()[1])
    grandchild = read_pids(log)
    if mode == "sigint":
        driver.send_signal(signal.SIGINT)  # Ctrl-C: KeyboardInterrupt, then the atexit hook
    elif mode == "sigkill":
        driver.kill()  # no Python runs: PR_SET_PDEATHSIG tells the kernel to stop the server
    driver.wait(timeout=30)
    assert wait_dead([server_pid, grandchild]), f"server outlived the harness ({mode})"


def test_secrets_passed_to_the_server_are_redacted() -> None:
    from harness.models._server_process import redact_secrets

    argv = ["-m", "vllm", "--api-key", "sk-123", "--port", "8000", "--hf-token=hf_abc", "--model", "m"]
    assert redact_secrets(argv) == ["-m", "vllm", "--api-key", "***", "--port", "8000", "--hf-token=***",
                                    "--model", "m"]
