"""Request cache in SQLite: identical requests (adapter, endpoint, messages, generation config, epoch) are answered
from disk. Only successful outputs are stored."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

from harness.core import GenerateRequest, ModelOutput
from harness.models.base import MethodAdapter, ModelAdapter


def default_cache_path() -> Path:
    root = os.environ.get("HARNESS_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "harness"
    return base / "requests.sqlite"


def request_key(identity: str, request: GenerateRequest) -> str:
    payload = json.dumps(
        {
            "adapter": identity,
            "messages": request.messages,
            "config": request.config.to_dict(),
            "epoch": request.epoch,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class RequestCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # The engine calls this from its one event-loop thread; SQLite lookups take microseconds, so no executor.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT, created REAL)")
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> ModelOutput | None:
        row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        out = ModelOutput.from_json(json.loads(row[0]))
        out.cached = True
        # Retries and latency belong to the call that filled the cache, not to this run.
        out.retries = 0
        out.latency_s = 0.0
        return out

    def put(self, key: str, output: ModelOutput) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)",
            (key, json.dumps(output.to_json(), ensure_ascii=False, default=str), time.time()),
        )

    def close(self) -> None:
        self._db.close()


class CachingAdapter(MethodAdapter):
    """Wraps the base adapter so every request it answers passes through the cache (methods sit on top of it).
    A wrapper like a method, but invisible in run.json: it describes itself as the adapter it wraps."""

    kind = "cache"

    def __init__(self, inner: ModelAdapter, cache: RequestCache) -> None:
        super().__init__(inner.spec, inner)
        self.cache = cache

    def describe(self) -> dict:
        return self.inner.describe()

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        key = request_key(self.inner.cache_identity(), request)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        out = await self.inner.generate(request)
        self.cache.put(key, out)
        return out
