"""BFCL V4 categories, their sizes (bfcl-eval 2026.3.23 data) and groups. No heavy imports: used by `harness tasks`."""

from __future__ import annotations

from dataclasses import dataclass

# category -> number of entries in the package's data (verified by counting; ../shared/research/benchmarks1.md 3.1)
SIZES: dict[str, int] = {
    "simple_python": 400, "simple_java": 100, "simple_javascript": 50, "multiple": 200, "parallel": 200,
    "parallel_multiple": 200, "irrelevance": 240,
    "live_simple": 258, "live_multiple": 1053, "live_parallel": 16, "live_parallel_multiple": 24,
    "live_irrelevance": 884, "live_relevance": 16,
    "multi_turn_base": 200, "multi_turn_miss_func": 200, "multi_turn_miss_param": 200, "multi_turn_long_context": 200,
    "web_search_base": 100, "web_search_no_snippet": 100,
    "memory_kv": 155, "memory_vector": 155, "memory_rec_sum": 155,
}
NON_LIVE = ["simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
            "irrelevance"]
LIVE = ["live_simple", "live_multiple", "live_parallel", "live_parallel_multiple", "live_irrelevance",
        "live_relevance"]
MULTI_TURN = ["multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context"]
WEB_SEARCH = ["web_search_base", "web_search_no_snippet"]
MEMORY = ["memory_kv", "memory_vector", "memory_rec_sum"]
AGENTIC = MEMORY + WEB_SEARCH
ALL = NON_LIVE + LIVE + MULTI_TURN + AGENTIC

GROUPS: dict[str, list[str]] = {
    "non-live": NON_LIVE,
    "live": LIVE,
    "multi-turn": MULTI_TURN,
    "agentic": AGENTIC,
    "v4": ALL,
}


@dataclass(frozen=True)
class Kind:
    ast: bool = False
    relevance: bool = False
    multi_turn: bool = False
    agentic: bool = False


def kind(category: str) -> Kind:
    if category in ("irrelevance", "live_irrelevance", "live_relevance"):
        return Kind(relevance=True)
    if category.startswith("multi_turn"):
        return Kind(multi_turn=True)
    if category in AGENTIC:
        return Kind(agentic=True)
    return Kind(ast=True)


def is_multi_step(category: str) -> bool:
    """Categories whose inference is a tool loop (multi-turn and agentic)."""
    k = kind(category)
    return k.multi_turn or k.agentic


def category_of(entry_id: str) -> str:
    """`simple_python_12` -> `simple_python`; `memory_kv_3-customer-1` -> `memory_kv` (official rule, memory aware)."""
    if ":" in entry_id:  # format sensitivity ids
        return "format_sensitivity"
    head = entry_id.split("-")[0]
    return head.rsplit("_", 1)[0]


def data_file_category(category: str) -> str:
    """The file a category's questions live in: web search and memory share one file each."""
    if category in WEB_SEARCH:
        return "web_search"
    if category in MEMORY:
        return "memory"
    return category


def task_name(category: str) -> str:
    return "bfcl-" + category.replace("_", "-")


def metric_name(category: str) -> str:
    return f"acc_{category}"
