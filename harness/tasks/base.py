"""The Task contract: where the data comes from, how a sample becomes a prompt, and how an output is scored."""

from __future__ import annotations

import hashlib
import inspect
import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.core import (
    Completion,
    GenerateRequest,
    GenerationConfig,
    ModelOutput,
    Sample,
    Score,
)

if TYPE_CHECKING:
    from harness.models.base import AdapterContext, ModelAdapter


@dataclass(frozen=True)
class DatasetSource:
    """A pinned hub dataset plus the project's own bundled sample split."""

    hub_id: str | None = None
    revision: str | None = None
    config: str | None = None
    split: str = "test"
    size: int | None = None  # number of samples in the full split
    sample_file: str | None = None  # path to the bundled sample, relative to the task's module folder
    url: str | None = None  # where the benchmark comes from, for `harness tasks`


@dataclass
class TaskInfo:
    name: str
    version: str
    description: str
    source: DatasetSource
    metrics: list[str]
    options: dict[str, Any] = field(default_factory=dict)


class Task(ABC):
    """A benchmark task. Subclasses set the class attributes and implement `load_rows`, `to_sample`, `score`."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    source: ClassVar[DatasetSource] = DatasetSource()
    metrics: ClassVar[tuple[str, ...]] = ("accuracy",)
    default_config: ClassVar[GenerationConfig] = GenerationConfig()
    default_epochs: ClassVar[int] = 1
    # Samples whose metadata carries this key are clustered by it for standard errors (e.g. a shared passage).
    cluster_key: ClassVar[str | None] = None
    # Whether a larger primary metric is better (False for attack success rates): read by compare, regress and
    # leaderboards from run.json.
    higher_is_better: ClassVar[bool] = True

    def __init__(self, **options: Any) -> None:
        self.options: dict[str, Any] = options

    # --- data -------------------------------------------------------------------------------------------------
    @abstractmethod
    def to_sample(self, row: dict[str, Any], index: int) -> Sample:
        """Turn one raw dataset row into a Sample with a stable id."""

    def load_rows(self, data: str | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Raw rows and their provenance for run.json. Default: bundled sample, a file, or the prefetched hub
        split (harness.tasks.data); tasks whose official data is not one rows file override this."""
        from harness.tasks.data import load_task_rows

        return load_task_rows(self, data)

    def keep_row(self, row: dict[str, Any]) -> bool:
        """Whether a raw row belongs to this task (e.g. one category of a file that holds several)."""
        return True

    def sample_path(self) -> Path | None:
        if self.source.sample_file is None:
            return None
        return Path(inspect.getfile(type(self))).parent / self.source.sample_file

    def pull(self) -> Path:
        """Prefetch the task's data for offline runs (`harness data pull`). Default: the pinned hub split."""
        from harness.tasks.data import pull_hub

        return pull_hub(self)

    # --- lifecycle: tasks that own resources (a judge model, a sandbox pool) acquire and release them here ---
    async def start(self, ctx: AdapterContext) -> None:
        """Called once before the first sample is solved."""

    async def close(self) -> None:
        """Called once at the end of the run, also after errors and Ctrl-C."""

    # --- solving ----------------------------------------------------------------------------------------------
    @abstractmethod
    def prompt(self, sample: Sample) -> list[dict[str, Any]]:
        """The chat messages sent to the model for this sample."""

    async def solve(self, sample: Sample, model: ModelAdapter, config: GenerationConfig, epoch: int) -> ModelOutput:
        """One-shot generation by default; tasks with tool loops or several turns override this."""
        return await model.generate(
            GenerateRequest(messages=self.prompt(sample), config=config, sample=sample, epoch=epoch, task=self)
        )

    # --- scoring ----------------------------------------------------------------------------------------------
    @abstractmethod
    def score(self, sample: Sample, output: ModelOutput) -> Score:
        """Score one output against the sample's target. Must not raise for bad model output."""

    async def ascore(self, sample: Sample, output: ModelOutput) -> Score:
        """Async scoring; tasks that execute code in a sandbox override this so the event loop keeps running."""
        return self.score(sample, output)

    def extract_answer(self, text: str) -> str | None:
        """The answer a method such as self-consistency votes on; None when nothing can be extracted."""
        return None

    def answers_equal(self, a: str, b: str) -> bool:
        """Whether two extracted answers count as the same vote (majority voting)."""
        return a == b

    @abstractmethod
    def gold_output(self, sample: Sample) -> str | Completion:
        """The reference answer in the form this task's model would produce (used by the `gold` adapter): text,
        or a Completion when the model's form includes tool calls."""

    def summarize(self, metrics: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Task-level aggregates for metrics.json, from the per-sample metrics and the samples.parquet rows:
        corpus metrics that are not means (F1), weighted overall scores, official breakdown tables. Top-level
        keys are added to metrics.json; entries under "metrics" join the metrics table. None by default."""
        return {}

    # --- identity ---------------------------------------------------------------------------------------------
    def info(self) -> TaskInfo:
        return TaskInfo(self.name, self.version, self.description, self.source, list(self.metrics), self.options)

    def content_hash(self) -> str:
        """Hash of what can move a number: version, options, data source and the code of the task's class chain."""
        h = hashlib.sha256()
        h.update(json.dumps({"name": self.name, "version": self.version, "options": self.options,
                             "source": asdict(self.source)}, sort_keys=True, default=str).encode())
        # The modules of the class chain hold the prompts, extractors and scorer configuration.
        modules = {inspect.getmodule(k) for k in type(self).__mro__ if k.__module__ not in ("builtins", "abc")}
        for module in sorted((m for m in modules if m is not None), key=lambda m: m.__name__):
            try:
                h.update(inspect.getsource(module).encode())
            except (OSError, TypeError):
                h.update(module.__name__.encode())
        return h.hexdigest()[:16]
