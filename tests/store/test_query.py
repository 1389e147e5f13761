"""DuckDB views over results folders: runs, samples, per-question and per-pair aggregates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.core.errors import UserError
from harness.store.query import find_run_dirs, open_results

from leaderboards.run_factory import write_run  # tests/ is on sys.path (rootdir conftest)


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    a = np.array([[1, 1], [0, 1], [0, 0], [1, 1]], dtype=float)  # 4 questions x 2 epochs
    b = np.array([[1, 1], [1, 1], [0, 0], [0, 0]], dtype=float)
    write_run(tmp_path / "night1", task="t", model="A", scores=a, seed=1)
    write_run(tmp_path / "night1", task="t", model="B", scores=b, seed=2)
    write_run(tmp_path / "night2" / "deep", task="u", model="A", scores=np.ones(3), seed=3,
              error_kinds=[None, "infra", None])
    return tmp_path


def test_find_runs_recursively_and_errors(results: Path) -> None:
    assert len(find_run_dirs([results])) == 3
    one = find_run_dirs([results / "night1"])[0]
    assert find_run_dirs([one, results / "night1"]) == find_run_dirs([results / "night1"])  # no duplicates
    with pytest.raises(UserError):
        find_run_dirs([results / "absent"])
    (results / "empty").mkdir()
    with pytest.raises(UserError, match="no complete runs"):
        open_results([results / "empty"])
    with pytest.raises(UserError, match="is a file"):
        find_run_dirs([one / "samples.parquet"])


def test_runs_table_and_samples_view(results: Path) -> None:
    with open_results([results]) as db:
        assert db.sql("SELECT count(*) FROM runs")[0][0] == 3
        assert db.sql("SELECT count(*) FROM samples")[0][0] == 8 + 8 + 3
        rows = db.sql("SELECT r.model, count(*) FROM samples s JOIN runs r ON s.run_key = r.key "
                      "GROUP BY r.model ORDER BY 1")
        assert rows == [("A", 11), ("B", 8)]
        stats = db.run_stats()
        key_a = next(r.key for r in db.runs if r.model == "A" and r.task == "t")
        assert stats[key_a]["n"] == 4 and stats[key_a]["mean"] == pytest.approx(0.625)
        assert stats[key_a]["binary"] is False  # two epochs: per-question means
        key_u = next(r.key for r in db.runs if r.task == "u")
        assert stats[key_u]["n"] == 2  # the infra-errored question is left out
        assert db.question_values(key_a) == {"q00000": 1.0, "q00001": 0.5, "q00002": 0.0, "q00003": 1.0}


def test_pair_stats_match_numpy(results: Path) -> None:
    with open_results([results]) as db:
        keys = {r.model: r.key for r in db.runs if r.task == "t"}
        (pair, s), = db.pair_stats([keys["A"], keys["B"]]).items()
        va, vb = db.question_values(pair[0]), db.question_values(pair[1])
        d = np.array([vb[k] - va[k] for k in sorted(va)])
        assert s["n"] == 4 and s["mean_d"] == pytest.approx(d.mean()) and s["var_d"] == pytest.approx(d.var(ddof=1))
        # Runs of different tasks are never paired, even on equal sample ids.
        assert db.pair_stats([keys["A"], next(r.key for r in db.runs if r.task == "u")]) == {}


def test_run_info_reads_provenance(results: Path) -> None:
    folder = find_run_dirs([results / "night1"])[0]
    record = json.loads((folder / "run.json").read_text())
    record["suite"] = {"name": "nightly", "variant": "greedy"}
    record["model"]["method"] = "self-consistency:n=4"
    (folder / "run.json").write_text(json.dumps(record))
    with open_results([folder]) as db:
        (run,) = db.runs
        assert run.model.endswith("+ self-consistency:n=4 [greedy]")
        assert (run.task_version, run.harness_version, run.git_sha, run.source) == ("1", "0.1.0", "abc1234def",
                                                                                    "harness")
        assert run.ci_method == "t" and run.n == 4


def test_memory_stays_out_of_python(results: Path) -> None:
    """The samples view is lazy: a query reads only the columns it names (DuckDB's plan projects them)."""
    with open_results([results]) as db:
        plan = "\n".join(str(r[1]) for r in db.sql("EXPLAIN SELECT avg(score) FROM samples"))
        assert "READ_PARQUET" in plan.upper() or "PARQUET_SCAN" in plan.upper()
        assert "output_json" not in plan
