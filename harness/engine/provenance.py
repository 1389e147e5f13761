"""Facts about the software that produced a run: harness version and git sha, Python, key library versions."""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import harness

_LIBRARIES = ("aiohttp", "pyarrow", "duckdb", "numpy", "scipy", "math-verify", "torch", "transformers", "datasets")


@lru_cache(maxsize=1)
def git_sha() -> str | None:
    root = Path(harness.__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if out.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def library_versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in _LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def harness_info() -> dict[str, Any]:
    return {"version": harness.__version__, "git_sha": git_sha(), "python": platform.python_version(),
            "platform": platform.platform()}
