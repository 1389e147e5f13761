"""Leaderboard generation over many runs: time, and peak memory against the number of samples.

    python benchmarks/bench_leaderboard.py                 # 200 runs (20 models x 10 tasks) x 100/1000/5000 samples
    python benchmarks/bench_leaderboard.py --samples 1000  # one size

For each size it writes synthetic results folders (store schema, item-response scores), then runs in a fresh
process each (so peak RSS is that process's own):
  board   build_leaderboard + md/csv/latex/json (DuckDB over Parquet; pairwise tests on every pair of models per task)
  full    the same plus the PNG/SVG plots and the static HTML page
  naive   the baseline: every samples.parquet read into memory with pyarrow (what "loading it all" costs)
and prints seconds and peak RSS, and the ratios side by side (board vs naive memory; each size vs the smallest).
Target: board < 5 s at 200 x 1,000, and board memory flat in the number of samples.

    python benchmarks/bench_leaderboard.py --samples 1000 --baseline-src /tmp/old --repeat 5

also times the board with another revision of the harness (a source tree, e.g. from
`git archive <rev> | tar -x -C /tmp/old`, put first on PYTHONPATH), alternating the two in fresh processes on the
same data, and prints both medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_MODELS, N_TASKS = 20, 10


def write_results(root: Path, n_samples: int) -> None:
    import hashlib

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from harness.store.schema import SAMPLES_SCHEMA
    from harness.stats.uncertainty import summarize_mean

    ids = pa.array([f"q{i:06d}" for i in range(n_samples)])
    for t in range(N_TASKS):
        task = f"task{t:02d}"
        difficulty = np.random.default_rng([t, 1]).normal(0, 1.5, n_samples)
        for m in range(N_MODELS):
            model = f"vllm:model-{m:02d}"
            run_id = f"20261128-030000-{task}-model-{m:02d}"
            folder = root / run_id
            folder.mkdir(parents=True)
            p = 1 / (1 + np.exp(-(1.5 - 0.15 * m - difficulty)))
            score = (np.random.default_rng([t, m, 2]).random(n_samples) < p).astype(float)
            n = n_samples
            cols = {
                "run_id": pa.array([run_id] * n), "task": pa.array([task] * n), "model": pa.array([model] * n),
                "sample_id": ids, "epoch": pa.array(np.zeros(n, dtype=np.int32)),
                "prompt_hash": pa.array([hashlib.sha1(f"{task}{i}".encode()).hexdigest()[:16] for i in range(n)]),
                "target": pa.array(["42"] * n),
                "output": pa.array([("The answer is 42. " if s else "I think 41. ") * 20 for s in score]),
                "answer": pa.array(["42" if s else "41" for s in score]), "score": pa.array(score),
                "scores": pa.array([[("accuracy", float(s))] for s in score],
                                   type=pa.map_(pa.string(), pa.float64())),
                "parse_failure": pa.array(np.zeros(n, dtype=bool)), "truncated": pa.array(np.zeros(n, dtype=bool)),
                "finish_reason": pa.array(["stop"] * n), "prompt_tokens": pa.array(np.full(n, 100)),
                "completion_tokens": pa.array(np.full(n, 20)), "latency_s": pa.array(np.full(n, 0.5)),
                "retries": pa.array(np.zeros(n, dtype=np.int32)), "cached": pa.array(np.zeros(n, dtype=bool)),
                "error": pa.nulls(n, pa.string()), "error_kind": pa.nulls(n, pa.string()),
                "output_json": pa.nulls(n, pa.string()), "score_json": pa.nulls(n, pa.string()),
            }
            for f in SAMPLES_SCHEMA:  # columns the schema gained later (e.g. cluster): null, as in older runs
                cols.setdefault(f.name, pa.nulls(n, f.type))
            pq.write_table(pa.table(cols, schema=SAMPLES_SCHEMA), folder / "samples.parquet")
            record = {"run_id": run_id, "status": "complete", "created_at": "2026-11-28T03:00:00+00:00",
                      "harness": {"version": "0.1.0", "git_sha": "abc1234"},
                      "task": {"name": task, "version": "1", "content_hash": "h" + task, "options": {}},
                      "dataset": {"sha256": "d" + task}, "model": {"spec": model, "method": None}, "epochs": 1}
            (folder / "run.json").write_text(json.dumps(record))
            metrics = {"run_id": run_id, "task": task, "model": model, "primary": "accuracy",
                       "metrics": {"accuracy": summarize_mean(score).to_dict()}}
            (folder / "metrics.json").write_text(json.dumps(metrics))


def child(mode: str, root: Path, out: Path) -> None:
    t0 = time.perf_counter()
    if mode == "naive":
        import pyarrow.parquet as pq

        tables = [pq.read_table(p) for p in sorted(root.rglob("samples.parquet"))]
        rows = sum(t.num_rows for t in tables)
        print(json.dumps({"seconds": time.perf_counter() - t0, "rows": rows}))
        return
    from harness.leaderboards.publish import publish

    formats = ["md", "csv", "latex", "json"] + (["html"] if mode == "full" else [])
    board, _ = publish([root], formats=formats, out=out, plots=mode == "full")
    print(json.dumps({"seconds": time.perf_counter() - t0, "rows": len(board.rows), "pairs": len(board.pairs)}))


def measure(mode: str, root: Path, src: str | None = None) -> tuple[float, float]:
    """(seconds inside the child, peak RSS of the child in MiB); `src`: a harness source tree to import instead."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(root), out], stdout=subprocess.PIPE,
                                text=True, env=env)
        stdout = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"{mode} child failed ({proc.returncode})")
    seconds = json.loads(stdout.strip().splitlines()[-1])["seconds"]
    return seconds, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=str, default="100,1000,5000")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "ROOT", "OUT"))
    ap.add_argument("--baseline-src", help="a harness source tree (another revision) to time side by side")
    ap.add_argument("--repeat", type=int, default=1, help="board timings per size (median reported)")
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    sizes = [int(s) for s in args.samples.split(",")]
    print(f"{N_MODELS * N_TASKS} runs ({N_MODELS} models x {N_TASKS} tasks); pairwise tests: "
          f"{N_TASKS * N_MODELS * (N_MODELS - 1) // 2} per-task + {N_MODELS * (N_MODELS - 1) // 2} aggregate")
    print(f"{'samples/run':>11} {'rows':>9} | {'board s':>7} {'board MiB':>9} | {'full s':>6} {'full MiB':>8} | "
          f"{'naive s':>7} {'naive MiB':>9} | {'board/naive mem':>15}")
    base = None
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write_results(root, n)
            boards, baselines = [], []
            for _ in range(max(1, args.repeat)):  # alternate the two so load changes hit both alike
                boards.append(measure("board", root))
                if args.baseline_src:
                    baselines.append(measure("board", root, args.baseline_src))
            board = (statistics.median(b[0] for b in boards), statistics.median(b[1] for b in boards))
            full = measure("full", root)
            naive = measure("naive", root)
        results.append((n, board, full, naive))
        if baselines:
            base_s = statistics.median(b[0] for b in baselines)
            print(f"{'':>11} baseline board ({args.baseline_src}): {base_s:.2f} s, "
                  f"{statistics.median(b[1] for b in baselines):.0f} MiB; this tree {board[0]:.2f} s "
                  f"({base_s / board[0]:.2f}x faster); all runs: this {[round(b[0], 2) for b in boards]}, "
                  f"baseline {[round(b[0], 2) for b in baselines]}")
        base = base or board
        print(f"{n:>11} {n * N_MODELS * N_TASKS:>9} | {board[0]:>7.2f} {board[1]:>9.0f} | {full[0]:>6.2f} "
              f"{full[1]:>8.0f} | {naive[0]:>7.2f} {naive[1]:>9.0f} | {board[1] / naive[1]:>15.2f}")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"\nfrom {first[0]} to {last[0]} samples/run ({last[0] // first[0]}x the samples): board time x"
              f"{last[1][0] / first[1][0]:.2f}, board peak RSS x{last[1][1] / first[1][1]:.2f}, "
              f"naive peak RSS x{last[3][1] / first[3][1]:.2f}")


if __name__ == "__main__":
    main()
