"""The regression gate on clustered items (CR1 SE, stats.md §3.3/§4.1) and on lower-is-better metrics (ASR)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from harness.core.errors import UserError
from harness.leaderboards.build import build_leaderboard
from harness.leaderboards.compare import compare_runs
from harness.leaderboards.regress import FAIL, PASS, WARN, GateSettings, gate_statistic, regress

from .run_factory import difficulties, write_run

G, M = 40, 20  # 40 clusters (shared passages) of 20 questions
N = G * M
CLUSTERS = [f"passage-{i // M}" for i in range(N)]


def clustered_run(seed: int, ability: float = 0.3, sd_cluster: float = 1.2) -> np.ndarray:
    """0/1 scores where each run draws its own shift per cluster (e.g. how well the model reads one passage on
    this seed): the differences of two runs are correlated within a cluster, as on real passage-based suites."""
    rng = np.random.default_rng([seed, 23])
    shift = np.repeat(rng.normal(0.0, sd_cluster, G), M)
    p = 1.0 / (1.0 + np.exp(-(ability - difficulties(N) + shift)))
    return (rng.random(N) < p).astype(float)


def test_clustered_aa_false_alarm_rate_near_alpha_only_with_clusters() -> None:
    """A/A pairs on clustered items: with the cluster-robust SE the gate flags (WARN or FAIL: one-sided p of
    'candidate worse' < alpha) about alpha of them; with the unclustered SE it flags far more."""
    trials, alpha = 300, 0.05
    flagged_cl = flagged_naive = 0
    for r in range(trials):
        a, b = clustered_run(2 * r), clustered_run(2 * r + 1)
        with_clusters = gate_statistic(a, b, CLUSTERS, alpha=alpha)
        naive = gate_statistic(a, b, None, alpha=alpha)
        assert with_clusters.test == "paired-cluster-CR1-t" and with_clusters.clusters == G
        assert with_clusters.df == G - 1 and naive.test == "paired-t" and naive.df == N - 1
        flagged_cl += with_clusters.p_worse < alpha
        flagged_naive += naive.p_worse < alpha
    rate_cl, rate_naive = flagged_cl / trials, flagged_naive / trials
    slack = 3 * (alpha * (1 - alpha) / trials) ** 0.5
    assert rate_cl <= alpha + slack, rate_cl
    assert rate_cl >= 0.01, rate_cl  # calibrated, not dead
    assert rate_naive > 2 * alpha, rate_naive  # the SE that ignores clusters is too small


def test_gate_reads_the_cluster_column(tmp_path: Path) -> None:
    """End to end: the same two runs, with and without samples.parquet's cluster column."""
    a, b = clustered_run(1), clustered_run(2)
    write_run(tmp_path / "base", task="drop", model="m", scores=a, clusters=CLUSTERS)
    write_run(tmp_path / "cand", task="drop", model="m", scores=b, clusters=CLUSTERS)
    write_run(tmp_path / "base_old", task="drop", model="m", scores=a, cluster_column=False)
    write_run(tmp_path / "cand_old", task="drop", model="m", scores=b, cluster_column=False)
    settings = GateSettings(max_mde=1.0)
    (v,) = regress(tmp_path / "base", tmp_path / "cand", settings).verdicts
    (old,) = regress(tmp_path / "base_old", tmp_path / "cand_old", settings).verdicts
    assert (v.test, v.clusters) == ("paired-cluster-CR1-t", G)
    assert (old.test, old.clusters) == ("paired-t", None)
    assert v.diff == pytest.approx(old.diff)
    assert v.stderr > 1.3 * old.stderr  # the design effect of 20-question clusters
    assert v.mde > old.mde
    expected = gate_statistic(a, b, CLUSTERS)
    assert v.stderr == pytest.approx(expected.stderr) and v.p_worse == pytest.approx(expected.p_worse)
    assert "| 40 |" in regress(tmp_path / "base", tmp_path / "cand", settings).to_markdown()
    # Only one side recorded clusters (the baseline predates the column): the candidate's labels are used.
    (mixed,) = regress(tmp_path / "base_old", tmp_path / "cand", settings).verdicts
    assert mixed.clusters == G and mixed.stderr == pytest.approx(v.stderr)
    # compare uses the same SE.
    (c,) = compare_runs(tmp_path / "base", tmp_path / "cand").tasks
    assert c.test == "paired-cluster-CR1-t" and c.clusters == G and c.stderr == pytest.approx(v.stderr)


def test_null_clusters_are_singletons(tmp_path: Path) -> None:
    """A column that is null everywhere (a task without a cluster key) gives the plain paired t; questions left
    unclustered among clustered ones are each their own cluster."""
    rng = np.random.default_rng(5)
    a = (rng.random(200) < 0.6).astype(float)
    b = (rng.random(200) < 0.6).astype(float)
    write_run(tmp_path / "a", task="t", model="m", scores=a)  # cluster column present, all null
    write_run(tmp_path / "b", task="t", model="m", scores=b)
    (v,) = regress(tmp_path / "a", tmp_path / "b", GateSettings(max_mde=1.0)).verdicts
    assert v.test == "paired-t" and v.clusters is None
    some = [f"p{i // 10}" if i < 100 else None for i in range(200)]
    write_run(tmp_path / "c", task="t", model="m", scores=a, clusters=some)
    write_run(tmp_path / "d", task="t", model="m", scores=b, clusters=some)
    (w,) = regress(tmp_path / "c", tmp_path / "d", GateSettings(max_mde=1.0)).verdicts
    assert w.clusters == 10 + 100


def _asr(rate: float, seed: int, n: int = 1000) -> np.ndarray:
    return (np.random.default_rng([seed, 31]).random(n) < rate).astype(float)


def test_lower_is_better_increase_is_a_regression(tmp_path: Path) -> None:
    """An attack success rate that rises from 20% to 35% is a regression, whether run.json declares the direction
    or --lower-is-better does; read as higher-is-better it would have passed as an improvement."""
    base, cand = _asr(0.20, 1), _asr(0.35, 2)
    write_run(tmp_path / "declared" / "base", task="asr", model="m", scores=base, higher_is_better=False)
    write_run(tmp_path / "declared" / "cand", task="asr", model="m", scores=cand, higher_is_better=False)
    write_run(tmp_path / "plain" / "base", task="asr", model="m", scores=base)
    write_run(tmp_path / "plain" / "cand", task="asr", model="m", scores=cand)

    declared = regress(tmp_path / "declared" / "base", tmp_path / "declared" / "cand")
    (v,) = declared.verdicts
    assert declared.exit_code == 1 and v.status == FAIL and not v.higher_is_better
    assert v.diff > 0.1 and v.bound == v.lcb and v.lcb > 0.01
    assert v.n_worse > 0 and all(i.b > i.a for i in v.worse)  # the items whose attack newly succeeded
    assert "lower is better" in v.reasons[-1]
    assert "| **FAIL** | lower |" in declared.to_markdown()

    naive = regress(tmp_path / "plain" / "base", tmp_path / "plain" / "cand")
    assert naive.exit_code == 0 and naive.verdicts[0].status == PASS  # the bug this guards against

    overridden = regress(tmp_path / "plain" / "base", tmp_path / "plain" / "cand",
                         GateSettings(lower_is_better=("asr",)))
    assert overridden.exit_code == 1 and overridden.verdicts[0].status == FAIL

    # A falling ASR is an improvement, not even a warning.
    improved = regress(tmp_path / "declared" / "cand", tmp_path / "declared" / "base")
    assert improved.exit_code == 0 and improved.verdicts[0].status not in (FAIL, WARN)


def test_direction_conflict_and_unknown_override(tmp_path: Path) -> None:
    base, cand = _asr(0.2, 1), _asr(0.2, 2)
    write_run(tmp_path / "a", task="asr", model="m", scores=base, higher_is_better=True)
    write_run(tmp_path / "b", task="asr", model="m", scores=cand, higher_is_better=False)
    report = regress(tmp_path / "a", tmp_path / "b")
    assert report.exit_code == 2 and "disagree on whether higher is better" in report.verdicts[0].reasons[0]
    assert regress(tmp_path / "a", tmp_path / "b", GateSettings(lower_is_better=("asr",))).exit_code == 0
    with pytest.raises(UserError, match="no runs of task"):
        regress(tmp_path / "a", tmp_path / "b", GateSettings(lower_is_better=("asrr",)))


def test_compare_and_leaderboard_follow_the_direction(tmp_path: Path) -> None:
    for i, (model, rate) in enumerate((("safe", 0.05), ("mid", 0.2), ("unsafe", 0.5))):
        write_run(tmp_path / "board", task="asr", model=model, scores=_asr(rate, i), higher_is_better=False, seed=i)
        write_run(tmp_path / "board", task="acc", model=model, scores=_asr(0.9 - 0.2 * i, 10 + i), seed=i)
    board = build_leaderboard([tmp_path / "board"])
    col = {c.name: c for c in board.tasks}
    assert not col["asr"].higher_is_better and col["acc"].higher_is_better
    rows = {r.model: r for r in board.rows}
    assert [rows[m].cells["asr"].rank_lo for m in ("safe", "mid", "unsafe")] == [1, 2, 3]
    assert board.aggregate_tasks == ["acc"] and any("left out of the aggregate" in w for w in board.warnings)
    assert rows["safe"].aggregate.mean == pytest.approx(rows["safe"].cells["acc"].mean)

    only_asr = build_leaderboard([tmp_path / "board"], tasks=["asr"])
    assert [r.model for r in only_asr.rows] == ["safe", "mid", "unsafe"]  # lowest ASR first
    assert not only_asr.aggregate_higher_is_better and only_asr.rows[0].rank_lo == 1

    write_run(tmp_path / "a", task="asr", model="m", scores=_asr(0.2, 1), higher_is_better=False)
    write_run(tmp_path / "b", task="asr", model="m", scores=_asr(0.35, 2), higher_is_better=False)
    cmp = compare_runs(tmp_path / "a", tmp_path / "b")
    (t,) = cmp.tasks
    assert t.diff > 0 and t.verdict(cmp.alpha) == "worse" and t.n_worse > t.n_better
    assert "| asr | lower |" in cmp.to_markdown() and "| worse |" in cmp.to_markdown()


def test_cli_lower_is_better(tmp_path: Path) -> None:
    from harness.cli import app

    write_run(tmp_path / "base", task="asr", model="m", scores=_asr(0.2, 1))
    write_run(tmp_path / "cand", task="asr", model="m", scores=_asr(0.35, 2))
    runner = CliRunner()
    args = ["regress", "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand")]
    assert runner.invoke(app, args).exit_code == 0
    res = runner.invoke(app, [*args, "--lower-is-better", "asr"])
    assert res.exit_code == 1 and "FAIL" in res.output
    res = runner.invoke(app, ["compare", str(tmp_path / "base"), str(tmp_path / "cand"), "--lower-is-better", "asr"])
    assert res.exit_code == 0 and "| worse |" in res.output
    res = runner.invoke(app, ["leaderboard", str(tmp_path / "base"), "--lower-is-better", "asr", "--no-plots"])
    assert res.exit_code == 0 and "lower is better" in res.output
