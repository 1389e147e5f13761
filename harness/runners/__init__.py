"""Sandboxes that execute untrusted code: docker (pooled warm containers), bubblewrap, local (opt-in).

    from harness.runners import make_sandbox, Limits
    with make_sandbox("docker", image="python") as sb:
        r = sb.exec(["pytest", "-q"], files=project_dir, limits=Limits(timeout_s=30), collect=["report.xml"])
    r.exit_code, r.timed_out, r.oom_killed, r.infra_error, r.stdout, r.files["report.xml"]

See docs/sandboxes.md for the security model. Backends import their heavy dependencies lazily.
"""

from __future__ import annotations

from harness.runners.base import Sandbox
from harness.runners.factory import BACKENDS, make_sandbox
from harness.runners.types import ExecResult, InfraError, Limits

__all__ = ["BACKENDS", "ExecResult", "InfraError", "Limits", "Sandbox", "make_sandbox"]
