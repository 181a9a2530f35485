"""The key-rotation benchmark on a few readers: it rotates every reader's key, retires the old KEK, and prints
its figures as the last line's JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "key_rotation.py"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("key_rotation_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_rotates_every_reader_and_says_so_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench().main(["--readers", "25"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["readers"] == 25 and result["rotate_s"] > 0 and result["retire_s"] > 0
