"""BFCL memory inference: the prerequisite conversations fill the real bfcl-eval memory backends, their final
snapshot reaches every question of the scenario (system prompt and tools), once per run and scenario even when the
questions are solved concurrently, with fresh state per run. Engine gold runs and parity with `bfcl evaluate` on
the result files we write from a run.

Model replies come from `gold` or from `RoutedAdapter`, a test double that answers by prerequisite/question id and
step (a tool-calling server cannot run here)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("bfcl_eval")

from harness.core import Completion, GenerateRequest, ModelOutput, ToolCall  # noqa: E402
from harness.core.errors import UserError  # noqa: E402
from harness.models.base import ModelAdapter  # noqa: E402
from harness.models.spec import ModelSpec  # noqa: E402
from harness.registry import create_model, create_task  # noqa: E402
from harness.tasks.bfcl import memory  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "bfcl"
OFFICIAL_PY = Path(os.environ.get("HARNESS_BFCL_OFFICIAL_PYTHON", "/opt/harness-venvs/bfcl-probe/bin/python"))
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/bfcl")
FIRST_PREREQ = "memory_{}_prereq_0-customer-0"
SECOND_PREREQ = "memory_{}_prereq_1-customer-1"


class RoutedAdapter(ModelAdapter):
    """Test double: `routes[(sample_id, turn, step)]` is a list of (name, args) tool calls or a text; anything not
    routed gets `default` (a text, which ends the turn). Records every request."""

    kind = "routed"

    def __init__(self, routes: dict[tuple[str, int, int], Any], default: Any = "noted") -> None:
        super().__init__(ModelSpec("routed"))
        self.routes, self.default, self.requests = routes, default, []

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        assert request.sample is not None
        self.requests.append(request)
        await asyncio.sleep(0)  # let concurrent solves interleave
        turn, step = request.sample.metadata.get("bfcl_step", (0, 0))
        reply = self.routes.get((request.sample.id, turn, step), self.default)
        if callable(reply):
            reply = reply(request)
        if isinstance(reply, str):
            return ModelOutput(completions=[Completion(text=reply)])
        calls = [ToolCall(id=f"call_{i}", name=n, arguments=json.dumps(a)) for i, (n, a) in enumerate(reply)]
        return ModelOutput(completions=[Completion(text="", tool_calls=calls, finish_reason="tool_calls")])

    def starts(self, sample_id: str) -> int:
        """How many times the conversation of `sample_id` was started (its first turn's first request)."""
        return sum(1 for r in self.requests
                   if r.sample.id == sample_id and r.sample.metadata.get("bfcl_step") == (0, 0))


def _samples(name: str, **options: Any):
    task = create_task(name, **options)
    rows, info = task.load_rows(str(SHARED))
    return task, [task.to_sample(r, i) for i, r in enumerate(rows)], info


def _answer(request: GenerateRequest) -> str:
    """Answer the question from the last tool result (the retrieved memory value)."""
    value = json.loads(request.messages[-1]["content"])["value"]
    return str({"answer": value, "context": "memory"})


@needs_shared
def test_loading_attaches_the_scenario_prerequisites_and_hashes_them() -> None:
    task, samples, info = _samples("bfcl-memory-kv", mode="fc")
    assert {s.metadata["entry"]["scenario"] for s in samples} == {"customer"}
    prereqs = samples[0].metadata["memory_prereq"]
    assert prereqs is samples[-1].metadata["memory_prereq"]  # one list per scenario
    assert [p["id"] for p in prereqs][:2] == [FIRST_PREREQ.format("kv"), SECOND_PREREQ.format("kv")]
    assert all(p["involved_classes"] == ["MemoryAPI_kv"] for p in prereqs)
    assert {f["name"] for f in prereqs[0]["function"]} >= {"core_memory_add", "archival_memory_retrieve"}
    # prerequisites do not get the agentic answer-format prompt; questions do
    assert prereqs[0]["question"][0][0]["role"] == "user"
    assert samples[0].metadata["entry"]["question"][0][0]["role"] == "system"
    assert "memory_prereq" not in samples[0].metadata["entry"]
    assert any(f.endswith("memory_prereq_conversation/memory_customer.json") for f in info["files"])
    assert task.options["memory_prereq"] == "shared"


@needs_shared
def test_kv_memory_written_by_prerequisites_reaches_every_question_once_per_run() -> None:
    task, samples, _ = _samples("bfcl-memory-kv", mode="fc")
    first, second = FIRST_PREREQ.format("kv"), SECOND_PREREQ.format("kv")
    q = samples[0]  # "What is my first name?" -> Michael
    routes: dict[tuple[str, int, int], Any] = {
        (first, 0, 0): [("core_memory_add", {"key": "customer_nickname", "value": "Zorblax"}),
                        ("archival_memory_add", {"key": "first_name", "value": "Michael"})],
        # a later prerequisite conversation starts from the snapshot the previous one flushed
        (second, 0, 0): [("archival_memory_retrieve", {"key": "first_name"})],
        (q.id, 0, 0): [("archival_memory_retrieve", {"key": "first_name"})],
        (q.id, 0, 1): _answer,
    }
    model = RoutedAdapter(routes)

    async def all_questions() -> list[ModelOutput]:
        await task.start(None)
        return await asyncio.gather(*(task.solve(s, model, task.default_config, 0) for s in samples))

    outputs = asyncio.run(all_questions())
    # the chain ran once for the 30 concurrent questions: its first request was asked exactly once
    assert model.starts(first) == 1
    assert sum(o.metadata["memory_prereq"]["ran_here"] for o in outputs) == 1
    assert len({o.metadata["memory_prereq"]["snapshot_sha256"] for o in outputs}) == 1
    ran = next(o for o in outputs if o.metadata["memory_prereq"]["ran_here"])
    assert ran.metadata["memory_prereq"]["snapshot"] == {"core_memory": {"customer_nickname": "Zorblax"},
                                                         "archival_memory": {"first_name": "Michael"}}
    second_reqs = [r for r in model.requests if r.sample.id == second]
    assert '"value": "Michael"' in second_reqs[1].messages[-1]["content"]
    out = outputs[0]
    system = out.transcript[0]
    assert system["role"] == "system" and "Zorblax" in system["content"]  # core memory is dumped into the prompt
    assert "'answer'" in system["content"]  # ... in front of the agentic answer-format prompt
    assert out.transcript[-2]["role"] == "tool" and "Michael" in out.transcript[-2]["content"]
    score = task.score(q, out)
    assert score.values["accuracy"] == 1.0, score.explanation
    assert task.score(samples[1], outputs[1]).values["accuracy"] == 0.0  # "noted" is no answer

    # a new run (start) runs the chain again from an empty memory: nothing leaks between runs
    model2 = RoutedAdapter({(q.id, 0, 0): [("archival_memory_retrieve", {"key": "first_name"})]})

    async def again() -> ModelOutput:
        await task.start(None)
        return await task.solve(q, model2, task.default_config, 0)

    out2 = asyncio.run(again())
    assert model2.starts(first) == 1
    assert "Key not found" in out2.transcript[-2]["content"]
    assert "There is no content in the core memory" in out2.transcript[0]["content"]


@needs_shared
def test_rec_sum_memory_in_prompt_mode_and_per_item_replay() -> None:
    task, samples, _ = _samples("bfcl-memory-rec-sum", mode="prompt", memory_prereq="per_item")
    first = FIRST_PREREQ.format("rec_sum")
    model = RoutedAdapter({(first, 0, 0): "[memory_append(text='Customer is called Michael.')]"})

    async def two() -> list[ModelOutput]:
        await task.start(None)
        return list(await asyncio.gather(*(task.solve(s, model, task.default_config, 0) for s in samples[:2])))

    outputs = asyncio.run(two())
    assert model.starts(first) == 2  # per_item: every question replays the chain
    for out in outputs:
        system = out.transcript[0]["content"]
        assert system.startswith("You are an expert in composing functions")  # function prompt first, as upstream
        assert "Customer is called Michael." in system
        assert out.metadata["memory_prereq"]["ran_here"]


def test_memory_options_and_vector_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SERPAPI_API_KEY", raising=False)
    group = create_task("bfcl-v4")
    assert "memory_kv" in group.active and "memory_rec_sum" in group.active
    assert "Hugging Face" in group.options["skipped_categories"]["memory_vector"]
    assert "memory_vector" in create_task("bfcl-agentic", memory="yes").active
    assert not set(create_task("bfcl-agentic", memory="no").active) & {"memory_kv", "memory_rec_sum"}
    with pytest.raises(UserError):
        create_task("bfcl-agentic", memory_prereq="sometimes")
    if memory.backend_problem("memory_vector"):
        task = create_task("bfcl-memory-vector")
        rows, _ = task.load_rows(None)
        with pytest.raises(UserError, match="memory_vector needs"):
            asyncio.run(task.solve(task.to_sample(rows[0], 0), create_model("gold"), task.default_config, 0))


@needs_shared
@pytest.mark.parametrize("mode", ["prompt", "fc"])
def test_gold_agentic_group_through_the_engine(tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.engine.run import RunOptions, run_task

    monkeypatch.delenv("SERPAPI_API_KEY", raising=False)
    folder = run_task(RunOptions(task="bfcl-agentic", model="gold", data=str(SHARED), output=tmp_path,
                                 progress="off", task_options={"mode": mode}, cache=False, max_concurrency=8))
    metrics = json.loads((folder / "metrics.json").read_text())
    run = json.loads((folder / "run.json").read_text())
    assert metrics["n_samples"] == 60 and metrics["metrics"]["accuracy"]["mean"] == 1.0
    assert metrics["metrics"]["acc_memory_kv"]["mean"] == metrics["metrics"]["acc_memory_rec_sum"]["mean"] == 1.0
    assert set(run["task"]["options"]["skipped_categories"]) == {"memory_vector", "web_search_base",
                                                                "web_search_no_snippet"}


def _official_failures(root: Path, model: str, categories: list[str]) -> dict[str, set[str]]:
    from harness.tasks.bfcl import results_io

    env = {**os.environ, "BFCL_PROJECT_ROOT": str(root), "OPENAI_API_KEY": "dummy"}
    cmd = [str(OFFICIAL_PY), "-m", "bfcl_eval", "evaluate", "--model", model, "--test-category",
           ",".join(categories), "--partial-eval"]
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    out = {}
    for path in (root / "score" / model.replace("/", "_")).rglob("*_score.json"):
        out[path.name[len("BFCL_v4_"):-len("_score.json")]] = results_io.failed_ids_from_score_file(path)[1]
    return out


@needs_shared
@pytest.mark.slow
@pytest.mark.skipif(not OFFICIAL_PY.exists(), reason=f"needs the full official bfcl-eval install at {OFFICIAL_PY}")
def test_engine_memory_results_score_as_bfcl_evaluate(tmp_path: Path) -> None:
    """Run memory kv + rec_sum through the engine with replies that are right for some questions and wrong for
    others, write the official result files from samples.parquet, and compare per-item correctness."""
    import pyarrow.parquet as pq

    from harness.engine.run import RunOptions, run_task
    from harness.registry import register_model
    from harness.tasks.bfcl import results_io
    from harness.tasks.bfcl.compat import PROMPT_REFERENCE_MODEL

    @register_model
    class HalfGold(ModelAdapter):  # test double: gold on even questions, a wrong answer on odd ones
        kind = "bfcl-test-half-gold"
        cacheable = False

        async def generate(self, request: GenerateRequest) -> ModelOutput:
            sample = request.sample
            text = request.task.gold_output(sample)
            if not sample.metadata.get("bfcl_prereq") and int(sample.id.split("_")[-1].split("-")[0]) % 2:
                text = str({"answer": "I do not remember", "context": "none"})
            return ModelOutput(completions=[Completion(text=text)])

    folder = run_task(RunOptions(task="bfcl-agentic", model="bfcl-test-half-gold", data=str(SHARED),
                                 output=tmp_path / "runs", progress="off", task_options={"mode": "prompt"},
                                 cache=False, max_concurrency=8))
    rows = pq.read_table(folder / "samples.parquet").to_pylist()
    _, samples, _ = _samples("bfcl-agentic", mode="prompt")
    entries = {s.id: s.metadata["entry"] for s in samples}
    items = [(entries[r["sample_id"]], json.loads(r["output_json"])["metadata"]["bfcl_result"]) for r in rows]
    results_io.write_results(tmp_path / "result", PROMPT_REFERENCE_MODEL, items)
    official = _official_failures(tmp_path, PROMPT_REFERENCE_MODEL, ["memory_kv", "memory_rec_sum"])
    assert set(official) == {"memory_kv", "memory_rec_sum"}
    ours = {r["sample_id"]: r["score"] for r in rows}
    mismatches = [(i, v) for i, v in ours.items()
                  if (v == 1.0) != (i not in official[entries[i]["category"]])]
    assert not mismatches, mismatches[:10]
    assert 0 < sum(ours.values()) < len(ours)
