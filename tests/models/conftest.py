"""Fixtures for adapter tests: the tiny model, built once per session in a temporary folder (no downloads)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="the tiny model needs torch (pip install 'harness[hf]')")
    pytest.importorskip("transformers", reason="the tiny model needs transformers (pip install 'harness[hf]')")
    from harness.testing.tiny_model import build

    return build(tmp_path_factory.mktemp("tiny-llama"))


def vllm_python() -> str | None:
    """The vLLM interpreter named by HARNESS_VLLM_PYTHON, if it exists."""
    path = os.environ.get("HARNESS_VLLM_PYTHON")
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None
