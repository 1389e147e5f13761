"""Calibration error of stated confidences, as BrowseComp-style benchmarks report it.

Both functions take confidences in percent (0-100, as parsed from "Confidence: 85%") and correctness as 0/1, and
return the error in percent. The two published variants are not comparable with each other:
- `hle_calibration_error`: Humanity's Last Exam / BrowseComp(-Plus) `calib_err(p="2", beta=100)`: RMS over
  equal-mass bins of `beta` items sorted by confidence; the last bin absorbs the remainder. The reference code
  loops `range(len(bins) - 1)` and so never counts the last (most confident) bin; `include_last_bin=False`
  reproduces that, `True` counts it.
- `browsecomp_zh_calibration_error`: BrowseComp-ZH, L1 over five fixed bins [0,20),[20,40),[40,60),[60,80),[80,101).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _inputs(confidence: Sequence[float], correct: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    conf = np.asarray(confidence, dtype=float).reshape(-1)
    corr = np.asarray(correct, dtype=float).reshape(-1)
    if conf.shape != corr.shape:
        raise ValueError(f"confidence ({conf.size}) and correct ({corr.size}) differ in length")
    if conf.size and (np.nanmin(conf) < 0 or np.nanmax(conf) > 100):
        raise ValueError("confidence must be in percent, 0..100")
    return conf, corr


def hle_calibration_error(confidence: Sequence[float], correct: Sequence[float], beta: int = 100,
                          include_last_bin: bool = False) -> float:
    """RMS calibration error (percent) over adaptive bins of `beta` items; NaN when fewer than `beta` items.

    Deviation: items are sorted with a stable sort, so ties in confidence (common: 90, 95, 100) keep input order;
    the reference's np.argsort leaves the order of ties unspecified. The reference raises IndexError below `beta`
    items and BrowseComp-Plus prints 0.0 there; we return NaN.
    """
    conf, corr = _inputs(confidence, correct)
    total = conf.size
    n_bins = total // beta
    if n_bins == 0:
        return float("nan")
    order = np.argsort(conf, kind="stable")
    conf, corr = conf[order] / 100.0, corr[order]
    edges = [i * beta for i in range(n_bins)] + [total]
    used = n_bins if include_last_bin else n_bins - 1
    err = 0.0
    for i in range(used):
        lo, hi = edges[i], edges[i + 1]
        diff = np.nanmean(conf[lo:hi]) - np.nanmean(corr[lo:hi])
        err += (hi - lo) / total * diff * diff
    return float(np.sqrt(err) * 100.0)


ZH_BIN_EDGES = (0.0, 20.0, 40.0, 60.0, 80.0, 101.0)


def browsecomp_zh_calibration_error(confidence: Sequence[float], correct: Sequence[float]) -> float:
    """L1 expected calibration error (percent) over BrowseComp-ZH's five fixed confidence bins; NaN if empty."""
    conf, corr = _inputs(confidence, correct)
    total = conf.size
    if total == 0:
        return float("nan")
    err = 0.0
    for lo, hi in zip(ZH_BIN_EDGES[:-1], ZH_BIN_EDGES[1:], strict=True):
        mask = (conf >= lo) & (conf < hi)
        m = int(mask.sum())
        if m:
            err += m / total * abs(corr[mask].mean() - conf[mask].mean() / 100.0)
    return float(err * 100.0)


def brier_score(confidence: Sequence[float], correct: Sequence[float]) -> float:
    """Mean squared error of confidence/100 against correctness (a proper scoring rule to report beside ECE)."""
    conf, corr = _inputs(confidence, correct)
    if conf.size == 0:
        return float("nan")
    return float(np.mean((conf / 100.0 - corr) ** 2))
