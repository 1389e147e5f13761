from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.core.errors import UserError
from harness.stats.forecast_cli import forecast


def _attempt_rows(K: int = 80, n: int = 40, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    theta = rng.beta(0.4, 4.0, K)
    return [{"query_id": f"q{q}", "attempt": a, "success": int(rng.random() < theta[q])}
            for q in range(K) for a in range(n)]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_forecast_writes_table_plot_and_json(tmp_path: Path, capsys) -> None:
    src = _write_jsonl(tmp_path / "att.jsonl", _attempt_rows())
    assert forecast(str(src), budget="400,4000", target=0.8, n_bootstrap=100) == 0
    printed = capsys.readouterr().out
    assert "SABER ASR@N forecast" in printed and "alpha-only" in printed and "Budget@80%" in printed
    for ext in ("png", "svg", "json"):
        assert (tmp_path / f"att.forecast.{ext}").stat().st_size > 1000
    assert (tmp_path / "att.forecast.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "att.forecast.json").read_text())
    assert [r["N"] for r in data["rows"]] == [400, 4000]
    assert data["n_queries"] == 80 and data["rows"][0]["ci_low"] < data["rows"][0]["estimate"]


def test_parquet_counts_and_out_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    k = rng.binomial(50, rng.beta(0.3, 3.0, 100))
    pq.write_table(pa.table({"query_id": [f"q{i}" for i in range(100)], "k": k, "n": [50] * 100}),
                   tmp_path / "counts.parquet")
    out = tmp_path / "report"
    assert forecast(str(tmp_path / "counts.parquet"), budget="1000", estimator="eb_posterior", out=str(out),
                    n_bootstrap=50) == 0
    assert {p.name for p in out.iterdir()} == {"forecast.png", "forecast.svg", "forecast.json"}


def test_run_folder_input(tmp_path: Path) -> None:
    rows = _attempt_rows(K=60, n=20, seed=2)
    run = tmp_path / "results" / "run-1"
    run.mkdir(parents=True)
    pq.write_table(pa.table({"sample_id": [r["query_id"] for r in rows],
                             "epoch": pa.array([r["attempt"] for r in rows], pa.int32()),
                             "score": pa.array([float(r["success"]) for r in rows], pa.float64())}),
                   run / "samples.parquet")
    assert forecast(str(run), budget="100", n_bootstrap=20) == 0
    assert (run / "forecast.json").exists()
    pq.write_table(pa.table({"sample_id": ["a"], "epoch": pa.array([0], pa.int32()), "score": [0.5]}),
                   run / "samples.parquet")
    with pytest.raises(UserError, match="row 1: score 0.5 is not binary"):
        forecast(str(run))


def test_degenerate_input_prints_bounds(tmp_path: Path, capsys) -> None:
    rows = [{"query_id": f"q{q}", "attempt": a, "success": 0} for q in range(30) for a in range(10)]
    src = _write_jsonl(tmp_path / "zeros.jsonl", rows)
    assert forecast(str(src), n_bootstrap=10) == 0
    out = capsys.readouterr().out
    assert "refused" in out and "no extrapolation" in out


@pytest.mark.parametrize(
    "rows,pattern",
    [
        ([{"query_id": "a", "attempt": 0}], "missing column 'success'"),
        ([{"query_id": "a", "success": 1}], "missing column 'attempt'"),
        ([{"foo": 1}], "missing column 'query_id'"),
        ([{"query_id": "a", "attempt": 0, "success": 1}, {"query_id": "a", "attempt": 1, "success": 2}],
         "line 2: column 'success' must be 0/1"),
        ([{"query_id": "a", "attempt": 0, "success": 1}, {"query_id": "a", "attempt": 0, "success": 0}],
         "line 2: duplicate attempt 0"),
        ([{"query_id": "a", "attempt": -1, "success": 1}], "line 1: column 'attempt' is negative"),
        ([{"query_id": "a", "k": 5, "n": 3}], "line 1: k > n"),
        ([{"query_id": "a", "k": -1, "n": 3}], "line 1: negative count"),
        ([{"query_id": "a", "k": 1}], "missing column 'n'"),
        ([{"query_id": None, "attempt": 0, "success": 1}], "line 1: column 'query_id' is missing or null"),
    ],
)
def test_bad_input_names_row_or_column(tmp_path: Path, rows: list[dict], pattern: str) -> None:
    src = _write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(UserError, match=pattern):
        forecast(str(src))


def test_bad_options_and_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(UserError, match="no rows"):
        forecast(str(empty))
    src = _write_jsonl(tmp_path / "ok.jsonl", _attempt_rows(K=10, n=5))
    with pytest.raises(UserError, match="--budget"):
        forecast(str(src), budget="10,abc")
    with pytest.raises(UserError, match="--estimator"):
        forecast(str(src), estimator="magic")
    with pytest.raises(UserError, match="--target"):
        forecast(str(src), target=1.5)
    with pytest.raises(UserError, match="combinatorial only covers N <= 5"):
        forecast(str(src), estimator="combinatorial", budget="10", n_bootstrap=0)
    with pytest.raises(UserError, match="no such file"):
        forecast(str(tmp_path / "missing.jsonl"))
    (tmp_path / "x.csv").write_text("a\n")
    with pytest.raises(UserError, match="unsupported"):
        forecast(str(tmp_path / "x.csv"))
