"""The error feedback that goes back to the model after a failed attempt (Metrics._set_fail_feedback and the
per-language log filters of teval/evaluator.py)."""

from __future__ import annotations

import re

EXECUTION_FEEDBACK_CHARS = 2500  # parse_logs(...)[-2500:]

NO_CHANGES = "You have to enhance this test file!"
EMPTY_FILE = "Test file is empty! You have to provide new test suite or change existing"
TIMEOUT = "Test file execution timed out!\nAnalyze test cases that may cause extra long execution and fix them!"


def fail_feedback(fail_reason: str | None, lang: str, error_logs: str) -> str | None:
    if fail_reason == "no_changes":
        return NO_CHANGES
    if fail_reason == "empty_file":
        return EMPTY_FILE
    if fail_reason == "timeout":
        return TIMEOUT
    if fail_reason == "syntax_error":
        return error_logs
    if fail_reason == "execution_error":
        return parse_logs(lang, error_logs)[-EXECUTION_FEEDBACK_CHARS:]
    return None


def parse_logs(lang: str, logs: str) -> str:
    if lang == "java":
        return _java(logs)
    if lang == "go":
        return _go(logs)
    if lang == "python":
        return _python(logs)
    raise ValueError(f"parse_logs: unsupported language {lang!r}")


def _go(logs: str) -> str:
    kept = []
    for line in logs.splitlines():
        if "[GIN" in line or "- using env:" in line or "- using code:" in line or len(line) < 5:
            continue
        kept.append(line)
    return "...\n" + "\n".join(kept)


_MAVEN_STOPWORDS = (
    "For more information",
    "Help 1",
    "Re-run Maven",
    "To see the full stack",
    "Please refer to ",
    "container with uuid",
    "Failed to execute goal",
)
_FULL_FILEPATH = re.compile(r"[\w/.-]+/([^/]+)")


def _java(logs: str) -> str:
    log_type = [x[:6] for x in logs.splitlines() if "[ERROR] " in x or "[INFO] " in x]
    messages = re.split(r"\[ERROR\] |\[INFO\] ", logs)
    errors = "".join(m for t, m in zip(log_type, messages[1:]) if "[ERROR" in t).splitlines()
    errors = [line for line in errors if all(stop not in line for stop in _MAVEN_STOPWORDS)]
    seen: set[str] = set()
    out = ""
    for line in errors:
        if line not in seen:
            seen.add(line)
            out += line + "\n"
    return _FULL_FILEPATH.sub(r"/\1", out)


_PY_STOPLIST = ("Warning", "short test summary info", "generated xml file", "_ _ _ _ _ _ _", "warnings summary")


def _python(logs: str) -> str:
    out = ""
    for line in logs.splitlines():
        if any(x in line for x in _PY_STOPLIST) or len(line) < 4:
            continue
        line = re.sub(r"_HOME_/.local/lib/python\d+(\.\d+)?/site-packages/", "site-packages/", line)
        line = line.replace("/usr/local/lib/python", "python")
        out += line + "\n"
    return "..." + out
