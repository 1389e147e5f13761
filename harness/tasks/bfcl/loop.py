"""Inference for BFCL entries: the single-turn request and the multi-turn tool loop, in FC or prompting mode.

Mirrors `BaseHandler.inference_single_turn_*` / `inference_multi_turn_*` with the OpenAI chat-completions message
flow (`OpenAICompletionsHandler`) of bfcl-eval 2026.3.23:
- prompting: the official system prompt (function docs in JSON) is put in front of the first turn; tool results go
  back as one user message `repr([{"role": "tool", "name": call, "content": result}, ...])`.
- FC: tools from `convert_to_tool(..., OPENAI_COMPLETIONS)`; results go back as `tool` messages paired with ids.
- Each turn loops: query, decode (`decode_execute`); an undecodable or empty reply ends the turn; otherwise the calls
  run against the official backend classes and the results are fed back. After MAXIMUM_STEP_LIMIT (20) executed
  steps beyond the first the entry is force-quit, leaving fewer turns (the checker then fails it).
- miss_func turns add the held-out docs and the official "I have updated some more functions" user message.
State is fresh per call: backend instances live under a unique name and are dropped at the end.
Memory entries (memory.py) get the official memory system prompt from their backend right after it is created,
and prerequisite conversations flush the backend's snapshot at the end, as upstream.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from harness.core import Completion, GenerateRequest, GenerationConfig, ModelOutput, Sample, Usage

if TYPE_CHECKING:
    from harness.models.base import ModelAdapter
    from harness.tasks.base import Task


def hinted_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as inference sees it: function docs carry the official language hints."""
    from harness.tasks.bfcl.compat import official

    return official().utils.add_language_specific_hint_to_function_doc([copy.deepcopy(entry)])[0]


def tools_for(functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from harness.tasks.bfcl.compat import official

    b = official()
    return b.handler_utils.convert_to_tool(functions, b.GORILLA_TO_OPENAPI, b.ModelStyle.OPENAI_COMPLETIONS)


def first_messages(entry: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    """Messages of the first request (system prompt included in prompting mode)."""
    from harness.tasks.bfcl.compat import official

    e = hinted_entry(entry)
    first = copy.deepcopy(e["question"][0])
    if mode == "prompt":
        first = official().handler_utils.system_prompt_pre_processing_chat_model(first, e["function"], e["id"])
    return first


def model_result(completion: Completion, mode: str) -> Any:
    """What the official handler stores as `model_responses` for one reply."""
    if mode == "fc" and completion.tool_calls:
        return [{tc.name: tc.arguments} for tc in completion.tool_calls]
    return completion.text


def _config(config: GenerationConfig, tools: list[dict[str, Any]] | None) -> GenerationConfig:
    return config.with_tools(tools) if tools else config.with_tools(None)


async def _ask(task: Task, model: ModelAdapter, sample: Sample, messages: list[dict[str, Any]],
               config: GenerationConfig, epoch: int, step: tuple[int, int] | None, usage: Usage) -> Completion:
    # the step travels in the sample's metadata so that the gold adapter can answer turn by turn
    s = sample if step is None else replace(sample, metadata={**sample.metadata, "bfcl_step": step})
    out = await model.generate(GenerateRequest(messages=copy.deepcopy(messages), config=config, sample=s,
                                               epoch=epoch, task=task))
    usage.prompt_tokens += out.usage.prompt_tokens
    usage.completion_tokens += out.usage.completion_tokens
    return out.completions[0] if out.completions else Completion(text="")


async def solve_single_turn(task: Task, sample: Sample, model: ModelAdapter, config: GenerationConfig, epoch: int,
                            mode: str) -> ModelOutput:
    entry = sample.metadata["entry"]
    messages = first_messages(entry, mode)
    tools = tools_for(hinted_entry(entry)["function"]) if mode == "fc" else None
    usage = Usage()
    completion = await _ask(task, model, sample, messages, _config(config, tools), epoch, None, usage)
    return ModelOutput(completions=[completion], usage=usage,
                       metadata={"bfcl_result": model_result(completion, mode)})


def _is_error(result: str) -> bool:
    """A tool result that reports a failure: the executor's exception text or a backend's {"error": ...}."""
    if result.startswith("Error during execution:"):
        return True
    try:
        parsed = json.loads(result)
    except (ValueError, TypeError):
        return False
    return isinstance(parsed, dict) and "error" in parsed


@dataclass
class Conversation:
    """One entry's tool-loop conversation: the official `model_responses` per turn, the executed steps, the
    transcript, and whether the step limit force-quit it."""

    responses: list[list[Any]]
    steps: list[list[dict[str, Any]]]
    messages: list[dict[str, Any]]
    force_quit: bool
    last: Completion


async def solve_multi_turn(task: Task, sample: Sample, model: ModelAdapter, config: GenerationConfig, epoch: int,
                           mode: str) -> ModelOutput:
    usage = Usage()
    conv = await run_conversation(task, sample, model, config, epoch, mode, hinted_entry(sample.metadata["entry"]),
                                  usage)
    return ModelOutput(completions=[conv.last], usage=usage, transcript=conv.messages,
                       metadata={"bfcl_result": conv.responses, "bfcl_steps": conv.steps,
                                 "force_quit": conv.force_quit})


async def run_conversation(task: Task, sample: Sample, model: ModelAdapter, config: GenerationConfig, epoch: int,
                           mode: str, entry: dict[str, Any], usage: Usage, flush_memory: bool = False) -> Conversation:
    """The official multi-turn inference loop for one (hinted) entry, whose `initial_config` is already set.

    Memory entries get the official memory system prompt built from their backend instance right after it is
    created (before the prompting-mode function prompt, as upstream orders them); `flush_memory` writes the
    backend's snapshot at the end, as upstream does for prerequisite conversations."""
    from harness.tasks.bfcl.compat import DecodeHandler, clear_instances, official

    b = official()
    handler = DecodeHandler(is_fc_model=(mode == "fc"))
    execute = b.multi_turn_utils.execute_multi_turn_func_call
    long_context = "long_context" in entry["id"] or "composite" in entry["id"]
    holdout: dict[str, list[dict[str, Any]]] = entry.get("missed_function", {})
    state_name = f"harness_inf_{uuid.uuid4().hex}"
    messages: list[dict[str, Any]] = []
    all_responses: list[list[Any]] = []
    steps_log: list[list[dict[str, Any]]] = []
    force_quit = False
    last = Completion(text="")
    try:
        _, instances = execute([], entry.get("initial_config", {}), entry["involved_classes"], state_name,
                               entry["id"], long_context=long_context, is_evaL_run=False)
        test_category = entry["id"].rsplit("_", 1)[0]
        if b.utils.is_memory(test_category):
            entry["question"] = b.handler_utils.add_memory_instruction_system_prompt(
                entry["question"], test_category, entry["scenario"], next(iter(instances.values())))
        if mode == "prompt":
            entry["question"][0] = b.handler_utils.system_prompt_pre_processing_chat_model(
                entry["question"][0], entry["function"], entry["id"])
        tools = tools_for(entry["function"]) if mode == "fc" else None
        for turn_idx, turn_messages in enumerate(entry["question"]):
            turn_messages = list(turn_messages)
            if str(turn_idx) in holdout:
                if mode == "fc":
                    entry["function"].extend(holdout[str(turn_idx)])
                    tools = tools_for(entry["function"])
                    text = b.prompts.DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC
                else:
                    text = b.prompts.DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_PROMPTING.format(
                        functions=holdout[str(turn_idx)])
                turn_messages = [{"role": "user", "content": text}]
            messages.extend(turn_messages)
            turn_responses: list[Any] = []
            turn_log: list[dict[str, Any]] = []
            count = 0
            while True:
                last = await _ask(task, model, sample, messages, _config(config, tools), epoch, (turn_idx, count),
                                  usage)
                response = model_result(last, mode)
                turn_responses.append(response)
                if mode == "fc" and last.tool_calls:
                    messages.append({"role": "assistant", "content": last.text or None, "tool_calls": [
                        {"id": tc.id, "type": "function", "function": {"name": tc.name, "arguments": tc.arguments}}
                        for tc in last.tool_calls]})
                else:
                    messages.append({"role": "assistant", "content": last.text})
                try:
                    decoded = handler.decode_execute(response, has_tool_call_tag=False)
                except Exception as e:
                    turn_log.append({"step": count, "decode_error": f"{type(e).__name__}: {e}"})
                    break
                if b.multi_turn_utils.is_empty_execute_response(decoded):
                    turn_log.append({"step": count, "calls": []})
                    break
                results, _ = execute(decoded, entry.get("initial_config", {}), entry["involved_classes"], state_name,
                                     entry["id"], long_context=long_context, is_evaL_run=False)
                turn_log.append({"step": count, "calls": decoded, "results": results,
                                 "errors": [_is_error(r) for r in results]})
                if mode == "fc":
                    for result, tc in zip(results, last.tool_calls):
                        messages.append({"role": "tool", "content": result, "tool_call_id": tc.id})
                else:
                    feedback = [{"role": "tool", "name": call, "content": result}
                                for result, call in zip(results, decoded)]
                    messages.append({"role": "user", "content": repr(feedback)})
                count += 1
                if count > b.prompts.MAXIMUM_STEP_LIMIT:
                    force_quit = True
                    break
            all_responses.append(turn_responses)
            steps_log.append(turn_log)
            if force_quit:
                break
        if flush_memory:
            next(iter(instances.values()))._flush_memory_to_local_file()
    finally:
        clear_instances(state_name)
    return Conversation(all_responses, steps_log, messages, force_quit, last)
