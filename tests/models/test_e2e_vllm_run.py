"""`harness run --task aime24 --model vllm:<tiny model dir>` end to end: the CLI launches a real vLLM server,
runs the task, writes the results folder with the server's log, and leaves no server process behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest


@pytest.mark.vllm
@pytest.mark.slow
def test_run_aime24_against_a_launched_vllm_server(vllm_interpreter: str, tiny_model_dir: Path,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "results"
    env = {**os.environ, "HARNESS_VLLM_PYTHON": vllm_interpreter, "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    spec = f"vllm:{tiny_model_dir}?dtype=float32&max_model_len=512&timeout=300"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--task", "aime24", "--model", spec,
                           "--data", "sample", "--max-tokens", "24", "--progress", "plain", "-o", str(out)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = out.iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["n_samples"] == 4 and metrics["error_rate"] == 0.0
    rows = pq.read_table(run_dir / "samples.parquet").to_pylist()
    assert all(r["output"] and r["completion_tokens"] > 0 for r in rows)
    assert {r["finish_reason"] for r in rows} <= {"stop", "length"}
    # a random tiny model cannot solve AIME: every answer is wrong or missing, and scored as such
    assert all(r["score"] == 0.0 for r in rows)
    record = json.loads((run_dir / "run.json").read_text())
    described = record["model"]["describe"]
    assert (run_dir / "vllm-server.log").stat().st_size > 0
    assert described["vllm_version"] and described["chat_template_hash"]
    command = described["launch_command"]
    port = int(command[command.index("--port") + 1])
    with socket.socket() as sock:  # the server the run launched is gone: nothing listens on its port any more
        assert sock.connect_ex(("127.0.0.1", port)) != 0, f"vLLM server on port {port} survived the run"
