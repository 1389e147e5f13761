"""Helpers for the sandbox tests: readiness checks (with the reason to skip) and quick limits."""

from __future__ import annotations

import os
import shutil
import subprocess

from harness.runners.types import Limits

QUICK = Limits(timeout_s=20, memory_mb=512, cpus=1.0, pids=128, tmpfs_mb=64)


def docker_ready() -> str | None:
    """None when a daemon and the python image are usable, else the reason to skip."""
    try:
        import docker
    except ImportError:
        return "the 'docker' Python package is not installed"
    from harness.core.errors import UserError
    from harness.runners.docker_backend import docker_client
    from harness.runners.images import resolve_image

    try:
        api = docker_client(timeout=10)
    except UserError as exc:
        return f"no Docker daemon: {exc}"
    import docker.errors

    try:
        api.inspect_image(resolve_image("python"))
    except docker.errors.ImageNotFound:
        return "image harness-sandbox/python:bookworm missing (run .ci/setup-sandboxes.sh)"
    return None


def bwrap_ready() -> str | None:
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap is not installed"
    drop = {"user": 65534, "group": 65534, "extra_groups": []} if os.geteuid() == 0 else {}
    p = subprocess.run([exe, "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True, check=False, **drop)
    if p.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {p.stderr.decode()[-200:]}"
    return None


def python_in(sb) -> str:
    """The interpreter to call inside this sandbox (the image's venv python, or the host's /usr/bin/python3)."""
    return "python" if getattr(sb, "rootfs", "image") is not None else "/usr/bin/python3"
