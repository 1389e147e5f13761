"""Deterministic predictions for BFCL parity tests and the scoring benchmark: the gold reply plus bad replies of every kind the checker must
handle (unparseable text, unknown function, wrong types, missing calls, positional arguments, truncated turns)."""

from __future__ import annotations

import json
from typing import Any

from harness.tasks.bfcl import categories as cats
from harness.tasks.bfcl import gold

VARIANTS = ("gold", "garbage", "unknown_function", "wrong_type", "positional", "empty")


def variant_for(index: int) -> str:
    return VARIANTS[index % len(VARIANTS)]


def _wrong_type_calls(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, args in calls:
        args = dict(args)
        for k, v in args.items():  # strings become ints, numbers become strings: a type error either way
            args[k] = 7 if isinstance(v, str) else str(v)
            break
        out.append((name, args))
    return out


def prediction(entry: dict[str, Any], mode: str, variant: str) -> Any:
    k = cats.kind(entry["category"])
    ref = gold.official_result(entry, mode)
    if variant == "gold":
        return ref
    if k.multi_turn:
        turns = gold.multi_turn_turns(entry)
        if variant == "garbage":
            return [["I think we should cd into the folder now."] for _ in turns]
        if variant == "empty":
            return ref[:-1]  # a missing turn: force-terminated
        if variant == "positional":  # raw ground-truth strings: positional arguments get dropped in prompt mode
            if mode == "prompt":
                return [["[" + ", ".join(t) + "]"] if t else [] for t in entry["ground_truth"]]
            return ref
        if variant == "unknown_function":
            return [[gold.fc_result([("no_such_tool", {"x": 1})]) if mode == "fc" else "[no_such_tool(x=1)]"]
                    + s for s in ref]
        bad = [_wrong_type_calls(t) for t in turns]
        return [[gold.fc_result(t) if mode == "fc" else gold.prompt_text(t)] if t else [] for t in bad]
    if k.agentic:
        return [["I do not know."]] if variant != "empty" else [[]]
    if k.relevance:
        if variant in ("garbage", "empty"):
            return "I cannot help with that." if mode == "prompt" else "I cannot help with that."
        return ref
    calls = gold.ast_calls(entry["ground_truth"])
    if variant == "garbage":
        return "Sure! Here is the call: " + json.dumps(calls)[:60] if mode == "prompt" else "no tool call, just text"
    if variant == "empty":
        return "[]" if mode == "prompt" else []
    if variant == "unknown_function":
        calls = [("no_such_function", a) for _, a in calls]
    elif variant == "wrong_type":
        calls = _wrong_type_calls(calls)
    elif variant == "positional":
        if mode == "fc":
            return ref
        return "[" + ", ".join(f"{n}({', '.join(repr(v) for v in a.values())})" for n, a in calls) + "]"
    if entry["category"] in ("simple_java", "simple_javascript"):
        return ref if variant == "positional" else (gold.fc_result(calls) if mode == "fc" else gold.prompt_text(calls))
    return gold.fc_result(calls) if mode == "fc" else gold.prompt_text(calls)
