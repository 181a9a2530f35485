"""Times as text that sorts as the instants do, for the stores that key or order rows by time.

Both forms are fixed-width ISO 8601 in UTC with microseconds, so comparing the text compares the instants. They
are stored: changing either one would reorder (or orphan) what existing databases and tables hold.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["Stamps", "utc_sort_key", "utc_stamp"]


def utc_stamp(moment: dt.datetime) -> str:
    """``moment`` (timezone-aware) in UTC, with its offset: ``2026-11-25T09:00:00.000000+00:00``.

    Used for consent events and audit entries; :meth:`datetime.fromisoformat` reads it back.

    Example
    -------
    >>> utc_stamp(dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    '2026-11-25T09:00:00.000000+00:00'
    """
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def utc_sort_key(moment: dt.datetime) -> str:
    """``moment`` in UTC without an offset (a naive time counts as UTC): ``2025-03-01T08:30:15.123456``.

    Used for a cluster's ``first_seen`` in the indexes that ``new_since`` reads.

    Example
    -------
    >>> utc_sort_key(dt.datetime(2025, 3, 1, 16, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    '2025-03-01T08:30:15.123456'
    """
    utc = moment.astimezone(dt.UTC) if moment.tzinfo is not None else moment
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds")


class Stamps:
    """A time's ISO 8601 text (``isoformat()``) and :func:`utc_sort_key`, each worked out once per distinct time:
    a bulk load into the cluster store dates most of its hundreds of thousands of rows alike.

    Example
    -------
    >>> stamps = Stamps()
    >>> stamps(dt.datetime(2025, 3, 1, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    ('2025-03-01T16:30:00+08:00', '2025-03-01T08:30:00.000000')
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[tuple[dt.datetime, dt.tzinfo | None, int], tuple[str, str]] = {}

    def __call__(self, moment: dt.datetime) -> tuple[str, str]:
        """``(moment.isoformat(), utc_sort_key(moment))``."""
        # Equal aware times in two zones are one instant written two ways, and with one zone the fold can change
        # the offset: the zone and the fold are part of what is remembered.
        seen = (moment, moment.tzinfo, moment.fold)
        found = self._seen.get(seen)
        if found is None:
            found = self._seen[seen] = (moment.isoformat(), utc_sort_key(moment))
        return found
