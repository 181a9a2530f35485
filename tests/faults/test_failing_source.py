"""A failing source stops nothing else: the others are harvested, the failure is named, the scheduler starts."""

from __future__ import annotations

import json
import signal
import time
from typing import TYPE_CHECKING, Any

from fault_table import Outcome, record
from hub_cli import running, three_members

if TYPE_CHECKING:
    from pathlib import Path


def test_a_missing_file_fails_its_source_only_and_the_scheduler_starts(tmp_path: Path) -> None:
    three_members(tmp_path, 20)
    (tmp_path / "riverside.mrc").unlink()
    with running(tmp_path, "run", "--json", "--port", "0") as process:
        assert process.stdout is not None
        summary_lines: list[str] = []
        jobs: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "push" not in jobs:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith('{"job"'):
                jobs[json.loads(line)["job"]] = json.loads(line)
            elif not jobs and not line.startswith('{"api"'):
                summary_lines.append(line)
        assert "push" in jobs, "the scheduler did not start"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    summary = json.loads("".join(summary_lines))
    assert summary["records_per_member"] == {"riverside": 0, "lakeside": 20, "eastlake": 20}
    assert [(r["member"], r["source"], r["complete"]) for r in summary["runs"]] == [
        ("lakeside", "catalogue", True),
        ("eastlake", "catalogue", True),
    ]
    [failure] = summary["failed"]
    assert (failure["member"], failure["source"], failure["failures"]) == ("riverside", "catalogue", 1)
    assert "riverside.mrc" in failure["error"]
    kept = sum(summary["records_per_member"].values())
    record(Outcome("source file missing (1 of 3 members)", 40, kept, 0, 0, "riverside/catalogue failed; 2 ran"))
