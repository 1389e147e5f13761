"""Checks that decide whether a SABER extrapolation can be trusted: goodness of fit, excess all-fail queries
("unbreakable" queries), degenerate data, and model-free bounds to report when we refuse to extrapolate."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.special import betaln, gammaln

from harness.stats.saber.data import QueryCounts
from harness.stats.saber.fit import BetaBinomialFit

_MAX_PMF_CELLS = 5_000_000  # skip the binned chi-square when the pmf table would be larger than this


@dataclass(frozen=True)
class GoodnessOfFit:
    """Observed vs expected counts of all-fail (k=0) and all-success (k=n) queries, and a binned chi-square on k."""

    observed_zero: float
    expected_zero: float
    observed_all: float
    expected_all: float
    zero_excess_z: float
    zero_excess_p: float  # one-sided: more all-fail queries than the Beta-binomial expects
    chi2: float
    df: int
    p_value: float
    bins: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pmf(n: int, a: float, b: float) -> np.ndarray:
    j = np.arange(n + 1, dtype=float)
    log = gammaln(n + 1) - gammaln(j + 1) - gammaln(n - j + 1) + betaln(j + a, n - j + b) - betaln(a, b)
    return np.exp(log)


def goodness_of_fit(data: QueryCounts, fit: BetaBinomialFit) -> GoodnessOfFit:
    from scipy.stats import chi2, norm

    a, b = fit.alpha, fit.beta
    k, n, w = data.k, data.n, data.w
    p0 = np.exp(betaln(a, n + b) - betaln(a, b))
    pn = np.exp(betaln(n + a, b) - betaln(a, b))
    obs0, exp0 = float((w * (k == 0)).sum()), float((w * p0).sum())
    obs_all, exp_all = float((w * (k == n)).sum()), float((w * pn).sum())
    var0 = float((w * p0 * (1 - p0)).sum())
    z = (obs0 - exp0) / np.sqrt(var0) if var0 > 0 else float("nan")
    z_p = float(norm.sf(z)) if np.isfinite(z) else float("nan")

    chi, df, p, labels = float("nan"), 0, float("nan"), []
    n_values, inverse = np.unique(n, return_inverse=True)
    if float(n_values.sum()) <= _MAX_PMF_CELLS:
        # Categories: k = 0, k = n_i, then 1..n_i-1 split at powers of two; adjacent middle bins are merged until
        # each expects at least 5 queries.
        top = int(n_values.max())
        edges = [1]
        while edges[-1] < top:
            edges.append(edges[-1] * 2)
        cats = len(edges)  # middle bins [edges[i], edges[i+1])
        expected = np.zeros(cats + 1)
        observed = np.zeros(cats + 1)
        for u, nv in enumerate(n_values):
            nv = int(nv)
            weight = float(w[inverse == u].sum())
            pmf = _pmf(nv, a, b)
            expected[0] += weight * pmf[0]
            expected[cats] += weight * pmf[nv] if nv > 0 else 0.0
            for i in range(cats - 1):
                lo, hi = edges[i], min(edges[i + 1], nv)
                if lo < hi:
                    expected[1 + i] += weight * pmf[lo:hi].sum()
        for kk, nn, ww in zip(k, n, w, strict=True):
            if kk == 0:
                observed[0] += ww
            elif kk == nn:
                observed[cats] += ww
            else:
                observed[1 + int(np.searchsorted(edges, kk, side="right")) - 1] += ww
        names = ["k=0"] + [f"{edges[i]}<=k<{edges[i + 1]}" for i in range(cats - 1)] + ["k=n"]
        # Merge small middle bins left to right.
        o_m, e_m, l_m = [observed[0]], [expected[0]], [names[0]]
        acc_o = acc_e = 0.0
        acc_l: list[str] = []
        for i in range(1, cats):
            acc_o, acc_e = acc_o + observed[i], acc_e + expected[i]
            acc_l.append(names[i])
            if acc_e >= 5:
                o_m.append(acc_o), e_m.append(acc_e), l_m.append(_span(acc_l))
                acc_o = acc_e = 0.0
                acc_l = []
        if acc_l:
            if len(o_m) > 1:
                o_m[-1] += acc_o
                e_m[-1] += acc_e
                l_m[-1] = _span([l_m[-1], *acc_l])
            elif acc_e > 0:
                o_m.append(acc_o), e_m.append(acc_e), l_m.append(_span(acc_l))
        if expected[cats] >= 5 or len(o_m) == 1:
            o_m.append(observed[cats]), e_m.append(expected[cats]), l_m.append(names[-1])
        else:  # too few expected all-success queries for their own cell: fold them into the top middle bin
            o_m[-1] += observed[cats]
            e_m[-1] += expected[cats]
            l_m[-1] = l_m[-1].split("<k")[0].split("<=k")[0] + "<=k<=n"
        if e_m[0] < 5 and len(e_m) > 2:  # rare all-fail queries: fold k=0 into the first middle bin
            o_m[1] += o_m[0]
            e_m[1] += e_m[0]
            l_m[1] = "0<=k<" + l_m[1].split("<k<")[-1].split("k<")[-1]
            o_m, e_m, l_m = o_m[1:], e_m[1:], l_m[1:]
        keep = [i for i, e in enumerate(e_m) if e > 0]
        o_arr, e_arr = np.array(o_m)[keep], np.array(e_m)[keep]
        labels = [l_m[i] for i in keep]
        df = len(keep) - 1 - 2
        if df >= 1:
            chi = float(((o_arr - e_arr) ** 2 / e_arr).sum())
            p = float(chi2.sf(chi, df))
    return GoodnessOfFit(obs0, exp0, obs_all, exp_all, float(z), z_p, chi, df, p, labels)


def _span(labels: list[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    return f"{labels[0].split('<=')[0]}<=k<{labels[-1].split('<')[-1]}"


def degenerate_reason(data: QueryCounts, fit: BetaBinomialFit | None) -> str | None:
    """Why extrapolation is refused, or None when the data support a fit."""
    if np.all(data.k == 0):
        return "every query failed on every attempt: alpha is not identified, so no forecast; upper bound only"
    if np.all(data.k == data.n):
        return "every query succeeded on every attempt: nothing to extrapolate; lower bound only"
    if np.all(data.k > 0):
        return "every query succeeded at least once (observed ASR@n = 100%): the anchor saturates; bounds only"
    if fit is not None and fit.at_bound:
        return ("the Beta-binomial MLE has no finite maximum (under-dispersed data: queries look alike, "
                "or too little variation); bounds only")
    return None


def clopper_pearson(x: float, n: float, confidence: float) -> tuple[float, float]:
    from scipy.stats import beta as beta_dist

    tail = (1 - confidence) / 2
    lo = 0.0 if x <= 0 else float(beta_dist.ppf(tail, x, n - x + 1))
    hi = 1.0 if x >= n else float(beta_dist.ppf(1 - tail, x + 1, n - x))
    return lo, hi


def model_free_bounds(N: np.ndarray, data: QueryCounts, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on ASR@N that need no Beta model.

    Upper: splitting N attempts into ceil(N/n_min) blocks of at most n_min and using the union bound gives
    ASR@N <= ceil(N/n_min)·ASR@n per query, applied to the Clopper-Pearson upper bound of the observed ASR@n.
    Lower: for N >= n_max, ASR@N >= ASR@n, applied to its Clopper-Pearson lower bound (0 for smaller N).
    """
    N = np.atleast_1d(np.asarray(N, dtype=float))
    K = data.n_queries
    x = data.observed_asr() * K
    lo, hi = clopper_pearson(round(x), round(K), confidence)
    upper = np.minimum(1.0, np.ceil(N / data.n_min) * hi)
    lower = np.where(N >= data.n_max, lo, 0.0)
    return lower, upper
