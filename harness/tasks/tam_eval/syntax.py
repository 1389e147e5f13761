"""Syntax check and test-case counting with tree-sitter, as the official harness does (utils/syntax_checker.py and
teval/parser/*). The official code pins tree-sitter 0.21.3 + tree-sitter-languages 1.10.2, which have no wheels for
our Python; the per-language grammar packages used here (tree-sitter-python/java/go) are newer releases of the same
grammars, so a file on the edge of the grammar may parse differently (documented deviation). The error message keeps
the official header and per-error lines, without grep-ast's context excerpt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

SYNTAX_MESSAGE_LIMIT = 1200  # limit_message_n_chars in the evaluator


@lru_cache(maxsize=None)
def _parser(lang: str) -> Any:
    import tree_sitter

    if lang == "python":
        import tree_sitter_python as grammar
    elif lang == "java":
        import tree_sitter_java as grammar
    elif lang == "go":
        import tree_sitter_go as grammar
    else:
        raise ValueError(f"no tree-sitter grammar for {lang!r}")
    return tree_sitter.Parser(tree_sitter.Language(grammar.language()))


@dataclass
class SyntaxResult:
    correct: bool
    message: str = ""


def check_syntax(lang: str, code: str, filename: str) -> SyntaxResult:
    tree = _parser(lang).parse(code.encode("utf-8"))
    if not tree.root_node.has_error:
        return SyntaxResult(True)
    errors = []
    stack = [tree.root_node]
    steps = 0
    while stack:
        node = stack.pop()
        steps += 1
        if steps > 10000:
            errors.append(("Maximum recursion depth exceeded when check syntax", (0, 0), tuple(node.end_point)))
            break
        if node.is_error:
            errors.append((node.text.decode(errors="replace"), tuple(node.start_point), tuple(node.end_point)))
        if node.is_missing:
            errors.append((f"Missing: {node.type}", tuple(node.start_point), tuple(node.end_point)))
        stack.extend(reversed(node.children))
    message = "## See syntax errors below:\n\n"
    for text, start, end in errors:
        message += f"\nError in line {start[0] + 1} byte {start[1]} till line {end[0] + 1} byte {end[1]}!"
        message += f" Details:\n{text[:150]}..."
    message += f"\n\nFile: {filename}"
    if len(message) > SYNTAX_MESSAGE_LIMIT:
        message = message[:SYNTAX_MESSAGE_LIMIT] + "..."
    return SyntaxResult(False, message)


def _walk(node: Any, types: tuple[str, ...]) -> list[Any]:
    found = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in types:
            found.append(n)
        stack.extend(reversed(n.children))
    return found


_PY_TEST = re.compile(r"^def test_\w+\(")
_GO_TEST = re.compile(r"^func Test\w+\(t \*testing\.T\)")


def count_test_cases(lang: str, code: str) -> int:
    """The official `len(ParsedFile(content).get_test_functions())` per language."""
    root = _parser(lang).parse(code.encode("utf-8")).root_node
    if lang == "python":
        funcs = _walk(root, ("function_definition", "method_definition"))
        return sum(1 for f in funcs if _PY_TEST.match(f.text.decode("utf-8", "replace")))
    if lang == "java":
        funcs = _walk(root, ("function_declaration", "method_declaration"))
        return sum(1 for f in funcs if "@Test" in f.text.decode("utf-8", "replace"))
    if lang == "go":
        funcs = _walk(root, ("function_declaration",))
        n = 0
        for f in funcs:
            m = _GO_TEST.match(f.text.decode("utf-8", "replace"))
            if m and "integration(" not in m.group(0).lower():
                n += 1
        return n
    raise ValueError(f"unsupported language {lang!r}")
