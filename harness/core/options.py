"""Parsing of task and method options given as text (`-T key=value`, `--method name:key=value`)."""

from __future__ import annotations

from typing import Any

from harness.core.errors import UserError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_bool(value: Any, what: str) -> bool:
    """True/false from a bool or from 1/0, true/false, yes/no, on/off; `what` names the option in the error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UserError(f"{what}={value!r}: expected true or false")


def parse_choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    text = str(value)
    if text not in allowed:
        raise UserError(f"{what}={value!r}: choose one of {', '.join(allowed)}")
    return text
