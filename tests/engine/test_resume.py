"""A run killed with SIGKILL and rerun gives the same samples and metrics as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from toy import write_rows

from harness.store import journal

HERE = Path(__file__).parent
VOLATILE = {"run_id", "latency_s", "cached"}


def _start(data: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(HERE / "run_toy.py"), str(data), str(out), "toy-seed?delay=0.01", "2"],
                            env=env)


def _stable_rows(run_dir: Path) -> list[dict]:
    rows = pq.read_table(run_dir / "samples.parquet").to_pylist()
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in rows]


def _metrics(run_dir: Path) -> dict:
    m = json.loads((run_dir / "metrics.json").read_text())
    return {k: v for k, v in m.items() if k not in {"run_id", "cached_rate"}}


def test_sigkill_then_rerun_matches_uninterrupted(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "rows.jsonl", 150)
    env = dict(os.environ)

    reference = tmp_path / "reference"
    env["HARNESS_CACHE_DIR"] = str(tmp_path / "cache-ref")
    assert _start(data, reference, env).wait(timeout=120) == 0

    killed = tmp_path / "killed"
    env["HARNESS_CACHE_DIR"] = str(tmp_path / "cache-killed")
    proc = _start(data, killed, env)
    deadline = time.monotonic() + 60
    journal_file = None
    while time.monotonic() < deadline:
        found = list(killed.glob("*/journal.jsonl"))
        if found and len(found[0].read_bytes().splitlines()) >= 40:
            journal_file = found[0]
            break
        time.sleep(0.02)
    assert journal_file is not None, "the child never journalled 40 samples"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    partial = journal.read(journal_file)
    assert 40 <= len(partial) < 300, "the kill should land mid-run"
    assert json.loads((journal_file.parent / "run.json").read_text())["status"] == "running"

    assert _start(data, killed, env).wait(timeout=120) == 0  # the same command resumes
    runs = [p for p in killed.iterdir() if p.is_dir()]
    assert len(runs) == 1, "rerunning the same command must resume the unfinished run, not start another"
    (ref_dir,) = [p for p in reference.iterdir() if p.is_dir()]
    resumed_rows = _stable_rows(runs[0])
    assert len(resumed_rows) == 300
    assert len({(r["sample_id"], r["epoch"]) for r in resumed_rows}) == 300
    assert resumed_rows == _stable_rows(ref_dir)
    assert _metrics(runs[0]) == _metrics(ref_dir)
    record = json.loads((runs[0] / "run.json").read_text())
    assert record["status"] == "complete" and record["resumed"] == 1


def test_torn_journal_line_is_dropped_and_truncated(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    good = json.dumps({"sample_id": "a", "epoch": 0, "score": 1.0})
    path.write_text(good + "\n" + '{"sample_id": "b", "ep')
    assert list(journal.read(path)) == [("a", 0)]
    j = journal.Journal(path)
    j.append({"sample_id": "c", "epoch": 0})
    j.close()
    assert list(journal.read(path)) == [("a", 0), ("c", 0)]
    assert path.read_text().count("\n") == 2
