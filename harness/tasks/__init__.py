"""Benchmarks. Each family is a module or sub-package that registers its tasks with `harness.registry`."""

from __future__ import annotations

# Modules that hold the built-in tasks; the registry imports them on first use so that `harness --help` stays fast.
BUILTIN_TASK_MODULES: tuple[str, ...] = (
    "harness.tasks.math.tasks",
    "harness.tasks.bfcl.tasks",
    "harness.tasks.tam_eval.tasks",
    "harness.tasks.rm_rf.tasks",
    "harness.tasks.safety.tasks",
)
