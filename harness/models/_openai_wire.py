"""OpenAI wire format: build request bodies from a GenerationConfig and parse responses into Completions.

Kept apart from the HTTP client so both can be read (and tested) on their own. Logprobs from both endpoints are
normalised to one shape: a list of `{"token", "logprob", "top_logprobs": [{"token", "logprob"}, ...]}`.
"""

from __future__ import annotations

import json
from typing import Any

from harness.core import Completion, GenerationConfig, Message, ToolCall, Usage


def build_body(model: str, messages: list[Message], config: GenerationConfig, *, chat: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model}
    if chat:
        body["messages"] = messages
    else:
        body["prompt"] = messages_to_prompt(messages)
    if config.max_tokens is not None:
        body["max_tokens"] = config.max_tokens
    if config.temperature is not None:
        body["temperature"] = config.temperature
    if config.top_p is not None:
        body["top_p"] = config.top_p
    if config.top_k is not None:
        body["top_k"] = config.top_k  # not OpenAI's API, but vLLM and most local servers accept it
    if config.stop:
        body["stop"] = list(config.stop)
    if config.n != 1:
        body["n"] = config.n
    if config.seed is not None:
        body["seed"] = config.seed
    if config.logprobs:
        if chat:
            body["logprobs"] = True
            if config.top_logprobs is not None:
                body["top_logprobs"] = config.top_logprobs
        else:
            body["logprobs"] = config.top_logprobs or 0
    if config.tools_json is not None:
        if not chat:
            raise ValueError("tool calls need the chat endpoint (api=chat)")
        body["tools"] = json.loads(config.tools_json)
        if config.tool_choice is not None:
            # "auto" / "none" / "required", or a JSON object naming one function
            choice = config.tool_choice
            body["tool_choice"] = json.loads(choice) if choice.lstrip().startswith("{") else choice
    for key, value in config.extra:
        body[key] = json.loads(value)
    return body


def messages_to_prompt(messages: list[Message]) -> str:
    """The completions endpoint takes raw text: a lone user message is sent as is, otherwise contents are joined."""
    parts = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    return "\n\n".join(parts)


def _chat_logprobs(lp: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    if not lp or lp.get("content") is None:
        return None
    return [
        {
            "token": e.get("token"),
            "logprob": e.get("logprob"),
            "top_logprobs": [{"token": t.get("token"), "logprob": t.get("logprob")} for t in e.get("top_logprobs") or []],
        }
        for e in lp["content"]
    ]


def _completion_logprobs(lp: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    if not lp or lp.get("tokens") is None:
        return None
    tops = lp.get("top_logprobs") or [None] * len(lp["tokens"])
    return [
        {
            "token": tok,
            "logprob": val,
            "top_logprobs": [{"token": t, "logprob": v} for t, v in (top or {}).items()],
        }
        for tok, val, top in zip(lp["tokens"], lp.get("token_logprobs") or [], tops)
    ]


def parse_response(data: dict[str, Any], *, chat: bool) -> tuple[list[Completion], Usage]:
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise ValueError(f"response has no choices: {str(data)[:200]}")
    if len(choices) > 1:
        choices = sorted(choices, key=lambda c: c.get("index", 0))
    completions = []
    for c in choices:
        if chat:
            msg = c.get("message") or {}
            calls = [
                ToolCall(
                    id=t.get("id") or "",
                    name=(t.get("function") or {}).get("name") or "",
                    arguments=(t.get("function") or {}).get("arguments") or "",
                )
                for t in msg.get("tool_calls") or []
            ]
            completions.append(
                Completion(
                    text=msg.get("content") or "",
                    finish_reason=c.get("finish_reason"),
                    tool_calls=calls,
                    logprobs=_chat_logprobs(c.get("logprobs")),
                )
            )
        else:
            completions.append(
                Completion(
                    text=c.get("text") or "",
                    finish_reason=c.get("finish_reason"),
                    logprobs=_completion_logprobs(c.get("logprobs")),
                )
            )
    u = data.get("usage") or {}
    usage = Usage(prompt_tokens=u.get("prompt_tokens") or 0, completion_tokens=u.get("completion_tokens") or 0)
    return completions, usage
