"""The suite file: what to run. Parsed and validated here; nothing runs.

```yaml
name: nightly
output: results/nightly          # default folder for every run of the suite (--output overrides)
defaults: {data: sample, limit: 50, seed: 0}   # RunOptions fields applied to every run
tasks:
  - gsm8k                        # a task name, or a mapping with `name` and its own options
  - {name: aime24, epochs: 4, options: {variant: x}}
models:
  - gold                         # a model spec, or a mapping with `spec` and its own options
  - {spec: "openai:gpt-4o-mini", method: "self-consistency:n=4", base_url: "http://localhost:8000/v1"}
variants:                        # optional third axis: named option sets (default: one unnamed variant)
  - {name: greedy, generation: {temperature: 0}}
```

Options merge in the order defaults < task < model < variant; `options` (task options) and `generation` are
merged key by key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.errors import UserError

# RunOptions fields a suite may set (task, model and output come from the suite's own structure).
RUN_FIELDS = {"method", "options", "data", "limit", "sample_ids", "seed", "epochs", "reducers", "max_concurrency",
              "base_url", "cache", "generation"}
MERGED_DICTS = ("options", "generation")


@dataclass
class SuiteItem:
    task: str
    model: str
    variant: str | None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.task} | {self.model}" + (f" | {self.variant}" if self.variant else "")


@dataclass
class Suite:
    name: str
    output: Path
    items: list[SuiteItem]
    sha256: str
    path: Path


def _check_keys(where: str, entry: dict[str, Any], allowed: set[str]) -> None:
    bad = sorted(set(entry) - allowed)
    if bad:
        raise UserError(f"suite {where}: unknown key(s) {', '.join(bad)}; allowed: {', '.join(sorted(allowed))}")


def _merge(*layers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in layers:
        for k, v in layer.items():
            if k in MERGED_DICTS:
                if v is not None and not isinstance(v, dict):
                    raise UserError(f"suite: {k} must be a mapping, got {v!r}")
                out[k] = {**out.get(k, {}), **(v or {})}
            else:
                out[k] = v
    return out


def _entries(raw: Any, what: str, name_key: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(raw, list) or not raw:
        raise UserError(f"suite: `{what}` must be a non-empty list")
    out = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            out.append((entry, {}))
        elif isinstance(entry, dict) and isinstance(entry.get(name_key), str):
            rest = {k: v for k, v in entry.items() if k != name_key}
            _check_keys(f"{what}[{i}]", rest, RUN_FIELDS)
            out.append((entry[name_key], rest))
        else:
            raise UserError(f"suite: {what}[{i}] must be a string or a mapping with `{name_key}`")
    return out


def load_suite(path: str | Path, output: Path | None = None) -> Suite:
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise UserError(f"cannot read suite file {p}: {e.strerror or e}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise UserError(f"suite file {p} is not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise UserError(f"suite file {p} must be a mapping with `tasks` and `models`")
    _check_keys("file", raw, {"name", "output", "defaults", "tasks", "models", "variants", "description"})
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise UserError("suite: `defaults` must be a mapping")
    _check_keys("defaults", defaults, RUN_FIELDS)
    tasks = _entries(raw.get("tasks"), "tasks", "name")
    models = _entries(raw.get("models"), "models", "spec")
    variants: list[tuple[str | None, dict[str, Any]]] = [(None, {})]
    if raw.get("variants"):
        variants = [(n, s) for n, s in _entries(raw["variants"], "variants", "name")]
        names = [n for n, _ in variants]
        if len(set(names)) != len(names):
            raise UserError("suite: variant names must be unique")
    items = [SuiteItem(t, m, v, _merge(defaults, ts, ms, vs))
             for t, ts in tasks for m, ms in models for v, vs in variants]
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise UserError("suite: the same task x model x variant appears twice")
    out = output or Path(raw.get("output") or "results")
    return Suite(name=str(raw.get("name") or p.stem), output=out, items=items,
                 sha256=hashlib.sha256(text.encode()).hexdigest(), path=p)
