"""Registered BFCL tasks: one per category (`bfcl-simple-python` ...) and the groups `bfcl-non-live`, `bfcl-live`,
`bfcl-multi-turn`, `bfcl-agentic` and `bfcl-v4` (every scoring category; per-category metrics and V4/V3 summaries)."""

from __future__ import annotations

from harness.registry import register_task
from harness.tasks.base import DatasetSource
from harness.tasks.bfcl import categories as cats
from harness.tasks.bfcl.compat import BFCL_EVAL_VERSION
from harness.tasks.bfcl.task import BfclTask

_URL = "https://github.com/ShishirPatil/gorilla/tree/main/berkeley-function-call-leaderboard"


def _make(name: str, members: list[str], text: str) -> type[BfclTask]:
    size = sum(cats.SIZES[c] for c in members)
    cls = type(
        "Bfcl_" + name.replace("-", "_"),
        (BfclTask,),
        {
            "name": name,
            "categories": members,
            "description": f"BFCL V4 {text} (bfcl-eval=={BFCL_EVAL_VERSION} data and checkers; mode=fc|prompt)",
            "source": DatasetSource(size=size, url=_URL),
            "__module__": __name__,
            "__doc__": BfclTask.__doc__,
        },
    )
    return register_task(name)(cls)


for _category in cats.ALL:
    _make(cats.task_name(_category), [_category], f"category {_category} ({cats.SIZES[_category]} items)")

_GROUP_TEXT = {
    "non-live": "non-live group (simple python/java/js, multiple, parallel, parallel multiple, irrelevance)",
    "live": "live group (user-contributed: simple, multiple, parallel, parallel multiple, (ir)relevance)",
    "multi-turn": "multi-turn group (base, miss func, miss param, long context; executed, state + response checks)",
    "agentic": "agentic group (memory kv/rec_sum; vector needs the HF hub; web search needs SERPAPI_API_KEY)",
    "v4": "all scoring categories, with V4 and V3 overall summaries",
}
for _group, _members in cats.GROUPS.items():
    _make(f"bfcl-{_group}", _members, _GROUP_TEXT[_group])
