"""Scenarios per minute on the TAM-Eval Python offline sample: pooled warm containers vs one fresh container per
command, measured side by side in one process (gold replies, so every scenario runs tests, coverage and MutPy).

    python benchmarks/bench_tam.py [--rounds 1] [--max-sandboxes 2] [--no-mutation]

Prints both rates and their ratio. `--no-mutation` drops the mutation step (it dominates the time and is the same
in both modes), which shows the container start-up cost more clearly.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time

from harness.tasks.data import load_task_rows
from harness.tasks.tam_eval.execute import ExecSettings, Executor
from harness.tasks.tam_eval.task import TamEvalTask


async def _run(task: TamEvalTask, scenarios: list, settings: ExecSettings, rounds: int) -> tuple[float, int]:  # type: ignore[type-arg]
    ex = Executor(settings)
    try:
        sc0 = scenarios[0]
        await ex.evaluate(sc0, task.reference_test(sc0), check_no_changes=False)  # image check, first container
        t0 = time.perf_counter()
        n = 0
        for _ in range(rounds):
            results = await asyncio.gather(*(ex.evaluate(sc, task.reference_test(sc), check_no_changes=False)
                                             for sc in scenarios))
            assert all(r.status == "PASS" for r in results), [r.detail for r in results]
            n += len(results)
        return time.perf_counter() - t0, n
    finally:
        ex.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--max-sandboxes", type=int, default=2)
    ap.add_argument("--no-mutation", action="store_true")
    args = ap.parse_args()
    task = TamEvalTask()
    rows, _ = load_task_rows(task, "sample")
    samples = [task.to_sample(r, i) for i, r in enumerate(rows)]
    scenarios = [task.scenario(s) for s in samples if task.scenario(s).lang == "Python"]
    if args.no_mutation:
        scenarios = [dataclasses.replace(sc, run={**sc.run, "mutation_run_command": ""}) for sc in scenarios]
    out = {}
    for pooled in (True, False):
        settings = ExecSettings(pooled=pooled, max_sandboxes=args.max_sandboxes)
        secs, n = asyncio.run(_run(task, scenarios, settings, args.rounds))
        out[pooled] = n / secs * 60
        print(f"{'pooled' if pooled else 'fresh '}: {n} scenarios in {secs:.1f} s = {out[pooled]:.2f} scenarios/min")
    print(f"pooled / fresh = {out[True] / out[False]:.2f}x  (mutation {'off' if args.no_mutation else 'on'}, "
          f"max_sandboxes={args.max_sandboxes})")


if __name__ == "__main__":
    main()
