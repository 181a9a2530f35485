"""The analytics benchmark on a tiny population: its figures are real counts (published rows stand for ten
readers or more; the build over stored readers publishes what they did)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench" / "analytics.py"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("analytics_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_counts_suppresses_and_builds() -> None:
    bench = _bench()
    cells = bench.bench_cells(3000, 400)
    assert cells["cells"] == cells["rows_published"] + cells["cells_suppressed"]
    assert 0 < cells["rows_published"] < cells["cells"]
    build = bench.bench_build(12, 3)
    assert build["readers"] == 12 and build["rows"] > 0
