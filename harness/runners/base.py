"""The one Sandbox interface every backend implements, with the retry-once rule for infrastructure failures."""

from __future__ import annotations

import abc
import logging
import shlex
import time
from collections.abc import Mapping, Sequence
from typing import Self

from harness.runners.types import ExecResult, Files, InfraError, Limits

log = logging.getLogger(__name__)

Command = Sequence[str] | str


def as_argv(command: Command) -> list[str]:
    """A string runs through `sh -c` (so pipes work); a list runs as-is."""
    if isinstance(command, str):
        return ["sh", "-c", command]
    argv = list(command)
    if not argv:
        raise ValueError("empty command")
    return argv


class Sandbox(abc.ABC):
    """Runs untrusted commands. Thread-safe: `exec` may be called from many threads (bounded by the backend).

    `exec(command, files, limits)` copies `files` into a fresh, empty workspace (the working directory), runs
    `command` as an unprivileged user under `limits`, and returns an `ExecResult`; files matching `collect`
    (globs relative to the workspace) come back in `result.files`. Infrastructure failures are retried once
    and, if they persist, reported in `result.infra_error` instead of being raised.
    """

    name: str = "?"
    default_limits: Limits = Limits()

    def exec(
        self,
        command: Command,
        files: Files | None = None,
        limits: Limits | None = None,
        *,
        collect: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> ExecResult:
        argv = as_argv(command)
        lim = limits or self.default_limits
        started = time.monotonic()
        last_error = ""
        for attempt in (1, 2):
            try:
                result = self._exec_once(argv, files, lim, collect, dict(env or {}))
            except InfraError as exc:
                last_error = str(exc) or type(exc).__name__
                log.warning("sandbox %s: infrastructure failure (attempt %d): %s", self.name, attempt, last_error)
                continue
            result.attempts = attempt
            result.backend = self.name
            return result
        return ExecResult(
            exit_code=None,
            infra_error=last_error,
            duration_s=time.monotonic() - started,
            backend=self.name,
            attempts=2,
        )

    async def aexec(
        self, command: Command, files: Files | None = None, limits: Limits | None = None, **kw
    ) -> ExecResult:
        """`exec` for async callers (the engine): runs in a worker thread."""
        import asyncio  # lazy: keeps `harness --help` fast

        return await asyncio.to_thread(self.exec, command, files, limits, **kw)

    @abc.abstractmethod
    def _exec_once(
        self, argv: list[str], files: Files | None, limits: Limits, collect: Sequence[str], env: dict[str, str]
    ) -> ExecResult:
        """One attempt. Raise InfraError for failures of the harness itself; everything else is a result."""

    def close(self) -> None:
        """Release pooled resources (containers, workspaces)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        return self.name


def describe_argv(argv: Sequence[str]) -> str:
    return shlex.join(argv)
