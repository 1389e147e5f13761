"""What goes to a model adapter and what comes back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from harness.core.sample import Message, Sample

if TYPE_CHECKING:
    from harness.tasks.base import Task


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling parameters. `None` means "the backend's default" and is not sent."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: tuple[str, ...] = ()
    n: int = 1
    seed: int | None = None
    logprobs: bool = False
    top_logprobs: int | None = None
    # OpenAI-format tool definitions and tool_choice, kept as JSON text so the config stays hashable.
    tools_json: str | None = None
    tool_choice: str | None = None
    # Anything else the backend accepts (e.g. repetition_penalty), as sorted (key, JSON value) pairs.
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def tools(self) -> list[dict[str, Any]] | None:
        return None if self.tools_json is None else json.loads(self.tools_json)

    def with_tools(self, tools: list[dict[str, Any]] | None, tool_choice: str | None = None) -> GenerationConfig:
        return replace(
            self, tools_json=None if tools is None else json.dumps(tools, sort_keys=True), tool_choice=tool_choice
        )

    def merged(self, overrides: dict[str, Any]) -> GenerationConfig:
        """A copy with the given fields replaced; unknown keys go to `extra`. A known field with a value of the
        wrong type (`max_tokens=abc`) is a UserError here, not a backend failure later."""
        known = {f for f in self.__dataclass_fields__}
        direct = {k: _checked(k, v) for k, v in overrides.items() if k in known and v is not None}
        if "stop" in direct and isinstance(direct["stop"], (list, str)):
            direct["stop"] = tuple([direct["stop"]] if isinstance(direct["stop"], str) else direct["stop"])
        extra = dict(self.extra)
        extra.update({k: json.dumps(v) for k, v in overrides.items() if k not in known and v is not None})
        return replace(self, **direct, extra=tuple(sorted(extra.items())))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stop"] = list(self.stop)
        d["extra"] = {k: json.loads(v) for k, v in self.extra}
        return d


_INT_FIELDS = frozenset({"max_tokens", "top_k", "n", "seed", "top_logprobs"})
_FLOAT_FIELDS = frozenset({"temperature", "top_p"})


def _checked(key: str, value: Any) -> Any:
    from harness.core.errors import UserError

    if key in _INT_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
        raise UserError(f"generation option {key}={value!r} must be an integer")
    if key in _FLOAT_FIELDS and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise UserError(f"generation option {key}={value!r} must be a number")
    if key == "logprobs" and not isinstance(value, bool):
        raise UserError(f"generation option logprobs={value!r} must be true or false")
    return float(value) if key in _FLOAT_FIELDS else value


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text exactly as the model produced it (it may not parse: scorers decide)


@dataclass
class Completion:
    text: str
    finish_reason: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    logprobs: list[dict[str, Any]] | None = None


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class ModelOutput:
    completions: list[Completion]
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    retries: int = 0
    cached: bool = False
    # The full transcript when a task's solver ran several turns (tool loops, agents).
    transcript: list[Message] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.completions[0].text if self.completions else ""

    @property
    def finish_reason(self) -> str | None:
        return self.completions[0].finish_reason if self.completions else None

    def to_json(self) -> dict[str, Any]:
        return {
            "completions": [asdict(c) for c in self.completions],
            "usage": asdict(self.usage),
            "latency_s": self.latency_s,
            "retries": self.retries,
            "transcript": self.transcript,
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ModelOutput:
        comps = [
            Completion(
                text=c["text"],
                finish_reason=c.get("finish_reason"),
                tool_calls=[ToolCall(**t) for t in c.get("tool_calls") or []],
                logprobs=c.get("logprobs"),
            )
            for c in d["completions"]
        ]
        return cls(
            completions=comps,
            usage=Usage(**d.get("usage", {})),
            latency_s=d.get("latency_s", 0.0),
            retries=d.get("retries", 0),
            transcript=d.get("transcript"),
            metadata=d.get("metadata") or {},
        )


@dataclass
class GenerateRequest:
    """One call to a model. `sample`, `epoch` and `task` let gold, replay and methods know what is being asked."""

    messages: list[Message]
    config: GenerationConfig
    sample: Sample | None = None
    epoch: int = 0
    task: Task | None = None
