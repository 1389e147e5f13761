"""Reference answers written the way a model would write them (used by the `gold` adapter and the parity tests).

- AST categories: the first acceptable value of each parameter (parameters whose first option is "" are left out),
  as a prompting-mode call list `[f(a=1, b='x')]` or as FC tool calls `{name: arguments_json}`.
- Multi-turn: one step per turn holding that turn's ground-truth calls. Ground-truth strings such as
  `sort('final_report.pdf')` use positional arguments, which the official prompt decoder drops; we rewrite them with
  keywords from the backend method's signature so that a gold run measures the data, not the decoder quirk.
- Agentic: the first acceptable answer in the required `{'answer': ..., 'context': ...}` form.
"""

from __future__ import annotations

import ast
import inspect
import json
from functools import cache
from typing import Any

from harness.tasks.bfcl import categories as cats


def _first_options(args: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, options in args.items():
        if not isinstance(options, list) or not options:
            continue
        value = options[0]
        if value == "":
            continue
        out[name] = _first_options(value) if isinstance(value, dict) else value
    return out


def ast_calls(ground_truth: list[dict[str, Any]], language: str = "python") -> list[tuple[str, dict[str, Any]]]:
    calls = [(name, _first_options(args)) for call in ground_truth for name, args in call.items()]
    if language == "python":
        return calls
    # Java / JavaScript parameters are passed as source-code strings (the checker parses them back)
    return [(name, {k: _source_literal(v, language, top=True) for k, v in args.items()}) for name, args in calls]


def _source_literal(value: Any, language: str, top: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value if top else json.dumps(value)
    if isinstance(value, list):
        items = ", ".join(_source_literal(v, language) for v in value)
        return f"new ArrayList<>(Arrays.asList({items}))" if language == "java" else f"[{items}]"
    if isinstance(value, dict):
        if language == "java":
            puts = " ".join(f"put({json.dumps(str(k))}, {_source_literal(v, language)});" for k, v in value.items())
            return f"new HashMap<>() {{{{ {puts} }}}}"
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_source_literal(v, language)}" for k, v in value.items()) + "}"
    return str(value)


def prompt_text(calls: list[tuple[str, dict[str, Any]]], language: str = "python") -> str:
    if language != "python":  # the Java/JS prompt decoders read `f(a=<source>)`
        return "[" + ", ".join(f"{n}({', '.join(f'{k}={v}' for k, v in a.items())})" for n, a in calls) + "]"
    return "[" + ", ".join(f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls) + "]"


def fc_result(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, str]]:
    # OpenAI-style tool names cannot hold "." (convert_to_tool turns it into "_")
    return [{n.replace(".", "_"): json.dumps(a)} for n, a in calls]


@cache
def _method_params(involved: tuple[str, ...]) -> dict[str, list[str]]:
    import importlib

    from harness.tasks.bfcl.compat import official

    mapping = official().backend_config.CLASS_FILE_PATH_MAPPING
    params: dict[str, list[str]] = {}
    for class_name in involved:
        cls = getattr(importlib.import_module(mapping[class_name]), class_name)
        for name, fn in inspect.getmembers(cls, predicate=inspect.isfunction):
            if not name.startswith("_"):
                params[name] = [p for p in inspect.signature(fn).parameters if p != "self"]
    return params


def keywordize(call: str, involved: list[str]) -> tuple[str, dict[str, Any]]:
    """`sort('a.pdf')` -> ("sort", {"file_name": "a.pdf"}) using the backend method's signature."""
    node = ast.parse(call.strip(), mode="eval").body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), call
    names = _method_params(tuple(involved)).get(node.func.id, [])
    args: dict[str, Any] = {}
    for i, a in enumerate(node.args):
        args[names[i] if i < len(names) else f"arg{i}"] = ast.literal_eval(a)
    for kw in node.keywords:
        args[kw.arg] = ast.literal_eval(kw.value)  # type: ignore[index]
    return node.func.id, args


def multi_turn_turns(entry: dict[str, Any]) -> list[list[tuple[str, dict[str, Any]]]]:
    return [[keywordize(c, entry["involved_classes"]) for c in turn] for turn in entry["ground_truth"]]


def agentic_answer(entry: dict[str, Any]) -> str:
    return str({"answer": entry["ground_truth"][0], "context": "reference answer"})


def official_result(entry: dict[str, Any], mode: str) -> Any:
    """The `result` field an oracle would have in an official result file."""
    category = entry["category"]
    k = cats.kind(category)
    if k.relevance:
        if category == "live_relevance":
            name = entry["function"][0]["name"]
            return fc_result([(name, {})]) if mode == "fc" else prompt_text([(name, {})])
        return [] if mode == "fc" else "I cannot answer this with the given functions."
    if k.ast:
        language = {"simple_java": "java", "simple_javascript": "javascript"}.get(category, "python")
        calls = ast_calls(entry["ground_truth"], language)
        return fc_result(calls) if mode == "fc" else prompt_text(calls, language)
    if k.multi_turn:
        turns = multi_turn_turns(entry)
        return [[fc_result(t) if mode == "fc" else prompt_text(t)] if t else [] for t in turns]
    return [[agentic_answer(entry)]]
