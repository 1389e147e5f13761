"""`hf:` with the tiny model built in the test session: real transformers generation on CPU."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.core import GenerateRequest, GenerationConfig
from harness.core.errors import UserError
from harness.models.base import AdapterContext
from harness.models.hf import HFAdapter
from harness.registry import create_model

PROMPTS = ["What is 2 plus 3?", "Hello!", "Tell me a story about the sea.", "Count: 1 2 3", "Why is the sky blue?"]


def chat(q: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q}]


def run(adapter: HFAdapter, coro_factory):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        await adapter.start(AdapterContext())
        try:
            return await coro_factory()
        finally:
            await adapter.close()

    return asyncio.run(main())


def reference_greedy(model_dir: Path, prompt: str, max_new: int) -> str:
    """Plain transformers, one prompt at a time, no padding: what the batched adapter must reproduce."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    enc = tok.apply_chat_template(chat(prompt), add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id)
    return tok.decode(out[0][enc["input_ids"].shape[1] :], skip_special_tokens=True)


def test_batched_greedy_matches_plain_transformers(tiny_model_dir: Path) -> None:
    adapter = create_model(f"hf:{tiny_model_dir}?batch_size=8&batch_wait_ms=50")
    assert isinstance(adapter, HFAdapter)
    cfg = GenerationConfig(max_tokens=20, temperature=0)
    outs = run(adapter, lambda: asyncio.gather(*(adapter.generate(GenerateRequest(chat(q), cfg)) for q in PROMPTS)))
    # All five arrived together and went through one left-padded generate call.
    assert adapter.batches_run == 1
    for q, out in zip(PROMPTS, outs):
        assert out.text == reference_greedy(tiny_model_dir, q, 20)
        assert out.finish_reason == "length" and out.usage.completion_tokens == 20
        assert out.usage.prompt_tokens > 5


def test_n_sampling_seed_and_logprobs(tiny_model_dir: Path) -> None:
    adapter = create_model(f"hf:{tiny_model_dir}")
    cfg = GenerationConfig(max_tokens=8, temperature=1.0, n=3, seed=7, logprobs=True, top_logprobs=2)

    async def twice():  # type: ignore[no-untyped-def]
        a = await adapter.generate(GenerateRequest(chat("Hello!"), cfg))
        b = await adapter.generate(GenerateRequest(chat("Hello!"), cfg))
        return a, b

    a, b = run(adapter, twice)
    assert len(a.completions) == 3 and len({c.text for c in a.completions}) > 1  # sampling gives variety
    assert [c.text for c in a.completions] == [c.text for c in b.completions]  # the seed makes it repeatable
    lp = a.completions[0].logprobs
    assert lp is not None and len(lp) == 8 and len(lp[0]["top_logprobs"]) == 2
    assert all(e["logprob"] <= 0 for e in lp)
    assert "".join(e["token"] for e in lp) == a.completions[0].text


def test_stop_strings_are_cut(tiny_model_dir: Path) -> None:
    adapter = create_model(f"hf:{tiny_model_dir}")
    free = GenerationConfig(max_tokens=20, temperature=0)

    async def both():  # type: ignore[no-untyped-def]
        full = await adapter.generate(GenerateRequest(chat("What is 2 plus 3?"), free))
        stop = full.text.split()[2]  # a word that the greedy continuation is known to contain
        cut = await adapter.generate(GenerateRequest(chat("What is 2 plus 3?"), GenerationConfig(max_tokens=20, stop=(stop,))))
        return full, stop, cut

    full, stop, cut = run(adapter, both)
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.index(stop)]
    assert stop not in cut.text


def test_spec_errors(tiny_model_dir: Path) -> None:
    with pytest.raises(UserError, match="unknown option"):
        create_model(f"hf:{tiny_model_dir}?batchsize=2")
    with pytest.raises(UserError, match="dtype"):
        create_model(f"hf:{tiny_model_dir}?dtype=float8")
    adapter = create_model("hf:/nonexistent/model-dir")
    with pytest.raises(UserError, match="cannot load"):
        asyncio.run(adapter.start(AdapterContext()))


def test_describe_records_versions_and_template(tiny_model_dir: Path) -> None:
    import hashlib

    adapter = create_model(f"hf:{tiny_model_dir}")
    run(adapter, lambda: asyncio.sleep(0))
    info = adapter.describe()
    expected = hashlib.sha256((tiny_model_dir / "chat_template.jinja").read_bytes()).hexdigest()
    assert info["chat_template_hash"] == expected
    import torch

    # Defaults: the GPU when there is one (the checkpoint's dtype there), else the CPU in float32.
    expected_device, expected_dtype = ("cuda", "auto") if torch.cuda.is_available() else ("cpu", "float32")
    assert info["device"] == expected_device and info["dtype"] == expected_dtype and info["transformers"]


def test_harness_run_end_to_end(tiny_model_dir: Path, tmp_path: Path) -> None:
    """`harness run --model hf:DIR` through the CLI, engine and results store."""
    import json
    import subprocess
    import sys

    import pyarrow.parquet as pq

    cmd = [sys.executable, "-c", "from harness.cli import main; main()", "run", "--task", "gsm8k", "--data", "sample",
           "--limit", "3", "--max-tokens", "8", "--no-cache", "--progress", "none", "--output", str(tmp_path),
           "--model", f"hf:{tiny_model_dir}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    info = json.loads((run_dir / "run.json").read_text())["model"]["describe"]
    assert info["kind"] == "hf" and info["chat_template_hash"]
    rows = pq.read_table(run_dir / "samples.parquet").to_pylist()
    assert len(rows) == 3 and all(r["error"] is None and r["completion_tokens"] == 8 for r in rows)


def test_cuda_batched_greedy_matches_cpu_reference(tiny_model_dir: Path) -> None:
    """On a GPU machine: `hf:` with device=cuda (float32 and bfloat16) against plain transformers on CPU."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    cfg = GenerationConfig(max_tokens=16, temperature=0)
    fp32 = create_model(f"hf:{tiny_model_dir}?device=cuda&dtype=float32&batch_wait_ms=50")
    outs = run(fp32, lambda: asyncio.gather(*(fp32.generate(GenerateRequest(chat(q), cfg)) for q in PROMPTS)))
    assert fp32.describe()["device"] == "cuda"
    for q, out in zip(PROMPTS, outs):
        assert out.text == reference_greedy(tiny_model_dir, q, 16)
    bf16 = create_model(f"hf:{tiny_model_dir}?device=cuda&dtype=bfloat16")
    outs = run(bf16, lambda: asyncio.gather(*(bf16.generate(GenerateRequest(chat(q), cfg)) for q in PROMPTS)))
    assert all(o.finish_reason in ("stop", "length") and o.usage.completion_tokens > 0 for o in outs)


def test_cache_identity_changes_when_the_weights_are_rewritten(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from harness.registry import create_model

    (tmp_path / "config.json").write_text("{}")
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"a" * 10)
    before = create_model(f"hf:{tmp_path}").cache_identity()
    assert before == create_model(f"hf:{tmp_path}").cache_identity()
    weights.write_bytes(b"b" * 10)
    os.utime(weights, ns=(1, 1))  # same size, new content: the modification time tells them apart
    assert create_model(f"hf:{tmp_path}").cache_identity() != before
    assert create_model("hf:org/hub-model").cache_identity().endswith("weights:None")
