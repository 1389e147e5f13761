"""The vocabulary every other module speaks: samples, generation requests and outputs, scores, errors."""

from __future__ import annotations

from harness.core.errors import HarnessError, UserError
from harness.core.generation import Completion, GenerateRequest, GenerationConfig, ModelOutput, ToolCall, Usage
from harness.core.sample import Message, Sample
from harness.core.score import Score

__all__ = [
    "Completion",
    "GenerateRequest",
    "GenerationConfig",
    "HarnessError",
    "Message",
    "ModelOutput",
    "Sample",
    "Score",
    "ToolCall",
    "Usage",
    "UserError",
]
