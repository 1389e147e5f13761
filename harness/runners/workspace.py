"""Host-side workspace directories: put a project tree in, take reports out, wipe between uses.

The sandbox writes into these directories as uid 65534, so everything here must assume hostile contents:
collecting never follows a symlink (a sample could link `report.xml -> /etc/shadow`), and wiping uses
`shutil.rmtree`, which on Linux is fd-based and does not follow symlinks either.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from harness.core.errors import UserError
from harness.runners.types import SANDBOX_UID, Files

MAX_COLLECT_BYTES = 64 * 1024 * 1024  # total size of files brought back out of one execution


def workspace_root() -> Path:
    """Parent folder of all workspaces: traversable (0711) but not listable, so names stay private."""
    base = Path(os.environ.get("HARNESS_SANDBOX_DIR") or Path(tempfile.gettempdir()) / "harness-sandboxes")
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o711)
    return base


def new_workspace(prefix: str = "ws-") -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=workspace_root()))
    _hand_to_sandbox(path)
    return path


def _hand_to_sandbox(path: Path) -> None:
    """Let the sandbox uid write here: chown when we are root, else world-writable (sticky off)."""
    try:
        os.chown(path, SANDBOX_UID, SANDBOX_UID)
        os.chmod(path, 0o755)
    except PermissionError:
        os.chmod(path, 0o777)


def _safe_relpath(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise UserError(f"sandbox file name must be a relative path inside the workspace: {name!r}")
    return rel


def populate(workspace: Path, files: Files | None) -> None:
    """Copy the project tree into an empty workspace, owned by the sandbox uid."""
    if files is None:
        return
    if isinstance(files, (str, Path)):
        src = Path(files)
        if not src.is_dir():
            raise UserError(f"sandbox files: {src} is not a directory")
        shutil.copytree(src, workspace, symlinks=True, dirs_exist_ok=True)
    else:
        for name, content in files.items():
            dest = workspace.joinpath(*_safe_relpath(name).parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, dest)
            else:
                dest.write_bytes(content.encode() if isinstance(content, str) else content)
    _chown_tree(workspace)


def _chown_tree(root: Path) -> None:
    if os.geteuid() != 0:
        for dirpath, dirnames, filenames in os.walk(root):
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o777)
            for f in filenames:
                p = os.path.join(dirpath, f)
                if not os.path.islink(p):
                    os.chmod(p, os.stat(p).st_mode | 0o666)
        return
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, SANDBOX_UID, SANDBOX_UID)
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), SANDBOX_UID, SANDBOX_UID)


def collect(workspace: Path, patterns: Sequence[str]) -> dict[str, bytes]:
    """Regular files under the workspace matching any glob (workspace-relative, `**` allowed); no symlinks."""
    if not patterns:
        return {}
    out: dict[str, bytes] = {}
    budget = MAX_COLLECT_BYTES
    for dirpath, dirnames, filenames in os.walk(workspace, followlinks=False):
        rel_dir = os.path.relpath(dirpath, workspace)
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if not any(
                fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, p.removeprefix("**/")) for p in patterns
            ):
                continue
            data = _read_no_follow(os.path.join(dirpath, name), budget)
            if data is not None:
                out[rel] = data
                budget -= len(data)
    return out


def _read_no_follow(path: str, budget: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # a symlink (ELOOP), a vanished file, a fifo without writer...
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > budget:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(budget)
    finally:
        os.close(fd)


def wipe(workspace: Path) -> None:
    """Empty the workspace (keep the directory itself, which is bind-mounted)."""
    for entry in os.scandir(workspace):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def remove(workspace: Path) -> None:
    shutil.rmtree(workspace, ignore_errors=True)
