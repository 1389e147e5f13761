"""Fixtures: real sandboxes on this machine (real Docker daemon, real bubblewrap); skipped with a reason if absent."""

from __future__ import annotations

import pytest

from .helpers import QUICK, bwrap_ready, docker_ready


@pytest.fixture(scope="session")
def docker_sandbox():
    reason = docker_ready()
    if reason:
        pytest.skip(reason)
    from harness.runners.docker_backend import DockerSandbox

    sb = DockerSandbox("python", pooled=True, max_sandboxes=2, limits=QUICK)
    yield sb
    sb.close()


@pytest.fixture(scope="session")
def bwrap_sandbox():
    reason = bwrap_ready()
    if reason:
        pytest.skip(reason)
    from harness.runners.process_backend import BwrapSandbox

    rootfs = None
    if docker_ready() is None:  # same image as the docker tests; otherwise the host's /usr
        from harness.runners.images import export_rootfs

        rootfs = export_rootfs("python")
    sb = BwrapSandbox(rootfs, limits=QUICK)
    yield sb
    sb.close()


@pytest.fixture(
    params=[pytest.param("docker", marks=pytest.mark.docker), pytest.param("bwrap", marks=pytest.mark.bwrap)]
)
def sandbox(request):
    """Each escape test runs against both isolating backends."""
    return request.getfixturevalue(f"{request.param}_sandbox")
