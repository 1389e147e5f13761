"""Writes realistic results folders (run.json, samples.parquet, metrics.json) in the store's schema.

Scores come from a small item-response model: every question has a difficulty shared by all models, every model
an ability, and a question's outcome is Bernoulli(sigmoid(ability - difficulty)). Two models' scores are therefore
positively correlated across questions, as real models' are, which is what paired tests exploit.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np


def difficulties(n: int, item_seed: int = 0) -> np.ndarray:
    return np.random.default_rng([item_seed, 7]).normal(0.0, 1.5, size=n)


def simulate_scores(n: int, ability: float, *, seed: int, epochs: int = 1, item_seed: int = 0) -> np.ndarray:
    """(n, epochs) array of 0/1 scores for a model of this ability on the shared question set."""
    p = 1.0 / (1.0 + np.exp(-(ability - difficulties(n, item_seed))))
    rng = np.random.default_rng([seed, 11])
    return (rng.random((n, epochs)) < p[:, None]).astype(float)


def write_run(
    root: Path,
    *,
    task: str,
    model: str,
    scores: np.ndarray,
    run_id: str | None = None,
    task_version: str = "1",
    content_hash: str | None = None,
    harness_version: str = "0.1.0",
    git_sha: str = "abc1234def",
    created_at: datetime | None = None,
    sample_ids: list[str] | None = None,
    answers: list[str | None] | None = None,
    outputs: list[str] | None = None,
    error_kinds: list[str | None] | None = None,
    method: str | None = None,
    seed: int = 0,
    with_metrics: bool = True,
    status: str = "complete",
    primary: str = "accuracy",
    clusters: list[str | None] | None = None,
    cluster_column: bool = True,
    higher_is_better: bool | None = None,
) -> Path:
    """One run folder under `root`; `scores` is (n,) or (n, epochs). Returns the folder.

    `clusters` (one label per question) fills samples.parquet's `cluster` column, as the engine does from the
    task's cluster_key; without it the column is null (a task with no cluster key), and with cluster_column=False
    it is left out (runs written before the engine recorded clusters). `higher_is_better` goes into run.json's
    task record; None leaves it out (older runs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from harness.store.schema import SAMPLES_SCHEMA

    values = np.asarray(scores, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    n, epochs = values.shape
    created = created_at or datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)
    slug = model.replace(":", "-").replace("/", "-")
    run_id = run_id or f"{created:%Y%m%d-%H%M%S}-{task}-{slug}-{seed}"
    folder = root / run_id
    folder.mkdir(parents=True, exist_ok=False)
    ids = sample_ids or [f"q{i:05d}" for i in range(n)]
    chash = content_hash or hashlib.sha256(f"{task}@{task_version}".encode()).hexdigest()

    schema = SAMPLES_SCHEMA
    if "cluster" in schema.names:
        schema = schema.remove(schema.get_field_index("cluster"))
    if cluster_column or clusters is not None:
        schema = schema.append(pa.field("cluster", pa.string()))
    rows: dict[str, list[Any]] = {f.name: [] for f in schema}
    for i in range(n):
        for e in range(epochs):
            v = float(values[i, e])
            err = error_kinds[i] if error_kinds else None
            ans = answers[i] if answers else ("42" if v >= 1 else "41")
            rows["run_id"].append(run_id)
            rows["task"].append(task)
            rows["model"].append(model)
            rows["sample_id"].append(ids[i])
            rows["epoch"].append(e)
            rows["prompt_hash"].append(hashlib.sha1(f"{task}:{ids[i]}".encode()).hexdigest()[:16])
            rows["target"].append("42")
            rows["output"].append(outputs[i] if outputs else f"The answer is {ans}.")
            rows["answer"].append(ans)
            rows["score"].append(None if err else v)
            rows["scores"].append(None if err else [(primary, v)])
            rows["parse_failure"].append(False)
            rows["truncated"].append(False)
            rows["finish_reason"].append("stop")
            rows["prompt_tokens"].append(100)
            rows["completion_tokens"].append(20)
            rows["latency_s"].append(0.5)
            rows["retries"].append(0)
            rows["cached"].append(False)
            rows["error"].append("boom" if err else None)
            rows["error_kind"].append(err)
            rows["output_json"].append(None)
            rows["score_json"].append(None)
            if "cluster" in rows:
                rows["cluster"].append(clusters[i] if clusters is not None else None)
    pq.write_table(pa.Table.from_pydict(rows, schema=schema), folder / "samples.parquet")

    record = {
        "run_id": run_id,
        "status": status,
        "created_at": created.isoformat(),
        "finished_at": (created + timedelta(minutes=5)).isoformat(),
        "spec_hash": hashlib.sha256(f"{task}{model}{seed}".encode()).hexdigest()[:12],
        "harness": {"version": harness_version, "git_sha": git_sha},
        "task": {"name": task, "version": task_version, "content_hash": chash, "options": {},
                 **({"higher_is_better": higher_is_better} if higher_is_better is not None else {})},
        "dataset": {"kind": "bundled-sample", "hub_id": None, "revision": None, "path": None,
                    "sha256": hashlib.sha256(task.encode()).hexdigest()},
        "model": {"spec": model, "method": method, "describe": {}},
        "generation_config": {"temperature": 0.0, "max_tokens": 256},
        "epochs": epochs,
        "seed": seed,
        "limit": None,
        "timings": {},
        "backend_versions": {},
    }
    (folder / "run.json").write_text(json.dumps(record, indent=2))
    if with_metrics:
        from harness.stats.uncertainty import summarize_mean

        ok = [i for i in range(n) if not (error_kinds and error_kinds[i])]
        summary = summarize_mean([float(values[i].mean()) for i in ok]).to_dict()
        metrics = {"run_id": run_id, "task": task, "model": model, "method": method, "epochs": epochs,
                   "primary": primary, "n_samples": len(ok), "n_rows": n * epochs, "metrics": {primary: summary},
                   "parse_failure_rate": 0.0, "truncation_rate": 0.0,
                   "error_rate": (n - len(ok)) / n if n else 0.0, "retries": 0}
        (folder / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return folder
