"""TAM-Eval pieces that need no sandbox: official scenario files, prompt, reply parsing, reports, metrics."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.tasks.tam_eval import feedback, prompts, reports
from harness.tasks.tam_eval.execute import Evaluation
from harness.tasks.tam_eval.metrics import aggregate, sample_metrics
from harness.tasks.tam_eval.sample_index import INDEX, build_rows, index_text
from harness.tasks.tam_eval.scenario import load_toml, scenario_from_mapping
from harness.tasks.tam_eval.syntax import check_syntax, count_test_cases

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tam-eval"


def _official(name: str) -> Path:
    path = SHARED / "scenarios_v2" / name
    if not path.exists():
        pytest.skip(f"official sample data not available: {path}")
    return path


def test_official_scenarios_load_with_nan_and_all_languages() -> None:
    folder = _official("")
    seen = set()
    for path in sorted(folder.glob("*.toml")):
        sc = scenario_from_mapping(path.stem, load_toml(path), None)
        seen.add((sc.lang, sc.task))
        assert sc.run["coverage_report_type"] in ("cobertura", "jacoco", "go_cover")
        assert not sc.available  # no repository checkout offline
    assert {lang for lang, _ in seen} == {"Python", "Java", "Go"}
    assert {task for _, task in seen} == {"create", "repair", "update"}
    go = scenario_from_mapping("x", load_toml(_official("repair_taosadapter__taosdata__locker.toml")), None)
    assert math.isnan(go.initial_mut_cov) and go.initial_test_cov == 0.0


def test_prompt_renders_official_template_with_feedback() -> None:
    text = prompts.render_prompt(language="Python", source_file="def f(): pass\n", source_file_name="m.py",
                                 test_file="", test_file_name="test_m.py", fail_feedback="boom")
    assert text.startswith("## Overview\nYou are a code assistant that accepts a Python source file")
    assert "## Error feedback" in text and "boom" in text
    assert "Add no more than 5 new test cases" in text
    assert text.endswith("```Python")
    assert "\tassert add(-1, 1) == 0" in text  # the official example keeps its tab indentation
    assert "## Error feedback" not in prompts.render_prompt(language="Go", source_file="", source_file_name="a",
                                                            test_file="", test_file_name="b")


def test_reply_extraction_follows_official_rules() -> None:
    assert prompts.extract_test_file("```python\nx = 1\n```\ntrailing").code == "x = 1\n"
    prose = prompts.extract_test_file("Sure! Here are tests that you will like")
    assert not prose.had_code_block and prose.code == "Sure! Here are tests that you will like\n"
    assert prompts.extract_test_file("ok").too_short
    gold = prompts.gold_reply("Python", "def test_a():\n    pass\n")
    assert prompts.extract_test_file(gold).code == "def test_a():\n    pass\n"


def test_syntax_and_test_case_count() -> None:
    assert not check_syntax("python", "def test_x(:\n", "t.py").correct
    assert check_syntax("python", "def test_x():\n    pass\n", "t.py").correct
    assert count_test_cases("python", "def test_a(): pass\nasync def test_b(): pass\ndef helper(): pass\n") == 1
    assert count_test_cases("go", "package p\nfunc TestA(t *testing.T) {}\nfunc TestIntegration(t *testing.T) {}\n") == 1


def test_report_parsers() -> None:
    cob = ('<coverage><packages><package><classes>'
           '<class filename="pkg/mod.py"><lines><line number="1" hits="1"/><line number="2" hits="0"/>'
           '<line number="3" hits="2"/></lines></class>'
           '<class filename="pkg/other.py"><lines><line number="1" hits="0"/></lines></class>'
           '</classes></package></packages></coverage>')
    res = reports.parse_coverage("cobertura", cob, "pkg/mod.py")
    assert res.percent == 66.67 and res.lines_covered == [1, 3] and res.lines_missed == [2]
    go = "mode: set\nm/a.go:3.10,5.2 2 1\nm/a.go:6.1,7.2 1 0\nm/b.go:1.1,2.2 5 0\n"
    assert reports.parse_coverage("go_cover", go, "a.go").percent == 66.67
    jac = ('<report><package><sourcefile name="Calc.java"><line nr="3" mi="0"/><line nr="4" mi="2"/>'
           '<counter type="LINE" missed="1" covered="3"/></sourcefile></package></report>')
    assert reports.parse_coverage("jacoco", jac, "src/Calc.java", "package x;\npublic class Calc {\n}\n").percent == 75.0
    assert reports.parse_coverage("jacoco", jac, "src/Calc.java", "class Calc {}\n").percent == 0.0  # official quirk
    mutpy = ("mutations:\n- module: !!python/module:pkg.mod ''\n  status: killed\n- status: survived\n"
             "- status: incompetent\n- status: timeout\n")
    m = reports.parse_mutation("mutpy", mutpy, "pkg/mod.py")
    assert (m.killed, m.total, m.percent) == (1, 2, 50.0)
    pit = ('<mutations><mutation status="KILLED"><sourceFile>Calc.java</sourceFile></mutation>'
           '<mutation status="NO_COVERAGE"><sourceFile>Calc.java</sourceFile></mutation>'
           '<mutation><status>SURVIVED</status><sourceFile>Calc.java</sourceFile></mutation>'
           '<mutation status="KILLED"><sourceFile>Other.java</sourceFile></mutation></mutations>')
    assert reports.parse_mutation("pitest", pit, "src/Calc.java").percent == 50.0
    gm = '\x1b[32mPASS "/tmp/a.go.0" with checksum x\nFAIL "/tmp/a.go.1" with checksum y\nSKIP "/tmp/a.go.2" with checksum z\n'
    assert reports.parse_mutation("go-mutesting", gm, "a.go").percent == 50.0
    assert reports.parse_mutation("go-mutesting", "", "a.go").percent == 0.0  # total 0 scores 0.0


def test_feedback_filters() -> None:
    logs = "E   AssertionError\nwarnings summary\nok\n/usr/local/lib/python3.11/x.py"
    assert feedback.fail_feedback("execution_error", "python", logs) == "...E   AssertionError\npython3.11/x.py\n"
    assert feedback.fail_feedback("timeout", "go", "") == feedback.TIMEOUT
    java = "[INFO] building\n[ERROR] /a/b/CalcTest.java:[3,5] cannot find symbol\n[ERROR] Re-run Maven\n"
    assert feedback.parse_logs("java", java) == "/CalcTest.java:[3,5] cannot find symbol\n"


def _sc(cov: float, mut: float):  # type: ignore[no-untyped-def]
    data = load_toml(Path(__file__).resolve().parents[2] / "harness/tasks/tam_eval/samples/scenarios/create_py-textkit__roman.toml")
    data["coverage"]["coverage"], data["coverage"]["mutation_kill_rate"] = cov, mut
    return scenario_from_mapping("s", data, None)


def test_sample_metrics_official_rules_and_test_case_bug_flag() -> None:
    passed = Evaluation("PASS", test_cov=90.0, mut_cov=80.0, test_case_num=5)
    m = sample_metrics(_sc(50.0, 40.0), passed, 2)
    assert m["pass"] == 1.0 and m["delta_test_cov"] == 40.0 and m["delta_mut_cov"] == 40.0
    assert m["delta_test_case_num"] == 0.0  # official bug kept by default
    assert sample_metrics(_sc(50.0, 40.0), passed, 2, fix_test_case_count=True)["delta_test_case_num"] == 3.0
    failed = sample_metrics(_sc(50.0, math.nan), Evaluation("FAIL", fail_reason="timeout"), 2)
    assert failed["delta_test_cov"] == 0.0 and failed["delta_mut_cov"] == 0.0 and failed["test_cov"] == 50.0
    nan_init = sample_metrics(_sc(50.0, math.nan), passed, 2)
    assert math.isnan(nan_init["delta_mut_cov"])
    no_mut = sample_metrics(_sc(50.0, 40.0), Evaluation("PASS", "mutations_failed", test_cov=60.0), 2)
    assert math.isnan(no_mut["delta_mut_cov"]) and no_mut["delta_test_cov"] == 10.0


def test_official_aggregation_skips_nan_per_column() -> None:
    def rec(i, status, d_cov, d_mut, lang="python", task="create", scen="from_scratch"):  # type: ignore[no-untyped-def]
        return {"id": str(i), "task": task, "scenario": scen, "lang": lang, "status": status,
                "fail_reason": None if status == "PASS" else "execution_error", "delta_test_cov": d_cov,
                "delta_mut_cov": d_mut, "test_cov": 1.0, "mut_cov": math.nan, "initial_test_cov": 0.0,
                "initial_mut_cov": math.nan, "delta_test_case_num": 0.0}

    records = [rec(1, "PASS", 10.0, math.nan), rec(2, "PASS", 20.0, 30.0), rec(3, "FAIL", 0.0, 0.0, lang="go", task="repair")]
    agg = aggregate(records)
    assert agg["pass_rate"] == 0.67
    assert agg["mean_delta_test_cov"] == 10.0
    assert agg["mean_delta_mut_cov"] == 15.0  # over the two non-NaN rows, not three
    assert math.isnan(agg["mean_mut_cov"])
    assert agg["TASK_REPAIR/pass_rate"] == 0.0 and agg["OVERALL_GO/count"] == 1
    assert agg["SUBTASK_FROM_SCRATCH/count"] == 2
    assert {r["fail_reason"] for r in agg["fail_reason_table"]} == {"pass", "execution_error"}


def test_bundled_index_matches_scenario_files() -> None:
    assert INDEX.read_text(encoding="utf-8") == index_text(build_rows()), \
        "run `python -m harness.tasks.tam_eval.sample_index` after editing samples/scenarios"
    ids = [r["id"] for r in build_rows()]
    assert [r["scenario"]["lang_info"]["lang"] for r in build_rows()][:5] == ["Python"] * 5
    assert len(set(ids)) == len(ids)


def test_task_options_are_checked_with_one_line_errors() -> None:
    from harness.core.errors import UserError
    from harness.tasks.tam_eval.task import TamEvalTask

    assert TamEvalTask(max_attempts="2", timeout="30").max_attempts == 2
    with pytest.raises(UserError, match="max_attempt"):
        TamEvalTask(max_attempt=1)  # a typo is refused, not silently ignored
    with pytest.raises(UserError, match="timeout='soon'"):
        TamEvalTask(timeout="soon")
    with pytest.raises(UserError, match="max_attempts='three'"):
        TamEvalTask(max_attempts="three")
