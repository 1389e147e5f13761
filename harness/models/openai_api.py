"""`openai:` any OpenAI-compatible server (OpenAI, vLLM, SGLang, llama.cpp, TGI ...) over plain aiohttp.

Why aiohttp and not the openai SDK or httpx: measured on this project's 2-core machines, httpx at 32 connections
reached 0.067 of an aiohttp loop's throughput and the openai SDK 0.146. One ClientSession with a connector sized
to the engine's concurrency is shared by all requests, and a request does little besides `json.dumps`, one POST
and `json.loads`, so the harness stays close to a bare client loop.

Spec: `openai:MODEL?base_url=URL&api_key_env=OPENAI_API_KEY&api=chat|completions&timeout=600&max_retries=6`
plus optional generation overrides (`temperature`, `top_p`, `top_k`, `max_tokens`, `seed`) that take precedence
over the task's defaults. Without MODEL the first model the server lists under /models is used.

The API key is read from the environment variable named by `api_key_env` when the adapter starts; it is sent in
the Authorization header and nowhere else: not in describe(), cache_identity(), logs or error messages (server
error text is scrubbed of it too).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import random
import time
from typing import Any
from urllib.parse import urlsplit

from harness.core import GenerateRequest, ModelOutput
from harness.core.errors import ModelError, UserError
from harness.models._openai_wire import build_body, parse_response
from harness.models.base import AdapterContext, ModelAdapter
from harness.models.spec import ModelSpec
from harness.registry import register_model

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# 408 timeout, 409 conflict (OpenAI's own SDK retries it), 429 rate limit, 5xx server trouble.
RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
CONNECTION_KEYS = frozenset({"base_url", "api_key_env", "api", "timeout", "max_retries", "backoff", "max_backoff"})
GENERATION_KEYS = frozenset({"temperature", "top_p", "top_k", "max_tokens", "seed"})
MAX_RETRY_AFTER_S = 300.0


def normalise_base_url(url: str) -> str:
    """Strip trailing slashes; a bare `http://host:port` gets the conventional `/v1`."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"base URL {url!r} is not an http(s) URL, e.g. http://127.0.0.1:8000/v1")
    if parts.path in ("", "/"):
        url += "/v1"
    return url


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@register_model
class OpenAIAdapter(ModelAdapter):
    kind = "openai"
    spec_help = (
        "openai:MODEL?base_url=URL&api_key_env=OPENAI_API_KEY&api=chat|completions&timeout=600&max_retries=6"
        " (base URL also from --base-url or OPENAI_BASE_URL; key from the named env var, never stored)"
    )

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        unknown = set(spec.params) - CONNECTION_KEYS - GENERATION_KEYS - self._extra_keys()
        if "api_key" in unknown:
            raise UserError(
                f"model spec {spec.kind}: do not put an API key in the spec; export it and pass api_key_env=VARNAME"
            )
        if unknown:
            known = ", ".join(sorted(CONNECTION_KEYS | GENERATION_KEYS | self._extra_keys()))
            raise UserError(f"model spec {spec}: unknown option(s) {', '.join(sorted(unknown))}; known: {known}")
        self.api = self.param("api", "chat") or "chat"
        if self.api not in ("chat", "completions"):
            raise UserError(f"model spec {spec}: api={self.api!r} must be chat or completions")
        self.timeout_s = self.float_param("timeout", 600.0) or 600.0
        self.max_retries = self.int_param("max_retries", 6)
        self.backoff_s = self.float_param("backoff", 0.5)
        self.max_backoff_s = self.float_param("max_backoff", 8.0)
        self.api_key_env = self.param("api_key_env", "OPENAI_API_KEY") or "OPENAI_API_KEY"
        self.model = spec.name
        self.base_url: str | None = None
        self._overrides: dict[str, Any] = {}
        for key in GENERATION_KEYS & set(spec.params):
            self._overrides[key] = self.int_param(key) if key in ("top_k", "max_tokens", "seed") else self.float_param(key)
        self._session: Any = None  # aiohttp.ClientSession, imported lazily
        self._url = ""
        self._headers: dict[str, str] = {}
        self._secret: str | None = None
        self._rng = random.Random()

    @classmethod
    def _extra_keys(cls) -> frozenset[str]:
        """Spec keys a subclass consumes itself (the vllm adapter's engine options)."""
        return frozenset()

    # --- lifecycle ----------------------------------------------------------------------------------------------
    async def start(self, ctx: AdapterContext) -> None:
        if self._session is not None:
            return
        import aiohttp

        base = self.param("base_url") or ctx.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = normalise_base_url(base)
        self._secret = os.environ.get(self.api_key_env) or None
        self._headers = {"Content-Type": "application/json"}
        if self._secret:
            self._headers["Authorization"] = f"Bearer {self._secret}"
        connector = aiohttp.TCPConnector(limit=max(1, ctx.max_concurrency), limit_per_host=0, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout_s, sock_connect=min(self.timeout_s, 30.0)),
        )
        self._url = f"{self.base_url}/{'chat/completions' if self.api == 'chat' else 'completions'}"
        if not self.model:
            self.model = await self._first_listed_model()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def list_models(self) -> list[str]:
        """Model ids the server lists under /models."""
        assert self._session is not None
        async with self._session.get(f"{self.base_url}/models", headers=self._headers) as resp:
            raw = await resp.read()
            if resp.status != 200:
                raise ModelError(self._scrub(f"GET {self.base_url}/models: HTTP {resp.status}: {raw[:200]!r}"))
        return [m["id"] for m in json.loads(raw).get("data", [])]

    async def _list_models_at_start(self, hint: str) -> list[str]:
        """list_models() for start(): a server that cannot be reached or read is one clear UserError."""
        import aiohttp

        try:
            return await self.list_models()
        except (aiohttp.ClientError, asyncio.TimeoutError, ModelError, ValueError) as e:
            await self.close()
            raise UserError(f"listing {self.base_url}/models failed ({self._scrub(str(e))}); {hint}") from None

    async def _first_listed_model(self) -> str:
        models = await self._list_models_at_start(f"no model named in spec {self.spec}; name the model: openai:MODEL")
        if not models:
            await self.close()
            raise UserError(f"{self.base_url}/models lists no models; name one: openai:MODEL")
        return models[0]

    # --- generation ---------------------------------------------------------------------------------------------
    async def generate(self, request: GenerateRequest) -> ModelOutput:
        if self._session is None:
            await self.start(AdapterContext())
        import aiohttp

        config = request.config.merged(self._overrides) if self._overrides else request.config
        chat = self.api == "chat"
        try:
            payload = json.dumps(build_body(self.model, request.messages, config, chat=chat)).encode()
        except ValueError as e:
            raise ModelError(f"{self.spec}: {e}") from None
        retries = 0
        start = time.perf_counter()
        while True:
            retry_after: float | None = None
            try:
                async with self._session.post(self._url, data=payload, headers=self._headers) as resp:
                    raw = await resp.read()
                    status = resp.status
                    if status in RETRY_STATUS:
                        retry_after = _retry_after_seconds(resp.headers.get("Retry-After"))
            except asyncio.TimeoutError:
                problem = f"request to {self._url} timed out after {self.timeout_s:g} s"
            except aiohttp.ClientConnectorError as e:
                reason = e.os_error.strerror if e.os_error is not None and e.os_error.strerror else str(e)
                problem = f"cannot reach the server at {self.base_url} ({reason}); is it running and is the URL right?"
            except aiohttp.ClientError as e:
                problem = f"connection to {self.base_url} failed ({type(e).__name__}: {e})"
            else:
                if status == 200:
                    try:
                        completions, usage = parse_response(json.loads(raw), chat=chat)
                    except (ValueError, TypeError, AttributeError, KeyError) as e:
                        raise ModelError(self._scrub(f"{self._url} returned an unreadable response: {e}")) from None
                    return ModelOutput(
                        completions=completions,
                        usage=usage,
                        latency_s=time.perf_counter() - start,
                        retries=retries,
                    )
                problem = f"{self._url} answered HTTP {status}: {self._error_text(raw)}"
                if status not in RETRY_STATUS:
                    if status in (401, 403):
                        problem += f" (is ${self.api_key_env} set to a valid key?)"
                    raise ModelError(self._scrub(problem), retries=retries, retryable=False)
            if retries >= self.max_retries:
                raise ModelError(
                    self._scrub(f"{problem} (gave up after {retries} retries)"), retries=retries, retryable=True
                )
            await asyncio.sleep(self._delay(retries, retry_after))
            retries += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_S)
        # Exponential backoff with "equal jitter": at least half the step, so retries spread out but still wait.
        step = min(self.max_backoff_s, self.backoff_s * (2**attempt))
        return step / 2 + self._rng.uniform(0, step / 2)

    @staticmethod
    def _error_text(raw: bytes) -> str:
        try:
            data = json.loads(raw)
            err = data.get("error", data) if isinstance(data, dict) else data
            msg = err.get("message", err) if isinstance(err, dict) else err
            text = str(msg)
        except ValueError:
            text = raw.decode("utf-8", "replace")
        return " ".join(text.split())[:300]

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    # --- records ------------------------------------------------------------------------------------------------
    def _endpoint(self) -> str:
        base = self.param("base_url") or self.base_url
        return normalise_base_url(base) if base else "(not started)"

    def cache_identity(self) -> str:
        return f"{self.spec}|{self._endpoint()}|{self.api}|{self.model}"

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "spec": str(self.spec),
            "base_url": self._endpoint(),
            "api": self.api,
            "model": self.model,
            "api_key_env": self.api_key_env,
            "generation_overrides": dict(self._overrides),
        }
