"""The consent ledger in SQLite, append-only by construction and enforced by the database.

Events go into one table. The code has no UPDATE statement for it, and a trigger makes SQLite refuse any UPDATE
of an event, whoever issues it. The only DELETE removes a reader's whole history (the right to erasure).
Times are stored in UTC with microseconds in a fixed-width ISO form, so text order is time order.
"""

from __future__ import annotations

import datetime as dt

from consortium.adapters.local.sqlite_common import (
    Schema,
    SqliteAdapter,
    legacy_table,
)
from consortium.adapters.timestamps import utc_stamp
from consortium.profiles.consent import ConsentEvent, Purpose, current_from

__all__ = ["SqliteConsentLedger"]

_SCHEMA = Schema(
    "consent",
    steps=(
        (
            """CREATE TABLE consent_events (
                seq            INTEGER PRIMARY KEY AUTOINCREMENT,
                reader_id      TEXT NOT NULL,
                purpose        TEXT NOT NULL,
                granted        INTEGER NOT NULL CHECK (granted IN (0, 1)),
                policy_version TEXT NOT NULL,
                at             TEXT NOT NULL
            )""",
            "CREATE INDEX consent_events_reader ON consent_events (reader_id, at, seq)",
            """CREATE TRIGGER consent_events_append_only
                BEFORE UPDATE ON consent_events
                BEGIN
                    SELECT RAISE(ABORT, 'consent events are append-only');
                END""",
        ),
    ),
    legacy=legacy_table("consent_events"),
)
"""The events and the trigger refusing updates (see :mod:`~consortium.adapters.local.sqlite_common`)."""

_INSERT = "INSERT INTO consent_events (reader_id, purpose, granted, policy_version, at) VALUES (?, ?, ?, ?, ?)"
_HISTORY = (
    "SELECT reader_id, purpose, granted, policy_version, at FROM consent_events WHERE reader_id = ? ORDER BY at, seq"
)
_ERASE = "DELETE FROM consent_events WHERE reader_id = ?"


class SqliteConsentLedger(SqliteAdapter):
    """A :class:`~consortium.profiles.ports.ConsentLedger` on a SQLite connection.

    Made as :class:`~consortium.adapters.local.sqlite_common.SqliteAdapter` is, from a ``connection``; prefer
    :meth:`open`.

    Example
    -------
    >>> ledger = SqliteConsentLedger.open(settings.sqlite_path)
    >>> ledger.append(event)
    >>> ledger.current(event.reader_id)[event.purpose]
    """

    _schema = _SCHEMA
    _what = "consent database"

    def append(self, event: ConsentEvent) -> None:
        """Record a grant or a withdrawal."""
        row = (event.reader_id, event.purpose.value, int(event.granted), event.policy_version, utc_stamp(event.at))
        with self._transaction() as conn:
            conn.execute(_INSERT, row)

    def history(self, reader_id: str) -> list[ConsentEvent]:
        """The reader's events in time order (events at the same moment in the order they were appended)."""
        with self._errors():
            rows = self._conn.execute(_HISTORY, (reader_id,)).fetchall()
        return [
            ConsentEvent(
                reader_id=row[0],
                purpose=Purpose(row[1]),
                granted=bool(row[2]),
                policy_version=row[3],
                at=dt.datetime.fromisoformat(row[4]),
            )
            for row in rows
        ]

    def current(self, reader_id: str) -> dict[Purpose, bool]:
        """Whether each purpose is granted now: its latest event decides, and no event means not granted."""
        return current_from(self.history(reader_id))

    def erase(self, reader_id: str) -> None:
        """Remove the reader's whole history."""
        with self._transaction() as conn:
            conn.execute(_ERASE, (reader_id,))

    # -- helpers -------------------------------------------------------------------------------------------
