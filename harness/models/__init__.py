"""Model adapters. Built-ins register in the modules listed here; plug-ins through the `harness.models` entry points."""

from __future__ import annotations

BUILTIN_MODEL_MODULES: tuple[str, ...] = (
    "harness.models.openai_api",
    "harness.models.vllm_server",
    "harness.models.hf",
    "harness.models.gold",
    "harness.models.replay",
    "harness.models.pynguin_adapter",
    "harness.models.methods.self_consistency",
    "harness.models.methods.best_of_n",
)
