"""Shared fixtures. `SHARED_DATA` is the official sample folder beside the checkout (absent: tests skip)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own request cache and data folder, so runs never read another test's answers."""
    root = tmp_path_factory.mktemp("harness-home")
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("HARNESS_DATA_DIR", str(root / "datasets"))


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"official sample data not available: {path} (../shared is absent)")
    return path


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")


def require_backend(available: bool, reason: str) -> None:
    """Skip when a real backend (vLLM, Docker, bubblewrap, Chromium) is missing, but fail in CI, where
    HARNESS_REQUIRE_BACKENDS=1 says every backend was installed and its tests must really run."""
    if available:
        return
    if env_flag("HARNESS_REQUIRE_BACKENDS"):
        pytest.fail(f"required backend missing: {reason}")
    pytest.skip(reason)
