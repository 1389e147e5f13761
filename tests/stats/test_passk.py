from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from harness.stats.passk import (
    avg_at_k,
    maj_at_k,
    pass_at_k,
    pass_at_k_array,
    pass_hat_k,
    pass_hat_k_array,
    summarize_maj_at_k,
    summarize_pass_at_k,
)


def _brute(n: int, c: int, k: int, all_correct: bool) -> float:
    samples = [1] * c + [0] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    hits = [all(samples[i] for i in s) if all_correct else any(samples[i] for i in s) for s in subsets]
    return sum(hits) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_pass_at_k_and_pass_hat_k_match_enumeration(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(_brute(n, c, k, False), abs=1e-12)
            assert pass_hat_k(n, c, k) == pytest.approx(_brute(n, c, k, True), abs=1e-12)
            assert pass_at_k_array([n], [c], k)[0] == pytest.approx(_brute(n, c, k, False), abs=1e-12)
            assert pass_hat_k_array([n], [c], k)[0] == pytest.approx(_brute(n, c, k, True), abs=1e-12)


def test_pass_at_k_unbiased_vs_biased_plugin() -> None:
    # stats.md §3.1: p = 0.02 or 0.5 mixture, n = 20, k = 10: unbiased ~ true, plug-in biased low.
    assert pass_at_k(20, 10, 10) > 1 - (1 - 10 / 20) ** 10 - 1e-12
    assert avg_at_k(20, 5) == 0.25


def test_bad_k_raises() -> None:
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(5, 2, 6)
    with pytest.raises(ValueError, match="question 1"):
        pass_at_k_array([5, 3], [1, 4], 2)


def _maj_brute(answers: list, correct: list, k: int) -> float:
    total = 0.0
    subsets = list(itertools.combinations(range(len(answers)), k))
    for s in subsets:
        votes = Counter(("__none__",) if answers[i] is None else answers[i] for i in s)
        top = max(votes.values())
        winners = [a for a, v in votes.items() if v == top]
        ok = {("__none__",) if a is None else a: bool(c) and a is not None for a, c in zip(answers, correct)}
        total += sum(ok[w] for w in winners) / len(winners)
    return total / len(subsets)


def test_maj_at_k_matches_enumeration_with_ties_and_parse_failures() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(1, 9))
        answers = [None if r < 0.15 else "abcd"[int(r * 10) % 4] for r in rng.random(n)]
        correct = [a == "a" for a in answers]
        for k in range(1, n + 1):
            assert maj_at_k(answers, correct, k) == pytest.approx(_maj_brute(answers, correct, k), abs=1e-12)


def test_summaries_take_questions_as_unit() -> None:
    s = summarize_pass_at_k([10, 10, 10, 10], [0, 10, 3, 5], k=1)
    assert s.n == 4 and s.mean == pytest.approx(np.mean([0, 1, 0.3, 0.5])) and s.ci_method == "t"
    m = summarize_maj_at_k([["x", "x", "y"], ["y", "y", "y"]], [[1, 1, 0], [0, 0, 0]])
    assert m.mean == 0.5 and m.ci_method == "wilson"
    assert math.isnan(summarize_pass_at_k([], [], 1).mean)
