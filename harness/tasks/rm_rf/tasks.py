"""Registers the `rm-rf` task."""

from __future__ import annotations

from harness.registry import register_task
from harness.tasks.rm_rf.task import RmRfTask

register_task()(RmRfTask)
