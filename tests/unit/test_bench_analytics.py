"""The analytics benchmark on a tiny population: its figures are real counts (published rows stand for ten
readers or more; the build over stored readers publishes what they did)."""

from __future__ import annotations

from bench_modules import load_bench


def test_the_benchmark_counts_suppresses_and_builds() -> None:
    bench = load_bench("analytics")
    cells = bench.bench_cells(3000, 400)
    assert cells["cells"] == cells["rows_published"] + cells["cells_suppressed"]
    assert 0 < cells["rows_published"] < cells["cells"]
    build = bench.bench_build(12, 3)
    assert build["readers"] == 12 and build["rows"] > 0
