"""A fake OpenAI-compatible server: a TEST DOUBLE for adapter tests and overhead benchmarks, not a model.

It answers `/v1/chat/completions` and `/v1/completions` (plus `/v1/models` and `/health`) instantly or after a
configurable latency, and can inject failures so retry logic is tested against real HTTP:

- `faults`: a queue consumed one per request, each one of `"429"` (with `Retry-After`), `"500"`, `"503"`,
  `"timeout"` (never answers within the client's timeout), `"disconnect"` (drops the connection),
  `"400"` (a non-retryable client error), `"401"` (echoes the API key back in its error text, as some servers
  do) or `"ok"`;
- `error_rate`: a random fraction of requests answered with 500 (for benchmarks).

Replies are deterministic: `reply` (default "The answer is \\boxed{42}.") with `{i}` replaced by the choice
index and `{prompt}` by the last user message. `max_tokens` truncates the reply by words and sets finish_reason
"length". When the request carries `tools`, the reply is a call to the first tool with arguments
`{"query": <last user message>}`. Logprobs are made up (one entry per word) in the format of each endpoint.

Run it standalone: `python -m harness.testing.fake_openai_server --port 8000 --latency-ms 50`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DEFAULT_REPLY = "The answer is \\boxed{42}."


@dataclass
class FakeServerState:
    """What the fake server does (latency, faults, reply) and what it saw (for assertions)."""

    latency_s: float = 0.0
    reply: str = DEFAULT_REPLY
    error_rate: float = 0.0
    retry_after_s: float = 0.05
    hang_s: float = 30.0
    model: str = "fake-model"
    faults: deque[str] = field(default_factory=deque)
    # Recorded for assertions: how many requests arrived, the last body and Authorization header.
    requests: int = 0
    last_body: dict[str, Any] | None = None
    last_auth: str | None = None
    record_bodies: bool = True
    bodies: list[dict[str, Any]] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(0))


STATE = web.AppKey("state", FakeServerState)


def _last_user_text(body: dict[str, Any]) -> str:
    if "messages" in body:
        for m in reversed(body["messages"]):
            if m.get("role") == "user":
                content = m.get("content")
                if isinstance(content, list):  # multimodal parts: keep the text ones
                    return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
                return str(content or "")
        return ""
    prompt = body.get("prompt", "")
    return prompt if isinstance(prompt, str) else str(prompt)


def _count_prompt_words(body: dict[str, Any]) -> int:
    if "messages" in body:
        return sum(len(str(m.get("content") or "").split()) for m in body["messages"])
    return len(str(body.get("prompt", "")).split())


def _choice(state: FakeServerState, body: dict[str, Any], i: int, chat: bool) -> tuple[dict[str, Any], int]:
    prompt = _last_user_text(body)
    words = state.reply.replace("{i}", str(i)).replace("{prompt}", prompt).split(" ")
    finish = "stop"
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    if max_tokens is not None and len(words) > int(max_tokens):
        words, finish = words[: int(max_tokens)], "length"
    text = " ".join(words)
    if chat:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if body.get("tools") and body.get("tool_choice") != "none":
            name = body["tools"][0]["function"]["name"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps({"query": prompt})},
                    }
                ],
            }
            finish = "tool_calls"
        choice: dict[str, Any] = {"index": i, "message": message, "finish_reason": finish}
        if body.get("logprobs"):
            k = int(body.get("top_logprobs") or 0)
            choice["logprobs"] = {
                "content": [
                    {
                        "token": w,
                        "logprob": -0.1 * (j + 1),
                        "top_logprobs": [{"token": w, "logprob": -0.1 * (j + 1)}] * k,
                    }
                    for j, w in enumerate(words)
                ]
            }
        else:
            choice["logprobs"] = None
    else:
        choice = {"index": i, "text": text, "finish_reason": finish, "logprobs": None}
        if body.get("logprobs") is not None:
            choice["logprobs"] = {
                "tokens": words,
                "token_logprobs": [-0.1 * (j + 1) for j in range(len(words))],
                "top_logprobs": [{w: -0.1 * (j + 1)} for j, w in enumerate(words)],
                "text_offset": [0] * len(words),
            }
    return choice, len(words)


async def _respond(request: web.Request, chat: bool) -> web.StreamResponse:
    state = request.app[STATE]
    state.requests += 1
    state.last_auth = request.headers.get("Authorization")
    body = json.loads(await request.read())
    state.last_body = body
    if state.record_bodies:
        state.bodies.append(body)
    fault = state.faults.popleft() if state.faults else "ok"
    if fault == "ok" and state.error_rate and state.rng.random() < state.error_rate:
        fault = "500"
    if fault == "429":
        return web.json_response(
            {"error": {"message": "rate limited (fake)", "type": "rate_limit"}},
            status=429,
            headers={"Retry-After": str(state.retry_after_s)},
        )
    if fault == "401":  # echoes the key back, as some real servers do, so scrubbing can be tested
        key = (state.last_auth or "").removeprefix("Bearer ")
        return web.json_response({"error": {"message": f"Incorrect API key provided: {key}"}}, status=401)
    if fault in ("500", "503", "400"):
        return web.json_response({"error": {"message": f"injected {fault} (fake)"}}, status=int(fault))
    if fault == "timeout":
        await asyncio.sleep(state.hang_s)
    if fault == "disconnect":
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=500)
    if state.latency_s:
        await asyncio.sleep(state.latency_s)
    n = int(body.get("n") or 1)
    choices, completion_tokens = [], 0
    for i in range(n):
        c, k = _choice(state, body, i, chat)
        choices.append(c)
        completion_tokens += k
    prompt_tokens = _count_prompt_words(body)
    payload = {
        "id": f"fake-{state.requests}",
        "object": "chat.completion" if chat else "text_completion",
        "created": 0,
        "model": body.get("model", state.model),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return web.Response(body=json.dumps(payload).encode(), content_type="application/json")


async def _chat(request: web.Request) -> web.StreamResponse:
    return await _respond(request, chat=True)


async def _completions(request: web.Request) -> web.StreamResponse:
    return await _respond(request, chat=False)


async def _models(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    return web.json_response({"object": "list", "data": [{"id": state.model, "object": "model"}]})


async def _stats(request: web.Request) -> web.StreamResponse:
    return web.json_response({"requests": request.app[STATE].requests})


async def _health(request: web.Request) -> web.StreamResponse:
    return web.Response(text="")


def make_app(state: FakeServerState) -> web.Application:
    app = web.Application()
    app[STATE] = state
    app.router.add_post("/v1/chat/completions", _chat)
    app.router.add_post("/v1/completions", _completions)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/health", _health)
    app.router.add_get("/stats", _stats)  # request count, so benchmarks can check every contender sent all items
    return app


class FakeOpenAIServer:
    """Runs the fake server inside the current event loop: `async with FakeOpenAIServer() as srv: srv.base_url`."""

    def __init__(self, state: FakeServerState | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state or FakeServerState()
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def start(self) -> FakeOpenAIServer:
        self._runner = web.AppRunner(make_app(self.state), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server is not None else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeOpenAIServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server (test double).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of requests answered with 500")
    parser.add_argument("--reply", default=DEFAULT_REPLY)
    parser.add_argument("--model", default="fake-model")
    args = parser.parse_args(argv)
    state = FakeServerState(
        latency_s=args.latency_ms / 1000, error_rate=args.error_rate, reply=args.reply, model=args.model,
        record_bodies=False,
    )
    print(f"fake OpenAI server (test double) on http://{args.host}:{args.port}/v1", flush=True)
    web.run_app(make_app(state), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
