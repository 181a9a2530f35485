"""bench/recommend_calibrate.py: the isotonic hit rate by score and the threshold it gives."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))
calibrate = importlib.import_module("recommend_calibrate")


def test_the_isotonic_fit_is_non_decreasing_and_pools_violators() -> None:
    pairs = [(0.1, 0.0), (0.2, 1.0), (0.3, 0.0), (0.4, 0.0), (0.5, 1.0), (0.6, 1.0)]
    fitted = calibrate.isotonic(pairs)
    values = [value for _, _, value in fitted]
    assert values == sorted(values)
    assert fitted[0] == (0.1, 0.1, 0.0)
    assert fitted[1] == (0.2, 0.4, 1 / 3)  # 0.2 hit, 0.3 and 0.4 missed: pooled
    assert fitted[-2:] == [(0.5, 0.5, 1.0), (0.6, 0.6, 1.0)]  # equal rates need no pooling
    # The fit keeps the hits: each block's rate times its pairs sums to the hits.
    sizes = [sum(1 for score, _ in pairs if lo <= score <= hi) for lo, hi, _ in fitted]
    assert abs(sum(n * v for n, (_, _, v) in zip(sizes, fitted, strict=True)) - 3.0) < 1e-9


def test_equal_scores_share_one_step() -> None:
    assert calibrate.isotonic([(0.5, 1.0), (0.5, 0.0), (0.2, 0.0)]) == [(0.2, 0.2, 0.0), (0.5, 0.5, 0.5)]


def test_the_threshold_is_the_lowest_score_whose_hit_rate_reaches_the_target() -> None:
    pairs = [(s / 10, 1.0 if s >= 7 else 0.0) for s in range(10)] + [(0.65, 1.0), (0.66, 0.0)]
    assert calibrate.threshold_for(pairs, 0.5) == (0.65, True)
    assert calibrate.threshold_for(pairs, 0.0) == (0.0, True)
    assert calibrate.threshold_for(pairs, 2.0) == (0.9, False)  # never reached: the highest score seen
