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


@pytest.fixture(scope="session")
def vllm_interpreter() -> str:
    python = vllm_python()
    if python is None:
        reason = "no vLLM interpreter: run .ci/setup-vllm.sh and export HARNESS_VLLM_PYTHON"
        # In CI (HARNESS_REQUIRE_BACKENDS=1, see tests/conftest.py) a missing backend is a failure, not a skip.
        if os.environ.get("HARNESS_REQUIRE_BACKENDS", "") not in ("", "0", "false"):
            pytest.fail(f"required backend missing: {reason}")
        pytest.skip(reason)
    return python


@pytest.fixture(scope="session")
def vllm_server(vllm_interpreter: str, tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One real vLLM server for the whole session (each start costs ~35 s and ~3 GB RAM).

    Yields (loop, adapter): the adapter's HTTP session belongs to `loop`, so tests drive it with
    `loop.run_until_complete(...)`. Teardown checks that no server process survives close().
    """
    import asyncio

    python = vllm_interpreter
    from harness.models.base import AdapterContext
    from harness.models.vllm_server import VLLMAdapter
    from harness.registry import create_model

    run_dir = tmp_path_factory.mktemp("vllm-run")
    adapter = create_model(f"vllm:{tiny_model_dir}?python={python}&dtype=float32&max_model_len=512&timeout=120")
    assert isinstance(adapter, VLLMAdapter)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(adapter.start(AdapterContext(run_dir=run_dir, max_concurrency=8)))
    server = adapter.server
    assert server is not None
    try:
        yield loop, adapter
    finally:
        loop.run_until_complete(adapter.close())
        loop.close()
    try:
        os.killpg(server.pid, 0)
        survived = True
    except ProcessLookupError:
        survived = False
    assert not survived, "vLLM server processes survived close()"
