"""Queries across many results folders with DuckDB: a `runs` table (run.json + metrics.json, one row per run) and
a `samples` view over every samples.parquet.

Nothing is loaded whole: the `samples` view is DuckDB reading Parquet lazily (only the columns a query names,
streamed), and every aggregate the leaderboard needs (per-question means, per-run and per-pair statistics) is
computed inside DuckDB, so Python holds one row per run or per pair of runs, never one per sample.

A question's value is the mean of its epochs' primary scores, counting only rows without an error, as the engine
does for metrics.json (an errored row is neither a success nor a failure of the model).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.core.errors import UserError

RUN_JSON = "run.json"
METRICS_JSON = "metrics.json"
SAMPLES_PARQUET = "samples.parquet"


@dataclass
class RunInfo:
    """What the leaderboard and the gates need from one run folder (no samples)."""

    key: int  # position in this query's run list; the join key of the `runs` table and the `samples` view
    path: str
    run_id: str
    status: str
    created_at: str
    task: str
    task_version: str
    content_hash: str
    model: str  # display name: the model spec, plus the method when there is one
    model_spec: str
    method: str | None
    harness_version: str
    git_sha: str
    dataset_sha256: str
    source: str  # "harness", or where an imported run came from ("lm-eval", "inspect")
    primary: str
    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    n: int
    ci_method: str
    epochs: int
    has_samples: bool
    error_rate: float = 0.0
    # The task's declared direction (run.json task.higher_is_better); None when the run does not say (older runs,
    # imports): readers then assume higher is better unless told otherwise (--lower-is-better).
    higher_is_better: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_run_dirs(paths: Iterable[str | Path]) -> list[Path]:
    """Run folders (a folder holding run.json) at or anywhere below each path, in a stable order."""
    found: dict[Path, None] = {}
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise UserError(f"no such results folder: {p}")
        if (p / RUN_JSON).is_file():
            found[p.resolve()] = None
            continue
        if p.is_file():
            raise UserError(f"{p} is a file; pass a run folder (holding run.json) or a folder of runs")
        for run_json in sorted(p.rglob(RUN_JSON)):
            found[run_json.parent.resolve()] = None
    return list(found)


def _num(value: Any, default: float = math.nan) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _model_label(spec: str, method: Any) -> str:
    if not method:
        return spec
    text = method if isinstance(method, str) else json.dumps(method, sort_keys=True)
    return f"{spec} + {text}"


def read_run_info(path: Path, key: int) -> RunInfo:
    try:
        record = json.loads((path / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read {path / RUN_JSON}: {e}") from None
    metrics: dict[str, Any] = {}
    if (path / METRICS_JSON).is_file():
        try:
            metrics = json.loads((path / METRICS_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise UserError(f"cannot read {path / METRICS_JSON}: {e}") from None
    task = record.get("task") or {}
    model = record.get("model") or {}
    harness = record.get("harness") or {}
    dataset = record.get("dataset") or {}
    primary = metrics.get("primary") or "accuracy"
    summary = (metrics.get("metrics") or {}).get(primary) or {}
    source = record.get("source") or {}
    spec = str(model.get("spec") or metrics.get("model") or "?")
    suite = record.get("suite") if isinstance(record.get("suite"), dict) else {}
    label = _model_label(spec, model.get("method"))
    if suite.get("variant"):
        label += f" [{suite['variant']}]"  # suite variants of one model are different leaderboard rows
    return RunInfo(
        key=key,
        path=str(path),
        run_id=str(record.get("run_id") or path.name),
        status=str(record.get("status") or "unknown"),
        created_at=str(record.get("created_at") or ""),
        task=str(task.get("name") or metrics.get("task") or "?"),
        task_version=str(task.get("version") if task.get("version") is not None else "?"),
        content_hash=str(task.get("content_hash") or ""),
        model=label,
        model_spec=spec,
        method=model.get("method") if isinstance(model.get("method"), str) or model.get("method") is None
        else json.dumps(model.get("method"), sort_keys=True),
        harness_version=str(harness.get("version") or "?"),
        git_sha=str(harness.get("git_sha") or ""),
        dataset_sha256=str(dataset.get("sha256") or ""),
        source=str(source.get("kind") or "harness") if isinstance(source, dict) else str(source),
        primary=primary,
        mean=_num(summary.get("mean")),
        stderr=_num(summary.get("stderr")),
        ci_low=_num(summary.get("ci_low")),
        ci_high=_num(summary.get("ci_high")),
        n=int(_num(summary.get("n"), 0)),
        ci_method=str(summary.get("ci_method") or ""),
        epochs=int(_num(record.get("epochs"), 1) or 1),
        has_samples=(path / SAMPLES_PARQUET).is_file(),
        error_rate=_num(metrics.get("error_rate"), 0.0),
        higher_is_better=task.get("higher_is_better") if isinstance(task.get("higher_is_better"), bool) else None,
    )


class ResultsDB:
    """A DuckDB connection over a set of run folders. Use as a context manager.

    Tables and views: `runs` (one row per run: key, path, run_id, task, task_version, model, ..., samples_path),
    `samples` (every samples.parquet row, plus `run_key`), and, after `build_questions()`, `questions`
    (run_key, task, sample_id, value, k) with one row per run and question.
    """

    def __init__(self, paths: Iterable[str | Path], *, complete_only: bool = True, threads: int | None = None,
                 memory_limit: str | None = None) -> None:
        import duckdb

        dirs = find_run_dirs(paths)
        infos = [read_run_info(d, i) for i, d in enumerate(dirs)]
        if complete_only:
            infos = [r for r in infos if r.status == "complete"]
        self.runs: list[RunInfo] = infos
        self.con = duckdb.connect(":memory:")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self._register_runs()
        self._questions_built = False
        self._sample_columns: set[str] | None = None

    # -- setup -------------------------------------------------------------------------------------------------

    def _register_runs(self) -> None:
        # Inserted as SQL VALUES, not registered as an Arrow table: pyarrow.array() imports pandas (0.2-0.4 s) just
        # to ask whether its input is a pandas object, and nothing here needs pandas.
        columns = [
            ("key", "BIGINT"), ("path", "VARCHAR"), ("run_id", "VARCHAR"), ("status", "VARCHAR"),
            ("created_at", "VARCHAR"), ("task", "VARCHAR"), ("task_version", "VARCHAR"), ("content_hash", "VARCHAR"),
            ("model", "VARCHAR"), ("harness_version", "VARCHAR"), ("git_sha", "VARCHAR"), ("source", "VARCHAR"),
            ("primary_metric", "VARCHAR"), ("mean", "DOUBLE"), ("stderr", "DOUBLE"), ("ci_low", "DOUBLE"),
            ("ci_high", "DOUBLE"), ("n", "BIGINT"), ("samples_path", "VARCHAR"),
        ]
        self.con.execute("CREATE OR REPLACE TEMP TABLE runs (" + ", ".join(f"{c} {t}" for c, t in columns) + ")")
        rows = [
            (r.key, r.path, r.run_id, r.status, r.created_at, r.task, r.task_version, r.content_hash, r.model,
             r.harness_version, r.git_sha, r.source, r.primary, r.mean, r.stderr, r.ci_low, r.ci_high, r.n,
             str(Path(r.path) / SAMPLES_PARQUET) if r.has_samples else None)
            for r in self.runs
        ]
        placeholder = "(" + ", ".join("?" * len(columns)) + ")"
        chunk = 500  # one INSERT per chunk: executemany costs ~0.6 ms a row
        for i in range(0, len(rows), chunk):
            part = rows[i:i + chunk]
            self.con.execute("INSERT INTO runs VALUES " + ", ".join([placeholder] * len(part)),
                             [v for row in part for v in row])
        files = [str(Path(r.path) / SAMPLES_PARQUET) for r in self.runs if r.has_samples]
        if files:
            listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            self.con.execute(
                "CREATE OR REPLACE VIEW samples AS SELECT s.*, r.key AS run_key "
                f"FROM read_parquet([{listing}], union_by_name = true, filename = true) s "
                "JOIN runs r ON s.filename = r.samples_path"
            )
        else:
            # An empty view with the columns queries use, so callers need no special case.
            self.con.execute(
                "CREATE OR REPLACE VIEW samples AS SELECT NULL::BIGINT AS run_key, NULL::VARCHAR AS sample_id, "
                "NULL::INTEGER AS epoch, NULL::DOUBLE AS score, NULL::VARCHAR AS error_kind, "
                "NULL::VARCHAR AS answer, NULL::VARCHAR AS output, NULL::VARCHAR AS prompt_hash WHERE false"
            )

    def __enter__(self) -> ResultsDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # -- queries -----------------------------------------------------------------------------------------------

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(query, params or []).fetchall()

    def build_questions(self, run_keys: Sequence[int] | None = None) -> None:
        """Materialise `questions`: one row per (run, question) with the epoch-mean of the primary score."""
        where = ""
        if run_keys is not None:
            keys = ", ".join(str(int(k)) for k in run_keys) or "NULL"
            where = f"AND s.run_key IN ({keys})"
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE questions AS "
            "SELECT s.run_key, r.task, s.sample_id, avg(s.score) AS value, count(*) AS k "
            "FROM samples s JOIN runs r ON s.run_key = r.key "
            f"WHERE s.score IS NOT NULL AND s.error_kind IS NULL AND NOT isnan(s.score) {where} "
            "GROUP BY s.run_key, r.task, s.sample_id"
        )
        self._questions_built = True

    def _need_questions(self) -> None:
        if not self._questions_built:
            self.build_questions()

    def run_stats(self) -> dict[int, dict[str, Any]]:
        """Per run: n questions, mean, sample variance, whether every value is 0/1 with one epoch, successes."""
        self._need_questions()
        rows = self.sql(
            "SELECT run_key, count(*), avg(value), var_samp(value), "
            "bool_and(value IN (0, 1) AND k = 1), sum(value) FROM questions GROUP BY run_key"
        )
        return {int(r[0]): {"n": int(r[1]), "mean": float(r[2]), "var": _num(r[3]), "binary": bool(r[4]),
                            "successes": float(r[5])} for r in rows}

    def pair_stats(self, keys: Sequence[int]) -> dict[tuple[int, int], dict[str, Any]]:
        """For every pair (a, b) of these runs (a < b): statistics of d = value_b - value_a on shared questions.

        n, mean_a, mean_b, mean_d, var_d, and for 0/1 single-epoch pairs the discordant counts b10 (a right, b wrong)
        and b01 (a wrong, b right), for McNemar's test. Computed in DuckDB: Python sees one row per pair.
        """
        self._need_questions()
        if len(keys) < 2:
            return {}
        listing = ", ".join(str(int(k)) for k in keys)
        rows = self.sql(
            "WITH q AS (SELECT * FROM questions WHERE run_key IN (" + listing + ")) "
            "SELECT a.run_key, b.run_key, count(*), avg(a.value), avg(b.value), avg(b.value - a.value), "
            "var_samp(b.value - a.value), "
            "bool_and(a.value IN (0, 1) AND b.value IN (0, 1) AND a.k = 1 AND b.k = 1), "
            "sum(CASE WHEN a.value = 1 AND b.value = 0 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN a.value = 0 AND b.value = 1 THEN 1 ELSE 0 END) "
            "FROM q a JOIN q b ON a.task = b.task AND a.sample_id = b.sample_id AND a.run_key < b.run_key "
            "GROUP BY a.run_key, b.run_key"
        )
        out = {}
        for r in rows:
            out[(int(r[0]), int(r[1]))] = {
                "n": int(r[2]), "mean_a": float(r[3]), "mean_b": float(r[4]), "mean_d": float(r[5]),
                "var_d": _num(r[6]), "binary": bool(r[7]), "b10": int(r[8] or 0), "b01": int(r[9] or 0),
            }
        return out

    def question_values(self, run_key: int) -> dict[str, float]:
        """sample_id -> epoch-mean primary score for one run (one run's questions: small)."""
        rows = self.sql(
            "SELECT sample_id, avg(score) FROM samples WHERE run_key = ? AND score IS NOT NULL "
            "AND error_kind IS NULL AND NOT isnan(score) GROUP BY sample_id",
            [int(run_key)],
        )
        return {str(sid): float(v) for sid, v in rows}

    def sample_columns(self) -> set[str]:
        """Column names of the `samples` view (the union over every samples.parquet)."""
        if self._sample_columns is None:
            self._sample_columns = {str(r[0]) for r in self.sql("DESCRIBE samples")}
        return self._sample_columns

    def question_clusters(self, run_key: int) -> dict[str, str | None]:
        """sample_id -> the sample's cluster (the task's cluster_key value, stats.md §3.3) for one run; empty when
        its samples.parquet has no `cluster` column (runs written before the engine recorded it, imports), and
        None for a question the task left unclustered. Errored rows count: a question's cluster does not depend
        on whether the model answered it."""
        if "cluster" not in self.sample_columns():
            return {}
        rows = self.sql("SELECT sample_id, min(cluster) FROM samples WHERE run_key = ? GROUP BY sample_id",
                        [int(run_key)])
        return {str(sid): (None if c is None else str(c)) for sid, c in rows}

    def first_answers(self, run_key: int, sample_ids: Sequence[str]) -> dict[str, str | None]:
        """The first epoch's extracted answer for these questions (for reports of flipped items)."""
        if not sample_ids:
            return {}
        rows = self.sql(
            "SELECT sample_id, arg_min(answer, epoch) FROM samples WHERE run_key = ? AND list_contains(?, sample_id) "
            "GROUP BY sample_id",
            [int(run_key), list(sample_ids)],
        )
        return {str(s): a for s, a in rows}

    def error_counts(self, run_key: int) -> dict[str, int]:
        rows = self.sql(
            "SELECT coalesce(error_kind, 'ok'), count(*) FROM samples WHERE run_key = ? GROUP BY 1", [int(run_key)]
        )
        return {str(k): int(v) for k, v in rows}


def open_results(paths: Iterable[str | Path], **kwargs: Any) -> ResultsDB:
    """A ResultsDB over the run folders at or below `paths`; raises UserError when there are none."""
    paths = list(paths)
    db = ResultsDB(paths, **kwargs)
    if not db.runs:
        db.close()
        shown = ", ".join(str(p) for p in paths)
        raise UserError(f"no complete runs (folders with run.json and status 'complete') under {shown}")
    return db
