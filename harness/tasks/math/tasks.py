"""The built-in math tasks. Hub revisions are commit shas of the dataset repositories on Hugging Face, taken from
harness configs that pin them (see docs/tasks/math.md for where each one was found)."""

from __future__ import annotations

from harness.registry import register_task
from harness.tasks.base import DatasetSource
from harness.tasks.math import loaders
from harness.tasks.math.math_task import MathTask


@register_task()
class Aime24(MathTask):
    """AIME 2024 I+II (30 problems, integer answers 0-999, stored zero-padded as in "025").

    Hub split is named `train` although all 30 rows are the test set. Official file schema: Qwen2.5-Math's
    `evaluation/data/aime24/test.jsonl` (same fields and ids 60-89)."""

    name = "aime24"
    version = "1"
    description = "AIME 2024 I and II: 30 integer-answer competition problems (boxed answer)"
    source = DatasetSource(
        hub_id="HuggingFaceH4/aime_2024",
        revision="2fe88a2f1091d5048c0f36abc874fb997b3dd99a",
        split="train",
        size=30,
        sample_file="samples/aime24.jsonl",
        url="https://huggingface.co/datasets/HuggingFaceH4/aime_2024",
    )
    row_mapper = staticmethod(loaders.aime24_row)


@register_task()
class Aime25(MathTask):
    """AIME 2025 I+II (30 problems). Hub: MathArena/aime_2025 (ids are its `problem_idx`); the official git-era
    conversion in ../shared/data/aime (ids like aime_2025_I_1) loads with --data too."""

    name = "aime25"
    version = "1"
    description = "AIME 2025 I and II: 30 integer-answer competition problems (boxed answer)"
    source = DatasetSource(
        hub_id="MathArena/aime_2025",
        revision="c94da77eb22bbd6439e62a323bec18493a421302",
        split="train",
        size=30,
        sample_file="samples/aime25.jsonl",
        url="https://huggingface.co/datasets/MathArena/aime_2025",
    )
    row_mapper = staticmethod(loaders.aime25_row)


@register_task()
class Math500(MathTask):
    """MATH-500, the PRM800K test subset of MATH (500 problems; bare-LaTeX answers such as `\\frac{14}{3}`)."""

    name = "math500"
    version = "1"
    description = "MATH-500: 500 MATH competition problems from PRM800K's test split (boxed LaTeX answer)"
    source = DatasetSource(
        hub_id="HuggingFaceH4/MATH-500",
        revision="6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be",
        split="test",
        size=500,
        sample_file="samples/math500.jsonl",
        url="https://huggingface.co/datasets/HuggingFaceH4/MATH-500",
    )
    row_mapper = staticmethod(loaders.math500_row)


@register_task()
class Gsm8k(MathTask):
    """GSM8K test (1,319 grade-school word problems); gold = text after `####`, commas removed. Zero-shot with the
    boxed CoT prompt (Qwen2.5-Math's convention), not lm-eval's 8-shot `#### N` format."""

    name = "gsm8k"
    version = "1"
    description = "GSM8K: 1,319 grade-school math word problems (zero-shot CoT, boxed answer)"
    source = DatasetSource(
        hub_id="openai/gsm8k",
        revision="740312add88f781978c0658806c59bc2815b9866",
        config="main",
        split="test",
        size=1319,
        sample_file="samples/gsm8k.jsonl",
        url="https://github.com/openai/grade-school-math",
    )
    row_mapper = staticmethod(loaders.gsm8k_row)


@register_task("gsm-hard")
class GsmHard(MathTask):
    """GSM-Hard (PAL): GSM8K test questions with larger numbers; 1,319 rows in a split named `train`. Targets are
    floats computed by PAL programs, some non-integral; both graders compare with their own numeric tolerance
    (Math-Verify: exact decimals / 6-digit rounding against rationals; Qwen: rel_tol 1e-4)."""

    name = "gsm-hard"
    version = "1"
    description = "GSM-Hard: GSM8K questions with large numbers (1,319; boxed answer)"
    source = DatasetSource(
        hub_id="reasoning-machines/gsm-hard",
        revision="960448f73503112d4226baeb8eb41d3fb5ae2506",
        split="train",
        size=1319,
        sample_file="samples/gsm-hard.jsonl",
        url="https://huggingface.co/datasets/reasoning-machines/gsm-hard",
    )
    row_mapper = staticmethod(loaders.gsm_hard_row)


@register_task()
class Svamp(MathTask):
    """SVAMP (ChilleD/SVAMP test split, 300 problems). The question is Body + "." + Question as Qwen2.5-Math builds
    it. Note: Qwen2.5-Math evaluates SVAMP on train+test (1,000); this task uses the 300-row test split."""

    name = "svamp"
    version = "1"
    description = "SVAMP: 300 one-step arithmetic word problems with varied structure (boxed answer)"
    source = DatasetSource(
        hub_id="ChilleD/SVAMP",
        revision="5e0bf1e5e7c0e9c4bc39180d224f41f3f801b7ef",
        split="test",
        size=300,
        sample_file="samples/svamp.jsonl",
        url="https://github.com/arkilpatel/SVAMP",
    )
    row_mapper = staticmethod(loaders.svamp_row)


@register_task()
class MultiArith(MathTask):
    """MultiArith (ChilleD/MultiArith test split, 180 of the 600 problems, as zero-shot-CoT papers use it)."""

    name = "multiarith"
    version = "1"
    description = "MultiArith: 180 multi-step arithmetic word problems (boxed answer)"
    source = DatasetSource(
        hub_id="ChilleD/MultiArith",
        revision="144d44c3fb87c0b9097ac9593c789e716a282e3e",
        split="test",
        size=180,
        sample_file="samples/multiarith.jsonl",
        url="https://huggingface.co/datasets/ChilleD/MultiArith",
    )
    row_mapper = staticmethod(loaders.multiarith_row)
