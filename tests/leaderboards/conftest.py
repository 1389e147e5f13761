"""Results folders written by the run factory (realistic runs in the store's schema)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .run_factory import simulate_scores, write_run

MODELS = {"vllm:strong": 1.0, "vllm:strong-twin": 1.0, "openai:mid": 0.0, "hf:weak": -1.5}
TASKS = ("aime24", "gsm8k")


@pytest.fixture(scope="session")
def board_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 models x 2 tasks x 600 questions; strong and strong-twin share an ability (they should tie)."""
    root = tmp_path_factory.mktemp("board")
    for i, (model, ability) in enumerate(MODELS.items()):
        for j, task in enumerate(TASKS):
            write_run(root, task=task, model=model, scores=simulate_scores(600, ability, seed=100 * i + j,
                                                                           item_seed=j), seed=i)
    return root
