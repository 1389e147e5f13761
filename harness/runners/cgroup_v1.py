"""A throwaway cgroup (v1: memory, pids, cpu) per execution for the process-based backends.

bubblewrap has no resource controls of its own. As root on a cgroup-v1 host we create
`/sys/fs/cgroup/<controller>/harness-sandbox/<id>`, hand its `cgroup.procs` to the sandbox uid so the launcher
can move itself in before exec'ing bwrap, and read the exact OOM-kill count afterwards. Where this is not
possible (not root, cgroup v2 without delegation) the caller falls back to rlimits.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

from harness.runners.types import SANDBOX_UID, Limits

ROOT = Path("/sys/fs/cgroup")
PARENT = "harness-sandbox"


def available() -> bool:
    """True when per-execution memory and pids cgroups can be created here."""
    if os.geteuid() != 0:
        return False
    for ctrl in ("memory", "pids"):
        base = ROOT / ctrl
        if not (base / "cgroup.procs").exists():
            return False
        try:
            (base / PARENT).mkdir(exist_ok=True)
        except OSError:
            return False
    return True


class Cgroup:
    def __init__(self, limits: Limits) -> None:
        self.name = uuid.uuid4().hex[:16]
        self.paths: dict[str, Path] = {}
        mem = limits.memory_mb * 1024 * 1024
        try:
            self._make("memory", {"memory.limit_in_bytes": mem, "memory.memsw.limit_in_bytes": mem})
            self._make("pids", {"pids.max": limits.pids})
            if (ROOT / "cpu" / "cpu.cfs_quota_us").exists():
                period = 100_000
                self._make("cpu", {"cpu.cfs_period_us": period, "cpu.cfs_quota_us": int(limits.cpus * period)})
        except BaseException:
            self.remove()  # the caller never sees this object, so nobody else would remove what was made
            raise

    def _make(self, ctrl: str, settings: dict[str, int]) -> None:
        path = ROOT / ctrl / PARENT / self.name
        path.mkdir(parents=True)
        self.paths[ctrl] = path
        for key, value in settings.items():
            f = path / key
            if f.exists():  # memsw needs swap accounting; without swap there is nothing to limit anyway
                f.write_text(str(value))
        os.chown(path / "cgroup.procs", SANDBOX_UID, SANDBOX_UID)

    def procs_files(self) -> list[str]:
        return [str(p / "cgroup.procs") for p in self.paths.values()]

    def oom_kills(self) -> int:
        f = self.paths["memory"] / "memory.oom_control"
        for line in f.read_text().splitlines():
            k, _, v = line.partition(" ")
            if k == "oom_kill":
                return int(v)
        return 0

    def pids(self) -> list[int]:
        text = (self.paths["pids"] / "cgroup.procs").read_text()
        return [int(x) for x in text.split()]

    def kill_all(self) -> None:
        """SIGKILL everything still in the group (repeat: a fork bomb may be mid-fork)."""
        if "pids" not in self.paths:  # construction failed before the pids group existed: nothing joined
            return
        for _ in range(100):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        for path in self.paths.values():
            for _ in range(50):  # rmdir fails with EBUSY until the killed tasks are fully gone
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)
