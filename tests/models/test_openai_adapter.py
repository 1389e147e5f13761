"""`openai:` against the fake OpenAI-compatible server (a test double: no real model can answer here quickly)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from harness.core import GenerateRequest, GenerationConfig
from harness.core.errors import ModelError, UserError
from harness.models.base import AdapterContext
from harness.models.openai_api import OpenAIAdapter, normalise_base_url
from harness.models.spec import parse_spec
from harness.registry import create_model
from harness.testing.fake_openai_server import FakeOpenAIServer, FakeServerState

SECRET = "sk-test-SECRET-0123456789"
MSGS = [{"role": "user", "content": "What is 6 times 7?"}]


def run_with_server(
    body: Callable[[FakeOpenAIServer], Awaitable[Any]], state: FakeServerState | None = None
) -> Any:
    async def main() -> Any:
        async with FakeOpenAIServer(state) as server:
            return await body(server)

    return asyncio.run(main())


async def started(spec: str, server: FakeOpenAIServer | None = None, base_url: str | None = None) -> OpenAIAdapter:
    adapter = create_model(spec)
    assert isinstance(adapter, OpenAIAdapter)
    await adapter.start(AdapterContext(base_url=base_url or (server.base_url if server else None), max_concurrency=8))
    return adapter


def test_registered_and_spec_help() -> None:
    adapter = create_model("openai:gpt-x")
    assert adapter.kind == "openai" and "api_key_env" in adapter.spec_help


def test_chat_roundtrip_usage_finish_reason() -> None:
    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?temperature=0", server)
        try:
            out = await adapter.generate(GenerateRequest(MSGS, GenerationConfig(max_tokens=100, temperature=0.7)))
        finally:
            await adapter.close()
        assert out.text == "The answer is \\boxed{42}."
        assert out.finish_reason == "stop"
        assert out.usage.prompt_tokens == 5 and out.usage.completion_tokens == 4
        assert out.retries == 0 and out.latency_s > 0
        sent = server.state.last_body
        assert sent is not None
        assert sent["model"] == "fake-model" and sent["messages"] == MSGS
        assert sent["temperature"] == 0.0  # the spec's override beats the task's 0.7
        assert sent["max_tokens"] == 100

    run_with_server(body)


def test_length_finish_reason_and_completions_api() -> None:
    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?api=completions", server)
        try:
            out = await adapter.generate(GenerateRequest(MSGS, GenerationConfig(max_tokens=2, logprobs=True, top_logprobs=1)))
        finally:
            await adapter.close()
        assert out.text == "The answer"
        assert out.finish_reason == "length"
        assert server.state.last_body is not None and server.state.last_body["prompt"] == "What is 6 times 7?"
        assert server.state.last_body["logprobs"] == 1
        assert out.completions[0].logprobs is not None
        assert [e["token"] for e in out.completions[0].logprobs] == ["The", "answer"]
        assert out.completions[0].logprobs[0]["top_logprobs"] == [{"token": "The", "logprob": pytest.approx(-0.1)}]

    run_with_server(body)


def test_n_greater_than_one_and_chat_logprobs() -> None:
    state = FakeServerState(reply="answer {i}")

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model", server)
        try:
            out = await adapter.generate(GenerateRequest(MSGS, GenerationConfig(n=3, logprobs=True, top_logprobs=2)))
        finally:
            await adapter.close()
        assert [c.text for c in out.completions] == ["answer 0", "answer 1", "answer 2"]
        assert server.state.last_body is not None and server.state.last_body["n"] == 3
        assert server.state.last_body["logprobs"] is True and server.state.last_body["top_logprobs"] == 2
        lp = out.completions[1].logprobs
        assert lp is not None and lp[1]["token"] == "1" and len(lp[1]["top_logprobs"]) == 2

    run_with_server(body, state)


def test_tool_calls() -> None:
    tools = [{"type": "function", "function": {"name": "search", "parameters": {"type": "object", "properties": {}}}}]

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model", server)
        try:
            cfg = GenerationConfig().with_tools(tools, tool_choice="auto")
            out = await adapter.generate(GenerateRequest(MSGS, cfg))
        finally:
            await adapter.close()
        assert server.state.last_body is not None
        assert server.state.last_body["tools"] == tools and server.state.last_body["tool_choice"] == "auto"
        call = out.completions[0].tool_calls[0]
        assert call.name == "search" and json.loads(call.arguments) == {"query": "What is 6 times 7?"}
        assert out.finish_reason == "tool_calls" and out.text == ""

    run_with_server(body)


def test_retries_counted_on_429_with_retry_after_and_500() -> None:
    state = FakeServerState(retry_after_s=0.3)
    state.faults.extend(["429", "500", "503"])

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?backoff=0.01&max_retries=5", server)
        try:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            out = await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
            waited = loop.time() - t0
        finally:
            await adapter.close()
        assert out.retries == 3 and out.text.startswith("The answer")
        assert server.state.requests == 4
        # Retry-After (0.3 s) was honoured rather than the 0.01 s backoff; a lower bound only, no timing assertion
        # about speed.
        assert waited >= 0.3

    run_with_server(body, state)


def test_timeout_is_retried() -> None:
    state = FakeServerState(hang_s=1.0)
    state.faults.append("timeout")

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?timeout=0.3&backoff=0.01", server)
        try:
            out = await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
        finally:
            await adapter.close()
        assert out.retries == 1 and out.finish_reason == "stop"

    run_with_server(body, state)


def test_disconnect_is_retried() -> None:
    state = FakeServerState()
    state.faults.append("disconnect")

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?backoff=0.01", server)
        try:
            out = await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
        finally:
            await adapter.close()
        assert out.retries == 1

    run_with_server(body, state)


def test_retries_exhausted_raise_model_error() -> None:
    state = FakeServerState()
    state.faults.extend(["500"] * 10)

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?backoff=0.001&max_retries=2", server)
        try:
            with pytest.raises(ModelError) as err:
                await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
        finally:
            await adapter.close()
        assert err.value.retries == 2 and err.value.retryable
        assert "HTTP 500" in str(err.value) and "after 2 retries" in str(err.value)
        assert server.state.requests == 3

    run_with_server(body, state)


def test_client_error_not_retried() -> None:
    state = FakeServerState()
    state.faults.append("400")

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?backoff=0.001", server)
        try:
            with pytest.raises(ModelError) as err:
                await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
        finally:
            await adapter.close()
        assert "HTTP 400" in str(err.value) and not err.value.retryable and err.value.retries == 0
        assert server.state.requests == 1

    run_with_server(body, state)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    url = f"http://127.0.0.1:{_free_port()}/v1"

    async def body() -> None:
        adapter = await started("openai:m?backoff=0.001&max_retries=2", base_url=url)
        try:
            with pytest.raises(ModelError) as err:
                await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
        finally:
            await adapter.close()
        text = str(err.value)
        assert "cannot reach the server at " + url in text and "after 2 retries" in text
        assert err.value.retries == 2
        assert SECRET not in text

    asyncio.run(body())


def test_api_key_sent_but_never_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", SECRET)
    state = FakeServerState()
    state.faults.append("400")

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?api_key_env=MY_KEY", server)
        try:
            with pytest.raises(ModelError) as err:
                await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
            await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
        finally:
            await adapter.close()
        assert server.state.last_auth == f"Bearer {SECRET}"
        for text in (str(err.value), json.dumps(adapter.describe()), adapter.cache_identity(), repr(adapter.spec)):
            assert SECRET not in text
        assert adapter.describe()["api_key_env"] == "MY_KEY"

    run_with_server(body, state)


def test_server_echoing_key_in_error_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    state = FakeServerState()
    state.faults.append("401")

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model", server)
        try:
            with pytest.raises(ModelError) as err:
                await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
        finally:
            await adapter.close()
        text = str(err.value)
        assert "HTTP 401" in text and "Incorrect API key provided: ***" in text and SECRET not in text
        assert "$OPENAI_API_KEY" in text

    run_with_server(body, state)


def test_model_name_from_server_listing() -> None:
    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai", server)
        try:
            out = await adapter.generate(GenerateRequest(MSGS, GenerationConfig()))
        finally:
            await adapter.close()
        assert adapter.model == "fake-model" and out.text

    run_with_server(body)


def test_concurrent_requests_share_one_session() -> None:
    state = FakeServerState(latency_s=0.01)

    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model", server)
        try:
            outs = await asyncio.gather(*(adapter.generate(GenerateRequest(MSGS, GenerationConfig())) for _ in range(50)))
        finally:
            await adapter.close()
            await adapter.close()  # safe twice
        assert len(outs) == 50 and all(o.text for o in outs)
        assert server.state.requests == 50

    run_with_server(body, state)


def test_spec_errors_are_user_errors() -> None:
    with pytest.raises(UserError, match="do not put an API key"):
        OpenAIAdapter(parse_spec("openai:m?api_key=sk-1"))
    with pytest.raises(UserError, match="unknown option"):
        OpenAIAdapter(parse_spec("openai:m?base_ur=http://x"))
    with pytest.raises(UserError, match="chat or completions"):
        OpenAIAdapter(parse_spec("openai:m?api=foo"))
    with pytest.raises(UserError, match="not an http"):
        normalise_base_url("localhost:8000")
    assert normalise_base_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/v1"
    assert normalise_base_url("http://h/v1/") == "http://h/v1"


def test_tools_on_completions_api_is_model_error() -> None:
    async def body(server: FakeOpenAIServer) -> None:
        adapter = await started("openai:fake-model?api=completions", server)
        try:
            with pytest.raises(ModelError, match="chat endpoint"):
                await adapter.generate(GenerateRequest(MSGS, GenerationConfig().with_tools([{"type": "function"}])))
        finally:
            await adapter.close()

    run_with_server(body)
