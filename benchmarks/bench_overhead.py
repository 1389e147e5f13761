"""Harness overhead against an OpenAI-compatible server that answers instantly (and with 50 ms of latency).

Measures, side by side in one session, samples/s of:
  - bare:    an asyncio + aiohttp loop (one session, N workers) sending exactly the requests the gsm8k task
             builds: the upper limit for any client on this machine;
  - adapter: the `openai:` adapter alone, in process, with the same concurrency (no engine, no scoring);
  - harness: `harness run --task gsm8k --data <synthetic file> --model openai:fake-model --base-url ...`
             as a subprocess, whole command (interpreter start, results written); its peak RSS too; and the
             engine's share of it ("harness engine only": run.json timings.generate_s, i.e. requests, scoring
             and journalling without interpreter start, imports and the final Parquet write);
  - lm-eval (`local-chat-completions`) and Inspect (`openai-api`), when `--lm-eval-python` / `--inspect-python`
    name interpreters that have them (install them in their own venvs: they pin conflicting packages).
and prints each one's ratio to the bare loop. The server is `harness.testing.fake_openai_server` (a test double)
in its own process. Targets (issue 2): >= 0.5 of the bare loop at 0 ms, >= 0.9 at 50 ms, peak RSS < 500 MB.

    python benchmarks/bench_overhead.py                      # 2,000 items, concurrency 32, 0 and 50 ms
    python benchmarks/bench_overhead.py --items 500 --latencies 0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

from harness.models._openai_wire import build_body
from harness.models._server_process import free_port

MODEL = "fake-model"


# --- synthetic data ---------------------------------------------------------------------------------------------
def write_items(path: Path, n: int, seed: int = 0) -> None:
    """GSM8K-shaped rows ({"question", "answer": "... #### N"}), deterministic."""
    rng = random.Random(seed)
    names = ["Ava", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo"]
    things = ["apples", "pencils", "stickers", "marbles", "cookies", "books"]
    with path.open("w") as f:
        for i in range(n):
            a, b, c = rng.randint(2, 90), rng.randint(2, 90), rng.randint(1, 9)
            who, what = rng.choice(names), rng.choice(things)
            q = (f"{who} has {a} {what}. A friend gives {who} {b} more, and then {who} shares them equally among "
                 f"{c} boxes, keeping the remainder. How many {what} are in each box? (item {i})")
            ans = (a + b) // c
            f.write(json.dumps({"question": q, "answer": f"{a} + {b} = {a + b}; {a + b} // {c} = {ans}\n#### {ans}"}) + "\n")


def task_bodies(data: Path) -> list[bytes]:
    """The exact JSON bodies the harness sends for this data (same prompt template and generation config)."""
    from harness.registry import create_task
    from harness.tasks.data import read_rows

    task = create_task("gsm8k")
    rows = read_rows(data)
    bodies = []
    for i, row in enumerate(rows):
        sample = task.to_sample(row, i)
        bodies.append(json.dumps(build_body(MODEL, task.prompt(sample), task.default_config, chat=True)).encode())
    return bodies


# --- the fake server ----------------------------------------------------------------------------------------------
class Server:
    def __init__(self, latency_ms: float) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness.testing.fake_openai_server", "--port", str(self.port),
             "--latency-ms", str(latency_ms), "--model", MODEL],
            stdout=subprocess.DEVNULL,
        )
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1).read()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("fake server did not start")
                time.sleep(0.1)

    def requests(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=5) as resp:
            return int(json.loads(resp.read())["requests"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# --- contenders ---------------------------------------------------------------------------------------------------
async def _bare(url: str, bodies: list[bytes], concurrency: int) -> float:
    import aiohttp

    queue = list(reversed(bodies))
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                async with session.post(url, data=body, headers=headers) as resp:
                    data = json.loads(await resp.read())
                    assert data["choices"][0]["message"]["content"]

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t0


def bare_loop(server: Server, bodies: list[bytes], concurrency: int) -> dict[str, float]:
    wall = asyncio.run(_bare(f"{server.base_url}/chat/completions", bodies, concurrency))
    return {"wall_s": wall, "samples_per_s": len(bodies) / wall}


async def _adapter(server: Server, data: Path, concurrency: int) -> float:
    from harness.core import GenerateRequest
    from harness.models.base import AdapterContext
    from harness.registry import create_model, create_task
    from harness.tasks.data import read_rows

    task = create_task("gsm8k")
    requests = [GenerateRequest(task.prompt(s), task.default_config, sample=s, task=task)
                for s in (task.to_sample(row, i) for i, row in enumerate(read_rows(data)))]
    model = create_model(f"openai:{MODEL}")
    await model.start(AdapterContext(base_url=server.base_url, max_concurrency=concurrency))
    queue = list(reversed(requests))

    async def worker() -> None:
        while queue:
            out = await model.generate(queue.pop())
            assert out.text

    try:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t0
    finally:
        await model.close()


def adapter_loop(server: Server, data: Path, n: int, concurrency: int) -> dict[str, float]:
    """The `openai:` adapter alone, in process: what the adapter costs, without engine, scoring or startup."""
    wall = asyncio.run(_adapter(server, data, concurrency))
    return {"wall_s": wall, "samples_per_s": n / wall}


def _timed(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (of the process itself) and the tail of its output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed ({proc.returncode}):\n{text[-3000:]}")
    return wall, usage.ru_maxrss / 1024, text[-2000:]


def harness_run(server: Server, data: Path, n: int, concurrency: int, out_dir: Path) -> dict[str, float]:
    cmd = [sys.executable, "-c", "from harness.cli import main; main()", "run", "--task", "gsm8k",
           "--data", str(data), "--model", f"openai:{MODEL}", "--base-url", server.base_url,
           "--max-concurrency", str(concurrency), "--no-cache", "--progress", "none", "--output", str(out_dir)]
    wall, rss, _ = _timed(cmd)
    runs = [p for p in out_dir.iterdir() if p.is_dir()]
    rows = sum(1 for _ in open(runs[-1] / "journal.jsonl")) if (runs and (runs[-1] / "journal.jsonl").exists()) else n
    # The engine's own share: generation, scoring and journalling, without interpreter start, imports and the
    # final Parquet/metrics write (run.json timings.generate_s).
    generate_s = json.loads((runs[-1] / "run.json").read_text())["timings"]["generate_s"]
    return {"wall_s": wall, "samples_per_s": n / wall, "peak_rss_mb": rss, "rows": rows, "generate_s": generate_s}


LM_EVAL_TASK = """
task: harness_bench_gsm8k
dataset_path: json
dataset_kwargs:
  data_files: {data}
test_split: train
output_type: generate_until
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: []
  max_gen_toks: 2048
  do_sample: false
  temperature: 0.0
metric_list:
  - metric: exact_match
"""


def lm_eval_run(python: str, server: Server, data: Path, n: int, concurrency: int, work: Path) -> dict[str, float]:
    tasks = work / "lm_eval_tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    (tasks / "harness_bench_gsm8k.yaml").write_text(LM_EVAL_TASK.format(data=data))
    cmd = [python, "-m", "lm_eval", "--model", "local-chat-completions", "--model_args",
           f"model={MODEL},base_url={server.base_url}/chat/completions,num_concurrent={concurrency},"
           "max_retries=3,tokenized_requests=False",
           "--tasks", "harness_bench_gsm8k", "--include_path", str(tasks), "--apply_chat_template",
           "--output_path", str(work / "lm_eval_out")]
    env = dict(os.environ, OPENAI_API_KEY="dummy", HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")
    wall, rss, _ = _timed(cmd, env=env)
    return {"wall_s": wall, "samples_per_s": n / wall, "peak_rss_mb": rss}


INSPECT_TASK = """
from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset, FieldSpec
from inspect_ai.scorer import match
from inspect_ai.solver import generate

@task
def bench_gsm8k():
    return Task(dataset=json_dataset({data!r}, FieldSpec(input="question", target="answer")),
                solver=generate(), scorer=match(numeric=True))
"""


def inspect_run(python: str, server: Server, data: Path, n: int, concurrency: int, work: Path) -> dict[str, float]:
    work.mkdir(parents=True, exist_ok=True)
    task_file = work / "inspect_bench.py"
    task_file.write_text(textwrap.dedent(INSPECT_TASK.format(data=str(data))))
    cmd = [python, "-m", "inspect_ai", "eval", f"{task_file}@bench_gsm8k", "--model", f"openai-api/fake/{MODEL}",
           "--max-connections", str(concurrency), "--log-dir", str(work / "inspect_logs"), "--display", "none"]
    env = dict(os.environ, FAKE_API_KEY="dummy", FAKE_BASE_URL=server.base_url)
    wall, rss, _ = _timed(cmd, env=env, cwd=str(work))
    return {"wall_s": wall, "samples_per_s": n / wall, "peak_rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latencies", default="0,50", help="server latencies in ms, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each contender; the median is reported")
    parser.add_argument("--lm-eval-python", help="an interpreter with lm-eval installed")
    parser.add_argument("--inspect-python", help="an interpreter with inspect-ai installed")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="harness-bench-"))
    data = work / "gsm8k-synthetic.jsonl"
    write_items(data, args.items)
    bodies = task_bodies(data)
    results: dict[str, Any] = {"items": args.items, "concurrency": args.concurrency, "cpus": os.cpu_count()}
    try:
        for latency in [float(x) for x in args.latencies.split(",")]:
            server = Server(latency)
            try:
                bare_loop(server, bodies[: min(200, len(bodies))], args.concurrency)  # warm-up
                rows: dict[str, list[dict[str, float]]] = {
                    "bare aiohttp loop": [], "openai: adapter": [], "harness run": []}
                if args.lm_eval_python:
                    rows["lm-eval"] = []
                if args.inspect_python:
                    rows["inspect"] = []
                for r in range(args.repeat):
                    contenders = {
                        "bare aiohttp loop": lambda: bare_loop(server, bodies, args.concurrency),
                        "openai: adapter": lambda: adapter_loop(server, data, args.items, args.concurrency),
                        "harness run": lambda: harness_run(server, data, args.items, args.concurrency,
                                                           work / f"results-{latency:g}-{r}"),
                        "lm-eval": lambda: lm_eval_run(args.lm_eval_python, server, data, args.items,
                                                       args.concurrency, work / f"lm-eval-{latency:g}-{r}"),
                        "inspect": lambda: inspect_run(args.inspect_python, server, data, args.items,
                                                       args.concurrency, work / f"inspect-{latency:g}-{r}"),
                    }
                    for name in rows:
                        before = server.requests()
                        result = contenders[name]()
                        result["requests"] = server.requests() - before
                        rows[name].append(result)
            finally:
                server.stop()
            rows["harness engine only"] = [
                {"wall_s": x["generate_s"], "samples_per_s": args.items / x["generate_s"], "requests": x["requests"]}
                for x in rows["harness run"]]
            limit = statistics.median(x["samples_per_s"] for x in rows["bare aiohttp loop"])
            print(f"\nserver latency {latency:g} ms, {args.items} items, concurrency {args.concurrency}")
            print(f"{'contender':<20}{'samples/s':>12}{'ratio':>8}{'wall s':>9}{'peak RSS MB':>13}{'requests':>10}")
            summary = {}
            for name, runs in rows.items():
                sps = statistics.median(x["samples_per_s"] for x in runs)
                wall = statistics.median(x["wall_s"] for x in runs)
                rss = max((x.get("peak_rss_mb", 0.0) for x in runs), default=0.0)
                sent = min(int(x["requests"]) for x in runs)
                summary[name] = {"samples_per_s": sps, "ratio": sps / limit, "wall_s": wall, "peak_rss_mb": rss,
                                 "requests": sent}
                rss_text = f"{rss:.0f}" if rss else "-"
                print(f"{name:<20}{sps:>12.1f}{sps / limit:>8.3f}{wall:>9.2f}{rss_text:>13}{sent:>10}")
            results[f"{latency:g}ms"] = summary
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
