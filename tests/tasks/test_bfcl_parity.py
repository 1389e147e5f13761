"""Parity with the official `bfcl evaluate` (bfcl-eval 2026.3.23) on the project's BFCL samples.

We write result files in the official format for the sample questions (gold replies and bad replies), score them
with our task, and run the official CLI on the same files in its own virtualenv (it pins numpy 1.26, so it cannot
share the harness environment). Per-item correctness must be identical. Needs ../shared/data/bfcl and the full
official install: HARNESS_BFCL_OFFICIAL_PYTHON (default /opt/harness-venvs/bfcl-probe/bin/python)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("bfcl_eval")

from harness.tasks.bfcl import categories as cats  # noqa: E402
from harness.tasks.bfcl import checkers, data, results_io  # noqa: E402
from harness.tasks.bfcl.compat import FC_REFERENCE_MODEL, PROMPT_REFERENCE_MODEL  # noqa: E402

from harness.tasks.bfcl.perturb import prediction, variant_for  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "bfcl"
OFFICIAL_PY = Path(os.environ.get("HARNESS_BFCL_OFFICIAL_PYTHON", "/opt/harness-venvs/bfcl-probe/bin/python"))
SCORED = [c for c in cats.NON_LIVE + cats.LIVE + cats.MULTI_TURN] + ["web_search_base", "memory_kv", "memory_rec_sum"]

pytestmark = [
    pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/bfcl"),
    pytest.mark.skipif(not OFFICIAL_PY.exists(), reason=f"needs the full official bfcl-eval install at {OFFICIAL_PY}"),
]


def _official_failures(root: Path, model: str) -> dict[str, set[str]]:
    env = {**os.environ, "BFCL_PROJECT_ROOT": str(root), "OPENAI_API_KEY": "dummy"}
    cmd = [str(OFFICIAL_PY), "-m", "bfcl_eval", "evaluate", "--model", model, "--test-category", ",".join(SCORED),
           "--partial-eval"]
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    failures: dict[str, set[str]] = {}
    for path in (root / "score" / model.replace("/", "_")).rglob("*_score.json"):
        header, failed = results_io.failed_ids_from_score_file(path)
        category = path.name[len("BFCL_v4_"):-len("_score.json")]
        failures[category] = failed
        assert header["total_count"] > 0
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_per_item_correctness_matches_official_evaluate(tmp_path: Path, mode: str) -> None:
    model = FC_REFERENCE_MODEL if mode == "fc" else PROMPT_REFERENCE_MODEL
    entries, _ = data.load_entries(SCORED, SHARED)
    items = [(e, prediction(e, mode, variant_for(i))) for i, e in enumerate(entries)]
    results_io.write_results(tmp_path / "result", model, items)
    ours = {e["id"]: checkers.evaluate(e, r, mode) for e, r in items}
    official = _official_failures(tmp_path, model)
    assert set(official) == set(SCORED)
    mismatches = []
    for entry, _ in items:
        official_valid = entry["id"] not in official[entry["category"]]
        if ours[entry["id"]].valid != official_valid:
            mismatches.append((entry["id"], ours[entry["id"]].valid, official_valid, ours[entry["id"]].error_type))
    assert not mismatches, mismatches[:10]
    n_fail = sum(1 for v in ours.values() if not v.valid)
    assert 0 < n_fail < len(ours)  # both outcomes are exercised
