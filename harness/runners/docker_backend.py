"""Docker backend: warm containers from a pool (or one fresh container per call), limits set by the daemon.

Each container runs `docker-init` (tini) + `sleep infinity` as uid 65533; commands arrive through `docker exec`
as uid 65534 ("nobody"). Because the untrusted uid differs from pid 1's, the untrusted code cannot signal the
container's init, while `kill -KILL -1` run as 65534 removes every process the last command left behind, and
tini reaps the orphans, so a pooled container comes back exactly as it was. The workspace is a host directory
bind-mounted at /workspace (wiped by the host between uses); /tmp and /dev/shm are tmpfs wiped by an exec.

Wall time is enforced from the host: a watchdog thread runs the kill exec (or, if the container is too broken
to exec, `docker kill`) when the deadline passes. OOM kills are read from the container's memory cgroup
counter (`oom_kill`), which is exact per execution, unlike the sticky `State.OOMKilled` flag.

Pooled containers that run pytest commands get a pytest fork server (harness/runners/warm.py) so that each
sample forks from an interpreter that already imported pytest instead of starting a new one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.errors import UserError
from harness.runners import workspace as ws
from harness.runners.base import Sandbox
from harness.runners.capture import OutputCapture
from harness.runners.images import resolve_image
from harness.runners.types import SANDBOX_UID, WORKSPACE, ExecResult, Files, InfraError, Limits
from harness.runners.warm import STATUS, STDOUT, WARM_PYTHON, ZYGOTE, FrameReader, warm_request

log = logging.getLogger(__name__)

# This module is only imported when a docker sandbox is used, so the SDK import here costs nothing elsewhere.
try:
    import docker.errors
    import requests.exceptions

    # "The daemon, or the connection to it, failed": an infrastructure error, never the model's.
    _DOCKER_ERRORS: tuple[type[BaseException], ...] = (
        docker.errors.DockerException,
        requests.exceptions.RequestException,
        OSError,
    )
except ImportError:  # docker_client() explains how to install the SDK
    _DOCKER_ERRORS = (OSError,)

INIT_USER = "65533:65533"  # pid 1 of every container; deliberately not the sandbox uid
SANDBOX_USER = f"{SANDBOX_UID}:{SANDBOX_UID}"
LABEL = "org.harness.sandbox"
EXEC_ENV = {"HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}

# `kill -KILL -1` as the sandbox uid signals every process of that uid in the container's pid namespace except
# the caller (pid 1 and its sleep run as another uid). Its return code cannot tell whether anything is left
# (Linux reports success when any process exists, even one it may not signal), so /proc is scanned until no
# process of the sandbox uid but the caller remains. Only builtins run inside the loop, so it works even when a
# fork bomb has used up the pids limit.
_KILL_ALL = (
    "me=$$; "
    'alive() { for d in /proc/[0-9]*; do p=${d#/proc/}; { [ "$p" = 1 ] || [ "$p" = "$me" ]; } && continue; '
    'while read -r k u _; do if [ "$k" = Uid: ]; then [ "$u" = %(uid)d ] && return 0; break; fi; '
    'done 2>/dev/null < "$d/status"; done; return 1; }; '
    "i=0; while kill -KILL -1 2>/dev/null; alive; do i=$((i+1)); [ $i -gt 2000 ] && exit 3; done; "
).replace("%(uid)d", str(SANDBOX_UID))
# ...then wipe the tmpfs mounts. Prints "clean" only when both succeeded; anything else retires the container.
_CLEANUP = _KILL_ALL + (
    "find /tmp /dev/shm -mindepth 1 -delete 2>/dev/null; "
    '[ -z "$(find /tmp /dev/shm -mindepth 1 -print -quit 2>/dev/null)" ] || exit 4; echo clean'
)
_KILL_ALL += "exit 0"


def docker_client(timeout: float = 60.0) -> Any:
    """A low-level docker API client from the environment (DOCKER_HOST etc.); UserError if unreachable."""
    try:
        import docker  # heavy import, only when a docker sandbox is used
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise UserError("the docker backend needs the Python package 'docker': pip install 'harness[docker]'") from exc
    kwargs = docker.utils.kwargs_from_env()
    try:
        return docker.APIClient(version="auto", timeout=timeout, max_pool_size=32, **kwargs)
    except docker.errors.DockerException as exc:
        where = kwargs.get("base_url") or "unix:///var/run/docker.sock"
        raise UserError(f"cannot reach the Docker daemon at {where}: start dockerd (see `harness doctor`)") from exc


def _is_infra(exc: BaseException) -> bool:
    return isinstance(exc, _DOCKER_ERRORS)


@dataclass
class _Container:
    id: str
    workspace: Path
    key: tuple
    cgroup_oom_file: Path | None = None
    uses: int = 0
    created: float = field(default_factory=time.monotonic)
    warm: tuple[str, Any] | None = None  # (exec id, attached socket) of the pytest fork server (warm.py)
    clean_by_zygote: bool = False  # the fork server verified the last run left nothing behind


class DockerSandbox(Sandbox):
    """Sandbox on a Docker daemon. `pooled=False` gives one fresh container per call (the slow baseline)."""

    name = "docker"

    def __init__(
        self,
        image: str = "python",
        *,
        pooled: bool = True,
        max_sandboxes: int = 2,
        limits: Limits | None = None,
        workdir: str = WORKSPACE,
        warm_pytest: bool = True,
    ) -> None:
        self.image = resolve_image(image)
        self.pooled = pooled
        self.max_sandboxes = max(1, max_sandboxes)
        self.default_limits = limits or Limits()
        self.workdir = workdir
        self._api = docker_client()
        self._stream_api = docker_client(timeout=24 * 3600)  # exec streams may stay silent for a long time
        self._slots = threading.BoundedSemaphore(self.max_sandboxes)
        self._lock = threading.Lock()
        self._idle: list[_Container] = []
        self._closed = False
        self._session = uuid.uuid4().hex[:12]
        self.warm_pytest = warm_pytest and pooled
        self._warm_unavailable = False
        self._last_was_pytest = False
        self._recycling: set[threading.Thread] = set()

    # ----------------------------------------------------------------------------------------------- pool
    def _key(self, lim: Limits) -> tuple:
        return (self.image, lim.memory_mb, lim.cpus, lim.pids, lim.tmpfs_mb, lim.network)

    def _acquire(self, lim: Limits) -> _Container:
        key = self._key(lim)
        if self.pooled:
            with self._lock:
                for i, c in enumerate(self._idle):
                    if c.key == key:
                        return self._idle.pop(i)
                # Keep at most max_sandboxes containers alive: drop an idle one with other limits.
                if len(self._idle) >= self.max_sandboxes:
                    stale = self._idle.pop(0)
                else:
                    stale = None
            if stale is not None:
                self._discard(stale)
        return self._create(lim, key)

    def _release(self, c: _Container, healthy: bool) -> None:
        if self.pooled and healthy and not self._closed:
            with self._lock:
                self._idle.append(c)
            return
        self._discard(c)

    def _create(self, lim: Limits, key: tuple) -> _Container:
        import docker.errors

        workspace = ws.new_workspace()
        mem = f"{lim.memory_mb}m"
        host_config = self._api.create_host_config(
            binds={str(workspace): {"bind": WORKSPACE, "mode": "rw"}},
            tmpfs={
                "/tmp": f"rw,nosuid,nodev,exec,size={lim.tmpfs_mb}m,mode=1777",
            },
            mem_limit=mem,
            memswap_limit=mem,  # swap equal to memory: no swap at all
            nano_cpus=int(lim.cpus * 1e9),
            pids_limit=lim.pids,
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            network_mode="bridge" if lim.network else "none",
            init=True,  # docker-init (tini) as pid 1 reaps orphans of killed commands
            log_config={"type": "none", "config": {}},
            ulimits=[{"name": "core", "soft": 0, "hard": 0}],
        )
        try:
            if lim.network and not self._bridge_available():
                raise UserError(
                    "a networked sandbox was asked for, but this Docker daemon has no 'bridge' network "
                    "(dockerd runs with --bridge=none); restart dockerd with a bridge or run without --network"
                )
            created = self._api.create_container(
                self.image,
                command=["sleep", "infinity"],
                user=INIT_USER,
                working_dir=self.workdir,
                host_config=host_config,
                network_disabled=not lim.network,
                labels={LABEL: "1", f"{LABEL}.session": self._session, f"{LABEL}.owner-pid": str(os.getpid())},
                environment=EXEC_ENV,
                stop_signal="SIGKILL",
            )
            cid = created["Id"]
            self._api.start(cid)
        except docker.errors.ImageNotFound as exc:
            ws.remove(workspace)
            raise InfraError(
                f"image {self.image} is missing: build it with `harness sandbox build` (see docs/sandboxes.md)"
            ) from exc
        except UserError:
            ws.remove(workspace)
            raise
        except Exception as exc:
            ws.remove(workspace)
            if _is_infra(exc):
                raise InfraError(f"docker could not start a container: {exc}") from exc
            raise
        return _Container(cid, workspace, key, cgroup_oom_file=self._oom_file(cid))

    def _bridge_available(self) -> bool:
        return any(n.get("Name") == "bridge" for n in self._api.networks())

    def _destroy(self, c: _Container) -> None:
        try:
            self._api.remove_container(c.id, force=True, v=True)
        except _DOCKER_ERRORS as exc:  # the container may already be gone; the workspace still must go
            log.debug("removing container %s: %s", c.id[:12], exc)
        ws.remove(c.workspace)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until the containers being cleaned in the background are back in the pool."""
        with self._lock:
            pending = list(self._recycling)
        for t in pending:
            t.join(timeout=timeout)

    def close(self) -> None:
        self._closed = True
        self.drain()  # containers being cleaned go back to the pool (then are removed below)
        with self._lock:
            idle, self._idle = self._idle, []
        for c in idle:
            self._discard(c)

    # ------------------------------------------------------------------------------------------ cgroups
    def _oom_file(self, cid: str) -> Path | None:
        """Host path of the container's OOM counter (cgroup v1 memory.oom_control, or v2 memory.events)."""
        try:
            pid = self._api.inspect_container(cid)["State"]["Pid"]
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except (*_DOCKER_ERRORS, KeyError):
            # Remote daemon, or the container is already gone (inspect failed): fall back to State.OOMKilled.
            # Never raise here: _create calls this after the container started, outside its cleanup.
            return None
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                f = Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "memory.oom_control"
                return f if f.exists() else None
            if controllers == "":
                f = Path("/sys/fs/cgroup") / path.lstrip("/") / "memory.events"
                if f.exists():
                    return f
        return None

    def _oom_count(self, c: _Container) -> int | None:
        if c.cgroup_oom_file is None:
            return None
        try:
            for line in c.cgroup_oom_file.read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "oom_kill":
                    return int(v)
        except OSError:
            return None
        return None

    # --------------------------------------------------------------------------------------------- exec
    def _run_exec(
        self, cid: str, argv: list[str], user: str, env: dict[str, str] | None = None
    ) -> tuple[int | None, bytes]:
        """Short helper exec (cleanup, kill): returns (exit code, output)."""
        ex = self._api.exec_create(cid, argv, user=user, environment=env, workdir="/")
        out = self._api.exec_start(ex["Id"])
        return self._api.exec_inspect(ex["Id"]).get("ExitCode"), out

    def _kill_all(self, cid: str) -> None:
        """Kill every sandbox-uid process; if the container cannot even exec (pids exhausted), kill it."""
        try:
            code, _ = self._run_exec(cid, ["sh", "-c", _KILL_ALL], SANDBOX_USER)
            if code == 0:
                return
        except _DOCKER_ERRORS as exc:
            log.debug("kill exec failed in %s: %s", cid[:12], exc)
        try:
            self._api.kill(cid, signal="SIGKILL")
        except _DOCKER_ERRORS as exc:
            log.debug("docker kill %s: %s", cid[:12], exc)

    def _exec_once(
        self, argv: list[str], files: Files | None, limits: Limits, collect: Sequence[str], env: dict[str, str]
    ) -> ExecResult:
        # The slot is held until the container is clean again, so at most max_sandboxes containers are ever
        # busy; for a pooled container that cleaning happens in the background after the result is returned.
        self._slots.acquire()
        try:
            c = self._acquire(limits)
        except BaseException:
            self._slots.release()
            raise
        reusable = False
        try:
            result, reusable = self._exec_in(c, argv, files, limits, collect, env)
            return result
        finally:
            if self.pooled and reusable and not self._closed:
                t = threading.Thread(target=self._recycle, args=(c,), daemon=True)
                with self._lock:
                    self._recycling = {r for r in self._recycling if r.is_alive()} | {t}
                t.start()
            else:
                self._discard(c)
                self._slots.release()

    def _recycle(self, c: _Container) -> None:
        """Kill leftovers, wipe /tmp, /dev/shm and the workspace, pre-start pytest, and return to the pool."""
        try:
            if c.clean_by_zygote and c.warm is not None:
                # The fork server already found no leftover process and wiped /tmp and /dev/shm.
                c.clean_by_zygote = False
                ws.wipe(c.workspace)
                self._release(c, True)
                return
            self._close_warm(c)  # the cleanup below kills it anyway
            healthy = self._cleanup(c)
            if healthy:
                ws.wipe(c.workspace)
                self._start_warm(c)
            self._release(c, healthy)
        except Exception as exc:  # noqa: BLE001 - never let a background failure leak a container or a slot
            log.debug("recycling %s failed: %s", c.id[:12], exc)
            self._discard(c)
        finally:
            self._slots.release()

    def _discard(self, c: _Container) -> None:
        self._close_warm(c)
        self._destroy(c)

    # ------------------------------------------------------------------------------------ pytest fork server
    def _start_warm(self, c: _Container) -> None:
        # Only worth it while the workload is pytest runs: the last command decides (no CPU wasted otherwise).
        if not self.warm_pytest or self._warm_unavailable or not self._last_was_pytest or c.warm is not None:
            return
        try:
            ex = self._api.exec_create(
                c.id, [WARM_PYTHON, "-c", ZYGOTE], stdin=True, user=SANDBOX_USER, workdir="/", environment=EXEC_ENV
            )
            c.warm = (ex["Id"], self._stream_api.exec_start(ex["Id"], socket=True))
        except _DOCKER_ERRORS as exc:
            log.debug("starting the fork server in %s failed: %s", c.id[:12], exc)
            c.warm = None

    def _close_warm(self, c: _Container) -> None:
        """Closing the socket gives the fork server EOF on stdin, and it exits."""
        if c.warm is not None:
            try:
                c.warm[1].close()
            except OSError:
                pass
            c.warm = None

    def _take_warm(self, c: _Container, request: bytes | None) -> Any | None:
        """Send `request` to the container's fork server; its socket, or None to run the normal way."""
        if c.warm is None or request is None:
            self._close_warm(c)
            return None
        exec_id, sock = c.warm
        try:
            if not self._api.exec_inspect(exec_id).get("Running"):
                if c.uses <= 1:  # died right away: e.g. an image without pytest; stop trying on this sandbox
                    self._warm_unavailable = True
                self._close_warm(c)
                return None
            sock._sock.sendall(request)
        except _DOCKER_ERRORS as exc:
            log.debug("request to the fork server in %s failed: %s", c.id[:12], exc)
            self._close_warm(c)
            return None
        return sock

    @staticmethod
    def _stream_warm(sock: Any, status: dict[str, Any]) -> Any:
        """(stdout, stderr) chunks of one forked run, like exec_start(stream=True, demux=True); stops at the
        status frame (the socket stays open for the next run) and stores it in `status`."""
        from docker.utils.socket import frames_iter

        reader = FrameReader()
        for stream_id, data in frames_iter(sock, tty=False):
            if stream_id != 1:
                continue  # the server's own stderr (a crash of the server itself) is not the command's output
            for kind, payload in reader.feed(data):
                if kind == STATUS:
                    status.update(json.loads(payload))
                    return
                yield (payload, None) if kind == STDOUT else (None, payload)

    def _exit_code(self, exec_id: str) -> int | None:
        info = self._api.exec_inspect(exec_id)
        for _ in range(100):  # the stream can close a moment before docker records the exit
            if not info.get("Running"):
                break
            time.sleep(0.01)
            info = self._api.exec_inspect(exec_id)
        return info.get("ExitCode")

    # --------------------------------------------------------------------------------------------- exec
    def _exec_in(
        self,
        c: _Container,
        argv: list[str],
        files: Files | None,
        lim: Limits,
        collect: Sequence[str],
        env: dict[str, str],
    ) -> tuple[ExecResult, bool]:
        """Run one command in container `c`; returns (result, whether the container may be reused)."""
        c.uses += 1
        ws.populate(c.workspace, files)
        oom_before = self._oom_count(c)
        capture = OutputCapture(lim.output_tail_bytes, lim.output_limit_bytes)
        flags = {"timed_out": False, "output_limited": False}
        killed = threading.Event()

        def kill(reason: str) -> None:
            if not killed.is_set():
                killed.set()
                flags[reason] = True
                self._kill_all(c.id)

        started = time.monotonic()
        try:
            request = warm_request(argv, env, self.workdir)
            self._last_was_pytest = request is not None
            warm_sock = self._take_warm(c, request)
            warm_status: dict[str, Any] = {}
            exec_id = None
            watchdog = threading.Timer(lim.timeout_s, kill, args=("timed_out",))
            watchdog.daemon = True
            if warm_sock is not None:
                watchdog.start()
                stream = self._stream_warm(warm_sock, warm_status)
            else:
                exec_id = self._api.exec_create(
                    c.id, argv, user=SANDBOX_USER, workdir=self.workdir, environment={**EXEC_ENV, **env}
                )["Id"]
                watchdog.start()
                stream = self._stream_api.exec_start(exec_id, stream=True, demux=True)
            try:
                for out, err in stream:
                    if capture.feed(out, err) and not killed.is_set():
                        # Stop reading at once; the kill runs in the background so the stream can drain.
                        threading.Thread(target=kill, args=("output_limited",), daemon=True).start()
                        killed.set()
                        flags["output_limited"] = True
            finally:
                watchdog.cancel()
            duration = time.monotonic() - started
            exit_code = self._exit_code(exec_id) if exec_id is not None else warm_status.get("code")
        except Exception as exc:
            if _is_infra(exc):
                raise InfraError(f"docker exec failed: {exc}") from exc
            raise
        if flags["output_limited"]:
            self._kill_all(c.id)  # make sure the background kill has happened before anything else
        oom_after = self._oom_count(c)
        if "code" in warm_status and warm_status.get("clean") and oom_before is not None and not killed.is_set():
            state = {"Running": True}  # the fork server just answered from inside: no need to ask the daemon
        else:
            state = self._state(c.id)
        oom = (oom_before is not None and oom_after is not None and oom_after > oom_before) or (
            oom_before is None and bool(state.get("OOMKilled"))
        )
        ours = flags["timed_out"] or flags["output_limited"] or oom
        if state.get("Running", False) and not ours and (exit_code is None or exit_code >= 128):
            # Killed by a signal nobody here sent: the command may have killed itself, or the container may
            # be dying (docker kill, daemon trouble) while inspect still says "running". Ask the container.
            state = self._settle(c.id)
            if warm_sock is not None and exit_code is None and state.get("Running", False):
                exit_code = 137  # the sample killed its own fork server (same uid): its failure, not ours
        c.clean_by_zygote = bool(warm_sock is not None and warm_status.get("clean")) and not (ours or oom)
        if warm_sock is not None and not c.clean_by_zygote:
            self._close_warm(c)
        if not state.get("Running", False) and not ours:
            raise InfraError(f"sandbox container {c.id[:12]} died during the command (state: {state.get('Status')})")
        if exit_code is None and not ours:
            raise InfraError("docker returned no exit code for the command")
        running = bool(state.get("Running", False))
        if running and collect and not c.clean_by_zygote:
            self._kill_all(c.id)  # nothing may still be writing while the reports are read
        files_out = ws.collect(c.workspace, collect)
        result = ExecResult(
            exit_code=exit_code if exit_code is not None else 137,
            stdout=capture.stdout.text(),
            stderr=capture.stderr.text(),
            timed_out=flags["timed_out"],
            oom_killed=oom,
            output_limited=flags["output_limited"],
            duration_s=duration,
            stdout_bytes=capture.stdout.total,
            stderr_bytes=capture.stderr.total,
            files=files_out,
        )
        # After an OOM the sticky OOMKilled flag would hide later ones when no cgroup counter is readable.
        return result, running and not (oom and oom_before is None)

    def _state(self, cid: str) -> dict[str, Any]:
        try:
            return self._api.inspect_container(cid).get("State", {})
        except Exception as exc:
            if _is_infra(exc):
                return {"Running": False, "Status": f"gone ({exc})"}
            raise

    def _settle(self, cid: str) -> dict[str, Any]:
        """State after a suspicious signal death: running only if it still answers an exec."""
        try:
            code, _ = self._run_exec(cid, ["true"], INIT_USER)
            if code == 0:
                return self._state(cid)
        except _DOCKER_ERRORS as exc:
            log.debug("liveness exec in %s failed: %s", cid[:12], exc)
        deadline = time.monotonic() + 3.0
        state = self._state(cid)
        while state.get("Running", False) and time.monotonic() < deadline:
            time.sleep(0.05)
            state = self._state(cid)
        return state

    def _cleanup(self, c: _Container) -> bool:
        """Kill leftovers and wipe tmpfs; False means the container is not trustworthy for reuse."""
        try:
            code, out = self._run_exec(c.id, ["sh", "-c", _CLEANUP], SANDBOX_USER)
        except _DOCKER_ERRORS as exc:
            log.debug("cleanup of %s failed: %s", c.id[:12], exc)
            return False
        return code == 0 and out.strip() == b"clean"
