"""Errors. A `UserError` is something the user can fix; the CLI prints its message as one line, no traceback."""

from __future__ import annotations


class HarnessError(Exception):
    """Base class for errors raised by the harness."""


class UserError(HarnessError):
    """Bad input (unknown task, malformed spec, missing data, server down): printed as one clear line."""


class ModelError(HarnessError):
    """The model backend failed for one request after its retries; recorded on the sample, the run goes on."""

    def __init__(self, message: str, *, retries: int = 0, retryable: bool = False) -> None:
        super().__init__(message)
        self.retries = retries
        self.retryable = retryable


class InfraError(HarnessError):
    """Infrastructure failed (sandbox daemon down, image missing, container died, a judge backend crashed): never
    scored as the model's failure. Raised from a task's solve or scorer, the engine records error_kind "infra"
    and asks again when the run resumes."""
