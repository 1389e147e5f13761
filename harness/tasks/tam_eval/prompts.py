"""The official prompt (TAM-Eval `generate/prompts/whole_prompt.j2`, Apache-2.0, Tech871/tameval@269cf23) and the
official reply parsing (`LLMTestEnhancer._extract_whole_response`).

The template is rendered with Jinja2 exactly as the official harness does (same whitespace; its tab-indented example
lines are kept as they are). One user message, no system prompt; `/no_think` is put in front for Qwen3 models when
`qwen3_disable_thinking` is on, as in `get_input_message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_NEW_TEST_CASES = 5  # --max-new-test-cases-per-request default

WHOLE_PROMPT = """## Overview
You are a code assistant that accepts a {{ language }} source file, and a {{ language }} test file.
Your goal is to increase **test coverage** and **test effectiveness** (mutation coverage) by fixing, enhancing existing tests and adding new ones.

## Source File
Here is the source file `{{ source_file_name }}`.
=========
{{ source_file| trim }}
=========


## Test File
Here is the file that contains the existing tests `{{ test_file_name }}`:
=========
{{ test_file| trim }}
=========


{% if fail_feedback %}
## Error feedback
Here is error feedback from execution of the test file.
=========
{{ fail_feedback| trim }}
=========
{% endif %}


## Response 
The output must be a copy of the provided test file with applied changes.

Guidelines:
- Before applying changes you want to introduce: analyze if new imports, libs or dependencies will be required, add them to existing at first!
- If the current tests contain errors or outdated, start by fixing them first.
- Add no more than {{ max_new_test_cases }} new test cases (if needed).
- You should try to enhance test and mutation coverage of the existing test suite. In order to do that you can add new test cases or edit existing ones (if needed).
- Ensure any new or modified tests are meaningful, concise, and well-integrated with the current suite.


### Example output

Example Test file (Python):
=========

import os
import pytest
from my_modele import utils
from my_module import greet, add

def test_greet():
    assert greet("Alice") == "Hello, Alice!"
    assert greet("Bob") == "Hello, Bob!"


Example response (comments are optional):

```Python
import os
import time # changes: new required import
import pytest
from my_modele import utils
from my_module import greet, add

def test_greet():
    assert greet("Alice") == "Hello, Alice!"
    assert greet("Bob") == "Hello, Bob!"
    assert greet("Charlie") == "Hello, Charlie!" # changes: new assert statement

# changes: add new test cases
def test_add():
    assert add(1, 2) == 3
\tassert add(-1, 1) == 0
\tassert add(0, 0) == 0

def test_time_delay():
\tstart = time.time()
\ttime.sleep(0.1)
\tend = time.time()
\tassert end - start >= 0.1
```

=========

Response (only a modified {{language}} test file, and nothing else):

```{{language}}
"""


@lru_cache(maxsize=1)
def _template():  # type: ignore[no-untyped-def]
    from jinja2 import (
        Template,  # the official renderer; lazy so `harness --help` stays fast
    )

    return Template(WHOLE_PROMPT)


def render_prompt(
    *,
    language: str,
    source_file: str,
    source_file_name: str,
    test_file: str,
    test_file_name: str,
    fail_feedback: str | None = None,
    max_new_test_cases: int = MAX_NEW_TEST_CASES,
) -> str:
    return _template().render(
        {
            "language": language,
            "source_file": source_file,
            "test_file": test_file,
            "source_file_name": source_file_name,
            "test_file_name": test_file_name,
            "fail_feedback": fail_feedback,
            "max_new_test_cases": max_new_test_cases,
        }
    )


@dataclass(frozen=True)
class Extracted:
    code: str  # the test file to evaluate ("" when the reply is empty)
    had_code_block: bool
    too_short: bool  # the official code raises on replies under 5 characters


_CODE_BLOCK = re.compile(r"```(?:\w*\n)?(.*?)```", re.DOTALL)


def extract_test_file(response: str) -> Extracted:
    """The official whole-file extraction: the first fenced block; a reply without fences is taken whole (the
    official code wraps it in fences first), so prose-only replies usually end as a syntax error."""
    if len(response) < 5:
        # Officially a ValueError that leaves the sample ungenerated for that round; here it is an empty file
        # (FAIL/empty_file), documented in docs/tasks/tam-eval.md.
        return Extracted("", had_code_block=False, too_short=True)
    text = response.strip().strip("\n")
    had_block = "```" in text
    if not text.startswith("```"):
        text = f"```{text}"
    if not text.endswith("```"):
        text = f"{text}\n```"
    match = _CODE_BLOCK.search(text)
    if not match:
        return Extracted(text, had_code_block=had_block, too_short=False)
    return Extracted(match.group(1).strip("`"), had_code_block=had_block, too_short=False)


def gold_reply(language: str, test_file: str) -> str:
    """The reference test file written the way the prompt asks for it."""
    return f"```{language}\n{test_file.rstrip(chr(10))}\n```"
