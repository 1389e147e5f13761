"""Import other harnesses' results into the store, so their numbers sit in the same leaderboard.

- lm-eval (EleutherAI lm-evaluation-harness): a `results_<timestamp>.json` file; one run per task in its `results`.
  The primary metric is the task's first reported `<metric>,<filter>` key (or `metric=`); its value and
  `<metric>_stderr,<filter>` become metrics.json. When lm-eval was run with `--log_samples`, the
  `samples_<task>_<timestamp>.jsonl` files beside it become samples.parquet (rows of that filter only), so
  imported runs take part in paired tests; without them the leaderboard falls back to an unpaired test.
- Inspect (UK AISI inspect_ai) eval logs: `.eval` (a zip of header.json and samples/<id>_epoch_<n>.json) or `.json`
  (one EvalLog document). One run per log; the primary score is the first scorer's first metric; sample scores
  are read with Inspect's value_to_float convention (C=1, P=0.5, I=N=0, numbers and booleans as numbers).

Every imported run.json carries `"source": {"kind": "lm-eval" | "inspect", "path": ..., ...}`; the leaderboard
shows it next to the model. Run ids are derived from the file's content and the task, so importing the same file
again replaces the earlier import instead of adding a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.core.errors import UserError

Z95 = 1.959964


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "model"


def _float(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _summary(mean: float, stderr: float, n: int, method: str) -> dict[str, Any]:
    ok = math.isfinite(stderr)
    return {"n": n, "mean": mean, "stderr": stderr if ok else None,
            "ci_low": mean - Z95 * stderr if ok else None, "ci_high": mean + Z95 * stderr if ok else None,
            "ci_method": method}


def _write_run(out: Path, run_id: str, record: dict[str, Any], metrics: dict[str, Any],
               rows: list[dict[str, Any]] | None) -> Path:
    import shutil

    from harness.store.run_folder import RunFolder

    path = out / run_id
    if path.exists():
        shutil.rmtree(path)  # a re-import replaces the earlier one (same content, same id)
    path.mkdir(parents=True)
    folder = RunFolder(path)
    if rows:
        folder.write_samples(rows)
    folder.write_metrics(metrics)
    folder.write_run(record)  # last: a folder with run.json is a finished import
    return path


def _base_row(run_id: str, task: str, model: str) -> dict[str, Any]:
    return {"run_id": run_id, "task": task, "model": model, "epoch": 0, "parse_failure": False, "truncated": False,
            "finish_reason": None, "prompt_tokens": None, "completion_tokens": None, "latency_s": None,
            "retries": 0, "cached": False, "error": None, "error_kind": None}


def _record(run_id: str, created: str, task: dict[str, Any], model: str, source: dict[str, Any],
            harness_version: str, git_sha: str, epochs: int, dataset: dict[str, Any] | None = None,
            generation: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "run_id": run_id, "status": "complete", "created_at": created, "finished_at": created,
        "spec_hash": run_id.rsplit("-", 1)[-1],
        "harness": {"version": harness_version, "git_sha": git_sha},
        "task": task, "dataset": dataset or {"kind": "file", "hub_id": None, "revision": None, "path": None,
                                             "sha256": None},
        "model": {"spec": model, "method": None, "describe": {}}, "generation_config": generation or {},
        "epochs": epochs, "seed": None, "limit": None, "timings": {}, "backend_versions": {}, "source": source,
    }


# -- lm-eval ---------------------------------------------------------------------------------------------------


def _lm_eval_model(doc: dict[str, Any]) -> str:
    if doc.get("model_name"):
        return str(doc["model_name"])
    cfg = doc.get("config") or {}
    args = cfg.get("model_args") or ""
    if isinstance(args, dict):
        name = args.get("pretrained") or args.get("model")
        if name:
            return str(name)
        args = json.dumps(args, sort_keys=True)
    m = re.search(r"(?:pretrained|model)=([^,]+)", str(args))
    if m:
        return m.group(1)
    return str(cfg.get("model") or "unknown")


def _lm_eval_primary(task_results: dict[str, Any], metric: str | None) -> str:
    keys = [k for k in task_results if "," in k and "_stderr," not in k and k != "alias"
            and isinstance(task_results[k], (int, float)) and not isinstance(task_results[k], bool)]
    if metric:
        chosen = [k for k in keys if k == metric or k.split(",")[0] == metric]
        if not chosen:
            raise UserError(f"lm-eval results have no metric {metric!r} for this task (have {', '.join(keys)})")
        return chosen[0]
    if not keys:
        raise UserError("lm-eval task result has no numeric metric")
    return keys[0]


def _has_metric(task_results: dict[str, Any], metric: str) -> bool:
    return any(k == metric or (k.split(",")[0] == metric and "," in k) for k in task_results)


def _lm_eval_samples(results_path: Path, task: str, metric_key: str, run_id: str, model: str
                     ) -> list[dict[str, Any]] | None:
    stamp = results_path.stem.removeprefix("results_")
    candidates = sorted(results_path.parent.glob(f"samples_{task}_*.jsonl"))
    exact = [p for p in candidates if p.stem == f"samples_{task}_{stamp}"]
    files = exact or candidates[-1:]
    if not files:
        return None
    metric, _, filt = metric_key.partition(",")
    rows = []
    seen: set[str] = set()
    with files[0].open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                s = json.loads(line)
            except ValueError:
                raise UserError(f"{files[0]} line {line_no} is not JSON") from None
            if s.get("filter", filt) != filt or metric not in s:
                continue
            sid = str(s.get("doc_id"))
            if sid in seen:
                continue
            seen.add(sid)
            resp = s.get("filtered_resps")
            while isinstance(resp, list) and resp:
                resp = resp[0]
            value = _float(s[metric])
            row = _base_row(run_id, task, model)
            row.update({"sample_id": sid, "prompt_hash": s.get("prompt_hash"), "target": str(s.get("target")),
                        "output": None if resp is None else str(resp), "answer": None if resp is None else str(resp),
                        "score": value if math.isfinite(value) else None,
                        "scores": {metric: value} if math.isfinite(value) else {}})
            rows.append(row)
    return rows


def import_lm_eval(results_json: str | Path, out: str | Path, *, metric: str | None = None,
                   model_label: str | None = None, tasks: list[str] | None = None) -> list[Path]:
    """One store run per task of an lm-eval results file; returns the run folders. `metric` (`exact_match` or
    `exact_match,flexible-extract`) applies to the tasks that report it; the others keep their first metric."""
    path = Path(results_json)
    try:
        raw = path.read_bytes()
        doc = json.loads(raw)
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read lm-eval results {path}: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise UserError(f"{path} is not an lm-eval results file (no `results` mapping)")
    model = model_label or _lm_eval_model(doc)
    date = doc.get("date")
    created = (datetime.fromtimestamp(float(date), timezone.utc).isoformat(timespec="seconds")
               if isinstance(date, (int, float)) else datetime.now(timezone.utc).isoformat(timespec="seconds"))
    digest = hashlib.sha256(raw).hexdigest()
    version = str(doc.get("lm_eval_version") or "?")
    written = []
    names = [t for t in doc["results"] if tasks is None or t in tasks]
    groups = set(doc.get("groups") or {}) | {g for g, subs in (doc.get("group_subtasks") or {}).items() if subs}
    if metric and not any(_has_metric(doc["results"][t], metric) for t in names):
        _lm_eval_primary(doc["results"][names[0]], metric)  # raises, naming the metrics there are
    for task in names:
        if task in groups:
            continue  # a group's aggregate is not a run of its own: its subtasks are imported
        res = doc["results"][task]
        key = _lm_eval_primary(res, metric if metric and _has_metric(res, metric) else None)
        name, _, filt = key.partition(",")
        value = _float(res[key])
        stderr = _float(res.get(f"{name}_stderr,{filt}"))
        n = int(((doc.get("n-samples") or {}).get(task) or {}).get("effective") or 0)
        run_id = f"lm-eval-{_slug(task)}-{_slug(model)}-{hashlib.sha256((digest + task).encode()).hexdigest()[:8]}"
        rows = _lm_eval_samples(path, task, key, run_id, model)
        if rows:
            n = len(rows)
        cfg = (doc.get("configs") or {}).get(task) or {}
        task_rec = {"name": task, "version": str((doc.get("versions") or {}).get(task, "?")),
                    "content_hash": str((doc.get("task_hashes") or {}).get(task) or ""),
                    "options": {"num_fewshot": (doc.get("n-shot") or {}).get(task), "filter": filt}}
        dataset = {"kind": "hub", "hub_id": cfg.get("dataset_path"), "revision": None,
                   "path": cfg.get("dataset_name"), "sha256": None}
        source = {"kind": "lm-eval", "path": str(path.resolve()), "sha256": digest, "lm_eval_version": version,
                  "metric_key": key, "model_args": (doc.get("config") or {}).get("model_args")}
        record = _record(run_id, created, task_rec, model, source, f"lm-eval {version}",
                         str(doc.get("git_hash") or ""), 1, dataset,
                         (cfg.get("generation_kwargs") if isinstance(cfg.get("generation_kwargs"), dict) else None))
        metrics = {"run_id": run_id, "task": task, "model": model, "primary": name, "n_samples": n, "epochs": 1,
                   "metrics": {name: _summary(value, stderr, n, "normal (lm-eval stderr)")},
                   "parse_failure_rate": None, "truncation_rate": None, "error_rate": 0.0, "retries": 0}
        written.append(_write_run(Path(out), run_id, record, metrics, rows))
    if not written:
        raise UserError(f"{path}: no task results to import")
    return written


# -- Inspect ---------------------------------------------------------------------------------------------------


def value_to_float(value: Any) -> float:
    """Inspect's default conversion of a sample score value (inspect_ai.scorer.value_to_float)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if value == "C":
        return 1.0
    if value == "P":
        return 0.5
    if value in ("I", "N"):
        return 0.0
    if isinstance(value, str):
        low = value.lower()
        if low in ("yes", "true"):
            return 1.0
        if low in ("no", "false"):
            return 0.0
        try:
            return float(low)
        except ValueError:
            return math.nan
    return math.nan


def _read_inspect(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], bytes]:
    try:
        if path.suffix == ".eval" or zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                if "header.json" not in names:
                    raise UserError(f"{path} has no header.json: the eval did not finish; rerun or retry it in Inspect")
                header_raw = zf.read("header.json")
                header = json.loads(header_raw)
                samples = [json.loads(zf.read(n)) for n in sorted(names)
                           if n.startswith("samples/") and n.endswith(".json")]
                return header, samples, header_raw + b"".join(zf.read(n) for n in sorted(names)
                                                              if n.startswith("samples/"))
        raw = path.read_bytes()
        doc = json.loads(raw)
        return doc, list(doc.get("samples") or []), raw
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise UserError(f"cannot read Inspect log {path}: {e}") from None


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def import_inspect(log_path: str | Path, out: str | Path, *, model_label: str | None = None) -> Path:
    """One store run from an Inspect eval log (.eval or .json); returns the run folder."""
    path = Path(log_path)
    header, samples, raw = _read_inspect(path)
    ev = header.get("eval") or {}
    if not ev.get("task"):
        raise UserError(f"{path} is not an Inspect eval log (no eval.task)")
    status = header.get("status")
    if status not in ("success", None):
        raise UserError(f"{path}: the eval's status is {status!r}; only finished (success) logs are imported")
    results = header.get("results") or {}
    scores = results.get("scores") or []
    if not scores:
        raise UserError(f"{path}: the log has no scores")
    scorer = scores[0]
    scorer_name = str(scorer.get("name") or scorer.get("scorer") or "score")
    metric_items = list((scorer.get("metrics") or {}).items())
    primary = next((k for k, v in metric_items if k not in ("stderr", "std", "var")), None)
    if primary is None:
        raise UserError(f"{path}: scorer {scorer_name} reports no metric")
    mean = _float(metric_items[[k for k, _ in metric_items].index(primary)][1].get("value"))
    stderr = _float(((scorer.get("metrics") or {}).get("stderr") or {}).get("value"))
    task = str(ev["task"]).split("/")[-1]
    model = model_label or str(ev.get("model") or "unknown")
    digest = hashlib.sha256(raw).hexdigest()
    run_id = f"inspect-{_slug(task)}-{_slug(model)}-{digest[:8]}"

    rows: list[dict[str, Any]] = []
    for s in samples:
        sc = (s.get("scores") or {}).get(scorer_name)
        if sc is None and s.get("scores"):
            sc = next(iter(s["scores"].values()))
        value = value_to_float(sc.get("value")) if isinstance(sc, dict) else math.nan
        out_doc = s.get("output") or {}
        choices = out_doc.get("choices") or []
        text = _content_text((choices[0].get("message") or {}).get("content")) if choices else ""
        usage = out_doc.get("usage") or {}
        target = s.get("target")
        row = _base_row(run_id, task, model)
        err = s.get("error")
        row.update({
            "sample_id": str(s.get("id")), "epoch": int(s.get("epoch") or 1) - 1,  # Inspect counts epochs from 1
            "prompt_hash": hashlib.sha256(json.dumps(s.get("input"), sort_keys=True).encode()).hexdigest()[:16],
            "target": "\n".join(map(str, target)) if isinstance(target, list) else str(target),
            "output": text, "answer": sc.get("answer") if isinstance(sc, dict) else None,
            "score": value if math.isfinite(value) and not err else None,
            "scores": {scorer_name: value} if math.isfinite(value) and not err else {},
            "finish_reason": choices[0].get("stop_reason") if choices else None,
            "prompt_tokens": usage.get("input_tokens"), "completion_tokens": usage.get("output_tokens"),
            "latency_s": s.get("total_time"),
            "error": (err.get("message") if isinstance(err, dict) else str(err)) if err else None,
            "error_kind": "model" if err else None,
        })
        rows.append(row)
    epochs = max((r["epoch"] for r in rows), default=0) + 1
    n = int(results.get("completed_samples") or len({r["sample_id"] for r in rows}))
    created = str(ev.get("created") or datetime.now(timezone.utc).isoformat(timespec="seconds"))
    dataset = ev.get("dataset") or {}
    revision = ev.get("revision") or {}
    packages = ev.get("packages") or {}
    task_rec = {"name": task, "version": str(ev.get("task_version", "?")), "content_hash": "",
                "options": ev.get("task_args") or {}}
    source = {"kind": "inspect", "path": str(path.resolve()), "sha256": digest,
              "inspect_version": packages.get("inspect_ai"), "scorer": scorer_name, "eval_id": ev.get("eval_id"),
              "log_version": header.get("version")}
    record = _record(run_id, created, task_rec, model, source, f"inspect {packages.get('inspect_ai', '?')}",
                     str(revision.get("commit") or ""), epochs,
                     {"kind": "file", "hub_id": None, "revision": None, "path": dataset.get("location"),
                      "sha256": None}, ev.get("model_generate_config") or {})
    metrics = {"run_id": run_id, "task": task, "model": model, "primary": scorer_name, "n_samples": n,
               "epochs": epochs, "metrics": {scorer_name: _summary(mean, stderr, n, f"normal (inspect {primary} "
                                                                                     "stderr)")},
               "parse_failure_rate": None, "truncation_rate": None,
               "error_rate": (sum(1 for r in rows if r["error_kind"]) / len(rows)) if rows else 0.0, "retries": 0}
    return _write_run(Path(out), run_id, record, metrics, rows or None)


def import_results(path: str | Path, out: str | Path, *, kind: str = "auto", metric: str | None = None,
                   model_label: str | None = None) -> list[Path]:
    """Import one file, detecting its kind ("lm-eval" or "inspect") unless told."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"no such file: {p}")
    if kind == "auto":
        if p.suffix == ".eval":
            kind = "inspect"
        else:
            try:
                head = json.loads(p.read_bytes())
            except (OSError, ValueError):
                raise UserError(f"{p} is neither JSON nor an Inspect .eval log") from None
            kind = "inspect" if isinstance(head, dict) and "eval" in head else "lm-eval"
    if kind == "lm-eval":
        return import_lm_eval(p, out, metric=metric, model_label=model_label)
    if kind == "inspect":
        return [import_inspect(p, out, model_label=model_label)]
    raise UserError(f"unknown import kind {kind!r}; use lm-eval or inspect")
