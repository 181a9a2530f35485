"""The Clock contract: the machine's clock and the manual one both give time-zone-aware instants that never go
back."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

from consortium.adapters.memory.clock import ManualClock
from consortium.errors import ValidationError
from consortium.ports import system_clock

if TYPE_CHECKING:
    from consortium.ports import Clock

T0 = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["system", "manual", "ticking"])
def clock(request: pytest.FixtureRequest) -> Clock:
    if request.param == "system":
        return system_clock
    if request.param == "manual":
        return ManualClock(T0)
    return ManualClock(T0, tick=dt.timedelta(seconds=1))


def test_readings_are_aware_and_never_go_back(clock: Clock) -> None:
    readings = [clock() for _ in range(50)]
    assert all(r.tzinfo is not None and r.utcoffset() is not None for r in readings)
    assert readings == sorted(readings)


def test_a_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(T0)
    assert clock() == clock() == T0
    clock.advance(dt.timedelta(days=7))
    assert clock() == T0 + dt.timedelta(days=7)
    ticking = ManualClock(T0, tick=dt.timedelta(minutes=1))
    assert [ticking(), ticking()] == [T0 + dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=2)]


def test_a_manual_clock_refuses_a_naive_time() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        ManualClock(dt.datetime(2026, 12, 1))
