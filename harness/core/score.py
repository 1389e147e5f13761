"""The score of one sample in one epoch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Score:
    # Metric name -> value for this sample (e.g. {"accuracy": 1.0}). The task names its primary metric.
    values: dict[str, float]
    answer: str | None = None  # the extracted answer, as compared with the target
    explanation: str | None = None
    parse_failure: bool = False  # no answer could be extracted from the output
    metadata: dict[str, Any] = field(default_factory=dict)
