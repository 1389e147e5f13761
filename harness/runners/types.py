"""What a sandbox is asked to do (`Limits`) and what it reports back (`ExecResult`).

These two records are the whole contract between scorers and the sandbox backends; they carry no backend
details so a task can be scored the same way under docker, bubblewrap or the local runner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.errors import InfraError as CoreInfraError

# A project tree going in: a directory copied as-is, or a mapping of workspace-relative path -> content
# (bytes, text, or a host file to copy).
Files = Path | Mapping[str, bytes | str | Path]

SANDBOX_UID = 65534  # "nobody": every untrusted command runs as this uid in every backend
WORKSPACE = "/workspace"  # where the project tree is mounted (read-write) inside docker and bwrap sandboxes


@dataclass(frozen=True)
class Limits:
    """Resource limits for one execution. Defaults suit a unit-test run of a small project."""

    timeout_s: float = 60.0  # wall clock, enforced by the host (the sandbox cannot extend it)
    memory_mb: int = 1024  # RAM; swap is set equal so no extra swap is ever granted
    cpus: float = 1.0  # CPU share (docker: CFS quota; bwrap: cpu cgroup when available)
    pids: int = 256  # processes + threads; stops fork bombs
    tmpfs_mb: int = 256  # size of the writable /tmp
    output_tail_bytes: int = 64 * 1024  # bytes of each stream kept (the end of it) in the result
    output_limit_bytes: int = 32 * 1024 * 1024  # total stdout+stderr after which the command is killed
    network: bool = False  # no network unless a task explicitly asks for it

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.memory_mb <= 0 or self.cpus <= 0 or self.pids <= 0:
            raise ValueError(f"limits must be positive: {self}")

    def replace(self, **changes: Any) -> Limits:
        return dataclasses.replace(self, **changes)


@dataclass
class ExecResult:
    """Outcome of one command. `infra_error` set means the harness failed, not the code under test.

    Scorers must treat `infra_error` results as missing (never as a model failure), and a timeout or OOM as the
    model's failure. `exit_code` is None when no exit status could be obtained (infra errors only).
    """

    exit_code: int | None
    stdout: str = ""  # the last `output_tail_bytes` of stdout, decoded as UTF-8 with replacement
    stderr: str = ""
    timed_out: bool = False
    oom_killed: bool = False
    output_limited: bool = False  # killed because it wrote more than `output_limit_bytes`
    infra_error: str | None = None
    duration_s: float = 0.0
    stdout_bytes: int = 0  # total bytes produced (the kept tail may be shorter)
    stderr_bytes: int = 0
    files: dict[str, bytes] = field(default_factory=dict)  # collected outputs (reports), workspace-relative
    backend: str = ""
    attempts: int = 1  # >1 when an infrastructure failure was retried

    @property
    def ok(self) -> bool:
        """True when the command ran to completion and exited 0."""
        return (
            self.exit_code == 0
            and not (self.timed_out or self.oom_killed or self.output_limited)
            and (self.infra_error is None)
        )

    @property
    def stdout_truncated(self) -> bool:
        return self.stdout_bytes > len(self.stdout.encode("utf-8", "replace"))

    def to_dict(self, *, with_files: bool = False) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        files = d.pop("files")
        d["files"] = sorted(files) if not with_files else {k: v.decode("utf-8", "replace") for k, v in files.items()}
        d["ok"] = self.ok
        return d


class InfraError(CoreInfraError):
    """The sandbox infrastructure failed (daemon down, image missing, container died). Retried once."""
