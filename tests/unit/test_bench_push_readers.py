"""The reader-loading benchmark on a few readers: every subscribed reader is loaded with their recent borrowings
(at most 20 each), and the reference opens every event."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "push_readers.py"


def test_reader_plans_carry_the_recent_borrowings_without_opening_events() -> None:
    if str(BENCH.parent) not in sys.path:
        sys.path.append(str(BENCH.parent))
    bench = importlib.import_module("push_readers")

    figures = bench.run(readers=3, events=90)  # a borrow every third event: 30 each, the 20 latest kept

    assert figures["readers"] == 3
    assert figures["borrowed_works_loaded"] == 3 * 20
    assert figures["events_opened_by_reference"] == 3 * 90
