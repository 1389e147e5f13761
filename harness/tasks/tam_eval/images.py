"""Sandbox images for TAM-Eval, built FROM the runners' language images.

Python needs MutPy, which the runners' python image does not carry: `ensure_image("python")` builds
`harness-sandbox/tam-python:bookworm` FROM `harness-sandbox/python:bookworm` with MutPy wheels built on the host
(MutPy's dependency astmonkey is only an sdist, so the host's pip builds wheels first; nothing inside the build needs
network). Java and Go use the runners' images as they are. Builds are skipped when the image's content label matches.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from harness.core.errors import UserError

IMAGES_DIR = Path(__file__).with_name("images")
TAM_PYTHON = "harness-sandbox/tam-python:bookworm"
TAM_PYNGUIN = "harness-sandbox/tam-pynguin:bookworm"
# Derived images: name -> (recipe folder, base image).
RECIPES = {TAM_PYTHON: ("python", "harness-sandbox/python:bookworm"), TAM_PYNGUIN: ("pynguin", TAM_PYTHON)}
CONTENT_LABEL = "org.harness.content"
DEFAULT_IMAGES = {"python": TAM_PYTHON, "java": "harness-sandbox/java:bookworm", "go": "harness-sandbox/go:bookworm"}

_lock = threading.Lock()


def _api(timeout: float = 900):  # type: ignore[no-untyped-def]
    from harness.runners.docker_backend import docker_client

    return docker_client(timeout=timeout)


def _image_id(api, name: str) -> str | None:  # type: ignore[no-untyped-def]
    import docker.errors

    try:
        return api.inspect_image(name)["Id"]
    except docker.errors.ImageNotFound:
        return None


def image_exists(name: str) -> bool:
    try:
        return _image_id(_api(60), name) is not None
    except Exception:  # noqa: BLE001 - no daemon or no SDK: the image is not usable either way
        return False


def ensure_image(lang: str, image: str | None = None, *, log=print) -> str:  # type: ignore[no-untyped-def]
    """The image to run `lang` scenarios in; builds the TAM Python image when it is missing or stale."""
    name = image or DEFAULT_IMAGES[lang]
    if name not in RECIPES:
        return name
    folder, base = RECIPES[name]
    if base in RECIPES:
        ensure_image(lang, base, log=log)
    with _lock:
        api = _api()
        base_id = _image_id(api, base)
        if base_id is None:
            raise UserError(f"{base} is missing: run `harness sandbox build-base` and `harness sandbox build python`")
        recipe = sorted(p for p in (IMAGES_DIR / folder).rglob("*") if p.is_file())
        h = hashlib.sha256(base_id.encode())
        for p in recipe:
            h.update(p.read_bytes())
        content = h.hexdigest()[:32]
        if _image_id(api, name) is not None:
            labels = (api.inspect_image(name).get("Config") or {}).get("Labels") or {}
            if labels.get(CONTENT_LABEL) == content:
                return name
        with tempfile.TemporaryDirectory(prefix="tam-python-build-") as tmp:
            ctx = Path(tmp)
            for p in recipe:
                (ctx / p.name).write_bytes(p.read_bytes())
            wheels = ctx / "wheels"
            wheels.mkdir()
            log(f"building wheels on the host for {name}")
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(wheels), "-r", str(ctx / "requirements.txt")],
                capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                raise UserError(f"pip wheel for the TAM-Eval python image failed: {proc.stderr.strip()[-300:]}")
            (wheels / "requirements.txt").write_bytes((ctx / "requirements.txt").read_bytes())
            stream = api.build(path=str(ctx), tag=name, labels={CONTENT_LABEL: content}, rm=True, forcerm=True,
                               network_mode="host", decode=True)
            for chunk in stream:
                if "error" in chunk:
                    raise UserError(f"building {name} failed: {chunk['error'].strip()}")
        log(f"built {name}")
        return name
