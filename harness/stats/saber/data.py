"""Per-query attack outcomes for SABER: k_i successes out of n_i attempts, stored grouped by distinct (k, n).

Every SABER quantity is a (weighted) sum over queries, so queries with the same (k, n) are stored once with a
weight. That makes a fit over 100,000 queries with n = 100 cost the same as one over 101 distinct counts, and a
query-level bootstrap is just a multinomial reweighting of the groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QueryCounts:
    """Distinct (k, n) pairs and how many queries have each (weights may be fractional only internally)."""

    k: np.ndarray  # float64, successes
    n: np.ndarray  # float64, attempts
    w: np.ndarray  # float64, number of queries with this (k, n)

    @property
    def n_queries(self) -> float:
        return float(self.w.sum())

    @property
    def even_budget(self) -> bool:
        return bool(np.all(self.n == self.n[0]))

    @property
    def n_min(self) -> int:
        return int(self.n.min())

    @property
    def n_max(self) -> int:
        return int(self.n.max())

    def reweighted(self, w: np.ndarray) -> QueryCounts:
        return QueryCounts(self.k, self.n, np.asarray(w, dtype=float))

    def observed_asr(self) -> float:
        """Observed ASR@n: the share of queries with at least one success within their own budget."""
        return float((self.w * (self.k > 0)).sum() / self.w.sum())


def query_counts(k: Sequence[int] | np.ndarray, n: Sequence[int] | np.ndarray | int) -> QueryCounts:
    """Validate per-query counts and group them. Raises ValueError naming the first bad query (0-based)."""
    k_arr = np.asarray(k, dtype=float).reshape(-1)
    n_arr = np.full(k_arr.shape, float(n)) if np.isscalar(n) else np.asarray(n, dtype=float).reshape(-1)
    if k_arr.size == 0:
        raise ValueError("no queries: SABER needs at least one query with at least one attempt")
    if k_arr.shape != n_arr.shape:
        raise ValueError(f"k ({k_arr.size}) and n ({n_arr.size}) differ in length")
    checks = (
        (~np.isfinite(k_arr) | ~np.isfinite(n_arr), "counts must be finite"),
        ((k_arr != np.round(k_arr)) | (n_arr != np.round(n_arr)), "counts must be whole numbers"),
        (k_arr < 0, "negative success count"),
        (n_arr < 1, "attempt count must be >= 1"),
        (k_arr > n_arr, "more successes than attempts (k > n)"),
    )
    for bad, message in checks:
        idx = np.flatnonzero(bad)
        if idx.size:
            i = int(idx[0])
            raise ValueError(f"query {i}: {message} (k={k_arr[i]:g}, n={n_arr[i]:g})")
    pairs, counts = np.unique(np.stack([k_arr, n_arr], axis=1), axis=0, return_counts=True)
    return QueryCounts(pairs[:, 0].copy(), pairs[:, 1].copy(), counts.astype(float))


def from_first_success(first_success: Sequence[int | None], n_max: int | Sequence[int]) -> QueryCounts:
    """Queries whose attacker stopped at the first success: attempt index T_i (1-based) or None if none succeeded.

    The Bernoulli likelihood kernel does not depend on a stopping rule that looks only at past outcomes, so a query
    that first succeeded at attempt T_i enters as (k=1, n=T_i) and one that never succeeded as (0, n_max); the MLE
    is the same as with full trajectories, and 1{any success} is still the exact best-of-n outcome.
    """
    caps = np.broadcast_to(np.asarray(n_max, dtype=float), (len(first_success),))
    k, n = [], []
    for i, (t, cap) in enumerate(zip(first_success, caps, strict=True)):
        if t is None:
            k.append(0)
            n.append(cap)
        else:
            if t < 1 or t > cap:
                raise ValueError(f"query {i}: first success at attempt {t} outside 1..{cap:g}")
            k.append(1)
            n.append(t)
    return query_counts(k, n)
