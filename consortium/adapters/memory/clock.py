"""The in-memory :class:`~consortium.ports.Clock`: a time that a test sets and moves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.errors import ValidationError

if TYPE_CHECKING:
    import datetime as dt

__all__ = ["ManualClock"]


class ManualClock:
    """Returns :attr:`now`, which the caller sets or :meth:`advance`\\s; with ``tick``, every reading first moves
    it on by ``tick`` (each reading then is a distinct, later moment).

    Example
    -------
    >>> clock = ManualClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    >>> clock.advance(dt.timedelta(days=7))
    >>> clock().isoformat()
    '2026-01-08T00:00:00+00:00'
    """

    def __init__(self, now: dt.datetime, *, tick: dt.timedelta | None = None) -> None:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValidationError("a clock's time carries a time zone", now=now.isoformat())
        self.now = now
        self.tick = tick

    def __call__(self) -> dt.datetime:
        if self.tick is not None:
            self.now += self.tick
        return self.now

    def advance(self, by: dt.timedelta) -> None:
        self.now += by
