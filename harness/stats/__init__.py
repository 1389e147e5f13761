"""Statistics for evaluation results: error bars, pass@k, paired comparisons, calibration, SABER forecasting.

Kept light on purpose: the submodules import numpy/scipy/statsmodels, so import them directly, e.g.
`from harness.stats.uncertainty import summarize_mean`.
"""

from __future__ import annotations
