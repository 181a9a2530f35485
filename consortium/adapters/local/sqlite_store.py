"""The record store in one SQLite file.

Records, quarantined records and checkpoints live in three tables. A page is committed in one transaction,
checkpoint included, so a process killed at any moment leaves the page either fully applied or not at all.
An index on each record's member and format (``records_format``, an expression on its JSON) lets
``count_by_format`` count without reading a record; ``count_quarantined`` reads the ``quarantine_member`` index.
Another, on each record's member and source (``records_source``, schema step 5), finds a source's records for
``source_ids`` without touching the member's others (a complete run of a file withdraws by it).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from consortium.adapters.local.sqlite_common import (
    Schema,
    SqliteAdapter,
    legacy_table,
)
from consortium.harvest.state import Checkpoint, PageCommit
from consortium.models import QuarantinedRecord, Record, ResourceFormat

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Iterator

    from consortium.harvest.state import RecordChange

__all__ = ["SqliteRecordStore"]

_CHUNK = 500
"""Ids per ``IN (...)`` lookup, and rows per page when iterating records."""

_FORMAT = "json_extract(body, '$.format')"
"""A record's format, as the ``records_format`` index has it (``count_by_format`` reads only that index)."""

_LOCAL_ID = "json_extract(body, '$.local_id')"
"""A quarantined record's id, as the ``quarantine_local`` index has it (what a commit supersedes by)."""

_SOURCE = "json_extract(body, '$.source_id')"
"""A record's source, as the ``records_source`` index has it (what ``source_ids`` reads)."""

_SCHEMA = Schema(
    "records",
    steps=(
        (
            """CREATE TABLE records (
                member   TEXT NOT NULL,
                local_id TEXT NOT NULL,
                digest   TEXT NOT NULL,
                body     TEXT NOT NULL,
                PRIMARY KEY (member, local_id)
            )""",
            """CREATE TABLE quarantine (
                seq       INTEGER PRIMARY KEY,
                source_id TEXT NOT NULL,
                position  TEXT NOT NULL,
                digest    TEXT NOT NULL,
                member    TEXT NOT NULL,
                body      TEXT NOT NULL,
                UNIQUE (source_id, position, digest)
            )""",
            "CREATE INDEX quarantine_member ON quarantine (member, source_id, position, seq)",
            """CREATE TABLE checkpoints (
                source_id TEXT PRIMARY KEY,
                body      TEXT NOT NULL
            )""",
        ),
        # A format index for count_by_format ("IF NOT EXISTS": files made just before the runner have it).
        (f"CREATE INDEX IF NOT EXISTS records_format ON records (member, {_FORMAT})",),
        # Quarantined records keyed by member too: two members' sources may share an id, a position and the same
        # bytes (one vendor's file loaded by both), and the second overwrote the first's row.
        (
            """CREATE TABLE quarantine_by_member (
                seq       INTEGER PRIMARY KEY,
                source_id TEXT NOT NULL,
                position  TEXT NOT NULL,
                digest    TEXT NOT NULL,
                member    TEXT NOT NULL,
                body      TEXT NOT NULL,
                UNIQUE (member, source_id, position, digest)
            )""",
            "INSERT INTO quarantine_by_member SELECT seq, source_id, position, digest, member, body FROM quarantine",
            "DROP TABLE quarantine",
            "ALTER TABLE quarantine_by_member RENAME TO quarantine",
            "CREATE INDEX quarantine_member ON quarantine (member, source_id, position, seq)",
        ),
        # Quarantined records by the id read from them, to find those a good version supersedes (an expression
        # on the JSON: rows already there are indexed as they are).
        (f"CREATE INDEX quarantine_local ON quarantine (member, source_id, {_LOCAL_ID})",),
        # Records by their source, for a complete run of a file to find those its file no longer gives (an
        # expression on the JSON, as the format index: rows already there are indexed as they are).
        (f"CREATE INDEX records_source ON records (member, {_SOURCE}, local_id)",),
    ),
    legacy=legacy_table("records"),
)
"""Records, quarantined records and checkpoints (see :mod:`~consortium.adapters.local.sqlite_common`)."""

_UPSERT_RECORD = (
    "INSERT INTO records (member, local_id, digest, body) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (member, local_id) DO UPDATE SET digest = excluded.digest, body = excluded.body"
)
_DELETE_RECORD = "DELETE FROM records WHERE member = ? AND local_id = ?"
_UPSERT_QUARANTINE = (
    "INSERT INTO quarantine (source_id, position, digest, member, body) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (member, source_id, position, digest) DO UPDATE SET body = excluded.body"
)
_UPSERT_CHECKPOINT = (
    "INSERT INTO checkpoints (source_id, body) VALUES (?, ?) ON CONFLICT (source_id) DO UPDATE SET body = excluded.body"
)


class SqliteRecordStore(SqliteAdapter):
    """A :class:`~consortium.harvest.ports.RecordStore` on a SQLite connection.

    Made as :class:`~consortium.adapters.local.sqlite_common.SqliteAdapter` is, from a ``connection``; prefer
    :meth:`open`.

    Example
    -------
    >>> store = SqliteRecordStore.open(settings.sqlite_path)
    >>> store.commit(page)
    """

    _schema = _SCHEMA
    _what = "record database"

    # -- reads ---------------------------------------------------------------------------------------------

    def get(self, member: str, local_id: str) -> Record | None:
        """The record, or ``None`` when the member has no record with that id."""
        with self._errors():
            row = self._conn.execute(
                "SELECT body FROM records WHERE member = ? AND local_id = ?", (member, local_id)
            ).fetchone()
        return Record.model_validate_json(row[0]) if row else None

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Record]:
        """The stored records under these keys (absent ones left out), one query per member and chunk of ids."""
        by_member: dict[str, list[str]] = {}
        for member, local_id in dict.fromkeys(keys):
            by_member.setdefault(member, []).append(local_id)
        found: dict[tuple[str, str], Record] = {}
        with self._errors():
            for member, ids in by_member.items():
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start : start + _CHUNK]
                    marks = ", ".join("?" * len(chunk))
                    rows = self._conn.execute(
                        f"SELECT local_id, body FROM records WHERE member = ? AND local_id IN ({marks})",
                        (member, *chunk),
                    )
                    for local_id, body in rows:
                        found[member, local_id] = Record.model_validate_json(body)
        return found

    def digests(self, member: str, local_ids: Iterable[str]) -> dict[str, str]:
        """The raw digest of each of these records that is stored (absent ids are left out)."""
        ids = list(dict.fromkeys(local_ids))
        found: dict[str, str] = {}
        with self._errors():
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT local_id, digest FROM records WHERE member = ? AND local_id IN ({marks})",
                    (member, *chunk),
                )
                found.update(rows.fetchall())
        return found

    def records(self, member: str | None = None) -> Iterator[Record]:
        """Every stored record, or one member's, in ``(member, local_id)`` order.

        Rows are read in pages of a few hundred, so no statement stays open between the records yielded.
        """
        after: tuple[str, str] | None = None
        while True:
            with self._errors():
                rows = self._conn.execute(*self._records_page(member, after)).fetchall()
            for row in rows:
                yield Record.model_validate_json(row[2])
            if len(rows) < _CHUNK:
                return
            after = (rows[-1][0], rows[-1][1])

    @staticmethod
    def _records_page(member: str | None, after: tuple[str, str] | None) -> tuple[str, tuple[object, ...]]:
        select = "SELECT member, local_id, body FROM records"
        order = f"ORDER BY member, local_id LIMIT {_CHUNK}"
        if member is not None:
            if after is None:
                return f"{select} WHERE member = ? {order}", (member,)
            return f"{select} WHERE member = ? AND local_id > ? {order}", (member, after[1])
        if after is None:
            return f"{select} {order}", ()
        return f"{select} WHERE (member, local_id) > (?, ?) {order}", after

    def source_ids(self, member: str, source_id: str) -> Iterator[str]:
        """The ids of the member's records from this source, in id order: found and ordered by the
        ``records_source`` index (only the source's rows are read), a few hundred at a time (no statement stays
        open between the ids yielded)."""
        sql = f"SELECT local_id FROM records WHERE member = ? AND {_SOURCE} = ? AND local_id > ? ORDER BY local_id"
        after = ""
        while True:
            with self._errors():
                rows = self._conn.execute(f"{sql} LIMIT {_CHUNK}", (member, source_id, after)).fetchall()
            yield from (row[0] for row in rows)
            if len(rows) < _CHUNK:
                return
            after = rows[-1][0]

    def source_quarantine(self, member: str, source_id: str) -> Iterator[QuarantinedRecord]:
        """The member's quarantined records of this source by position, from the ``quarantine_member`` index, a
        few hundred at a time."""
        sql = (
            "SELECT position, seq, body FROM quarantine WHERE member = ? AND source_id = ? "
            f"AND (position, seq) > (?, ?) ORDER BY position, seq LIMIT {_CHUNK}"
        )
        after: tuple[str, int] = ("", -1)
        while True:
            with self._errors():
                rows = self._conn.execute(sql, (member, source_id, *after)).fetchall()
            yield from (QuarantinedRecord.model_validate_json(row[2]) for row in rows)
            if len(rows) < _CHUNK:
                return
            after = (rows[-1][0], rows[-1][1])

    def count(self, member: str | None = None) -> int:
        """How many records are stored, in all or for one member."""
        with self._errors():
            if member is None:
                row = self._conn.execute("SELECT COUNT(*) FROM records").fetchone()
            else:
                sql = "SELECT COUNT(*) FROM records WHERE member = ?"
                row = self._conn.execute(sql, (member,)).fetchone()
        return int(row[0])

    def count_by_format(self, member: str | None = None) -> dict[ResourceFormat, int]:
        """How many records of each format are stored, in all or for one member (formats with none left out).

        Read from the ``records_format`` index alone (grouped by member, then summed), not from the records.
        """
        where, params = ("", ()) if member is None else ("WHERE member = ?", (member,))
        sql = f"SELECT {_FORMAT} AS format, COUNT(*) FROM records {where} GROUP BY member, format"
        with self._errors():
            rows = self._conn.execute(sql, params).fetchall()
        counts: Counter[ResourceFormat] = Counter()
        for fmt, count in rows:
            counts[ResourceFormat(fmt)] += count
        return dict(counts)

    def count_quarantined(self, member: str | None = None) -> int:
        """How many quarantined records are kept, in all or for one member."""
        where, params = ("", ()) if member is None else ("WHERE member = ?", (member,))
        with self._errors():
            row = self._conn.execute(f"SELECT COUNT(*) FROM quarantine {where}", params).fetchone()
        return int(row[0])

    def quarantined(self, member: str | None = None) -> list[QuarantinedRecord]:
        """The quarantined records, in ``(member, source_id, position)`` order."""
        select = "SELECT body FROM quarantine"
        order = "ORDER BY member, source_id, position, seq"
        with self._errors():
            if member is None:
                rows = self._conn.execute(f"{select} {order}").fetchall()
            else:
                rows = self._conn.execute(f"{select} WHERE member = ? {order}", (member,)).fetchall()
        return [QuarantinedRecord.model_validate_json(row[0]) for row in rows]

    def quarantine_page(
        self, member: str, *, after: tuple[str, str, str] | None = None, limit: int = 50
    ) -> list[QuarantinedRecord]:
        """A page of the member's quarantined records by ``(source_id, position, digest)``, read from the
        ``quarantine_member`` index (a range after ``after``)."""
        where, params = (
            ("member = ?", (member,))
            if after is None
            else (
                "member = ? AND (source_id, position, digest) > (?, ?, ?)",
                (member, *after),
            )
        )
        sql = f"SELECT body FROM quarantine WHERE {where} ORDER BY source_id, position, digest LIMIT ?"
        with self._errors():
            rows = self._conn.execute(sql, (*params, max(limit, 0))).fetchall()
        return [QuarantinedRecord.model_validate_json(row[0]) for row in rows]

    def quarantined_record(self, member: str, key: tuple[str, str, str]) -> QuarantinedRecord | None:
        """The member's quarantined record under ``key`` (the table's unique key), or ``None``."""
        sql = "SELECT body FROM quarantine WHERE source_id = ? AND position = ? AND digest = ? AND member = ?"
        with self._errors():
            row = self._conn.execute(sql, (*key, member)).fetchone()
        return QuarantinedRecord.model_validate_json(row[0]) if row else None

    def checkpoint(self, source_id: str) -> Checkpoint | None:
        """The source's last saved checkpoint."""
        with self._errors():
            sql = "SELECT body FROM checkpoints WHERE source_id = ?"
            row = self._conn.execute(sql, (source_id,)).fetchone()
        return Checkpoint.model_validate_json(row[0]) if row else None

    def checkpoints(self) -> list[Checkpoint]:
        """Every source's last saved checkpoint, in source id order."""
        with self._errors():
            rows = self._conn.execute("SELECT body FROM checkpoints ORDER BY source_id").fetchall()
        return [Checkpoint.model_validate_json(row[0]) for row in rows]

    # -- writes --------------------------------------------------------------------------------------------

    def commit(self, page: PageCommit) -> int:
        """Apply a page's upserts, deletes and quarantine and save its checkpoint, in one transaction, with the
        quarantined records it supersedes deleted (found through the ``quarantine_local`` index).

        When a page changes one key more than once, its last change wins, as if applied in order.
        """
        last: dict[tuple[str, str], RecordChange] = {}
        for change in page.changes:
            last[(change.member, change.local_id)] = change
        upserts = [
            (c.member, c.local_id, c.record.raw.digest, c.record.model_dump_json())
            for c in last.values()
            if c.record is not None
        ]
        deletes = [(c.member, c.local_id) for c in last.values() if c.record is None]
        quarantine = {(q.source_id, q.position, q.raw.digest, q.member): q.model_dump_json() for q in page.quarantined}
        with self._transaction() as conn:
            superseded = self._supersede(conn, page) + self._clear(conn, page)
            cp = page.counted(superseded)
            if upserts:
                conn.executemany(_UPSERT_RECORD, upserts)
            if deletes:
                conn.executemany(_DELETE_RECORD, deletes)
            if quarantine:
                conn.executemany(_UPSERT_QUARANTINE, [(*key, body) for key, body in quarantine.items()])
            conn.execute(_UPSERT_CHECKPOINT, (cp.source_id, cp.model_dump_json()))
        return superseded

    @staticmethod
    def _supersede(conn: sqlite3.Connection, page: PageCommit) -> int:
        """Delete the quarantined records the page supersedes, but those it quarantines itself; how many."""
        kept = {(q.member, q.source_id, q.position, q.raw.digest) for q in page.quarantined}
        by_source: dict[tuple[str, str], list[str]] = {}
        for member, source_id, local_id in sorted(page.superseding()):
            by_source.setdefault((member, source_id), []).append(local_id)
        gone: list[tuple[int]] = []
        for (member, source_id), ids in by_source.items():
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                sql = (
                    "SELECT seq, position, digest FROM quarantine "
                    f"WHERE member = ? AND source_id = ? AND {_LOCAL_ID} IN ({marks})"
                )
                for seq, position, digest in conn.execute(sql, (member, source_id, *chunk)):
                    if (member, source_id, position, digest) not in kept:
                        gone.append((seq,))
        if gone:
            conn.executemany("DELETE FROM quarantine WHERE seq = ?", gone)
        return len(gone)

    @staticmethod
    def _clear(conn: sqlite3.Connection, page: PageCommit) -> int:
        """Delete the page's cleared quarantined records (but those it quarantines itself); how many were there."""
        kept = {(q.member, q.source_id, q.position, q.raw.digest) for q in page.quarantined}
        gone = 0
        sql = "DELETE FROM quarantine WHERE member = ? AND source_id = ? AND position = ? AND digest = ?"
        for key in dict.fromkeys((q.member, *q.key) for q in page.cleared):
            if key not in kept:
                gone += conn.execute(sql, key).rowcount
        return gone

    # -- helpers -------------------------------------------------------------------------------------------
