from __future__ import annotations

import math

import numpy as np
import pytest

from harness.stats.calibration import brier_score, browsecomp_zh_calibration_error, hle_calibration_error


def _hle_reference(confidence: np.ndarray, correct: np.ndarray, beta: int = 100) -> float:
    # Transcription of HLE's calib_err(p="2") loop (Hendrycks' calibration_tools), last bin skipped as there.
    idxs = np.argsort(confidence, kind="stable")
    confidence, correct = confidence[idxs], correct[idxs]
    bins = [[i * beta, (i + 1) * beta] for i in range(len(confidence) // beta)]
    bins[-1] = [bins[-1][0], len(confidence)]
    cerr = 0.0
    for i in range(len(bins) - 1):
        c, y = confidence[bins[i][0]:bins[i][1]], correct[bins[i][0]:bins[i][1]]
        cerr += len(c) / len(confidence) * np.square(np.abs(np.nanmean(c) - np.nanmean(y)))
    return float(np.sqrt(cerr))


def test_hle_matches_reference_loop_and_last_bin_option() -> None:
    rng = np.random.default_rng(0)
    conf = rng.integers(0, 101, size=457).astype(float)
    corr = (rng.random(457) < conf / 130).astype(float)
    ours = hle_calibration_error(conf, corr)
    assert ours == pytest.approx(100 * _hle_reference(conf / 100, corr), rel=1e-12)
    assert hle_calibration_error(conf, corr, include_last_bin=True) != pytest.approx(ours)
    assert math.isnan(hle_calibration_error(conf[:99], corr[:99]))


def test_perfect_overconfidence_gives_large_error() -> None:
    conf = np.full(300, 100.0)
    corr = np.zeros(300)
    assert hle_calibration_error(conf, corr, include_last_bin=True) == pytest.approx(100.0)
    assert browsecomp_zh_calibration_error(conf, corr) == pytest.approx(100.0)
    assert brier_score(conf, corr) == pytest.approx(1.0)


def test_zh_fixed_bins_by_hand() -> None:
    conf = [10, 30, 90, 100]
    corr = [0, 1, 1, 0]
    # bins: [0,20): |0-.1|, [20,40): |1-.3|, [80,101): |0.5-0.95|, each weighted by size / 4
    expected = (0.1 + 0.7 + 2 * 0.45) / 4 * 100
    assert browsecomp_zh_calibration_error(conf, corr) == pytest.approx(expected)
    with pytest.raises(ValueError, match="percent"):
        browsecomp_zh_calibration_error([1.5e3], [1])
