"""Warm-container pool behaviour and the classification of infrastructure failures (retried once)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from harness.core.errors import UserError

from .helpers import QUICK, bwrap_ready, docker_ready

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def docker_ok():
    reason = docker_ready()
    if reason:
        pytest.skip(reason)


def test_pool_reuses_containers_with_clean_state(docker_ok):
    from harness.runners.docker_backend import DockerSandbox

    with DockerSandbox("python", max_sandboxes=1, limits=QUICK) as sb:
        first = sb.exec("cat /etc/hostname; echo a > mine; echo b > /tmp/t; echo c > /dev/shm/s", files={"in.txt": "1"})
        second = sb.exec("cat /etc/hostname; ls -A /workspace /tmp /dev/shm")
        assert first.ok and second.ok, (first, second)
        host1, host2 = first.stdout.split()[0], second.stdout.splitlines()[0]
        assert host1 == host2  # the same warm container served both
        assert second.stdout.splitlines()[1:] == ["/dev/shm:", "", "/tmp:", "", "/workspace:"]


def test_fresh_mode_uses_a_new_container_each_time(docker_ok):
    from harness.runners.docker_backend import DockerSandbox

    with DockerSandbox("python", pooled=False, limits=QUICK) as sb:
        a, b = sb.exec("cat /etc/hostname"), sb.exec("cat /etc/hostname")
        assert a.ok and b.ok and a.stdout != b.stdout


def test_parallelism_is_bounded_by_max_sandboxes(docker_ok):
    from harness.runners.docker_backend import DockerSandbox

    script = "import json, time; s = time.time(); time.sleep(1.0); print(json.dumps([s, time.time()]))"
    with DockerSandbox("python", max_sandboxes=2, limits=QUICK) as sb:
        results = []
        threads = [threading.Thread(target=lambda: results.append(sb.exec(["python", "-c", script]))) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        spans = [json.loads(r.stdout) for r in results]
        assert all(r.ok for r in results)
        events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
        running = peak = 0
        for _, delta in events:
            running += delta
            peak = max(peak, running)
        assert peak == 2
        assert len(sb._idle) <= 2


def test_async_exec(docker_ok):
    from harness.runners.docker_backend import DockerSandbox

    async def main(sb):
        return await asyncio.gather(*(sb.aexec(["sh", "-c", f"echo {i}"]) for i in range(4)))

    with DockerSandbox("python", max_sandboxes=2, limits=QUICK) as sb:
        results = asyncio.run(main(sb))
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(4)]


def test_missing_image_is_an_infra_error_retried_once(docker_ok):
    from harness.runners.docker_backend import DockerSandbox

    with DockerSandbox("harness-sandbox/does-not-exist:0", limits=QUICK) as sb:
        r = sb.exec("true")
    assert r.exit_code is None and r.attempts == 2 and not r.ok
    assert "missing" in r.infra_error and "harness sandbox build" in r.infra_error


def test_container_dying_mid_run_is_retried_on_a_fresh_one(docker_ok):
    from harness.runners.docker_backend import LABEL, DockerSandbox

    with DockerSandbox("python", max_sandboxes=1, limits=QUICK) as sb:
        killed = []

        def kill_first_container():
            # Kill the container of the first attempt from outside (what a crashing daemon or host OOM does).
            for _ in range(100):
                time.sleep(0.1)
                cs = sb._api.containers(filters={"label": f"{LABEL}.session={sb._session}"})
                if cs:
                    sb._api.kill(cs[0]["Id"])
                    killed.append(cs[0]["Id"])
                    return

        t = threading.Thread(target=kill_first_container)
        t.start()
        r = sb.exec("sleep 2; echo finished")
        t.join()
    assert killed
    assert r.ok and r.stdout == "finished\n" and r.attempts == 2 and r.infra_error is None


def test_daemon_down_mid_run_is_an_infra_error(docker_ok):
    """Simulated outage: the sandbox's API clients are pointed at a socket where no daemon listens."""
    import docker

    from harness.runners.docker_backend import DockerSandbox

    sb = DockerSandbox("python", limits=QUICK)
    real = sb._api
    try:
        dead = docker.APIClient(base_url="unix:///nonexistent/docker.sock", version="1.41", timeout=2)
        sb._api = sb._stream_api = dead
        r = sb.exec("true")
        assert r.exit_code is None and r.attempts == 2 and "docker" in r.infra_error
    finally:
        sb._api = real
        sb.close()


def test_no_daemon_at_all_is_a_user_error(monkeypatch):
    pytest.importorskip("docker")
    from harness.runners.docker_backend import DockerSandbox

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(UserError, match="cannot reach the Docker daemon"):
        DockerSandbox("python")


def test_network_request_without_bridge_is_a_user_error(docker_ok):
    from harness.runners.docker_backend import DockerSandbox

    with DockerSandbox("python", limits=QUICK) as sb:
        if sb._bridge_available():
            r = sb.exec("cat /sys/class/net/eth0/operstate", limits=QUICK.replace(network=True))
            assert r.ok
        else:
            with pytest.raises(UserError, match="bridge"):
                sb.exec("true", limits=QUICK.replace(network=True))


@pytest.mark.bwrap
def test_bwrap_setup_failure_is_an_infra_error(tmp_path: Path):
    reason = bwrap_ready()
    if reason:
        pytest.skip(reason)
    from harness.runners.process_backend import BwrapSandbox

    rootfs = tmp_path / "broken-root"
    (rootfs / "usr").mkdir(parents=True)  # no /workspace mount point, no shell: bwrap itself must fail
    tmp_path.chmod(0o755)
    r = BwrapSandbox(rootfs, limits=QUICK).exec(["/bin/sh", "-c", "true"])
    assert r.exit_code is None and r.attempts == 2 and "bubblewrap could not start" in r.infra_error


def test_warm_pytest_start_behaves_like_python_m_pytest(docker_ok):
    from harness.runners.docker_backend import DockerSandbox

    project = {
        "calc.py": "def add(a, b):\n    return a + b\n",
        "test_calc.py": (
            "import __main__, os, sys\nfrom calc import add\n\n"
            "def test_add():\n    assert add(2, 3) == 5\n\n"
            "def test_env():\n"
            "    print('CMD', open('/proc/self/cmdline').read().split('\\0')[:2])\n"
            "    print('MAIN', __main__.__file__.endswith('pytest/__main__.py'), os.getcwd(), os.environ['X'])\n"
            "    assert add(2, 2) == 5\n"
        ),
    }
    cmd = ["python", "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"]
    with DockerSandbox("python", max_sandboxes=1, limits=QUICK, warm_pytest=True) as sb:
        runs = [sb.exec(cmd, files=project, env={"X": str(i)}) for i in range(3)]
    for i, r in enumerate(runs):
        assert r.exit_code == 1 and "1 failed, 1 passed" in r.stdout, r.stdout + r.stderr
        assert f"MAIN True /workspace {i}" in r.stdout
    # The first run had no warm process yet; later ones ran in one started while the container was idle.
    assert "CMD ['python', '-m']" in runs[0].stdout
    assert "CMD ['python', '-c']" in runs[2].stdout


def test_prune_removes_containers_of_dead_harness_processes(docker_ok, monkeypatch):
    import os

    from typer.testing import CliRunner

    from harness.runners import docker_backend
    from harness.runners.cli import sandbox_app

    dead = next(p for p in range(4_000_000, 4_100_000) if not os.path.exists(f"/proc/{p}"))
    sb = docker_backend.DockerSandbox("python", limits=QUICK)
    monkeypatch.setattr(docker_backend.os, "getpid", lambda: dead)  # as if created by a crashed harness
    orphan = sb._acquire(QUICK)
    monkeypatch.undo()
    live = sb._acquire(QUICK)
    try:
        res = CliRunner().invoke(sandbox_app, ["prune"])
        assert res.exit_code == 0, res.output
        ids = {c["Id"] for c in sb._api.containers(all=True, filters={"label": docker_backend.LABEL})}
        assert orphan.id not in ids and live.id in ids
    finally:
        sb._discard(orphan)
        sb._discard(live)
        sb.close()


def test_oom_file_lookup_failure_does_not_escape_create():
    """A container that vanishes right after `start` made inspect raise a docker APIError out of _create, past its
    cleanup, leaking the container and its workspace; the OOM counter is optional, so the lookup must give up."""
    pytest.importorskip("docker")
    import docker.errors

    from harness.runners.docker_backend import DockerSandbox

    class GoneAPI:
        def inspect_container(self, cid):
            raise docker.errors.NotFound("No such container: " + cid)

    sb = DockerSandbox.__new__(DockerSandbox)  # no daemon needed: only the inspect call matters here
    sb._api = GoneAPI()
    assert sb._oom_file("0123456789ab") is None


def test_cgroup_half_created_is_removed(tmp_path: Path, monkeypatch):
    """When one controller's group cannot be made, the ones already made must go (the caller gets no object to
    remove). Runs on a fake /sys/fs/cgroup tree; the pids controller's parent is a file, so its mkdir fails."""
    from harness.runners import cgroup_v1
    from harness.runners.types import Limits

    (tmp_path / "memory" / cgroup_v1.PARENT).mkdir(parents=True)
    (tmp_path / "pids").mkdir()
    (tmp_path / "pids" / cgroup_v1.PARENT).write_text("not a directory")
    monkeypatch.setattr(cgroup_v1, "ROOT", tmp_path)
    monkeypatch.setattr(cgroup_v1.os, "chown", lambda *a, **k: None)  # no cgroup.procs in a fake tree
    with pytest.raises(OSError):
        cgroup_v1.Cgroup(Limits())
    assert list((tmp_path / "memory" / cgroup_v1.PARENT).iterdir()) == []


def test_failed_sandbox_start_leaks_no_descriptor(tmp_path: Path):
    """When the launcher cannot even be started, both ends of the start-mark pipe must be closed (an InfraError
    is retried, so a leak would grow with every failed start)."""
    import os

    from harness.runners.process_backend import STARTED_MARK, LocalSandbox
    from harness.runners.types import InfraError, Limits

    sb = LocalSandbox(allow_untrusted_code_on_host=True)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with pytest.raises(InfraError):
            sb._run([STARTED_MARK, str(tmp_path / "no-such-launcher")], {}, str(tmp_path), Limits(), None)
    assert len(os.listdir("/proc/self/fd")) == before
