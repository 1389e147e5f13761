"""Runs the toy task in a child process, so a test can SIGKILL it mid-run (used by test_resume.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import toy  # noqa: E402,F401  (registers the toy task and adapters)

from harness.engine.run import RunOptions, run_task  # noqa: E402

if __name__ == "__main__":
    data, output, model, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    run_task(RunOptions(task="toy-arith", model=model, data=data, output=Path(output), epochs=epochs,
                        max_concurrency=4, progress="none"))
