"""`replay:FILE`: scores predictions made elsewhere (JSONL or Parquet keyed by sample id)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.core import Completion, GenerateRequest, ModelOutput, ToolCall
from harness.core.errors import ModelError, UserError
from harness.models.base import AdapterContext, ModelAdapter
from harness.registry import register_model

ID_FIELDS = ("sample_id", "id", "idx", "question_id")
OUTPUT_FIELDS = ("output", "response", "prediction", "completion", "text", "result")


def load_predictions(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """(sample id, epoch) -> row. Rows without an epoch count as epoch 0."""
    from harness.tasks.data import read_rows

    rows = read_rows(path)
    if not rows:
        raise UserError(f"{path}: no predictions")
    id_field = next((f for f in ID_FIELDS if f in rows[0]), None)
    out_field = next((f for f in OUTPUT_FIELDS if f in rows[0]), None)
    if id_field is None or out_field is None:
        raise UserError(f"{path}: each row needs an id column ({'/'.join(ID_FIELDS)}) and an output column "
                        f"({'/'.join(OUTPUT_FIELDS)}); found {', '.join(sorted(rows[0]))}")
    table: dict[tuple[str, int], dict[str, Any]] = {}
    for i, row in enumerate(rows):
        if id_field not in row or out_field not in row:
            raise UserError(f"{path}: row {i} lacks {id_field!r} or {out_field!r}")
        try:
            epoch = int(row.get("epoch") or 0)
        except (TypeError, ValueError):
            raise UserError(f"{path}: row {i} has epoch {row.get('epoch')!r}, not an integer") from None
        key = (str(row[id_field]), epoch)
        table[key] = {"output": row[out_field], **row}
    return table


@register_model
class ReplayAdapter(ModelAdapter):
    kind = "replay"
    spec_help = "replay:PREDICTIONS.jsonl|.parquet  (rows: sample_id|id, output|response, optional epoch, tool_calls)"
    cacheable = False

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        if not spec.name:
            raise UserError("replay needs a file: replay:path/to/predictions.jsonl")
        self._table: dict[tuple[str, int], dict[str, Any]] | None = None

    async def start(self, ctx: AdapterContext) -> None:
        self._table = load_predictions(Path(self.spec.name).expanduser())

    async def generate(self, request: GenerateRequest) -> ModelOutput:
        assert self._table is not None, "start() not called"
        if request.sample is None:
            raise UserError("the replay adapter needs the sample with each request")
        row = self._table.get((request.sample.id, request.epoch)) or self._table.get((request.sample.id, 0))
        if row is None:
            raise ModelError(f"no prediction for sample {request.sample.id!r} (epoch {request.epoch}) in "
                             f"{self.spec.name}")
        out = row["output"]
        text = out if isinstance(out, str) else json.dumps(out, ensure_ascii=False)
        calls = [ToolCall(id=str(c.get("id", i)), name=c["name"],
                          arguments=c["arguments"] if isinstance(c["arguments"], str) else json.dumps(c["arguments"]))
                 for i, c in enumerate(row.get("tool_calls") or [])]
        return ModelOutput(completions=[Completion(text=text, finish_reason=row.get("finish_reason", "stop"),
                                                   tool_calls=calls)])

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "spec": str(self.spec), "file": str(Path(self.spec.name).resolve())}
