"""The ModelAdapter contract: async generate, plus start/close for adapters that own a server or a model."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from harness.core import GenerateRequest, ModelOutput
from harness.core.errors import UserError
from harness.models.spec import ModelSpec


@dataclass
class AdapterContext:
    """What the engine tells an adapter when it starts: where to write logs, and CLI-level connection options."""

    run_dir: Path | None = None
    base_url: str | None = None
    max_concurrency: int = 32
    seed: int = 0  # the run's seed (epoch e samples with seed + e)
    extra: dict[str, Any] = field(default_factory=dict)


class ModelAdapter(ABC):
    kind: ClassVar[str]
    # What a user types after the kind, shown by `harness models`.
    spec_help: ClassVar[str] = ""
    # Whether the engine's request cache may store this adapter's outputs (not for gold or replay).
    cacheable: ClassVar[bool] = True

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    async def start(self, ctx: AdapterContext) -> None:
        """Acquire resources (launch a server, load weights). Called once before the first generate."""

    async def close(self) -> None:
        """Release everything start() acquired. Must be safe to call twice and after a failed start."""

    @abstractmethod
    async def generate(self, request: GenerateRequest) -> ModelOutput:
        """Answer one request. Raise `ModelError` after retries are exhausted."""

    def cache_identity(self) -> str:
        """What distinguishes this adapter's outputs in the request cache (spec plus endpoint)."""
        return str(self.spec)

    def describe(self) -> dict[str, Any]:
        """Facts for run.json: backend versions, endpoint, chat template hash."""
        return {"kind": self.kind, "spec": str(self.spec)}

    # --- helpers for subclasses ---
    def param(self, key: str, default: str | None = None) -> str | None:
        return self.spec.params.get(key, default)

    def int_param(self, key: str, default: int | None = None) -> int | None:
        value = self.spec.params.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise UserError(f"model spec {self.spec}: {key}={value!r} is not an integer") from None

    def float_param(self, key: str, default: float | None = None) -> float | None:
        value = self.spec.params.get(key)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except ValueError:
            raise UserError(f"model spec {self.spec}: {key}={value!r} is not a number") from None


class MethodAdapter(ModelAdapter):
    """A paper's method: wraps another adapter and is itself an adapter."""

    def __init__(self, spec: ModelSpec, inner: ModelAdapter) -> None:
        super().__init__(spec)
        self.inner = inner

    async def start(self, ctx: AdapterContext) -> None:
        await self.inner.start(ctx)

    async def close(self) -> None:
        await self.inner.close()

    def cache_identity(self) -> str:
        return self.inner.cache_identity()

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "spec": str(self.spec), "inner": self.inner.describe()}


def local_weights_fingerprint(name: str) -> str | None:
    """A cheap fingerprint of a local model folder (file names, sizes, modification times), or None for a hub id.

    Goes into the request-cache identity so that a checkpoint rewritten in place (`vllm:./ckpt` after more
    training) is never answered from the cache of the old weights."""
    import hashlib

    path = Path(name).expanduser()
    if not path.is_dir():
        return None
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]
