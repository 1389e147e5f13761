"""harness: an evaluation and benchmarking harness for AI models."""

from __future__ import annotations

__version__ = "0.1.0"
