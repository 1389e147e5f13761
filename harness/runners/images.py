"""Sandbox images built without any registry: a debootstrapped Debian base, and language images FROM it.

`build_base` runs `debootstrap --variant=minbase bookworm` against the machine's Debian mirror and imports the
rootfs as `harness-sandbox/base:bookworm`; with `official=True` it pulls `debian:bookworm-slim` instead and tags
it the same way, so the language Dockerfiles never change. `build_image` builds
`harness/runners/images/<lang>/Dockerfile` with the host network (a `--bridge=none` daemon gives build containers
no network otherwise) so apt reaches the mirror; Python wheels are downloaded by the host's pip into the build
context first, so pip inside the build needs no network and no TLS trust. Every image carries a content label
(hash of its recipe and of its base image); a build whose label already matches is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.core.errors import UserError

IMAGES_DIR = Path(__file__).with_name("images")
REPO = "harness-sandbox"
BASE_IMAGE = f"{REPO}/base:bookworm"
LANGUAGES = ("python", "java", "go")
CONTENT_LABEL = "org.harness.content"
RECIPE_VERSION = "1"  # bump to force rebuilds when the recipe logic (not a file) changes
DEFAULT_MIRROR = "http://deb.debian.org/debian"
OFFICIAL_BASE = "debian:bookworm-slim"

Log = Callable[[str], None]


def resolve_image(name: str) -> str:
    """'python' -> 'harness-sandbox/python:bookworm'; anything with '/' or ':' is used as given."""
    if "/" in name or ":" in name:
        return name
    if name == "base":
        return BASE_IMAGE
    return f"{REPO}/{name}:bookworm"


def debian_mirror() -> str:
    """The Debian mirror apt uses here (first non-security `deb` source), else deb.debian.org."""
    if os.environ.get("HARNESS_DEBIAN_MIRROR"):
        return os.environ["HARNESS_DEBIAN_MIRROR"]
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for src in sources:
        try:
            text = src.read_text()
        except OSError:
            continue
        for url in re.findall(r"(?:^deb\s+(?:\[[^\]]*\]\s+)?|^URIs:\s*)(\S+)", text, flags=re.MULTILINE):
            if "security" not in url and "debian" in url:
                return url.rstrip("/")
    return DEFAULT_MIRROR


def _label_of(api: Any, image: str) -> str | None:
    import docker.errors

    try:
        return (api.inspect_image(image).get("Config") or {}).get("Labels", {}).get(CONTENT_LABEL)
    except docker.errors.ImageNotFound:
        return None


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


def build_base(*, official: bool = False, mirror: str | None = None, force: bool = False, log: Log = print) -> str:
    """Build (or reuse) the base image; returns its name."""
    from harness.runners.docker_backend import docker_client

    api = docker_client(timeout=600)
    mirror = mirror or debian_mirror()
    content = _digest(RECIPE_VERSION, "official" if official else f"debootstrap minbase bookworm {mirror}")
    if not force and _label_of(api, BASE_IMAGE) == content:
        log(f"{BASE_IMAGE} is up to date (content {content[:12]})")
        return BASE_IMAGE
    if official:
        log(f"pulling {OFFICIAL_BASE}")
        api.pull(OFFICIAL_BASE)
        # Re-label through a one-line build so the content label is recorded on the tag we use.
        _build_dockerfile(api, f"FROM {OFFICIAL_BASE}\nRUN mkdir -p /workspace\n", BASE_IMAGE, content, log)
        return BASE_IMAGE
    if os.geteuid() != 0:
        raise UserError("build-base runs debootstrap, which needs root (or use --official with registry access)")
    if not shutil.which("debootstrap"):
        raise UserError("debootstrap is missing: apt-get install -y debootstrap (or use --official)")
    with tempfile.TemporaryDirectory(prefix="harness-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        log(f"debootstrap --variant=minbase bookworm from {mirror} (about 40 s)")
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise UserError(f"debootstrap failed (rc {proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
        # Shrink: the downloaded .debs and apt lists are 50 MB nobody needs at run time.
        for junk in rootfs.glob("var/cache/apt/archives/*.deb"):
            junk.unlink()
        shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
        (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
        (rootfs / "workspace").mkdir(exist_ok=True)  # mount point (bwrap needs it in a read-only root)
        tar_path = Path(tmp) / "rootfs.tar"
        log("importing the rootfs into docker")
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tar_path), "."], check=True)
        repo, tag = BASE_IMAGE.rsplit(":", 1)
        api.import_image_from_file(
            str(tar_path),
            repository=repo,
            tag=tag,
            changes=[f"LABEL {CONTENT_LABEL}={content}", 'CMD ["bash"]', "ENV LANG=C.UTF-8"],
        )
    log(f"built {BASE_IMAGE} (content {content[:12]})")
    return BASE_IMAGE


def _build_dockerfile(api: Any, dockerfile: str, tag: str, content: str, log: Log) -> None:
    with tempfile.TemporaryDirectory(prefix="harness-build-") as ctx:
        Path(ctx, "Dockerfile").write_text(dockerfile)
        _build_context(api, Path(ctx), tag, content, log)


def _build_context(api: Any, ctx: Path, tag: str, content: str, log: Log) -> None:
    # network_mode=host: with `dockerd --bridge=none` build steps otherwise have no network at all.
    stream = api.build(
        path=str(ctx),
        tag=tag,
        network_mode="host",
        labels={CONTENT_LABEL: content},
        rm=True,
        forcerm=True,
        decode=True,
    )
    for chunk in stream:
        if "error" in chunk:
            raise UserError(f"building {tag} failed: {chunk['error'].strip()}")
        line = (chunk.get("stream") or "").rstrip()
        if line:
            log(line)


def _prepare_python_wheels(ctx: Path, log: Log) -> None:
    """Download the image's Python requirements with the host's pip (which trusts the local TLS proxy)."""
    req = ctx / "requirements.txt"
    wheels = ctx / "wheels"
    wheels.mkdir(exist_ok=True)
    log("downloading Python wheels for the image on the host")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux_2_28_x86_64",
            "--implementation",
            "cp",
            "-d",
            str(wheels),
            "-r",
            str(req),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise UserError(f"pip download for the python image failed: {proc.stderr.strip().splitlines()[-1:]}")


PREPARE = {"python": _prepare_python_wheels}


def build_image(lang: str, *, force: bool = False, log: Log = print) -> str:
    """Build `harness-sandbox/<lang>:bookworm` FROM the base image; returns the image name."""
    from harness.runners.docker_backend import docker_client

    src = IMAGES_DIR / lang
    if not (src / "Dockerfile").exists():
        raise UserError(f"no sandbox image recipe for {lang!r}; known: {', '.join(LANGUAGES)}")
    api = docker_client(timeout=1800)
    base_id = _image_id(api, BASE_IMAGE)
    if base_id is None:
        raise UserError(f"{BASE_IMAGE} is missing: run `harness sandbox build-base` first")
    recipe = [p.read_text() for p in sorted(src.rglob("*")) if p.is_file()]
    content = _digest(RECIPE_VERSION, base_id, *recipe)
    tag = resolve_image(lang)
    if not force and _label_of(api, tag) == content:
        log(f"{tag} is up to date (content {content[:12]})")
        return tag
    with tempfile.TemporaryDirectory(prefix=f"harness-build-{lang}-") as tmp:
        ctx = Path(tmp) / "ctx"
        shutil.copytree(src, ctx)
        if lang in PREPARE:
            PREPARE[lang](ctx, log)
        _build_context(api, ctx, tag, content, log)
    log(f"built {tag} (content {content[:12]})")
    return tag


def _image_id(api: Any, image: str) -> str | None:
    import docker.errors

    try:
        return api.inspect_image(image)["Id"]
    except docker.errors.ImageNotFound:
        return None


def rootfs_cache_dir() -> Path:
    """Where exported root filesystems live; must be traversable by the sandbox uid (so not under /root)."""
    if os.environ.get("HARNESS_ROOTFS_CACHE"):
        return Path(os.environ["HARNESS_ROOTFS_CACHE"])
    if os.geteuid() == 0:
        return Path("/var/cache/harness/rootfs")
    return Path.home() / ".cache" / "harness" / "rootfs"


def export_rootfs(image: str, *, log: Log = lambda _m: None) -> Path:
    """Unpack a docker image into a directory for bubblewrap (cached by image id); returns the directory."""
    from harness.runners.docker_backend import docker_client

    api = docker_client(timeout=600)
    name = resolve_image(image)
    image_id = _image_id(api, name)
    if image_id is None:
        raise UserError(f"image {name} is missing: run `harness sandbox build-base` / `harness sandbox build`")
    dest = rootfs_cache_dir() / image_id.split(":")[-1][:16]
    if (dest / ".complete").exists():
        return dest
    log(f"exporting {name} to {dest} for bubblewrap")
    tmp = Path(tempfile.mkdtemp(prefix="export-", dir=dest.parent if dest.parent.exists() else None))
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        cid = api.create_container(name, command=["true"])["Id"]
        try:
            tar_path = tmp / "rootfs.tar"
            with open(tar_path, "wb") as fh:
                fh.writelines(api.export(cid))
        finally:
            api.remove_container(cid, force=True)
        root = tmp / "root"
        root.mkdir()
        # GNU tar as root keeps owners; --no-same-permissions is not used: the image's modes are the point.
        subprocess.run(["tar", "-C", str(root), "-xf", str(tar_path)], check=True)
        tar_path.unlink()
        for mount_point in ("workspace", "tmp", "proc", "dev"):
            (root / mount_point).mkdir(exist_ok=True)
        env = (api.inspect_image(name).get("Config") or {}).get("Env") or []
        # bwrap reads PATH & co. from here, so both backends see the image's environment.
        Path(root, "etc/harness-image.json").write_text(json.dumps({"image": name, "id": image_id, "env": env}))
        if dest.exists():
            shutil.rmtree(dest)
        root.rename(dest)
        (dest / ".complete").write_text(image_id)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
