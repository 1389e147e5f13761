"""Process-based sandboxes: bubblewrap (namespaces, no daemon, ~5 ms per start) and the opt-in local runner.

Both launch `sh -c '<join cgroups>; <rlimits>; exec "$@"'` as uid 65534 (when the harness runs as root), so the
command never runs as root on the host. Limits: a fresh v1 cgroup per execution for memory (swap equal), pids
and CPU where the host allows it, otherwise RLIMIT_AS / RLIMIT_NPROC. Wall time and the output cap are enforced
by this process: it reads both pipes with a deadline and kills the whole tree (bwrap's pid namespace, or the
cgroup's members) when either is exceeded.
"""

from __future__ import annotations

import json
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from harness.core.errors import UserError
from harness.runners import cgroup_v1
from harness.runners import workspace as ws
from harness.runners.base import Sandbox
from harness.runners.capture import OutputCapture
from harness.runners.types import SANDBOX_UID, WORKSPACE, ExecResult, Files, InfraError, Limits

# Proof that the sandbox was set up: a shell inside it writes one byte to fd 3 (a pipe to the harness) and then
# execs the command with fd 3 closed. No byte means bwrap itself failed (a harness problem); the command cannot
# forge that signal in the other direction, so a model cannot pass its own failure off as an infra error.
STARTED_MARK = "@started-mark@"
MARK_SHELL = ["/bin/sh", "-c", 'printf S >&3 && exec "$@" 3>&-', "sandbox-start"]
DEFAULT_PATH = "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin"
# Host files a host-rooted bwrap sandbox needs (dynamic linker config, users, certificates); nothing else of
# /etc is visible.
HOST_ETC = (
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "ssl",
    "ca-certificates",
    "mime.types",
)


class ProcessSandbox(Sandbox):
    """Shared machinery; subclasses say how to wrap the command (`_wrap`)."""

    workdir: str = WORKSPACE

    def __init__(self, *, limits: Limits | None = None, max_sandboxes: int = 4) -> None:
        self.default_limits = limits or Limits()
        self._slots = threading.BoundedSemaphore(max(1, max_sandboxes))
        self._use_cgroups = cgroup_v1.available()
        # Cgroup folders of the last executions: each must be gone afterwards (proof nothing survived); tests
        # and `harness doctor`-style audits read this.
        self.recent_cgroups: deque[Path] = deque(maxlen=32)
        self._as_root = os.geteuid() == 0

    def _wrap(
        self, argv: list[str], workspace: Path, lim: Limits, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str], str]:
        """(argv to launch, environment of the launcher, cwd of the launcher)."""
        raise NotImplementedError

    def _launcher(self, inner: list[str], lim: Limits, cg: cgroup_v1.Cgroup | None) -> list[str]:
        marked = bool(inner) and inner[0] == STARTED_MARK
        steps = ["exec 3>&0 0</dev/null"] if marked else []  # see STARTED_MARK
        steps += [f"echo $$ > {shlex.quote(f)}" for f in (cg.procs_files() if cg else [])]
        steps.append("ulimit -c 0")
        if cg is None:  # no cgroup: the per-process address-space cap is the only memory limit available
            steps.append(f"ulimit -v {lim.memory_mb * 1024}")
            steps.append(f"ulimit -p {lim.pids}")  # dash: -p is RLIMIT_NPROC (per uid!)
        steps.append('exec "$@"')
        launcher = ["/bin/sh", "-c", " && ".join(steps), "sandbox-launcher", *inner[marked:]]
        return [STARTED_MARK, *launcher] if marked else launcher

    def _exec_once(
        self, argv: list[str], files: Files | None, limits: Limits, collect: Sequence[str], env: dict[str, str]
    ) -> ExecResult:
        with self._slots:
            workspace = ws.new_workspace()
            cg: cgroup_v1.Cgroup | None = None
            try:
                ws.populate(workspace, files)
                try:
                    cg = cgroup_v1.Cgroup(limits) if self._use_cgroups else None
                    if cg is not None:
                        self.recent_cgroups.extend(cg.paths.values())
                except OSError as exc:
                    raise InfraError(f"could not create the sandbox cgroup: {exc}") from exc
                inner, launch_env, cwd = self._wrap(argv, workspace, limits, env)
                result = self._run(self._launcher(inner, limits, cg), launch_env, cwd, limits, cg)
                if cg is not None:
                    cg.kill_all()  # daemons the command left behind must not touch the reports
                result.files = ws.collect(workspace, collect)
                return result
            finally:
                if cg is not None:
                    cg.remove()
                ws.remove(workspace)

    def _run(
        self, argv: list[str], env: dict[str, str], cwd: str, lim: Limits, cg: cgroup_v1.Cgroup | None
    ) -> ExecResult:
        capture = OutputCapture(lim.output_tail_bytes, lim.output_limit_bytes)
        drop = {"user": SANDBOX_UID, "group": SANDBOX_UID, "extra_groups": []} if self._as_root else {}
        status_r = status_w = -1
        stdin: int = subprocess.DEVNULL
        if STARTED_MARK in argv:
            # The launcher gets the pipe's write end as stdin, moves it to fd 3 and reopens stdin on /dev/null
            # (dash cannot name multi-digit descriptors, so the fd number has to be fixed this way).
            status_r, status_w = os.pipe()
            os.set_blocking(status_r, False)
            argv = [a for a in argv if a != STARTED_MARK]
            stdin = status_w
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=cwd,
                start_new_session=True,
                close_fds=True,
                **drop,
            )
        except OSError as exc:
            if status_r >= 0:
                os.close(status_r)
            raise InfraError(f"could not start the sandbox: {exc}") from exc
        finally:
            if status_w >= 0:
                os.close(status_w)
        timed_out = output_limited = False
        deadline = started + lim.timeout_s
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "out")  # type: ignore[arg-type]
        sel.register(proc.stderr, selectors.EVENT_READ, "err")  # type: ignore[arg-type]
        open_streams = 2
        while open_streams:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(remaining, 1.0)):
                data = os.read(key.fd, 1 << 16)
                if not data:
                    sel.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                if capture.feed(data if key.data == "out" else None, data if key.data == "err" else None):
                    output_limited = True
                    open_streams = 0
                    break
        sel.close()
        if timed_out or output_limited:
            self._kill(proc, cg)
        try:
            # Both pipes are closed (every writer is gone), so the launcher is exiting; the bound is a safeguard.
            exit_code = proc.wait(timeout=max(1.0, deadline - time.monotonic()) + 5)
        except subprocess.TimeoutExpired:
            timed_out = True
            self._kill(proc, cg)
            exit_code = proc.wait()
        duration = time.monotonic() - started
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
        oom = cg.oom_kills() > 0 if cg is not None else False
        if status_r >= 0:
            started_ok = self._read_status(status_r)
            if not started_ok and not (timed_out or output_limited or oom):
                # bwrap itself failed (bad mount, no user namespaces...): the harness's fault, not the model's.
                tail = capture.stderr.text().strip().splitlines()[-1:] or [f"exit code {exit_code}"]
                raise InfraError(f"bubblewrap could not start the sandbox: {tail[0]}")
        if exit_code < 0:  # killed by a signal: report it the shell way (128 + n), like docker does
            exit_code = 128 - exit_code
        return ExecResult(
            exit_code=exit_code,
            stdout=capture.stdout.text(),
            stderr=capture.stderr.text(),
            timed_out=timed_out,
            oom_killed=oom,
            output_limited=output_limited,
            duration_s=duration,
            stdout_bytes=capture.stdout.total,
            stderr_bytes=capture.stderr.total,
        )

    @staticmethod
    def _read_status(fd: int) -> bool:
        """True when the start mark arrived (the sandbox was set up and the command exec'd)."""
        chunks = []
        try:
            while True:
                data = os.read(fd, 65536)
                if not data:
                    break
                chunks.append(data)
        except BlockingIOError:
            pass
        finally:
            os.close(fd)
        return b"".join(chunks).startswith(b"S")

    def _kill(self, proc: subprocess.Popen, cg: cgroup_v1.Cgroup | None) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if cg is not None:
            cg.kill_all()


class BwrapSandbox(ProcessSandbox):
    """bubblewrap: new user/pid/net/ipc/uts/cgroup namespaces, read-only root, tmpfs /tmp, rw /workspace.

    `rootfs` is a directory holding a whole root filesystem (e.g. an exported sandbox image, see
    `images.export_rootfs`); without it the host's /usr is used read-only with a minimal /etc.
    """

    name = "bwrap"

    def __init__(
        self,
        rootfs: Path | None = None,
        *,
        limits: Limits | None = None,
        max_sandboxes: int = 4,
        path: str = DEFAULT_PATH,
        extra_ro_binds: Sequence[str] = (),
    ) -> None:
        super().__init__(limits=limits, max_sandboxes=max_sandboxes)
        self.bwrap = shutil.which("bwrap")
        if self.bwrap is None:
            raise UserError("bubblewrap is missing: apt-get install -y bubblewrap")
        self.rootfs = Path(rootfs) if rootfs else None
        if self.rootfs is not None and not (self.rootfs / "usr").is_dir():
            raise UserError(f"{self.rootfs} does not look like a root filesystem (no usr/)")
        self.path = path
        meta = self.rootfs / "etc/harness-image.json" if self.rootfs is not None else None
        if meta is not None and meta.exists():  # an exported image: use its PATH
            env = dict(e.split("=", 1) for e in json.loads(meta.read_text()).get("env", []) if "=" in e)
            self.path = env.get("PATH", path)
        self.extra_ro_binds = list(extra_ro_binds)

    def _root_args(self) -> list[str]:
        if self.rootfs is not None:
            return ["--ro-bind", str(self.rootfs), "/"]
        args = ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            p = Path("/") / name
            if p.is_symlink():
                args += ["--symlink", os.readlink(p), f"/{name}"]
            elif p.is_dir():
                args += ["--ro-bind", str(p), f"/{name}"]
        for name in HOST_ETC:
            if (Path("/etc") / name).exists():
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        return args

    def _wrap(
        self, argv: list[str], workspace: Path, lim: Limits, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str], str]:
        args = [
            STARTED_MARK,
            self.bwrap or "bwrap",
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
        ]
        if lim.network:
            args.append("--share-net")
        args += self._root_args()
        for p in self.extra_ro_binds:
            args += ["--ro-bind", p, p]
        args += [
            "--bind",
            str(workspace),
            WORKSPACE,
            "--size",
            str(lim.tmpfs_mb * 1024 * 1024),
            "--tmpfs",
            "/tmp",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            # With --image host the root is bwrap's own tmpfs holding the mount points: make it read-only too.
            "--remount-ro",
            "/",
            "--hostname",
            "sandbox",
            "--chdir",
            WORKSPACE,
            "--clearenv",
        ]
        full_env = {
            "PATH": self.path,
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            **env,
        }
        for k, v in full_env.items():
            args += ["--setenv", k, v]
        args += ["--", *MARK_SHELL, *argv]
        return args, {"PATH": "/usr/bin:/bin"}, "/"


class LocalSandbox(ProcessSandbox):
    """No isolation at all: the command runs on the host (as uid 65534 when the harness is root).

    Only limits (cgroup or rlimits), the timeout and the output cap apply; the code can read whatever that uid
    can read and use the network. It refuses to start without `allow_untrusted_code_on_host=True`.
    """

    name = "local"

    def __init__(
        self,
        *,
        allow_untrusted_code_on_host: bool = False,
        limits: Limits | None = None,
        max_sandboxes: int = 4,
        path: str | None = None,
    ) -> None:
        if not allow_untrusted_code_on_host:
            raise UserError(
                "the local backend runs untrusted code directly on this host; pass "
                "allow_untrusted_code_on_host=True (CLI: --allow-untrusted-code-on-host) if you accept that"
            )
        super().__init__(limits=limits, max_sandboxes=max_sandboxes)
        self.path = path or os.environ.get("PATH", DEFAULT_PATH)

    def _wrap(
        self, argv: list[str], workspace: Path, lim: Limits, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str], str]:
        full_env = {"PATH": self.path, "HOME": str(workspace), "TMPDIR": str(workspace), "LANG": "C.UTF-8", **env}
        return argv, full_env, str(workspace)
