"""The math tasks: registration and pinned sources, loading both schemas, prompts, options, gold runs at 100%
(bundled samples and the official files in ../shared/data), and scorers that never raise."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.core import Completion, ModelOutput, Sample
from harness.core.errors import UserError
from harness.registry import create_task, task_entries
from harness.tasks.data import load_task_rows

MATH_TASKS = ("aime24", "aime25", "math500", "gsm8k", "gsm-hard", "svamp", "multiarith")
GRADERS = ("math-verify", "qwen")
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
OFFICIAL_FILES = [
    ("aime24", "aime/aime24_qwen25math_test.jsonl", 30),
    ("aime25", "aime/aime25_matharena.jsonl", 30),
    ("gsm8k", "gsm8k/gsm8k_test_first30.jsonl", 30),
]


def _output(text: str, finish: str = "stop") -> ModelOutput:
    return ModelOutput(completions=[Completion(text=text, finish_reason=finish)])


def _samples(task_name: str, data: str, **options: object) -> tuple[object, list[Sample]]:
    task = create_task(task_name, **options)
    rows, _ = load_task_rows(task, data)
    return task, [task.to_sample(row, i) for i, row in enumerate(rows)]


def _official(path: str) -> Path:
    full = SHARED_DATA / path
    if not full.exists():
        pytest.skip(f"official sample not available: {full}")
    return full


@pytest.mark.parametrize("name", MATH_TASKS)
def test_registered_with_a_pinned_source_and_a_bundled_sample(name: str) -> None:
    assert name in task_entries()
    task = create_task(name)
    src = task.source
    assert src.hub_id and "/" in src.hub_id
    assert src.revision is not None and re.fullmatch(r"[0-9a-f]{40}", src.revision)
    assert src.size and src.size > 0
    path = task.sample_path()
    assert path is not None and path.exists()
    rows, info = load_task_rows(task, "sample")
    assert 3 <= len(rows) <= 5 and info["kind"] == "bundled-sample"
    ids = [task.to_sample(r, i).id for i, r in enumerate(rows)]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("grader", GRADERS)
@pytest.mark.parametrize("name", MATH_TASKS)
def test_gold_scores_100_percent_on_the_bundled_sample(name: str, grader: str) -> None:
    task, samples = _samples(name, "sample", grader=grader)
    for s in samples:
        score = task.score(s, _output(task.gold_output(s)))
        assert score.values["accuracy"] == 1.0, (s.id, s.target, score)
        assert not score.parse_failure


@pytest.mark.parametrize("grader", GRADERS)
@pytest.mark.parametrize(("name", "path", "count"), OFFICIAL_FILES)
def test_gold_scores_100_percent_on_the_official_samples(name: str, path: str, count: int, grader: str) -> None:
    task, samples = _samples(name, str(_official(path)), grader=grader)
    assert len(samples) == count
    scores = [task.score(s, _output(task.gold_output(s))) for s in samples]
    assert [s.id for s, sc in zip(samples, scores) if sc.values["accuracy"] != 1.0] == []


@pytest.mark.parametrize(("name", "path", "count"), OFFICIAL_FILES)
def test_math_verify_parses_every_official_gold(name: str, path: str, count: int) -> None:
    # Without the fast path: Math-Verify itself must accept each gold against itself (catches unparsable golds).
    from harness.metrics.math_answer import math_verify_equal_slow

    _, samples = _samples(name, str(_official(path)))
    assert [s.id for s in samples if not math_verify_equal_slow(s.target, s.target)] == []


def test_official_schemas_map_to_ids_and_targets() -> None:
    _, aime24 = _samples("aime24", str(_official("aime/aime24_qwen25math_test.jsonl")))
    assert aime24[0].id == "60" and aime24[0].target == "204"
    assert aime24[0].input.startswith("Every morning Aya")
    _, aime25 = _samples("aime25", str(_official("aime/aime25_matharena.jsonl")))
    assert aime25[0].id == "aime_2025_I_1" and aime25[0].target == "70"
    _, gsm = _samples("gsm8k", str(_official("gsm8k/gsm8k_test_first30.jsonl")))
    assert gsm[0].id == "0" and gsm[0].target == "18"


# Rows shaped like the pinned hub splits (field names and types as the datasets serve them).
HUB_ROWS = {
    "aime24": ({"id": 61, "problem": "P", "solution": "S", "answer": "025", "url": "u", "year": "2024"}, "61", "025"),
    "aime25": ({"problem_idx": 7, "problem": "P", "answer": 70, "problem_type": ["Number Theory"]}, "7", "70"),
    "math500": ({"problem": "P", "solution": "S", "answer": "\\frac{14}{3}", "subject": "Algebra", "level": 3,
                 "unique_id": "test/algebra/1.json"}, "test/algebra/1.json", "\\frac{14}{3}"),
    "gsm8k": ({"question": "Q", "answer": "a\n#### 1,600"}, "5", "1600"),
    "gsm-hard": ({"input": "Q", "code": "def solution(): ...", "target": 2.3333333333333335}, "5",
                 "2.3333333333333335"),
    "svamp": ({"ID": "chal-777", "Body": "There are 290 bananas", "Question": "How many?", "Equation": "( 290.0 / 2.0 )",
               "Answer": 145.0, "Type": "Common-Division", "question_concat": "x"}, "chal-777", "145"),
    "multiarith": ({"question": " Q ", "final_ans": "9"}, "5", "9"),
}


@pytest.mark.parametrize("name", MATH_TASKS)
def test_hub_schema_rows(name: str) -> None:
    row, want_id, want_target = HUB_ROWS[name]
    sample = create_task(name).to_sample(row, 5)
    assert (sample.id, sample.target) == (want_id, want_target)
    assert sample.input


def test_svamp_question_is_body_period_question() -> None:
    row = HUB_ROWS["svamp"][0]
    assert create_task("svamp").to_sample(row, 0).input == "There are 290 bananas. How many?"


def test_generic_problem_answer_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"problem": "1+1?", "answer": "2"}) + "\n" + json.dumps({"question": "2+2?", "answer": 4}))
    task, samples = _samples("math500", str(f))
    assert [(s.id, s.target) for s in samples] == [("0", "2"), ("1", "4")]


def test_malformed_row_names_the_missing_field() -> None:
    with pytest.raises(ValueError, match="no answer field"):
        create_task("aime24").to_sample({"problem": "x"}, 0)


def test_prompt_styles() -> None:
    s = Sample(id="1", input="What is 1+1?", target="2")
    default = create_task("gsm8k").prompt(s)
    assert default == [
        {"role": "system", "content": "Please reason step by step, and put your final answer within \\boxed{}."},
        {"role": "user", "content": "What is 1+1?"},
    ]
    user = create_task("gsm8k", prompt="user-boxed").prompt(s)
    assert len(user) == 1 and user[0]["content"].endswith("within \\boxed{}.")
    assert create_task("gsm8k", prompt="plain").prompt(s) == [{"role": "user", "content": "What is 1+1?"}]


def test_default_generation_config_records_qwen_convention() -> None:
    cfg = create_task("aime24").default_config
    assert (cfg.max_tokens, cfg.temperature) == (2048, 0.0)


@pytest.mark.parametrize(
    "options",
    [{"grader": "sympy"}, {"prompt": "fancy"}, {"boxed_only": "maybe"}, {"temperature": 1}],
)
def test_bad_options_are_user_errors(options: dict[str, object]) -> None:
    with pytest.raises(UserError):
        create_task("aime24", **options)


def test_scoring_conventions() -> None:
    task = create_task("aime24")
    s = Sample(id="x", input="p", target="025")
    assert task.score(s, _output("... so \\boxed{25}")).values["accuracy"] == 1.0
    assert task.score(s, _output("... so \\boxed{0.25}")).values["accuracy"] == 0.0
    assert create_task("aime24", grader="qwen").score(s, _output("\\boxed{0.25}")).values["accuracy"] == 1.0  # quirk
    strict_qwen = create_task("aime24", grader="qwen", include_percentage="false")
    assert strict_qwen.score(s, _output("\\boxed{0.25}")).values["accuracy"] == 0.0
    # No box: Math-Verify's own extraction by default, a parse failure with boxed_only.
    assert task.score(s, _output("The final answer is 25")).values["accuracy"] == 1.0
    strict = create_task("aime24", boxed_only=True).score(s, _output("The final answer is 25"))
    assert strict.parse_failure and strict.answer is None and strict.values["accuracy"] == 0.0
    assert task.score(s, _output("no idea")).parse_failure


def test_voting_hooks() -> None:
    for grader in GRADERS:
        task = create_task("math500", grader=grader)
        a = task.extract_answer("so \\boxed{\\frac{1}{2}}")
        b = task.extract_answer("thus \\boxed{0.5}")
        assert a is not None and b is not None
        assert task.answers_equal(a, b)
        assert not task.answers_equal(a, task.extract_answer("\\boxed{3}") or "")


GARBAGE = ["", "\\boxed{", "\\boxed{}", "}}}{{{", "\x00\x01", "\\boxed{\\frac{", "$" * 500, "9" * 3000,
           "\\boxed{1/0}", "ÿ" * 1000, "a" * 20_000, "\\boxed{" * 100]


@pytest.mark.parametrize("grader", GRADERS)
@pytest.mark.parametrize("name", MATH_TASKS)
def test_scorers_never_raise_on_garbage(name: str, grader: str) -> None:
    task, samples = _samples(name, "sample", grader=grader)
    for text in GARBAGE:
        score = task.score(samples[0], _output(text, finish="length"))
        assert score.values["accuracy"] in (0.0, 1.0)
        assert score.parse_failure == (score.answer is None)


def _harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from harness.cli import main; main()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize(
    ("task", "data"),
    [("aime24", "sample"), ("math500", "sample"), ("aime24", "aime/aime24_qwen25math_test.jsonl")],
)
def test_harness_run_gold_end_to_end(tmp_path: Path, task: str, data: str) -> None:
    if data != "sample":
        data = str(_official(data))
    out = tmp_path / "results"
    proc = _harness("run", "--task", task, "--model", "gold", "--data", data, "--output", str(out),
                    "--progress", "plain", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (run_dir,) = list(out.iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"]["mean"] == 1.0
    assert metrics["parse_failure_rate"] == 0.0


def test_content_hash_depends_on_grader_options() -> None:
    a, b = create_task("aime24"), create_task("aime24", grader="qwen")
    assert a.content_hash() == create_task("aime24").content_hash()
    assert a.content_hash() != b.content_hash()
    assert re.fullmatch(r"[0-9a-f]{16}", a.content_hash())
