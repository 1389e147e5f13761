"""Parse adapter specs: `kind:name?key=value&key=value` (name and query optional)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from harness.core.errors import UserError

_KIND = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    name: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        text = self.kind if not self.name else f"{self.kind}:{self.name}"
        if self.params:
            text += "?" + "&".join(f"{k}={quote(v, safe='/:.,-_')}" for k, v in sorted(self.params.items()))
        return text

    def slug(self) -> str:
        """A short, file-name-safe form for run ids."""
        base = self.name.rstrip("/").split("/")[-1] if self.name else self.kind
        return re.sub(r"[^A-Za-z0-9._-]+", "-", f"{self.kind}-{base}" if self.name else base)[:60]


def parse_spec(text: str) -> ModelSpec:
    """`openai:gpt-4o?temperature=0`, `vllm:/models/qwen?tp=2`, `gold`. One clear error for anything else."""
    text = text.strip()
    if not text:
        raise UserError("empty model spec; expected kind:name?key=value, e.g. openai:gpt-4o-mini or gold")
    head, _, query = text.partition("?")
    kind, _, name = head.partition(":")
    if not _KIND.match(kind):
        raise UserError(f"malformed model spec {text!r}: the kind {kind!r} must be lowercase letters, digits, - or _")
    params: dict[str, str] = {}
    if query:
        for part in query.split("&"):
            if "=" not in part or part.startswith("="):
                raise UserError(f"malformed model spec {text!r}: query part {part!r} is not key=value")
        params = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=True))
    return ModelSpec(kind=kind, name=name, params=params)


def parse_method(text: str) -> ModelSpec:
    """`self-consistency:n=8,vote=first` -> kind self-consistency, params {n: 8, vote: first}."""
    kind, _, rest = text.strip().partition(":")
    if not _KIND.match(kind):
        raise UserError(f"malformed method {text!r}: expected name:key=value,key=value")
    params: dict[str, str] = {}
    for part in filter(None, rest.split(",")):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise UserError(f"malformed method {text!r}: {part!r} is not key=value")
        params[key.strip()] = value.strip()
    return ModelSpec(kind=kind, params=params)
