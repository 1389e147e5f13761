"""`harness sandbox ...` sub-commands (typer app `sandbox_app`) and `harness doctor` (plain function `doctor`).

The lead's harness/cli.py mounts them: `app.add_typer(sandbox_app, name="sandbox")` and
`app.command("doctor")(doctor)`. `python -m harness.runners.cli ...` runs the same commands standalone (CI uses it
before the main CLI is wired).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

sandbox_app = typer.Typer(help="Run untrusted code in sandboxes and build the sandbox images.", no_args_is_help=True)


@sandbox_app.command(context_settings={"allow_interspersed_args": False})
def run(
    command: Annotated[list[str], typer.Argument(help="the command and its arguments (put them after --)")],
    backend: str = typer.Option("docker", help="docker | bwrap | local"),
    image: str = typer.Option("python", help="sandbox image (docker; bwrap uses its exported root); bwrap: 'host'"),
    timeout: float = typer.Option(60.0, help="wall-clock limit in seconds"),
    memory: int = typer.Option(1024, help="memory limit in MB (swap is set equal: none extra)"),
    cpus: float = typer.Option(1.0, help="CPU share"),
    pids: int = typer.Option(256, help="max processes/threads"),
    network: bool = typer.Option(False, "--network", help="allow network access (off by default)"),
    workspace: Annotated[Path | None, typer.Option(help="directory copied into the sandbox's /workspace")] = None,
    collect: Annotated[
        list[str] | None, typer.Option(help="glob of workspace files to bring back (--json shows them)")
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="print the full result as JSON"),
    allow_untrusted_code_on_host: bool = typer.Option(
        False, "--allow-untrusted-code-on-host", help="required by --backend local, which has no isolation"
    ),
) -> None:
    """Run one command in a sandbox; exit with its exit code (125 when the sandbox itself failed)."""
    from harness.runners import Limits, make_sandbox

    limits = Limits(timeout_s=timeout, memory_mb=memory, cpus=cpus, pids=pids, network=network)
    with make_sandbox(
        backend,
        image=image,
        limits=limits,
        pooled=False,
        max_sandboxes=1,
        allow_untrusted_code_on_host=allow_untrusted_code_on_host,
    ) as sb:
        result = sb.exec(command, files=workspace, limits=limits, collect=collect or ())
    if as_json:
        typer.echo(json.dumps(result.to_dict(with_files=True), indent=2))
    else:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        notes = [
            n
            for n, on in (
                ("timed out", result.timed_out),
                ("killed: out of memory", result.oom_killed),
                ("killed: too much output", result.output_limited),
            )
            if on
        ]
        if result.infra_error:
            notes.append(f"sandbox failure (not the command's): {result.infra_error}")
        if notes:
            typer.echo(f"[sandbox] {'; '.join(notes)}", err=True)
    raise typer.Exit(result.exit_code if result.exit_code is not None else 125)


@sandbox_app.command("build-base")
def build_base(
    official: bool = typer.Option(False, "--official", help="pull debian:bookworm-slim instead of debootstrapping"),
    mirror: str | None = typer.Option(None, help="Debian mirror (default: the one apt uses here)"),
    force: bool = typer.Option(False, help="rebuild even when the content label matches"),
) -> None:
    """Build the base image harness-sandbox/base:bookworm (debootstrap; no registry needed)."""
    from harness.runners.images import build_base as _build_base

    _build_base(official=official, mirror=mirror, force=force, log=typer.echo)


@sandbox_app.command("build")
def build(
    languages: Annotated[list[str] | None, typer.Argument(help="python, java, go (default: python)")] = None,
    force: bool = typer.Option(False, help="rebuild even when the content label matches"),
) -> None:
    """Build language images FROM the base image (tools installed now, never at evaluation time)."""
    from harness.runners.images import build_image

    for lang in languages or ["python"]:
        build_image(lang, force=force, log=typer.echo)


@sandbox_app.command("prune")
def prune(
    all_: Annotated[bool, typer.Option("--all", help="also containers of harness processes still running")] = False,
) -> None:
    """Remove sandbox containers left behind by harness processes that died (label org.harness.sandbox)."""
    import os

    from harness.runners.docker_backend import LABEL, docker_client

    api = docker_client()
    removed = 0
    for c in api.containers(all=True, filters={"label": LABEL}):
        owner = int(c["Labels"].get(f"{LABEL}.owner-pid", "0") or 0)
        alive = owner > 0 and os.path.exists(f"/proc/{owner}")
        if all_ or not alive:
            api.remove_container(c["Id"], force=True, v=True)
            removed += 1
    typer.echo(f"removed {removed} sandbox container(s)")


def doctor() -> int:
    """Say which sandbox backends work here and, for each that does not, why and how to fix it."""
    from harness.runners.doctor import report, run_checks

    checks = run_checks()
    typer.echo(report(checks))
    isolated_ok = any(c.ok for c in checks if c.backend != "local")
    return 0 if isolated_ok else 1


def _standalone() -> None:  # pragma: no cover - thin wrapper
    from harness.core.errors import UserError

    app = typer.Typer(no_args_is_help=True)
    app.add_typer(sandbox_app, name="sandbox")

    @app.command("doctor")
    def _doctor() -> None:
        raise typer.Exit(doctor())

    try:
        app()
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    _standalone()
