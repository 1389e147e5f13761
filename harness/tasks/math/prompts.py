"""Prompt styles for the math tasks (task option `prompt=`)."""

from __future__ import annotations

from harness.core.errors import UserError

# Qwen2.5-Math's `qwen25-math-cot` system prompt; also what DeepSeek-R1, MathArena and most papers ask for.
BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."

PROMPT_STYLES = {
    # The instruction as the system prompt, the problem as the user turn (Qwen2.5-Math `qwen25-math-cot`).
    "qwen-boxed": "system prompt = the boxed instruction; user turn = the problem (Qwen2.5-Math default)",
    # The instruction after the problem in the user turn, no system prompt (DeepSeek-R1's recommendation;
    # Qwen2.5-Math's `mathstral` template).
    "user-boxed": "user turn = the problem, a newline, then the boxed instruction; no system prompt",
    # The problem alone (for models whose chat template already asks for a boxed answer).
    "plain": "user turn = the problem only",
}


def build_messages(style: str, problem: str) -> list[dict[str, str]]:
    if style == "qwen-boxed":
        return [{"role": "system", "content": BOXED_INSTRUCTION}, {"role": "user", "content": problem}]
    if style == "user-boxed":
        return [{"role": "user", "content": f"{problem}\n{BOXED_INSTRUCTION}"}]
    if style == "plain":
        return [{"role": "user", "content": problem}]
    raise UserError(f"unknown math prompt style {style!r}; choose one of {', '.join(PROMPT_STYLES)}")
