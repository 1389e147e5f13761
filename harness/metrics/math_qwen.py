"""The Qwen2.5-Math evaluation grader (QwenLM/Qwen2.5-Math `evaluation/`, commit a45202bd, MIT; itself derived from
ZubinGou/math-evaluation-harness, Hendrycks' MATH, PRM800K, ToRA and DeepSeek-Math): answer extraction
(`extract_answer`), normalisation (`strip_string`) and equivalence (`math_equal`), re-implemented here.

Behaviour kept on purpose (the numbers papers report depend on it):
- extraction order: minerva `final answer is $...$. I hope`, then the last `boxed`, then `he answer is`, then
  `final answer is`, then `答案是`, then the last number in the text;
- `strip_string` removes a ~300-entry unit list used as *unescaped regexes*, including single letters ("a", "t",
  "s", "m" ...), so `x+a` becomes `x+`; it removes every literal `and`, `x=`-style prefixes, `%`, `$` and degrees;
- `math_equal` compares numbers with `isclose(rel_tol=1e-4)` against **[ref/100, ref, ref*100]**
  (`include_percentage=True`): for an AIME answer 25 the predictions 0.25 and 2500 count as correct. The option
  `include_percentage=False` turns that off (a named fix, not the default);
- a comparison that takes longer than 3 s scores False (Qwen runs each pair in a pebble process with timeout 3).

Deviations (documented in docs/tasks/math.md):
- symbolic parsing uses `latex2sympy2_extended.latex2sympy` (Math-Verify's fork) then sympy `parse_expr`, instead of
  sympy `parse_latex` + the vendored `latex2sympy2` (their antlr runtime conflicts with Math-Verify's);
- `parse_expr` evaluates Python, so strings that look like code (`__`, attribute access, `import`, `open` ...)
  are never passed to it;
- the 3 s limit applies to the structural and symbolic steps only (run in a helper process that is killed on
  timeout, as upstream's pebble pool does); the string and number steps run in-process and cannot hang.
"""

from __future__ import annotations

import re
from functools import lru_cache
from math import isclose
from typing import Any

TIMEOUT_S = 3

# Units, mostly from MathQA, exactly as Qwen2.5-Math's parser.py lists them (duplicates included). They are used
# as regular expressions without escaping, as upstream does ("q ." matches "q" + any character + ...).
_UNIT_TEXTS = [
    "east", "degree", "mph", "kmph", "ft", "m sqaure", " m east", "sq m", "deg", "mile", "q .", "monkey", "prime",
    "ratio", "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per", "dm", "lt", "gain", "ab", "way", "west",
    "a .", "b .", "c .", "d .", "e .", "f .", "g .", "h .", "t", "a", "h", "no change", "men", "soldier", "pie", "bc",
    "excess", "st", "inches", "noon", "percent", "by", "gal", "kmh", "c", "acre", "rise", "a . m", "th", "π r 2",
    "sq", "mark", "l", "toy", "coin", "sq . m", "gallon", "° f", "profit", "minw", "yr", "women", "feet", "am", "pm",
    "hr", "cu cm", "square", "v â € ™", "are", "rupee", "rounds", "cubic", "cc", "mtr", "s", "ohm", "number", "kmph",
    "day", "hour", "minute", "min", "second", "man", "woman", "sec", "cube", "mt", "sq inch", "mp", "∏ cm ³",
    "hectare", "more", "sec", "unit", "cu . m", "cm 2", "rs .", "rs", "kg", "g", "month", "km", "m", "cm", "mm",
    "apple", "liter", "loss", "yard", "pure", "year", "increase", "decrease", "d", "less", "Surface", "litre",
    "pi sq m", "s .", "metre", "meter", "inch",
]
_UNIT_TEXTS = _UNIT_TEXTS + [t + "s" for t in _UNIT_TEXTS]
_UNIT_PATTERNS = [re.compile(r"(^|\W)" + t + r"($|\W)") for t in _UNIT_TEXTS]


# --- strip_string -------------------------------------------------------------------------------------------
def _fix_fracs(string: str) -> str:
    substrs = string.split("\\frac")
    new_str = substrs[0]
    for substr in substrs[1:]:
        new_str += "\\frac"
        if len(substr) > 0 and substr[0] == "{":
            new_str += substr
            continue
        if len(substr) < 2:
            return string
        a, b = substr[0], substr[1]
        if b != "{":
            new_str += "{" + a + "}{" + b + "}" + substr[2:]
        else:
            new_str += "{" + a + "}" + b + substr[2:]
    return new_str


def _fix_a_slash_b(string: str) -> str:
    parts = string.split("/")
    if len(parts) != 2:
        return string
    a_s, b_s = parts
    try:
        a: Any = a_s if "sqrt" in a_s else int(a_s)
        b: Any = b_s if "sqrt" in b_s else int(b_s)
        if string != f"{a}/{b}":
            return string
        return "\\frac{" + str(a) + "}{" + str(b) + "}"
    except ValueError:
        return string


def _fix_sqrt(string: str) -> str:
    return re.sub(r"\\sqrt(\w+)", r"\\sqrt{\1}", string)


def _convert_word_number(text: str) -> str:
    try:
        from word2number import w2n
    except ImportError:  # optional dependency: without it, number words stay words
        return text
    try:
        return str(w2n.word_to_num(text))
    except Exception:
        return text


@lru_cache(maxsize=65536)
def strip_string(string: str, skip_unit: bool = False) -> str:
    """Qwen2.5-Math's answer normalisation, step for step."""
    string = str(string).strip().replace("\n", "").rstrip(".")
    string = string.replace("\\!", "")
    string = re.sub(r"\\begin\{array\}\{.*?\}", r"\\begin{pmatrix}", string)
    string = re.sub(r"\\end\{array\}", r"\\end{pmatrix}", string)
    string = string.replace("bmatrix", "pmatrix")
    string = string.replace("tfrac", "frac").replace("dfrac", "frac")
    string = string.replace("\\neq", "\\ne").replace("\\leq", "\\le").replace("\\geq", "\\ge")
    string = string.replace("\\left", "").replace("\\right", "")
    string = string.replace("\\{", "{").replace("\\}", "}")

    # a trailing \text{...} is a unit ("5 \text{ miles}")
    stripped = re.sub(r"\\text{.*?}$", "", string).strip()
    if stripped != "" and stripped != string:
        string = stripped

    if not skip_unit:
        for _ in range(2):
            for pattern in _UNIT_PATTERNS:
                stripped = pattern.sub(r"\1\2", string)
                if stripped != "":
                    string = stripped

    string = string.replace("^{\\circ}", "").replace("^\\circ", "")
    string = string.replace("\\$", "").replace("$", "")
    string = string.replace("\\(", "").replace("\\)", "")
    string = _convert_word_number(string)
    string = re.sub(r"\\text\{(.*?)\}", r"\1", string)
    for key in ["x=", "y=", "z=", "x\\in", "y\\in", "z\\in", "x\\to", "y\\to", "z\\to"]:
        string = string.replace(key, "")
    string = string.replace("\\emptyset", r"{}")
    string = string.replace("(-\\infty,\\infty)", "\\mathbb{R}")
    string = string.replace("\\%", "").replace("%", "")
    string = string.replace(" .", " 0.").replace("{.", "{0.")
    if string.isalnum() and (
        (string.startswith("{") and string.endswith("}"))
        or (string.startswith("(") and string.endswith(")"))
        or (string.startswith("[") and string.endswith("]"))
    ):
        string = string[1:-1]
    string = string.replace("infinity", "\\infty")
    if "\\infty" not in string:
        string = string.replace("inf", "\\infty")
    string = string.replace("+\\inity", "\\infty")
    string = string.replace("and", "")
    string = string.replace("\\mathbf", "")
    string = re.sub(r"\\mbox{.*?}", "", string)
    # (upstream's quote removal is a no-op: `string.replace("'", "")` without assignment; kept as a no-op)
    if "j" in string and "i" not in string:
        string = string.replace("j", "i")
    string = re.sub(r"(\d+)\.0*([^\d])", r"\1\2", string)
    string = re.sub(r"(\d+)\.0*$", r"\1", string)
    if len(string) == 0:
        return string
    if string[0] == ".":
        string = "0" + string
    if len(string.split("=")) == 2 and len(string.split("=")[0]) <= 2:
        string = string.split("=")[1]
    string = _fix_sqrt(string)
    string = string.replace(" ", "")
    string = _fix_fracs(string)
    string = _fix_a_slash_b(string)
    return string


# --- extraction ---------------------------------------------------------------------------------------------
def _qwen_box(after: str) -> str:
    """Upstream's brace matching on the text after the last "boxed" (an unclosed box yields the rest)."""
    if not after:
        return ""
    if after[0] != "{":
        return after.split("$")[0].strip()
    depth = 1
    out = []
    for c in after[1:]:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        out.append(c)
    return "".join(out)


_LAST_NUMBER = re.compile(r"-?\d*\.?\d+")


def extract_answer(pred_str: str, use_last_number: bool = True) -> str:
    """Qwen2.5-Math's `extract_answer` for the math (non multiple-choice) datasets, followed by `strip_string`.
    Returns "" when nothing is found, as upstream does."""
    pred_str = pred_str.replace("\u043a\u0438", "")
    if "final answer is $" in pred_str and "$. I hope" in pred_str:
        pred = pred_str.split("final answer is $", 1)[1].split("$. I hope", 1)[0].strip()
    elif "boxed" in pred_str:
        pred = _qwen_box(pred_str.split("boxed")[-1])
    elif "he answer is" in pred_str:
        pred = pred_str.split("he answer is")[-1].strip()
    elif "final answer is" in pred_str:
        pred = pred_str.split("final answer is")[-1].strip()
    elif "答案是" in pred_str:
        pred = pred_str.split("答案是")[1].strip().split("\n\n")[0].strip()
    elif use_last_number:
        numbers = _LAST_NUMBER.findall(pred_str.replace(",", ""))
        pred = numbers[-1] if numbers else ""
    else:
        pred = ""
    pred = re.sub(r"\n\s*", "", pred)
    if pred[:1] == ":":
        pred = pred[1:]
    if pred[-1:] == ".":
        pred = pred[:-1]
    if pred[-1:] == "/":
        pred = pred[:-1]
    # math_eval.run_execute applies strip_string a second time after extract_answer; it is idempotent in practice
    # but we keep both calls to match upstream exactly.
    return strip_string(strip_string(pred))


# --- equivalence --------------------------------------------------------------------------------------------
def _choice_answer_clean(pred: str) -> str:
    pred = pred.strip("\n").rstrip(".").rstrip("/").strip(" ").lstrip(":")
    letters = re.findall(r"\b(A|B|C|D|E)\b", pred.upper())
    chosen = letters[-1] if letters else pred.strip().strip(".")
    return chosen.rstrip(".").rstrip("/")


def _parse_digits(num: Any) -> float | None:
    s = str(num).replace(",", "")
    try:
        return float(s)
    except ValueError:
        if s.endswith("%"):
            s = s[:-1]
            if s.endswith("\\"):
                s = s[:-1]
            try:
                return float(s) / 100
            except ValueError:
                pass
    return None


def _numeric_equal(prediction: float, reference: float) -> bool:
    return isclose(reference, prediction, rel_tol=1e-4)


_CODE_LIKE = re.compile(
    r"__|\.[A-Za-z_]|\b(?:import|exec|eval|open|compile|globals|locals|getattr|setattr|delattr|vars|input|"
    r"breakpoint|exit|quit|help|lambda|memoryview|bytearray|type|object|super|print)\b"
)


def _sympify(s: str) -> Any:
    """Upstream tries parse_latex, parse_expr, latex2sympy (each on s with `\\\\` -> `\\`, then on s); we try
    latex2sympy2_extended then parse_expr, and never hand code-like strings to parse_expr (it evaluates Python)."""
    from latex2sympy2_extended import latex2sympy
    from sympy.parsing.sympy_parser import parse_expr

    for candidate in (s.replace("\\\\", "\\"), s):
        try:
            return latex2sympy(candidate)
        except Exception:
            pass
    if not _CODE_LIKE.search(s):
        for candidate in (s.replace("\\\\", "\\"), s):
            try:
                return parse_expr(candidate)
            except Exception:
                pass
    return s


def symbolic_equal(a: str, b: str) -> bool:
    from sympy import N, simplify

    x, y = _sympify(a), _sympify(b)
    try:
        if str(x) == str(y) or x == y:
            return True
    except Exception:
        pass
    # An unparsed string that meets sympy arithmetic below (`x - y`) is sympified, i.e. evaluated as Python, as
    # upstream does; a code-like string stops here instead.
    if any(isinstance(v, str) and _CODE_LIKE.search(v) for v in (x, y)):
        return False
    try:
        if x.equals(y) or simplify(x - y) == 0:
            return True
    except Exception:
        pass
    try:
        if (abs(x.lhs - x.rhs)).equals(abs(y.lhs - y.rhs)):
            return True
    except Exception:
        pass
    try:
        if _numeric_equal(float(N(x)), float(N(y))):
            return True
    except Exception:
        pass
    try:
        if x.shape == y.shape:
            if x.applyfunc(lambda v: round(v, 3)).equals(y.applyfunc(lambda v: round(v, 3))):
                return True
    except Exception:
        pass
    return False


def _str_to_pmatrix(input_str: str) -> str:
    matrices = re.findall(r"\{.*,.*\}", input_str.strip())
    out = [r"\begin{pmatrix}" + m.strip("{}").replace(",", "\\") + r"\end{pmatrix}" for m in matrices]
    return ", ".join(out)


def _quick_math_equal(prediction: str, reference: str, include_percentage: bool, is_close: bool = True) -> bool | None:
    """The first steps of upstream `math_equal` (string, multiple choice, numbers): cheap, decided in-process.
    None when the structural and symbolic steps must decide."""
    if prediction is None or reference is None:
        return False
    if prediction.strip().lower() == reference.strip().lower():
        return True
    if reference in ["A", "B", "C", "D", "E"] and _choice_answer_clean(prediction) == reference:
        return True

    pred_num, ref_num = _parse_digits(prediction), _parse_digits(reference)
    if pred_num is not None and ref_num is not None:
        candidates = [ref_num / 100, ref_num, ref_num * 100] if include_percentage else [ref_num]
        for item in candidates:
            try:
                if (_numeric_equal(pred_num, item) if is_close else item == pred_num):
                    return True
            except Exception:
                continue
        return False

    if not prediction:
        return False
    return None


def _math_equal(prediction: str, reference: str, include_percentage: bool, is_close: bool = True) -> bool:
    quick = _quick_math_equal(prediction, reference, include_percentage, is_close)
    if quick is not None:
        return quick

    reference = str(reference).strip()
    prediction = str(prediction).strip()
    if "pmatrix" in prediction and "pmatrix" not in reference:
        reference = _str_to_pmatrix(reference)

    pred_str, ref_str = prediction, reference
    if (prediction.startswith("[") and prediction.endswith("]") and not reference.startswith("(")) or (
        prediction.startswith("(") and prediction.endswith(")") and not reference.startswith("[")
    ):
        pred_str = pred_str.strip("[]()")
        ref_str = ref_str.strip("[]()")
    for s in ["{", "}", "(", ")"]:
        ref_str = ref_str.replace(s, "")
        pred_str = pred_str.replace(s, "")
    if pred_str.lower() == ref_str.lower():
        return True

    if re.match(r"(\(|\[).+(\)|\])", prediction) is not None and re.match(r"(\(|\[).+(\)|\])", reference) is not None:
        pred_parts = prediction[1:-1].split(",")
        ref_parts = reference[1:-1].split(",")
        if len(pred_parts) == len(ref_parts) and all(
            _math_equal(p, r, include_percentage, is_close) for p, r in zip(pred_parts, ref_parts)
        ):
            return True

    begins = ("\\begin{pmatrix}", "\\begin{bmatrix}")
    ends = ("\\end{pmatrix}", "\\end{bmatrix}")
    if prediction.startswith(begins) and prediction.endswith(ends) and reference.startswith(begins) and (
        reference.endswith(ends)
    ):
        cut = slice(len("\\begin{pmatrix}"), -len("\\end{pmatrix}"))
        pred_lines = [ln.strip() for ln in prediction[cut].split("\\\\") if ln.strip()]
        ref_lines = [ln.strip() for ln in reference[cut].split("\\\\") if ln.strip()]
        matched = len(pred_lines) == len(ref_lines)
        if matched:
            for pred_line, ref_line in zip(pred_lines, ref_lines):
                pp, rp = pred_line.split("&"), ref_line.split("&")
                if len(pp) != len(rp) or not all(
                    _math_equal(p, r, include_percentage, is_close) for p, r in zip(pp, rp)
                ):
                    matched = False
                    break
        if matched:
            return True

    if prediction.count("=") == 1 and reference.count("=") == 1:
        pl, pr = prediction.split("=")
        rl, rr = reference.split("=")
        pred_eq = f"{pl.strip()} - ({pr.strip()})"
        ref_eq = f"{rl.strip()} - ({rr.strip()})"
        if symbolic_equal(pred_eq, ref_eq) or symbolic_equal(f"-({pred_eq})", ref_eq):
            return True
    elif prediction.count("=") == 1 and len(prediction.split("=")[0].strip()) <= 2 and "=" not in reference:
        if _math_equal(prediction.split("=")[1], reference, include_percentage, is_close):
            return True
    elif reference.count("=") == 1 and len(reference.split("=")[0].strip()) <= 2 and "=" not in prediction:
        if _math_equal(prediction, reference.split("=")[1], include_percentage, is_close):
            return True

    return symbolic_equal(prediction, reference)


@lru_cache(maxsize=262144)
def math_equal(prediction: str, reference: str, include_percentage: bool = True) -> bool:
    """Qwen2.5-Math's `math_equal(pred, ref)` under its evaluation's 3 s per-pair limit (a timeout is False).
    String and number comparisons run here; the structural and symbolic steps run in a helper process that is
    killed when it overruns (harness/metrics/math_timeout.py). Never raises."""
    from harness.metrics.math_timeout import TIMED_OUT, call_with_timeout

    try:
        quick = _quick_math_equal(prediction, reference, include_percentage)
        if quick is not None:
            return quick
        result = call_with_timeout(__name__, "_math_equal", (prediction, reference, include_percentage), TIMEOUT_S)
    except Exception:
        return False
    return False if result is TIMED_OUT else bool(result)
