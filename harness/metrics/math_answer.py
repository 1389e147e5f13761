"""Final-answer extraction and equivalence for math benchmarks (default grader: HuggingFace Math-Verify).

Extraction: the content of the last complete `\\boxed{...}` (brace-matched, nested braces allowed; `\\fbox{}` and the
`\\boxed 5` form too). Equivalence: `math_verify.verify(gold, pred)`, gold first, after both sides are parsed with
`math_verify.parse`. Math-Verify only extracts LaTeX inside a math environment, so a bare gold such as `\\sqrt{2}`
parses to nothing; bare answers are wrapped in `$...$` first.

Scoring must be cheap: the engine scores thousands of samples per second. Two fast paths decide the common cases
without sympy, and both are checked against Math-Verify in tests/metrics/test_math_answer.py:
- the two answers are the same string after a light, meaning-preserving normalisation (spaces, `$`, `\\left`,
  `\\dfrac` ...) -> equal;
- both are plain decimal numbers (thousands commas allowed) -> equal when their decimal values are equal
  (`025` = `25`, `1,000` = `1000`, `25.0` = `25`), unequal when they differ after rounding to 6 decimals
  (Math-Verify's float rounding); near misses go to Math-Verify.
Everything else goes to Math-Verify, memoised per (gold, pred) pair.

Math-Verify's timeouts use `signal.alarm`, which only works in the main thread. In the main thread (where the engine
scores) we call it directly with its timeouts. From any other thread we run the same call in a helper process
(harness/metrics/math_timeout.py), where it is the main thread again, under a hard limit; calling Math-Verify with
timeouts off in a thread could hang on an answer such as `10^{10^{10^{10}}}`.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

# Seconds Math-Verify may spend parsing one expression / comparing one pair (its own defaults are 5 and 5).
PARSE_TIMEOUT_S = 5
VERIFY_TIMEOUT_S = 5
# Hard limit for one check run in the helper process (from threads other than the main thread).
HELPER_TIMEOUT_S = 2 * (PARSE_TIMEOUT_S + VERIFY_TIMEOUT_S)

_BOX_COMMANDS = ("\\boxed", "\\fbox")


def _box_starts(text: str) -> list[tuple[int, int]]:
    """(start of command, end of command name) of every `\\boxed` / `\\fbox`, in text order."""
    hits: list[tuple[int, int]] = []
    for cmd in _BOX_COMMANDS:
        start = text.find(cmd)
        while start != -1:
            end = start + len(cmd)
            # `\boxed` must not be the prefix of a longer command name (e.g. a hypothetical `\boxedx`).
            if end >= len(text) or not text[end].isalpha():
                hits.append((start, end))
            start = text.find(cmd, end)
    hits.sort()
    return hits


def _box_content(text: str, end: int) -> str | None:
    """The argument of a box command whose name ends at `end`; None when the braces never close."""
    i = end
    n = len(text)
    while i < n and text[i] == " ":
        i += 1
    if i < n and text[i] == "{":
        depth = 0
        for j in range(i, n):
            c = text[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[i + 1 : j]
        return None  # truncated output: the box never closes
    if i > end:  # `\boxed 5$` form: up to the next `$` or end of line
        m = re.match(r"[^$\n]+", text[i:])
        return m.group(0).strip() if m else None
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last complete `\\boxed{...}` (or `\\fbox{...}`); None if there is none or it is empty."""
    if not text or ("\\boxed" not in text and "\\fbox" not in text):
        return None
    for _, end in reversed(_box_starts(text)):
        content = _box_content(text, end)
        if content is not None:
            content = content.strip()
            return content or None
    return None


# --- light normalisation for the fast path --------------------------------------------------------------------
_NOISE = re.compile(r"\\left|\\right|\\!|\\,|\\;|\\:|\\ |\s+")
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")


def canonical(answer: str) -> str:
    """Spacing and spelling variants that cannot change a LaTeX answer's value, removed."""
    s = answer.strip()
    if len(s) >= 2 and s[0] == "$" and s[-1] == "$":
        s = s.strip("$")
    s = _NOISE.sub("", s).replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    return s.rstrip(".")


def plain_number(answer: str) -> Decimal | None:
    """The value of an answer that is just a decimal number (thousands commas allowed), else None."""
    s = canonical(answer)
    if not _NUMBER.fullmatch(s):
        return None
    try:
        return Decimal(s.replace(",", ""))
    except InvalidOperation:
        return None


def fast_equal(gold: str, pred: str) -> bool | None:
    """Decide equivalence without sympy when that is safe; None when Math-Verify must decide."""
    g, p = canonical(gold), canonical(pred)
    if g == p and g:
        return True
    gn, pn = plain_number(g), plain_number(p)
    if gn is not None and pn is not None:
        if gn == pn:
            return True
        # Math-Verify rounds to 6 decimals when either side is a float (so 2.3333333333333335 = 2.333333), and
        # then compares sympy Integer and Float strictly (so 3 != 3.0000001 but 3.0 = 3.0000001). Numbers that
        # differ after rounding are unequal either way; the near misses go to Math-Verify.
        try:
            if round(gn, 6) != round(pn, 6):
                return False
        except ArithmeticError:  # beyond the decimal context's precision (thousands of digits): let sympy decide
            return None
    return None


# --- Math-Verify ------------------------------------------------------------------------------------------------
_DELIMITED = re.compile(r"(?<!\\)\$|\\\(|\\\[|\\boxed")


def as_latex(answer: str) -> str:
    """A bare LaTeX answer wrapped in `$...$` so that Math-Verify's LaTeX extraction sees it."""
    return answer if _DELIMITED.search(answer) else f"${answer}$"


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def mv_parse(text: str) -> list[Any]:
    """`math_verify.parse` with the default configs (LaTeX + plain expressions); [] on any failure."""
    from math_verify import parse

    main = _in_main_thread()
    try:
        return parse(text, parsing_timeout=PARSE_TIMEOUT_S if main else None)  # type: ignore[arg-type]
    except Exception:  # Math-Verify catches its own errors; this is a last line of defence for the scorer
        return []


@lru_cache(maxsize=65536)
def _parsed_answer(answer: str) -> tuple[Any, ...]:
    return tuple(mv_parse(as_latex(answer)))


def _verify_direct(gold: str, pred: str) -> bool:
    """Math-Verify on two bare answers, in the calling thread (with Math-Verify's own timeouts in a main thread)."""
    from math_verify import verify

    g, p = _parsed_answer(gold), _parsed_answer(pred)
    if not g or not p:
        return False
    timeout = VERIFY_TIMEOUT_S if _in_main_thread() else None
    try:
        return bool(verify(list(g), list(p), timeout_seconds=timeout))  # type: ignore[arg-type]
    except Exception:
        return False


def _fallback_direct(text: str) -> str | None:
    parsed = mv_parse(text)
    if len(parsed) < 2:
        return None
    matched = str(parsed[1]).strip()
    return matched or None


def _main_thread_or_helper(name: str, args: tuple[Any, ...], default: Any) -> Any:
    """Run `name(*args)` here in a main thread (Math-Verify's signal timeouts work); from any other thread run it in
    the helper process, where it is the main thread again and a hard limit kills it if it overruns."""
    if _in_main_thread():
        return globals()[name](*args)
    from harness.metrics.math_timeout import TIMED_OUT, call_with_timeout

    try:
        result = call_with_timeout(__name__, name, args, HELPER_TIMEOUT_S)
    except Exception:
        return default
    return default if result is TIMED_OUT else result


@lru_cache(maxsize=262144)
def _verify_pair(gold: str, pred: str) -> bool:
    return bool(_main_thread_or_helper("_verify_direct", (gold, pred), False))


def math_verify_equal(gold: str, pred: str) -> bool:
    """Whether `pred` is equivalent to `gold` (both bare answers, e.g. boxed contents). Gold first: the check is
    asymmetric for intervals vs inequalities (gold `(1,2)` vs pred `1<x<2` is False, the reverse True)."""
    decided = fast_equal(gold, pred)
    if decided is not None:
        return decided
    return _verify_pair(gold, pred)


def math_verify_equal_slow(gold: str, pred: str) -> bool:
    """Math-Verify alone, without the fast paths (used by tests to check the fast paths agree with it)."""
    return bool(_main_thread_or_helper("_verify_direct", (gold, pred), False))


def fallback_extract(text: str) -> str | None:
    """Math-Verify's own extraction on a whole output without a box ("final answer is 7", last `$...$`, last
    number), as lighteval does; returns the matched answer string or None."""
    if not text or not text.strip():
        return None
    return _main_thread_or_helper("_fallback_direct", (text,), None)
