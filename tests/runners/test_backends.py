"""Output capture, workspace handling, the local backend's opt-in, and the `sandbox` CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.core.errors import UserError
from harness.runners import workspace as ws
from harness.runners.capture import OutputCapture, TailBuffer
from harness.runners.types import ExecResult, Limits

from .helpers import QUICK, bwrap_ready, docker_ready


def test_tail_buffer_keeps_the_end_and_counts_everything():
    buf = TailBuffer(10)
    for i in range(100):
        buf.write(f"{i:03d}".encode())
    assert buf.total == 300
    assert buf.text() == "6097098099"
    big = TailBuffer(4)
    big.write(b"0123456789")
    assert big.text() == "6789"


def test_output_capture_reports_the_cap():
    cap = OutputCapture(keep=8, limit=20)
    assert not cap.feed(b"x" * 10, b"y" * 10)
    assert cap.feed(b"z", None)


def test_exec_result_ok_and_dict():
    r = ExecResult(exit_code=0, stdout="a")
    assert r.ok and r.to_dict()["ok"]
    assert not ExecResult(exit_code=0, timed_out=True).ok
    assert not ExecResult(exit_code=None, infra_error="daemon down").ok


def test_limits_validate():
    with pytest.raises(ValueError):
        Limits(timeout_s=0)
    assert QUICK.replace(memory_mb=64).memory_mb == 64


def test_populate_rejects_paths_outside_the_workspace(tmp_path):
    for bad in ("../escape", "/etc/passwd", "a/../../b"):
        with pytest.raises(UserError):
            ws.populate(tmp_path, {bad: "x"})


def test_populate_copies_a_tree_and_mapping(tmp_path):
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "m.py").write_text("X = 1\n")
    dest = tmp_path / "dest"
    dest.mkdir()
    ws.populate(dest, src)
    ws.populate(dest, {"tests/test_m.py": "from pkg.m import X\n", "data.bin": b"\x00\x01"})
    assert (dest / "pkg" / "m.py").read_text() == "X = 1\n"
    assert (dest / "data.bin").read_bytes() == b"\x00\x01"
    assert (dest / "tests" / "test_m.py").exists()


def test_collect_never_follows_symlinks(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    w = tmp_path / "w"
    (w / "reports").mkdir(parents=True)
    (w / "reports" / "junit.xml").write_text("<ok/>")
    (w / "reports" / "leak.xml").symlink_to(outside / "secret")
    (w / "linkdir").symlink_to(outside)
    got = ws.collect(w, ["reports/*.xml", "linkdir/*", "**/secret"])
    assert got == {"reports/junit.xml": b"<ok/>"}


def test_local_backend_needs_explicit_opt_in():
    from harness.runners.process_backend import LocalSandbox

    with pytest.raises(UserError, match="untrusted code directly on this host"):
        LocalSandbox()


def test_local_backend_runs_with_limits_when_opted_in():
    from harness.runners.process_backend import LocalSandbox

    sb = LocalSandbox(allow_untrusted_code_on_host=True, limits=QUICK)
    r = sb.exec("echo hi > out.txt; id -u; pwd", collect=["out.txt"])
    assert r.ok and r.files == {"out.txt": b"hi\n"}
    uid, cwd = r.stdout.split()
    assert int(uid) == (65534 if os.geteuid() == 0 else os.geteuid())
    assert not Path(cwd).exists()  # the workspace is removed afterwards
    t = sb.exec("sleep 30", limits=QUICK.replace(timeout_s=1))
    assert t.timed_out and t.exit_code == 137


# ------------------------------------------------------------------------------------------------------ CLI
def _cli(args: list[str]):
    from harness.runners.cli import sandbox_app

    return CliRunner().invoke(sandbox_app, args)


@pytest.mark.bwrap
def test_cli_run_exits_with_the_command_exit_code():
    reason = bwrap_ready()
    if reason:
        pytest.skip(reason)
    image = "python" if docker_ready() is None else "host"
    res = _cli(["run", "--backend", "bwrap", "--image", image, "--", "sh", "-c", "echo out; exit 7"])
    assert res.exit_code == 7 and "out" in res.stdout


@pytest.mark.bwrap
def test_cli_run_json_reports_the_full_result(tmp_path):
    reason = bwrap_ready()
    if reason:
        pytest.skip(reason)
    image = "python" if docker_ready() is None else "host"
    (tmp_path / "in.txt").write_text("hello")
    tmp_path.chmod(0o755)
    res = _cli(
        [
            "run",
            "--backend",
            "bwrap",
            "--image",
            image,
            "--timeout",
            "1",
            "--memory",
            "256",
            "--json",
            "--workspace",
            str(tmp_path),
            "--collect",
            "*.txt",
            "--",
            "sh",
            "-c",
            "cat in.txt; sleep 10",
        ]
    )
    data = json.loads(res.stdout)
    assert res.exit_code == 137
    assert data["timed_out"] is True and data["stdout"] == "hello" and data["infra_error"] is None
    assert data["files"] == {"in.txt": "hello"}
    assert set(data) >= {"exit_code", "stdout", "stderr", "timed_out", "oom_killed", "infra_error", "duration_s"}


@pytest.mark.docker
def test_cli_run_docker():
    reason = docker_ready()
    if reason:
        pytest.skip(reason)
    res = _cli(
        ["run", "--backend", "docker", "--json", "--", "python", "-c", "import pytest; print(pytest.__version__)"]
    )
    assert res.exit_code == 0, res.stdout
    assert json.loads(res.stdout)["stdout"].strip()[0].isdigit()


def test_cli_local_without_opt_in_is_refused():
    res = _cli(["run", "--backend", "local", "--", "true"])
    assert res.exit_code != 0 and isinstance(res.exception, UserError)


def test_doctor_reports_every_backend(capsys):
    from harness.runners.cli import doctor

    code = doctor()
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines() if not line.startswith(" ")] == ["docker", "bwrap", "local"]
    expected_ok = docker_ready() is None or bwrap_ready() is None
    assert code == (0 if expected_ok else 1)
