"""Per-entry scoring by the official per-entry evaluators of `bfcl_eval.eval_checker.eval_runner`.

We call the same functions `bfcl evaluate` calls for each line of a result file (`_evaluate_single_ast_entry`,
`_evaluate_single_relevance_entry`, `_evaluate_single_multi_turn_entry`, `_evaluate_single_agentic_entry`), with a
decode handler equal to the reference OpenAI handler's, so per-item correctness is the official one by construction.
Multi-turn backends are cached by the official executor in module globals keyed by model name and entry id; each
evaluation here uses a fresh, unique model name and drops its instances afterwards (fresh state per evaluation).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

from harness.tasks.bfcl import categories as cats


@dataclass
class Verdict:
    valid: bool
    error_type: str | None = None
    error: Any = None
    details: dict[str, Any] = field(default_factory=dict)


def _languages(category: str) -> tuple[Any, Any]:
    from harness.tasks.bfcl.compat import official

    b = official()
    if category == "simple_java":
        return b.Language.JAVA, b.ReturnFormat.JAVA
    if category == "simple_javascript":
        return b.Language.JAVASCRIPT, b.ReturnFormat.JAVASCRIPT
    return b.Language.PYTHON, b.ReturnFormat.PYTHON


def evaluate(entry: dict[str, Any], result: Any, mode: str) -> Verdict:
    """Official verdict for one entry's model result (in the result-file format of `mode`: "fc" or "prompt")."""
    from harness.tasks.bfcl.compat import DecodeHandler, clear_instances, official

    runner = official().eval_runner
    handler = DecodeHandler(is_fc_model=(mode == "fc"))
    category = entry["category"]
    kind = cats.kind(category)
    # the test entry as the official loader gives it (no ground truth, none of our keys)
    prompt_entry = copy.deepcopy({k: v for k, v in entry.items()
                                  if k not in ("ground_truth", "category", "memory_prereq")})
    try:
        if kind.relevance:
            out = runner._evaluate_single_relevance_entry(handler, entry["id"], result, prompt_entry,
                                                          handler.registry_name, category)
        elif kind.ast:
            language, return_format = _languages(category)
            out = runner._evaluate_single_ast_entry(handler, entry["id"], result, entry["ground_truth"], prompt_entry,
                                                    handler.registry_name, category, language=language,
                                                    return_format=return_format, has_tool_call_tag=False)
        elif kind.multi_turn:
            name = f"harness_eval_{uuid.uuid4().hex}"
            try:
                out = runner._evaluate_single_multi_turn_entry(handler, entry["id"], result, entry["ground_truth"],
                                                               prompt_entry, name, category)
            finally:
                clear_instances(name)
        else:
            out = runner._evaluate_single_agentic_entry(handler, entry["id"], result, entry["ground_truth"],
                                                        prompt_entry, handler.registry_name, category)
    except Exception as e:  # the official runner would stop the whole file here; we record it on the item
        return Verdict(False, "harness:checker_exception", f"{type(e).__name__}: {e}")
    if out.get("valid"):
        return Verdict(True)
    err = out.get("error")
    error_type = out.get("error_type")
    if isinstance(err, dict):  # multi-turn and agentic nest the checker's result under "error"
        error_type = err.get("error_type", error_type)
        message = err.get("error_message", err.get("error"))
    else:
        message = err
    details = {k: out[k] for k in ("model_result_decoded", "decoded_result") if k in out}
    return Verdict(False, error_type, message, details)
