"""The key-rotation benchmark on a few readers: it rotates every reader's key, retires the old KEK, and prints
its figures as the last line's JSON."""

from __future__ import annotations

import json

import pytest
from bench_modules import load_bench


def test_the_benchmark_rotates_every_reader_and_says_so_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_bench("key_rotation").main(["--readers", "25"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["readers"] == 25 and result["rotate_s"] > 0 and result["retire_s"] > 0
