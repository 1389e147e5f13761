"""Row mappers: one raw dataset row (hub schema, official file schema, or a user's file) -> id, problem, answer.

Each mapper accepts several spellings of the same field, so the pinned hub split, the official files kept in
../shared/data (Qwen2.5-Math's aime24 copy, MathArena's aime 2025 conversion, openai/grade-school-math's JSONL)
and a plain `{"problem": ..., "answer": ...}` file all load. Ids are the dataset's own where it has one and the
row index otherwise (stable: hub splits are pinned, and the official files keep the hub's order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

PROBLEM_KEYS = ("problem", "question", "Problem", "Question", "input", "query")
ANSWER_KEYS = ("answer", "Answer", "target", "final_ans", "final_answer", "expected_answer", "gt")
ID_KEYS = ("id", "ID", "unique_id", "idx")


@dataclass(frozen=True)
class MathRow:
    id: str
    problem: str
    answer: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _pick(row: dict[str, Any], keys: Sequence[str], what: str) -> Any:
    for key in keys:
        value = row.get(key)
        if value is not None and value != "":
            return value
    raise ValueError(f"no {what} field (expected one of {', '.join(keys)}; the row has {', '.join(row) or 'none'})")


def _row_id(row: dict[str, Any], index: int, keys: Sequence[str] = ID_KEYS) -> str:
    for key in keys:
        value = row.get(key)
        if value is not None and value != "":
            return str(value)
    return str(index)


def format_number(value: Any) -> str:
    """A numeric answer as text: integral floats without `.0` (SVAMP's 145.0 -> "145"), others as given."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _problem_answer(row: dict[str, Any]) -> tuple[str, str]:
    return str(_pick(row, PROBLEM_KEYS, "problem")).strip(), format_number(_pick(row, ANSWER_KEYS, "answer"))


def aime24_row(row: dict[str, Any], index: int) -> MathRow:
    """HuggingFaceH4/aime_2024 and Qwen2.5-Math's copy (`id` 60-89, `answer` "025"); Maxwell-Jia's `ID`/`Answer`."""
    problem, answer = _problem_answer(row)
    meta = {k: row[k] for k in ("url", "year") if row.get(k) is not None}
    return MathRow(_row_id(row, index), problem, answer, meta)


def aime25_row(row: dict[str, Any], index: int) -> MathRow:
    """MathArena/aime_2025 (`problem_idx`, integer `answer`) and MathArena's git conversion (`id` aime_2025_I_1)."""
    problem, answer = _problem_answer(row)
    meta = {k: row[k] for k in ("competition", "problem_idx", "problem_type") if row.get(k) is not None}
    return MathRow(_row_id(row, index, ID_KEYS + ("problem_idx",)), problem, answer, meta)


def math500_row(row: dict[str, Any], index: int) -> MathRow:
    """HuggingFaceH4/MATH-500: `problem`, `solution`, `answer` (bare LaTeX), `subject`, `level`, `unique_id`."""
    problem, answer = _problem_answer(row)
    meta = {k: row[k] for k in ("subject", "level") if row.get(k) is not None}
    return MathRow(_row_id(row, index, ("unique_id",) + ID_KEYS), problem, answer, meta)


def gsm8k_answer(answer: Any) -> str:
    """GSM8K's gold: the text after the last `####`, commas removed (openai/grade-school-math convention)."""
    text = str(answer)
    if "####" in text:
        text = text.split("####")[-1]
    return text.strip().replace(",", "")


def gsm8k_row(row: dict[str, Any], index: int) -> MathRow:
    """openai/gsm8k `main` and the official JSONL: `question`, `answer` (worked solution ending `#### N`)."""
    problem = str(_pick(row, PROBLEM_KEYS, "question")).strip()
    return MathRow(_row_id(row, index), problem, gsm8k_answer(_pick(row, ANSWER_KEYS, "answer")))


def gsm_hard_row(row: dict[str, Any], index: int) -> MathRow:
    """reasoning-machines/gsm-hard: `input` (GSM8K question with larger numbers), `code` (PAL program), `target`
    (a float: integral targets are written without `.0`, others with Python's repr)."""
    problem, answer = _problem_answer(row)
    return MathRow(_row_id(row, index), problem, answer)


def svamp_question(row: dict[str, Any]) -> str:
    """Qwen2.5-Math's `parse_question` for SVAMP: Body (with a final period added) + space + Question."""
    body, question = row.get("Body"), row.get("Question")
    if body is not None and question is not None:
        body = str(body).strip()
        if not body.endswith("."):
            body += "."
        return f"{body} {str(question).strip()}"
    return str(_pick(row, ("question_concat",) + PROBLEM_KEYS, "question")).strip()


def svamp_row(row: dict[str, Any], index: int) -> MathRow:
    """ChilleD/SVAMP: `ID` (chal-777), `Body`, `Question`, `Equation`, `Answer` (float), `Type`."""
    answer = format_number(_pick(row, ANSWER_KEYS, "answer"))
    meta = {k: row[k] for k in ("Type", "Equation") if row.get(k) is not None}
    return MathRow(_row_id(row, index), svamp_question(row), answer, meta)


def multiarith_row(row: dict[str, Any], index: int) -> MathRow:
    """ChilleD/MultiArith: `question`, `final_ans` (string); Qwen2.5-Math's mawps copy: `input`, `target`."""
    problem, answer = _problem_answer(row)
    return MathRow(_row_id(row, index), problem, answer)


RowMapper = Callable[[dict[str, Any], int], MathRow]
