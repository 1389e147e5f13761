"""A sample: one item of a benchmark, with a stable id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Chat messages use the OpenAI wire format ({"role": ..., "content": ..., optionally "tool_calls" ...}) so that
# they travel to any adapter without translation.
Message = dict[str, Any]


@dataclass(frozen=True)
class Sample:
    id: str
    input: str | list[Message]
    target: Any
    metadata: dict[str, Any] = field(default_factory=dict)

    def messages(self, system: str | None = None) -> list[Message]:
        """The input as chat messages, with an optional system prompt in front."""
        if isinstance(self.input, str):
            msgs: list[Message] = [{"role": "user", "content": self.input}]
        else:
            msgs = [dict(m) for m in self.input]
        if system is not None:
            msgs.insert(0, {"role": "system", "content": system})
        return msgs
