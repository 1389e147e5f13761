"""Which sandbox backends work on this machine, and for each that does not: why, and the fix."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field

from harness.runners.images import BASE_IMAGE, LANGUAGES, resolve_image


@dataclass
class Check:
    backend: str
    ok: bool
    detail: str
    problems: list[tuple[str, str]] = field(default_factory=list)  # (why, how to fix)


def check_docker() -> Check:
    try:
        import docker.errors
    except ImportError:
        return Check("docker", False, "", [("the Python package 'docker' is not installed", "pip install 'docker>=7'")])
    from harness.core.errors import UserError
    from harness.runners.docker_backend import docker_client

    try:
        api = docker_client(timeout=10)
        version = api.version().get("Version", "?")
    except UserError as exc:
        fix = (
            "start it: sudo .ci/setup-sandboxes.sh (or `dockerd --bridge=none --iptables=false &`), "
            "or join the docker group"
        )
        return Check("docker", False, "", [(str(exc), fix)])
    except Exception as exc:  # noqa: BLE001  # pragma: no cover - any odd daemon state is reported, not raised
        return Check("docker", False, "", [(f"daemon error: {exc}", "check `docker info`")])
    have = []
    problems: list[tuple[str, str]] = []
    for name in ("base", *LANGUAGES):
        try:
            api.inspect_image(resolve_image(name))
            have.append(name)
        except docker.errors.ImageNotFound:
            if name == "base":
                problems.append((f"image {BASE_IMAGE} is missing", "harness sandbox build-base"))
            elif name == "python":
                problems.append((f"image {resolve_image(name)} is missing", "harness sandbox build python"))
    missing = [n for n in LANGUAGES if n not in have]
    detail = f"daemon {version}; images: {', '.join(have) or 'none'}"
    if missing:
        detail += f" (not built: {', '.join(missing)})"
    if "python" in have:
        try:
            from harness.runners.docker_backend import DockerSandbox

            with DockerSandbox("python", pooled=False) as sb:
                r = sb.exec(["true"])
            if not r.ok:
                problems.append(
                    (f"a test container failed: {r.infra_error or r.stderr.strip()[-200:]}", "see the dockerd log")
                )
        except Exception as exc:  # noqa: BLE001 - doctor reports every failure instead of raising
            problems.append((f"a test container failed: {exc}", "see the dockerd log"))
    return Check("docker", not problems, detail, problems)


def check_bwrap() -> Check:
    exe = shutil.which("bwrap")
    if exe is None:
        return Check("bwrap", False, "", [("bubblewrap is not installed", "apt-get install -y bubblewrap")])
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    drop = {"user": 65534, "group": 65534, "extra_groups": []} if os.geteuid() == 0 else {}
    probe = subprocess.run(
        [exe, "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
        capture_output=True,
        text=True,
        check=False,
        **drop,
    )
    problems: list[tuple[str, str]] = []
    if probe.returncode != 0:
        fix = (
            "allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 (Debian) "
            "or user.max_user_namespaces=10000"
        )
        problems.append((f"bwrap cannot create namespaces: {probe.stderr.strip()[-200:]}", fix))
    from harness.runners import cgroup_v1

    limits = (
        "memory/pids/cpu via per-run cgroups"
        if cgroup_v1.available()
        else (
            "memory via RLIMIT_AS only (no writable cgroup v1: run as root on a cgroup-v1 host for exact OOM reports)"
        )
    )
    return Check("bwrap", not problems, f"{version}; {limits}", problems)


def check_local() -> Check:
    return Check("local", True, "no isolation; needs --allow-untrusted-code-on-host")


def run_checks() -> list[Check]:
    return [check_docker(), check_bwrap(), check_local()]


def report(checks: list[Check]) -> str:
    lines = []
    for c in checks:
        lines.append(f"{c.backend:7s} {'ok' if c.ok else 'NOT WORKING'}  {c.detail}".rstrip())
        for why, fix in c.problems:
            lines.append(f"          why: {why}")
            lines.append(f"          fix: {fix}")
    return "\n".join(lines)
