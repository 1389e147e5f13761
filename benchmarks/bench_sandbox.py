"""Sandbox overhead: a trivial pytest run in a fresh container, a pooled container, and bubblewrap.

    python benchmarks/bench_sandbox.py [--n 200] [--seq 10] [--parallel 2]

Prints, side by side on this machine:
- latency: median wall time of one `python -m pytest -q` on a one-test project, run sequentially;
- throughput: N such executions spread over `--parallel` threads (= max_sandboxes), executions per second;
- the ratio of each path to fresh containers (target: pooled docker >= 5x fresh).
Needs a Docker daemon with harness-sandbox/python:bookworm (.ci/setup-sandboxes.sh) and bubblewrap.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

PROJECT = {
    "calc.py": "def add(a, b):\n    return a + b\n",
    "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}
COMMAND = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def make(kind: str, parallel: int):
    from harness.runners.docker_backend import DockerSandbox
    from harness.runners.images import export_rootfs
    from harness.runners.process_backend import BwrapSandbox
    from harness.runners.types import Limits

    limits = Limits(timeout_s=60, memory_mb=512, cpus=1.0, pids=128)
    if kind == "docker-fresh":
        return DockerSandbox("python", pooled=False, max_sandboxes=parallel, limits=limits)
    if kind == "docker-pooled":
        return DockerSandbox("python", pooled=True, max_sandboxes=parallel, limits=limits, warm_pytest=False)
    if kind == "docker-pooled-warm":
        return DockerSandbox("python", pooled=True, max_sandboxes=parallel, limits=limits, warm_pytest=True)
    if kind == "bwrap":
        return BwrapSandbox(export_rootfs("python"), max_sandboxes=parallel, limits=limits)
    raise ValueError(kind)


def run_one(sb) -> float:
    t = time.perf_counter()
    r = sb.exec(COMMAND, files=PROJECT)
    if not r.ok:
        sys.exit(f"{sb.name}: run failed: {r.infra_error or r.stdout[-500:] + r.stderr[-500:]}")
    return time.perf_counter() - t


def measure(kind: str, n: int, seq: int, parallel: int) -> tuple[float, float]:
    sb = make(kind, parallel)
    try:
        run_one(sb)  # warm-up: image cache, first container, rootfs export
        latency = statistics.median(run_one(sb) for _ in range(seq))
        t = time.perf_counter()
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(lambda _: run_one(sb), range(n)))
        throughput = n / (time.perf_counter() - t)
    finally:
        sb.close()
    return latency, throughput


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="executions for the throughput measurement")
    ap.add_argument("--seq", type=int, default=10, help="sequential executions for the latency median")
    ap.add_argument("--parallel", type=int, default=2, help="max_sandboxes / worker threads")
    ap.add_argument("--kinds", default="docker-fresh,docker-pooled,docker-pooled-warm,bwrap")
    args = ap.parse_args()
    rows = {}
    for kind in args.kinds.split(","):
        rows[kind] = measure(kind, args.n, args.seq, args.parallel)
        lat, thr = rows[kind]
        print(f"{kind:20s} latency {lat * 1000:7.0f} ms   throughput {thr:6.2f} exec/s", flush=True)
    base = rows.get("docker-fresh")
    if base:
        print(f"\nratios against docker-fresh (n={args.n}, parallel={args.parallel}):")
        for kind, (lat, thr) in rows.items():
            print(f"  {kind:20s} latency x{base[0] / lat:5.2f} faster   throughput x{thr / base[1]:5.2f}")


if __name__ == "__main__":
    main()
