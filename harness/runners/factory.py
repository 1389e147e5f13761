"""Build a sandbox from a backend name (what the CLI and task specs say)."""

from __future__ import annotations

from pathlib import Path

from harness.core.errors import UserError
from harness.runners.base import Sandbox
from harness.runners.types import Limits

BACKENDS = ("docker", "bwrap", "local")


def make_sandbox(
    backend: str = "docker",
    *,
    image: str = "python",
    limits: Limits | None = None,
    max_sandboxes: int = 2,
    pooled: bool = True,
    rootfs: Path | None = None,
    allow_untrusted_code_on_host: bool = False,
) -> Sandbox:
    """`docker` runs `image`; `bwrap` runs on `rootfs`, or on the exported `image` when docker can export it,
    or on the host's /usr when `image` is "host"; `local` needs the explicit opt-in."""
    if backend == "docker":
        from harness.runners.docker_backend import DockerSandbox

        return DockerSandbox(image, pooled=pooled, max_sandboxes=max_sandboxes, limits=limits)
    if backend == "bwrap":
        from harness.runners.process_backend import BwrapSandbox

        if rootfs is None and image != "host":
            from harness.runners.images import export_rootfs

            rootfs = export_rootfs(image)
        return BwrapSandbox(rootfs, limits=limits, max_sandboxes=max_sandboxes)
    if backend == "local":
        from harness.runners.process_backend import LocalSandbox

        return LocalSandbox(
            allow_untrusted_code_on_host=allow_untrusted_code_on_host, limits=limits, max_sandboxes=max_sandboxes
        )
    raise UserError(f"unknown sandbox backend {backend!r}; choose one of {', '.join(BACKENDS)}")
