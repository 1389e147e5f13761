"""Scoring throughput (items/s) of the harness BFCL scorer against the official `bfcl evaluate`, same result files.

Writes official-format result files for the sample questions in ../shared/data/bfcl (gold and bad replies, see
harness/tasks/bfcl/perturb.py), times `harness.tasks.bfcl.checkers.evaluate` over them in this process, and times
the official CLI (`python -m bfcl_eval evaluate --partial-eval`) on the same files in its own virtualenv
(HARNESS_BFCL_OFFICIAL_PYTHON, default /opt/harness-venvs/bfcl-probe/bin/python). The official figure is reported
twice: whole command (what a user waits for) and minus its import/start-up time (measured with `--help`-free
`python -c "import bfcl_eval.eval_checker.eval_runner"`).

    python benchmarks/bench_bfcl.py [--mode fc|prompt] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from harness.tasks.bfcl import categories as cats
from harness.tasks.bfcl import checkers, data, results_io
from harness.tasks.bfcl.compat import FC_REFERENCE_MODEL, PROMPT_REFERENCE_MODEL
from harness.tasks.bfcl.perturb import prediction, variant_for

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "bfcl"
OFFICIAL_PY = os.environ.get("HARNESS_BFCL_OFFICIAL_PYTHON", "/opt/harness-venvs/bfcl-probe/bin/python")
CATEGORIES = cats.NON_LIVE + cats.LIVE + cats.MULTI_TURN


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="fc", choices=["fc", "prompt"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    model = FC_REFERENCE_MODEL if args.mode == "fc" else PROMPT_REFERENCE_MODEL
    entries, _ = data.load_entries(CATEGORIES, SHARED)
    items = [(e, prediction(e, args.mode, variant_for(i))) for i, e in enumerate(entries)]
    n = len(items)

    ours = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fresh, _ = data.load_entries(CATEGORIES, SHARED)  # reading the data is part of the official run too
        for e, (_, r) in zip(fresh, items):
            checkers.evaluate(e, r, args.mode)
        ours.append(time.perf_counter() - t0)

    env = {**os.environ, "OPENAI_API_KEY": "dummy"}
    theirs, startup = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            results_io.write_results(root / "result", model, items)
            env["BFCL_PROJECT_ROOT"] = tmp
            t0 = time.perf_counter()
            subprocess.run([OFFICIAL_PY, "-m", "bfcl_eval", "evaluate", "--model", model, "--test-category",
                            ",".join(CATEGORIES), "--partial-eval"], env=env, cwd=tmp, check=True,
                           capture_output=True)
            theirs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run([OFFICIAL_PY, "-c", "import bfcl_eval.eval_checker.eval_runner"], env=env, cwd=tmp,
                           check=True, capture_output=True)
            startup.append(time.perf_counter() - t0)

    best_ours, best_theirs, best_start = min(ours), min(theirs), min(startup)
    print(f"items: {n} ({len(CATEGORIES)} categories, mode={args.mode}), best of {args.repeat}")
    print(f"harness (load + score): {best_ours:7.3f} s  {n / best_ours:8.1f} items/s")
    print(f"bfcl evaluate (whole) : {best_theirs:7.3f} s  {n / best_theirs:8.1f} items/s")
    net = max(best_theirs - best_start, 1e-9)
    print(f"bfcl evaluate (-start): {net:7.3f} s  {n / net:8.1f} items/s   (start-up {best_start:.3f} s)")
    print(f"ratio harness/official items/s: whole {best_theirs / best_ours:.2f}x, minus start-up {net / best_ours:.2f}x")


if __name__ == "__main__":
    main()
