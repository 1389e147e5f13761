"""Registers the `tam-eval` task."""

from __future__ import annotations

from harness.registry import register_task
from harness.tasks.tam_eval.task import TamEvalTask

register_task()(TamEvalTask)
