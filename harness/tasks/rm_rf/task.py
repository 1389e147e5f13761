"""The `rm-rf` task: any adapter acts as a run-free predictor of a unit test's three outcomes.

Per sample the model sees the focal file, the existing tests and the new test (the diff) and answers a JSON object
`{"correct": bool, "coverage_up": bool, "mutation_up": bool, "coverage_gain": float, "mutation_gain": float}`.
The RM-RF paper's own inference prompt ships only inside its training JSONL (not in the repository snapshot), so
the prompt here is this project's (documented deviation); the targets and the F1 / average-F1 metrics follow the
paper. F1 is corpus-level, so each sample carries tp/fp/fn indicators per target and `aggregate` (or
`f1_from_means`) turns their means into F1; `avg_accuracy` is the per-sample mean of the three hits.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, ClassVar

from harness.core import GenerationConfig, ModelOutput, Sample, Score
from harness.tasks.base import DatasetSource, Task
from harness.tasks.rm_rf.records import FLOAT_TARGETS, TARGETS, labels

PROMPT = """You are a reward model for unit tests. Without running anything, predict what happens when the new test \
case below is added to the existing test file and the tests are run.

Language: {lang}

## Focal file `{focal_path}`
```
{focal}
```

## Existing test file `{test_path}`
```
{existing}
```

## Change that adds the new test case `{test_case}`
```diff
{diff}
```

Answer with one JSON object and nothing else:
{{"correct": true|false, "coverage_up": true|false, "mutation_up": true|false, "coverage_gain": <percentage points>, \
"mutation_gain": <percentage points>}}
- correct: the new test file compiles and every test passes.
- coverage_up: line coverage of the focal file increases.
- mutation_up: the mutation kill rate increases.
"""

_JSON = re.compile(r"\{.*\}", re.DOTALL)


def parse_prediction(text: str) -> dict[str, Any] | None:
    """The last parseable JSON object in the reply with the three boolean targets, else None."""
    for m in reversed(list(re.finditer(r"\{[^{}]*\}", text, re.DOTALL))):
        try:
            obj = json.loads(m.group(0))
        except ValueError:  # JSONDecodeError, or an integer beyond Python's int-to-str digit limit
            continue
        if isinstance(obj, dict) and all(k in obj for k in TARGETS):
            return obj
    return None


def _as_bool(x: Any) -> bool:
    if isinstance(x, str):
        return x.strip().lower() in ("true", "yes", "1")
    return bool(x)


def _as_float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer too large for a float
        return math.nan


class RmRfTask(Task):
    """RM-RF validation format (arXiv 2601.13097): F1 per target (correct, coverage_up, mutation_up), their
    average, and Spearman between predicted and true gains. Rows: validation TOMLs converted with
    `python -m harness.tasks.rm_rf.records DIR out.jsonl`; a bundled sample written by this project ships with it."""

    name = "rm-rf"
    version = "1"
    description = "RM-RF: run-free prediction of unit-test correctness, coverage gain and mutation gain (F1)"
    source = DatasetSource(sample_file="samples/rm-rf.jsonl", url="https://github.com/trndcenter/RM-RF-unit-tests",
                           size=1192)
    metrics: ClassVar[tuple[str, ...]] = (
        "avg_accuracy",
        *(f"{t}_{k}" for t in TARGETS for k in ("hit", "tp", "fp", "fn")),
        "coverage_gain_pred", "coverage_gain_true", "mutation_gain_pred", "mutation_gain_true",
    )
    default_config = GenerationConfig(temperature=0.0)

    def to_sample(self, row: dict[str, Any], index: int) -> Sample:
        rec = row.get("record", row)
        lab = labels(rec)
        inp = rec.get("input_info") or {}
        sid = str(row.get("id") or index)
        text = PROMPT.format(
            lang=(rec.get("lang_info") or {}).get("lang", ""),
            focal_path=inp.get("focal_file_path", ""), focal=inp.get("focal_file_content", ""),
            test_path=inp.get("test_file_path", ""), existing=inp.get("existing_test_cases_code", ""),
            test_case=inp.get("test_case_name", (rec.get("test_case_info") or {}).get("test_case_name", "")),
            diff=(rec.get("diff_info") or {}).get("diff", ""),
        )
        meta = {"lang": (rec.get("lang_info") or {}).get("lang"), "subset": (rec.get("test_case_info") or {}).get("subset")}
        return Sample(id=sid, input=text, target=lab, metadata=meta)

    def prompt(self, sample: Sample) -> list[dict[str, Any]]:
        return sample.messages()

    def gold_output(self, sample: Sample) -> str:
        t = sample.target
        return json.dumps({k: t[k] for k in TARGETS} | {
            "coverage_gain": None if math.isnan(t["coverage_gain"]) else t["coverage_gain"],
            "mutation_gain": None if math.isnan(t["mutation_gain"]) else t["mutation_gain"]})

    def extract_answer(self, text: str) -> str | None:
        pred = parse_prediction(text)
        return None if pred is None else json.dumps({k: _as_bool(pred[k]) for k in TARGETS}, sort_keys=True)

    def score(self, sample: Sample, output: ModelOutput) -> Score:
        t = sample.target
        pred = parse_prediction(output.text)
        values: dict[str, float] = {}
        hits = []
        for k in TARGETS:
            p = _as_bool(pred[k]) if pred is not None else (not t[k])  # unparseable: counted as wrong
            y = bool(t[k])
            hits.append(float(p == y))
            values[f"{k}_hit"] = float(p == y)
            values[f"{k}_tp"] = float(p and y)
            values[f"{k}_fp"] = float(p and not y)
            values[f"{k}_fn"] = float((not p) and y)
        values = {"avg_accuracy": sum(hits) / len(hits), **values}
        for k, field in (("coverage", "coverage_gain"), ("mutation", "mutation_gain")):
            values[f"{k}_gain_pred"] = _as_float(pred.get(field)) if pred is not None else math.nan
            values[f"{k}_gain_true"] = t[field]
        return Score(values=values, answer=self.extract_answer(output.text), parse_failure=pred is None,
                     explanation=None if pred is not None else "no JSON object with the three targets")

    @staticmethod
    def aggregate(rows: list[dict[str, Any]]) -> dict[str, float]:
        """Corpus metrics from per-sample score dicts: F1 per target, their average, Spearman of the gains."""
        return aggregate(rows)

    def summarize(self, metrics: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
        """F1 and Spearman are corpus statistics, not means: point estimates from all scored samples, with a
        seeded percentile bootstrap over samples for the interval."""
        import numpy as np

        from harness.stats.uncertainty import bootstrap_ci

        scored = [r["scores"] for r in rows if r.get("error_kind") is None]
        if not scored:
            return {}
        point = aggregate(scored)
        index = np.arange(len(scored))
        table: dict[str, Any] = {}
        for key, value in point.items():
            def stat(idx: Any, key: str = key) -> float:
                return aggregate([scored[int(i)] for i in idx])[key]

            summary = bootstrap_ci(index, stat, n_resamples=1000, seed=0, method="percentile").to_dict()
            table[key] = {**summary, "mean": value}
        return {"metrics": table}


def f1(tp: float, fp: float, fn: float) -> float:
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom else 0.0


def aggregate(score_rows: list[dict[str, float]]) -> dict[str, float]:
    from scipy.stats import spearmanr

    out: dict[str, float] = {}
    for k in TARGETS:
        tp = sum(r[f"{k}_tp"] for r in score_rows)
        fp = sum(r[f"{k}_fp"] for r in score_rows)
        fn = sum(r[f"{k}_fn"] for r in score_rows)
        out[f"f1_{k}"] = f1(tp, fp, fn)
    out["f1_avg"] = sum(out[f"f1_{k}"] for k in TARGETS) / len(TARGETS)
    for name in ("coverage", "mutation"):
        pairs = [(r[f"{name}_gain_pred"], r[f"{name}_gain_true"]) for r in score_rows]
        pairs = [(a, b) for a, b in pairs if not (math.isnan(a) or math.isnan(b))]
        if len(pairs) >= 2 and len({a for a, _ in pairs}) > 1 and len({b for _, b in pairs}) > 1:
            out[f"spearman_{name}_gain"] = float(spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic)
        else:
            out[f"spearman_{name}_gain"] = math.nan
    return out


__all__ = ["FLOAT_TARGETS", "RmRfTask", "aggregate", "f1", "parse_prediction"]
