from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.core.errors import UserError
from harness.leaderboards.compare import compare_runs
from harness.leaderboards.regress import FAIL, INCONCLUSIVE, PASS, WARN, GateSettings, golden, regress

from .run_factory import simulate_scores, write_run


def _side(root: Path, ability: float, seed: int, n: int = 800, tasks: tuple[str, ...] = ("aime24", "gsm8k"),
          **kw) -> Path:
    for j, task in enumerate(tasks):
        write_run(root, task=task, model="vllm:m", scores=simulate_scores(n, ability, seed=seed * 10 + j,
                                                                          item_seed=j), **kw)
    return root


def test_compare_reports_paired_difference_and_flips(tmp_path: Path) -> None:
    a = np.array([1, 1, 0, 0, 1] * 40, dtype=float)
    b = a.copy()
    b[:10] = 1 - b[:10]  # items 0..9 flip: 6 get worse (1 -> 0), 4 get better (0 -> 1)
    write_run(tmp_path / "a", task="t", model="m", scores=a)
    write_run(tmp_path / "b", task="t", model="m", scores=b, answers=[str(i) for i in range(200)])
    report = compare_runs(tmp_path / "a", tmp_path / "b", max_items=3)
    (t,) = report.tasks
    assert (t.n, t.n_worse, t.n_better) == (200, 6, 4)
    assert t.diff == pytest.approx(-2 / 200)
    assert t.mcnemar_p == pytest.approx(0.7539, abs=1e-3)  # exact binomial, 4 vs 6 discordant
    assert t.p_holm == pytest.approx(t.p_value)  # one task: Holm changes nothing
    assert len(t.worse) == 3 and t.worse[0].sample_id == "q00000" and (t.worse[0].a, t.worse[0].b) == (1.0, 0.0)
    assert t.worse[0].answer_a == "42" and t.worse[0].answer_b == "0"
    md = report.to_markdown()
    assert "worse in B (6)" in md and "... and 3 more" in md


def test_compare_holm_across_tasks(tmp_path: Path) -> None:
    _side(tmp_path / "a", 0.5, 1)
    _side(tmp_path / "b", -0.5, 2)
    report = compare_runs(tmp_path / "a", tmp_path / "b")
    from harness.stats.paired import holm

    assert [t.p_holm for t in report.tasks] == pytest.approx(holm([t.p_value for t in report.tasks]))
    assert all(t.diff < 0 and t.p_holm < 0.05 for t in report.tasks)


def test_regression_fails_and_names_items(tmp_path: Path) -> None:
    report = regress(_side(tmp_path / "base", 0.5, 1), _side(tmp_path / "cand", -0.5, 2))
    assert report.exit_code == 1
    assert {v.status for v in report.verdicts} == {FAIL}
    v = report.verdicts[0]
    assert v.ucb < -0.01 and v.n_worse > 0 and v.worse[0].a > v.worse[0].b
    assert "FAIL" in report.to_markdown()


def test_aa_calibration(tmp_path: Path) -> None:
    """A/A: the same model with different seeds. The gate must pass, and over many A/A pairs it may FAIL or WARN
    at no more than about its nominal rate (one-sided alpha 0.05, Holm over two tasks)."""
    base = _side(tmp_path / "base", 0.3, 0)
    assert regress(base, _side(tmp_path / "aa", 0.3, 1)).exit_code == 0

    # Many A/A pairs computed directly on simulated scores with the gate's statistic (paired t on d, one-sided,
    # Holm over two tasks), vectorised: FAIL should never happen (the truth, Δ = 0, is above -tolerance) and WARN
    # at about alpha.
    from scipy import stats as st

    trials, n = 400, 800
    p_fail = np.empty((trials, 2))
    p_warn = np.empty((trials, 2))
    for task in range(2):
        a = np.stack([simulate_scores(n, 0.3, seed=10_000 + 2 * r, item_seed=task)[:, 0] for r in range(trials)])
        b = np.stack([simulate_scores(n, 0.3, seed=10_001 + 2 * r, item_seed=task)[:, 0] for r in range(trials)])
        d = b - a
        se = d.std(axis=1, ddof=1) / np.sqrt(n)
        p_fail[:, task] = st.t.cdf((d.mean(axis=1) + 0.01) / se, n - 1)
        p_warn[:, task] = st.t.cdf(d.mean(axis=1) / se, n - 1)

    def holm_rejects(p: np.ndarray) -> np.ndarray:  # Holm for two hypotheses at 0.05
        lo, hi = p.min(axis=1), p.max(axis=1)
        return (2 * lo < 0.05) | ((2 * lo < 0.05) & (hi < 0.05))

    fail_rate = holm_rejects(p_fail).mean()
    warn_rate = holm_rejects(p_warn).mean()
    assert fail_rate <= 0.03
    assert 0.005 < warn_rate <= 0.05 + 3 * (0.05 * 0.95 / trials) ** 0.5  # calibrated, not dead


def test_small_drop_warns_but_passes(tmp_path: Path) -> None:
    n = 4000
    a = np.ones(n)
    b = np.ones(n)
    b[: int(n * 0.006)] = 0  # 0.6 points worse: significant, but under the 1-point tolerance
    write_run(tmp_path / "a", task="t", model="m", scores=a)
    write_run(tmp_path / "b", task="t", model="m", scores=b)
    report = regress(tmp_path / "a", tmp_path / "b")
    assert report.verdicts[0].status == WARN and report.exit_code == 0


def test_inconclusive_when_too_few_samples_or_task_changed(tmp_path: Path) -> None:
    small = regress(_side(tmp_path / "s1", 0.5, 1, n=20), _side(tmp_path / "s2", 0.5, 2, n=20))
    assert small.exit_code == 2 and {v.status for v in small.verdicts} == {INCONCLUSIVE}
    assert "too few shared questions" in small.verdicts[0].reasons[0]

    underpowered = regress(_side(tmp_path / "u1", 0.0, 1, n=100), _side(tmp_path / "u2", 0.0, 2, n=100))
    assert underpowered.exit_code == 2 and "underpowered" in underpowered.verdicts[0].reasons[-1]

    changed = regress(_side(tmp_path / "c1", 0.5, 1), _side(tmp_path / "c2", 0.5, 1, task_version="2"))
    assert changed.exit_code == 2 and "task changed" in changed.verdicts[0].reasons[0]
    allowed = regress(tmp_path / "c1", tmp_path / "c2", GateSettings(allow_task_change=True))
    assert allowed.exit_code == 0 and {v.status for v in allowed.verdicts} == {PASS}


def test_missing_task_in_candidate_is_inconclusive(tmp_path: Path) -> None:
    report = regress(_side(tmp_path / "b", 0.5, 1), _side(tmp_path / "c", 0.5, 1, tasks=("aime24",)))
    assert report.missing_in_candidate == ["gsm8k"] and report.exit_code == 2


def test_golden_mode(tmp_path: Path) -> None:
    base = _side(tmp_path / "golden", 0.5, 1, n=100)
    same = tmp_path / "same"
    shutil.copytree(base, same)
    assert golden(base, same).exit_code == 0
    # A harness change that alters one extraction (same score) is drift all the same.
    values = simulate_scores(100, 0.5, seed=10, item_seed=0)
    answers = ["42" if v >= 1 else "41" for v in values[:, 0]]
    answers[7] = "042"
    write_run(tmp_path / "drift", task="aime24", model="vllm:m", scores=values, answers=answers)
    shutil.copytree(next((same).glob("*gsm8k*")), tmp_path / "drift" / "gsm8k-run")
    report = golden(base, tmp_path / "drift")
    assert report.exit_code == 1
    t = next(t for t in report.tasks if t.task == "aime24")
    assert t.drifted_rows == 1 and t.field_counts["answer"] == 1 and t.field_counts["score"] == 0
    assert t.items[0].sample_id == "q00007" and t.items[0].candidate["answer"] == "042"
    assert not next(t for t in report.tasks if t.task == "gsm8k").drift


def test_overlapping_folders_are_refused(tmp_path: Path) -> None:
    _side(tmp_path / "x", 0.5, 1, n=40)
    with pytest.raises(UserError, match="share run folders"):
        regress(tmp_path, tmp_path / "x")
