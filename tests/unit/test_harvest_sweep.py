"""Harvesting every source: a failing one is reported by member and source, the others run, and scheduled
harvests retry it with backoff."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from consortium.adapters.memory.clock import ManualClock
from consortium.cli.harvest import report_line
from consortium.errors import ConfigError
from consortium.harvest.sweep import FailureLog, harvest_sources
from consortium.members import Member, Source

if TYPE_CHECKING:
    from pathlib import Path

T0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


def _pairs() -> list[tuple[Member, Source]]:
    source = Source(id="catalogue", protocol="marc-file", path="x.mrc", format="marc21")
    return [(Member(id=m, name=m, sources=[source]), source) for m in ("riverside", "lakeside", "eastlake")]


def test_a_failing_source_is_named_and_retried_with_backoff(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    broken = {"riverside"}
    tried: list[str] = []

    def harvest(member: Member, source: Source) -> str:
        tried.append(member.id)
        if member.id in broken:
            raise ConfigError(f"source {source.id!r}: cannot read x.mrc: No such file or directory")
        return member.id

    log = FailureLog(tmp_path / "harvest_failures.json")
    reports, failed = harvest_sources(_pairs(), harvest, log, clock, honour_backoff=True)  # type: ignore[arg-type]
    assert reports == ["lakeside", "eastlake"]
    assert [(f.member, f.source, f.failures, f.retry_at) for f in failed] == [
        ("riverside", "catalogue", 1, T0 + dt.timedelta(hours=1))
    ]
    assert failed[0].line() == (
        "riverside/catalogue: FAILED: ConfigError: source 'catalogue': cannot read x.mrc: No such file or directory"
        " (1 failure in a row; the scheduled harvest tries it again from 2026-12-03 09:00 UTC)"
    )

    clock.now = T0 + dt.timedelta(minutes=30)  # inside the backoff: left alone
    tried.clear()
    _, failed = harvest_sources(_pairs(), harvest, log, clock, honour_backoff=True)  # type: ignore[arg-type]
    assert tried == ["lakeside", "eastlake"] and failed[0].skipped

    clock.now = T0 + dt.timedelta(hours=6)  # the next scheduled run retries it; the backoff doubles
    _, failed = harvest_sources(_pairs(), harvest, log, clock, honour_backoff=True)  # type: ignore[arg-type]
    assert (failed[0].failures, failed[0].retry_at) == (2, clock.now + dt.timedelta(hours=2))
    assert "(2 failures in a row; the scheduled harvest tries it again from 2026-12-03 16:00 UTC)" in failed[0].line()

    broken.clear()  # the file is back: the next run harvests it and forgets its failures
    clock.now += dt.timedelta(hours=6)
    reports, failed = harvest_sources(_pairs(), harvest, log, clock, honour_backoff=True)  # type: ignore[arg-type]
    assert reports == ["riverside", "lakeside", "eastlake"] and failed == []
    assert log.entries() == {}


def test_a_paused_source_is_skipped_and_says_so(tmp_path: Path) -> None:
    source = Source(id="catalogue", protocol="marc-file", path="x.mrc", format="marc21")
    paused = source.model_copy(update={"paused": True, "paused_reason": "moving to a new ILS"})
    member = Member(id="riverside", name="Riverside", sources=[paused])
    tried: list[str] = []

    def harvest(member: Member, source: Source) -> str:
        tried.append(source.id)
        return source.id

    log = FailureLog(tmp_path / "harvest_failures.json")
    reports, failed = harvest_sources([(member, paused)], harvest, log, ManualClock(T0))  # type: ignore[arg-type]
    assert tried == [] and failed == []
    [report] = reports
    assert report.paused == "paused: moving to a new ILS" and report.counts.seen == 0 and not report.complete
    assert report_line(report) == "riverside/catalogue: not harvested (paused: moving to a new ILS)"
    assert report.as_dict()["paused"] == "paused: moving to a new ILS"
    assert log.entries() == {}
