"""Escape and abuse tests against real Docker and real bubblewrap.

Each abuse case must be contained (the host sees no effect), flagged correctly in the ExecResult, and leave the
next sandbox clean: `assert_next_sandbox_clean` runs after every case on the same (pooled) sandbox.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from pathlib import Path

import pytest

from harness.runners.types import SANDBOX_UID

from .helpers import QUICK, python_in

CANARY = r"""
import json, os
me = os.getpid()
ancestors = set()
p = me
while p > 1:
    try:
        p = int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1])
    except OSError:
        break
    ancestors.add(p)
others = []
for d in os.listdir("/proc"):
    if d.isdigit() and int(d) != me and int(d) not in ancestors and int(d) != 1:
        try:
            st = open(f"/proc/{d}/status").read()
        except OSError:
            continue
        uid = int(st.split("Uid:")[1].split()[0])
        comm = open(f"/proc/{d}/comm").read().strip()
        if uid == os.getuid():
            others.append(comm)
print(json.dumps({"uid": os.getuid(), "workspace": sorted(os.listdir(".")), "tmp": sorted(os.listdir("/tmp")),
                  "others": others}))
"""


def host_leftovers(sb) -> list[str]:
    """Processes of this sandbox still alive on the host after an execution (there must be none).

    The machine is shared, so only this sandbox's own containers / cgroups are inspected: for docker, processes
    of the sandbox uid in its pooled containers' cgroups; for bwrap, the per-run cgroup folders, which the
    backend can only remove once they are empty.
    """
    if sb.name == "bwrap":
        return [str(p) for p in sb.recent_cgroups if p.exists()]
    sb.drain()  # containers are cleaned in the background after each result
    ids = {c.id for c in sb._idle}
    # The pytest fork server of a pooled container is a sandbox-uid process by design (it never runs sample
    # code itself); everything else must be gone.
    servers = {str(sb._api.exec_inspect(c.warm[0])["Pid"]) for c in sb._idle if c.warm is not None}
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            status = Path(f"/proc/{d}/status").read_text()
            cgroup = Path(f"/proc/{d}/cgroup").read_text()
        except OSError:
            continue
        if (
            int(status.split("Uid:")[1].split()[0]) == SANDBOX_UID
            and any(i in cgroup for i in ids)
            and d not in servers
        ):
            out.append(f"{d}:{status.split()[1]}")
    return out


def assert_next_sandbox_clean(sb) -> None:
    r = sb.exec([python_in(sb), "canary.py"], files={"canary.py": CANARY}, limits=QUICK)
    assert r.ok, (r.infra_error, r.stderr)
    state = json.loads(r.stdout)
    assert state == {"uid": SANDBOX_UID, "workspace": ["canary.py"], "tmp": [], "others": []}
    assert host_leftovers(sb) == []


def run_py(sb, code: str, **limits):
    return sb.exec([python_in(sb), "-c", code], limits=QUICK.replace(**limits))


# ------------------------------------------------------------------------------------------------- network
@pytest.fixture
def host_server():
    """A TCP server on the host's loopback and on its primary address; yields (ports, addresses)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", 0))
    srv.listen(8)
    accepted: list[str] = []

    def serve():
        while True:
            try:
                conn, addr = srv.accept()
            except OSError:
                return
            accepted.append(addr[0])
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent; this just picks the outgoing interface
        primary = probe.getsockname()[0]
    except OSError:
        primary = "127.0.0.1"
    finally:
        probe.close()
    yield srv.getsockname()[1], ["127.0.0.1", primary], accepted
    srv.close()


NET_PROBE = r"""
import json, os, socket, sys
port, addrs = int(sys.argv[1]), sys.argv[2:]
res = {"ifaces": sorted(n for _, n in socket.if_nameindex()), "connected": [], "dns": None}
for a in addrs + ["1.1.1.1"]:
    try:
        socket.create_connection((a, port if a != "1.1.1.1" else 53), timeout=2).close()
        res["connected"].append(a)
    except OSError:
        pass
try:
    socket.getaddrinfo("deb.debian.org", 80)
    res["dns"] = True
except OSError:
    res["dns"] = False
print(json.dumps(res))
"""


def test_no_network_by_default(sandbox, host_server):
    port, addrs, accepted = host_server
    r = sandbox.exec([python_in(sandbox), "net.py", str(port), *addrs], files={"net.py": NET_PROBE}, limits=QUICK)
    assert r.ok, r.stderr
    res = json.loads(r.stdout)
    assert res["connected"] == [] and res["dns"] is False
    assert res["ifaces"] == ["lo"]
    assert accepted == []
    assert_next_sandbox_clean(sandbox)


@pytest.mark.bwrap
def test_bwrap_network_when_asked(bwrap_sandbox, host_server):
    port, _addrs, _accepted = host_server
    r = bwrap_sandbox.exec(
        [python_in(bwrap_sandbox), "net.py", str(port), "127.0.0.1"],
        files={"net.py": NET_PROBE},
        limits=QUICK.replace(network=True),
    )
    assert r.ok, r.stderr
    assert "127.0.0.1" in json.loads(r.stdout)["connected"]


# ---------------------------------------------------------------------------------------------- filesystem
def test_cannot_read_host_files(sandbox, tmp_path):
    secret_dir = Path("/tmp") / f"harness-secret-{uuid.uuid4().hex}"
    secret_dir.mkdir()
    (secret_dir / "secret.txt").write_text("TOP-SECRET")
    os.chmod(secret_dir, 0o755)
    os.chmod(secret_dir / "secret.txt", 0o644)  # readable by anyone on the host: only the mount can hide it
    try:
        code = (
            "import os, sys\n"
            f"paths = [{str(secret_dir / 'secret.txt')!r}, '/root/.bashrc', '/etc/shadow', '/proc/1/environ']\n"
            "for p in paths:\n"
            "    try:\n"
            "        data = open(p, 'rb').read()\n"
            "        print('READ', p, b'TOP-SECRET' in data)\n"
            "    except OSError as e:\n"
            "        print('DENIED', p, e.errno)\n"
        )
        r = run_py(sandbox, code)
        assert r.exit_code == 0, r.stderr
        assert "TOP-SECRET" not in r.stdout and "True" not in r.stdout
        assert f"DENIED {secret_dir / 'secret.txt'}" in r.stdout
    finally:
        (secret_dir / "secret.txt").unlink()
        secret_dir.rmdir()
    assert_next_sandbox_clean(sandbox)


def test_cannot_write_outside_workspace(sandbox):
    marker = f"harness-escape-{uuid.uuid4().hex}"
    code = (
        "import os\n"
        f"for d in ['/', '/etc', '/usr', '/opt', '/var', '/root', '/home']:\n"
        "    try:\n"
        f"        open(os.path.join(d, {marker!r}), 'w').write('x')\n"
        "        print('WROTE', d)\n"
        "    except OSError as e:\n"
        "        print('DENIED', d, e.errno)\n"
        "open('/tmp/left-in-tmp', 'w').write('x')\n"
        "open('left-in-workspace', 'w').write('x')\n"
    )
    r = run_py(sandbox, code)
    assert r.exit_code == 0, r.stderr
    assert "WROTE" not in r.stdout
    for d in ["/", "/etc", "/usr", "/opt", "/var", "/root", "/home", "/tmp"]:
        assert not (Path(d) / marker).exists()
    assert_next_sandbox_clean(sandbox)  # /tmp and the workspace were wiped


def test_symlink_to_host_file_is_not_collected(sandbox):
    r = sandbox.exec(
        "ln -s /etc/hostname report.txt && ln -s / root && echo ok > real.txt",
        limits=QUICK,
        collect=["*.txt", "root/etc/*"],
    )
    assert r.exit_code == 0, r.stderr
    assert r.files == {"real.txt": b"ok\n"}
    assert_next_sandbox_clean(sandbox)


# ------------------------------------------------------------------------------------------------ resources
def test_fork_bomb_is_contained(sandbox):
    r = run_py(
        sandbox,
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        timeout_s=4,
        pids=64,
    )
    assert r.timed_out and not r.ok and r.infra_error is None
    assert_next_sandbox_clean(sandbox)


def test_memory_bomb_is_oom_killed(sandbox):
    r = run_py(sandbox, "x = []\nwhile True:\n    x.append(bytearray(10**7))\n", memory_mb=128, timeout_s=20)
    assert r.oom_killed and r.exit_code == 137 and not r.timed_out and r.infra_error is None
    assert_next_sandbox_clean(sandbox)


def test_busy_loop_times_out(sandbox):
    r = run_py(
        sandbox,
        "import threading\n"
        "def spin():\n    while True: pass\n"
        "for _ in range(4): threading.Thread(target=spin, daemon=True).start()\nspin()\n",
        timeout_s=2,
        cpus=0.5,
    )
    assert r.timed_out and r.exit_code == 137 and not r.oom_killed and r.infra_error is None
    assert_next_sandbox_clean(sandbox)


def test_gigabyte_of_stdout_is_capped(sandbox):
    lim = QUICK.replace(output_limit_bytes=8 * 1024 * 1024, output_tail_bytes=4096, timeout_s=20)
    r = sandbox.exec("head -c 1000000000 /dev/zero | tr '\\0' 'x'", limits=lim)
    assert r.output_limited and not r.ok and r.infra_error is None
    assert r.stdout_bytes >= lim.output_limit_bytes
    assert r.stdout_bytes < 1_000_000_000  # killed long before the end
    assert len(r.stdout) == 4096 and set(r.stdout) == {"x"}
    assert_next_sandbox_clean(sandbox)


def test_sleep_past_timeout_and_background_children_are_killed(sandbox):
    r = sandbox.exec("(sleep 300 &) ; nohup sleep 300 >/dev/null 2>&1 & sleep 300", limits=QUICK.replace(timeout_s=1))
    assert r.timed_out and r.exit_code == 137 and r.infra_error is None
    assert_next_sandbox_clean(sandbox)


def test_daemon_left_behind_after_success_is_killed(sandbox):
    r = sandbox.exec("(sleep 300 &); echo done", limits=QUICK)
    assert r.ok and r.stdout == "done\n"
    assert_next_sandbox_clean(sandbox)


def test_killing_its_parent_does_not_hurt_the_harness(sandbox):
    r = sandbox.exec("kill -9 $PPID; kill -9 1; kill -9 -1; echo still-here", limits=QUICK)
    assert r.infra_error is None
    assert os.getpid() > 0 and threading.main_thread().is_alive()
    assert_next_sandbox_clean(sandbox)


def test_cannot_gain_root(sandbox):
    code = (
        "import os, subprocess\n"
        "res = {}\n"
        "try:\n    os.setuid(0); res['setuid'] = 'ok'\nexcept OSError as e:\n    res['setuid'] = e.errno\n"
        "st = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines() if ':' in l)\n"
        "res['caps'] = [st[k].strip() for k in ('CapEff', 'CapPrm', 'CapBnd')]\n"
        "res['nnp'] = st['NoNewPrivs'].strip()\n"
        "p = subprocess.run(['unshare', '-r', 'id', '-u'], capture_output=True, text=True)\n"
        "res['unshare'] = (p.returncode, p.stdout.strip())\n"
        "print(res)\n"
    )
    r = run_py(sandbox, code)
    assert r.exit_code == 0, r.stderr
    res = eval(r.stdout)  # our own script's repr of plain values
    assert res["setuid"] in (1, 22)  # EPERM (docker) or EINVAL (bwrap: uid 0 is not even mapped)
    assert res["caps"] == ["0000000000000000"] * 3
    assert res["nnp"] == "1"
    assert res["unshare"][0] != 0 and res["unshare"][1] != "0"
    assert_next_sandbox_clean(sandbox)


# ------------------------------------------------------------------------------ docker pytest fork server
PYTEST = ["python", "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"]
CANARY_TEST = (
    "import json, subprocess, sys\n\ndef test_state():\n"
    "    print('STATE', subprocess.run([sys.executable, 'canary.py'], capture_output=True, text=True).stdout)\n"
)


@pytest.fixture(scope="module")
def forking_sandbox():
    from .helpers import docker_ready

    reason = docker_ready()
    if reason:
        pytest.skip(reason)
    from harness.runners.docker_backend import DockerSandbox

    sb = DockerSandbox("python", pooled=True, max_sandboxes=1, limits=QUICK, warm_pytest=True)
    yield sb
    sb.close()


def assert_next_pytest_clean(sb) -> None:
    """The next sample, run through the fork server as well, sees a pristine container."""
    r = sb.exec(PYTEST, files={"canary.py": CANARY, "test_canary.py": CANARY_TEST})
    assert r.ok, (r.infra_error, r.stdout, r.stderr)
    state = json.loads(r.stdout.split("STATE ", 1)[1].splitlines()[0])
    assert state["tmp"] == [] and state["uid"] == SANDBOX_UID
    assert sorted(state["workspace"]) == ["canary.py", "test_canary.py"]
    # only this run's own processes (pytest, its subprocess, the fork server) may exist
    assert all(name == "python" for name in state["others"]), state["others"]
    assert host_leftovers(sb) == []


def _pytest_run(sb, body: str, **limits):
    sb.exec(PYTEST, files={"test_warmup.py": "def test_ok():\n    pass\n"})  # makes sure a fork server is up
    probe = "import os\n\ndef test_where():\n    print('PARENT', open(f'/proc/{os.getppid()}/cmdline').read()[:20])\n"
    r = sb.exec(PYTEST, files={"test_probe.py": probe})
    assert "PARENT python\x00-c" in r.stdout, r.stdout  # this sandbox really runs pytest in the fork server
    return sb.exec(PYTEST, files={"test_abuse.py": body}, limits=QUICK.replace(**limits))


@pytest.mark.docker
def test_fork_server_daemon_left_behind_is_killed(forking_sandbox):
    r = _pytest_run(
        forking_sandbox,
        "import subprocess\n\ndef test_daemon():\n"
        "    subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
        "    open('/tmp/left', 'w').write('x')\n",
    )
    assert r.ok, r.stdout + r.stderr
    assert_next_pytest_clean(forking_sandbox)


@pytest.mark.docker
def test_fork_server_cannot_be_inspected_by_the_sample(forking_sandbox):
    r = _pytest_run(
        forking_sandbox,
        "import os\n\ndef test_peek():\n    ppid = os.getppid()\n"
        "    for f in ('mem', 'environ', 'fd/1'):\n        try:\n"
        "            open(f'/proc/{ppid}/{f}', 'rb').read(1)\n            print('READ', f)\n"
        "        except OSError as e:\n            print('DENIED', f, e.errno)\n",
    )
    assert r.ok, r.stdout + r.stderr
    assert "READ" not in r.stdout
    # EACCES/EPERM (not ENOENT): the parent exists, it is the fork server, and it is not readable
    assert sorted(line.split()[1:] for line in r.stdout.splitlines() if line.startswith("DENIED")) == [
        ["environ", "13"],
        ["fd/1", "13"],
        ["mem", "13"],
    ]
    assert_next_pytest_clean(forking_sandbox)


@pytest.mark.docker
def test_fork_server_killed_by_the_sample_is_the_samples_failure(forking_sandbox):
    r = _pytest_run(
        forking_sandbox,
        "import os, signal\n\ndef test_kill_parent():\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    assert r.infra_error is None and not r.ok and r.exit_code == 137
    assert_next_pytest_clean(forking_sandbox)


@pytest.mark.docker
def test_fork_server_stopped_by_the_sample_times_out(forking_sandbox):
    r = _pytest_run(
        forking_sandbox,
        "import os, signal, time\n\ndef test_stop_parent():\n"
        "    os.kill(os.getppid(), signal.SIGSTOP)\n    time.sleep(60)\n",
        timeout_s=2,
    )
    assert r.timed_out and r.infra_error is None
    assert_next_pytest_clean(forking_sandbox)
