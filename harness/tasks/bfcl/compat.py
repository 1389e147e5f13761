"""Import the official `bfcl-eval` package with its quirks handled, without touching site-packages.

Quirks (see docs/tasks/bfcl.md):
- Importing `bfcl_eval.constants.eval_config` creates `result/`, `score/` and `.file_locks/` under its PROJECT_ROOT,
  which defaults to site-packages. We point `BFCL_PROJECT_ROOT` at a harness cache folder unless the user set it.
- `constants.model_config` imports every vendor handler (openai, anthropic, cohere, qwen-agent -> soundfile ...).
  The checkers only read `MODEL_CONFIG_MAPPING[name].underscore_to_dot`, so when those SDKs are absent we register a
  small stand-in module with exactly the two official entries we use (values copied from 2026.3.23 and checked by a
  test against the real mapping where the full install is available).
- The evaluator's `get_handler` builds an SDK client that wants an API key; we never call it: our own handler below
  reproduces the decode methods of `OpenAIResponsesHandler`, the handler of the reference models we emulate.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from harness.core.errors import UserError

BFCL_EVAL_VERSION = "2026.3.23"
# The official model entries whose decoding we reproduce: FC (function names with "." became "_") and prompting.
FC_REFERENCE_MODEL = "gpt-4o-2024-11-20-FC"
PROMPT_REFERENCE_MODEL = "gpt-4o-2024-11-20"
_UNDERSCORE_TO_DOT = {FC_REFERENCE_MODEL: True, PROMPT_REFERENCE_MODEL: False}

INSTALL_HINT = (
    f"pip install --no-deps bfcl-eval=={BFCL_EVAL_VERSION} 'tree_sitter==0.21.3' 'tree-sitter-java==0.21.0' "
    "'tree-sitter-javascript==0.21.4' tenacity overrides python-dotenv 'rank_bm25==0.2.2' mpmath"
)


def project_root() -> Path:
    return Path(os.environ.get("HARNESS_BFCL_ROOT", Path.home() / ".cache" / "harness" / "bfcl-project"))


@dataclass(frozen=True)
class _StandInConfig:
    underscore_to_dot: bool


def _install_model_config_stand_in() -> None:
    name = "bfcl_eval.constants.model_config"
    if name in sys.modules:
        return
    try:
        importlib.import_module(name)
        return
    except ImportError:  # vendor SDKs missing: the checker needs two fields of two entries, nothing else
        sys.modules.pop(name, None)
    module = types.ModuleType(name)
    module.__doc__ = "harness stand-in: MODEL_CONFIG_MAPPING reduced to the entries the checkers read"
    module.MODEL_CONFIG_MAPPING = {k: _StandInConfig(v) for k, v in _UNDERSCORE_TO_DOT.items()}  # type: ignore[attr-defined]
    sys.modules[name] = module
    import bfcl_eval.constants as constants

    constants.model_config = module  # type: ignore[attr-defined]


@cache
def official() -> types.SimpleNamespace:
    """The official modules, imported once. Raises UserError with the install line when bfcl-eval is missing."""
    if "BFCL_PROJECT_ROOT" not in os.environ:
        root = project_root()
        root.mkdir(parents=True, exist_ok=True)
        os.environ["BFCL_PROJECT_ROOT"] = str(root)
    try:
        import bfcl_eval  # noqa: F401
        from importlib.metadata import version

        installed = version("bfcl-eval")
    except ImportError:
        raise UserError(f"BFCL tasks need the official package: {INSTALL_HINT}") from None
    if installed != BFCL_EVAL_VERSION and not os.environ.get("HARNESS_BFCL_ANY_VERSION"):
        raise UserError(f"bfcl-eval {installed} is installed but these tasks are pinned to {BFCL_EVAL_VERSION} "
                        f"(scores move between versions); install it, or set HARNESS_BFCL_ANY_VERSION=1")
    try:
        _install_model_config_stand_in()
        from bfcl_eval.constants import category_mapping, default_prompts, eval_config, executable_backend_config
        from bfcl_eval.constants.enums import Language, ModelStyle, ReturnFormat
        from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI
        from bfcl_eval.eval_checker import eval_runner
        from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_utils
        from bfcl_eval.model_handler import utils as handler_utils
        import bfcl_eval.utils as bfcl_utils
    except ImportError as e:
        raise UserError(f"bfcl-eval is installed but cannot be imported ({e}); {INSTALL_HINT}") from None
    return types.SimpleNamespace(
        version=installed,
        category_mapping=category_mapping,
        prompts=default_prompts,
        eval_config=eval_config,
        backend_config=executable_backend_config,
        Language=Language,
        ModelStyle=ModelStyle,
        ReturnFormat=ReturnFormat,
        GORILLA_TO_OPENAPI=GORILLA_TO_OPENAPI,
        eval_runner=eval_runner,
        multi_turn_utils=multi_turn_utils,
        handler_utils=handler_utils,
        utils=bfcl_utils,
    )


class DecodeHandler:
    """The decode half of `OpenAIResponsesHandler` (bfcl-eval 2026.3.23), which the per-entry evaluators call.

    FC: the model result is a list of `{name: arguments_json}`; prompting: the raw text, read by the official
    prompt decoder (keyword arguments only: positional ones are dropped, as upstream)."""

    def __init__(self, is_fc_model: bool) -> None:
        self.is_fc_model = is_fc_model
        self.registry_name = FC_REFERENCE_MODEL if is_fc_model else PROMPT_REFERENCE_MODEL

    def decode_ast(self, result: Any, language: Any, has_tool_call_tag: bool) -> Any:
        import json

        if self.is_fc_model:
            decoded = []
            for invoked in result:
                name = list(invoked.keys())[0]
                decoded.append({name: json.loads(invoked[name])})
            return decoded
        return official().handler_utils.default_decode_ast_prompting(result, language, has_tool_call_tag)

    def decode_execute(self, result: Any, has_tool_call_tag: bool) -> list[str]:
        h = official().handler_utils
        if self.is_fc_model:
            return h.convert_to_function_call(result)
        return h.default_decode_execute_prompting(result, has_tool_call_tag)


def clear_instances(prefix: str) -> int:
    """Drop the backend instances the official executor cached in its module globals under `prefix`."""
    import re

    g = vars(official().multi_turn_utils)
    safe = re.sub(r"[-./:]", "_", prefix)
    doomed = [k for k in g if k.startswith(safe) and k.endswith("_instance")]
    for k in doomed:
        del g[k]
    return len(doomed)
