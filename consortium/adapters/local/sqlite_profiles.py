"""The profile store in SQLite: wrapped data keys, encrypted items and the audit log, in three tables.

Only ciphertext and opaque ids are stored. ``PRAGMA secure_delete`` is on, so deleted rows are overwritten with
zeros rather than left in free pages. Times in the audit log are UTC with microseconds in a fixed-width ISO form,
so text order is time order.
"""

from __future__ import annotations

import datetime as dt
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from consortium.adapters.local.sqlite_common import (
    Schema,
    SqliteAdapter,
    legacy_table,
    storage_errors,
)
from consortium.adapters.timestamps import utc_stamp
from consortium.profiles.models import AuditEntry, StoredItem

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator

__all__ = ["SqliteProfileStore"]

_SCHEMA = Schema(
    "profiles",
    steps=(
        (
            """CREATE TABLE reader_keys (
                reader_id   TEXT PRIMARY KEY,
                wrapped_key BLOB NOT NULL
            )""",
            """CREATE TABLE reader_items (
                reader_id  TEXT NOT NULL,
                kind       TEXT NOT NULL,
                item_id    TEXT NOT NULL,
                version    INTEGER NOT NULL,
                ciphertext BLOB NOT NULL,
                PRIMARY KEY (reader_id, kind, item_id)
            )""",
            """CREATE TABLE reader_audit (
                seq        INTEGER PRIMARY KEY AUTOINCREMENT,
                reader_id  TEXT NOT NULL,
                actor_id   TEXT NOT NULL,
                actor_role TEXT NOT NULL,
                kind       TEXT NOT NULL,
                action     TEXT NOT NULL,
                purpose    TEXT NOT NULL,
                at         TEXT NOT NULL
            )""",
            "CREATE INDEX reader_audit_reader ON reader_audit (reader_id, at, seq)",
        ),
    ),
    legacy=legacy_table("reader_keys"),
)
"""Wrapped keys, encrypted items and the audit log (see :mod:`~consortium.adapters.local.sqlite_common`)."""


class SqliteProfileStore(SqliteAdapter):
    """A :class:`~consortium.profiles.ports.ProfileStore` on a SQLite connection.

    Made as :class:`~consortium.adapters.local.sqlite_common.SqliteAdapter` is, from a ``connection``; prefer
    :meth:`open`.

    Example
    -------
    >>> store = SqliteProfileStore.open(data_dir / "hub.sqlite")
    >>> store.put_key("r1", wrapped)
    """

    _schema = _SCHEMA
    _what = "profile database"
    _threads = True

    def __init__(self, connection: sqlite3.Connection) -> None:
        with storage_errors(self._what):
            connection.execute("PRAGMA secure_delete = ON")
        self._writing = threading.RLock()
        """Held by a write transaction: a thread sharing the connection waits rather than joining it."""
        super().__init__(connection)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction (``BEGIN IMMEDIATE``: the database's write lock from the start, so another
        writer's change cannot land between the block's reads and its writes); the writes inside join it."""
        with self._transaction():
            yield

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._writing, super()._transaction() as conn:
            yield conn

    def close(self) -> None:
        """Close the connection (after checkpointing the write-ahead log into the database file)."""
        with self._errors():
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    # -- keys

    def put_key(self, reader_id: str, wrapped_key: bytes) -> None:
        """Store (or replace) the reader's wrapped data key."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO reader_keys (reader_id, wrapped_key) VALUES (?, ?) "
                "ON CONFLICT (reader_id) DO UPDATE SET wrapped_key = excluded.wrapped_key",
                (reader_id, bytes(wrapped_key)),
            )

    def get_key(self, reader_id: str) -> bytes | None:
        """The reader's wrapped data key, or ``None``."""
        with self._errors():
            row = self._conn.execute("SELECT wrapped_key FROM reader_keys WHERE reader_id = ?", (reader_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def delete_key(self, reader_id: str) -> None:
        """Delete the reader's wrapped data key (its row is overwritten: ``secure_delete``)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM reader_keys WHERE reader_id = ?", (reader_id,))

    # -- items

    def put(self, reader_id: str, kind: str, item_id: str, ciphertext: bytes, version: int) -> None:
        """Store (or replace) one encrypted item."""
        item = StoredItem(reader_id=reader_id, kind=kind, item_id=item_id, ciphertext=ciphertext, version=version)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO reader_items (reader_id, kind, item_id, version, ciphertext) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (reader_id, kind, item_id) DO UPDATE SET "
                "version = excluded.version, ciphertext = excluded.ciphertext",
                (item.reader_id, item.kind, item.item_id, item.version, item.ciphertext),
            )

    def get(self, reader_id: str, kind: str, item_id: str) -> StoredItem | None:
        """One item, or ``None``."""
        with self._errors():
            row = self._conn.execute(
                "SELECT reader_id, kind, item_id, version, ciphertext FROM reader_items "
                "WHERE reader_id = ? AND kind = ? AND item_id = ?",
                (reader_id, kind, item_id),
            ).fetchone()
        return None if row is None else _item(row)

    def items(self, reader_id: str, kind: str | None = None) -> list[StoredItem]:
        """The reader's items (of one kind, or all), in ``(kind, item_id)`` order."""
        sql = "SELECT reader_id, kind, item_id, version, ciphertext FROM reader_items WHERE reader_id = ?"
        params: tuple[str, ...] = (reader_id,)
        if kind is not None:
            sql += " AND kind = ?"
            params += (kind,)
        with self._errors():
            rows = self._conn.execute(sql + " ORDER BY kind, item_id", params).fetchall()
        return [_item(row) for row in rows]

    def delete(self, reader_id: str, kind: str, item_id: str) -> None:
        """Delete one item (nothing happens when it is absent)."""
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM reader_items WHERE reader_id = ? AND kind = ? AND item_id = ?", (reader_id, kind, item_id)
            )

    def delete_reader(self, reader_id: str) -> None:
        """Delete every item of the reader (not the wrapped key, not the audit log)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM reader_items WHERE reader_id = ?", (reader_id,))

    def readers(self) -> list[str]:
        """The ids of every reader with a wrapped key or an item, sorted."""
        with self._errors():
            rows = self._conn.execute(
                "SELECT reader_id FROM reader_keys UNION SELECT reader_id FROM reader_items ORDER BY reader_id"
            ).fetchall()
        return [row[0] for row in rows]

    # -- audit

    def audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO reader_audit (reader_id, actor_id, actor_role, kind, action, purpose, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.reader_id,
                    entry.actor_id,
                    entry.actor_role.value,
                    entry.kind,
                    entry.action.value,
                    entry.purpose.value,
                    utc_stamp(entry.at),
                ),
            )

    def audit_log(self, reader_id: str) -> list[AuditEntry]:
        """The entries about the reader, in time order (same-moment entries in the order appended)."""
        with self._errors():
            rows = self._conn.execute(
                "SELECT reader_id, actor_id, actor_role, kind, action, purpose, at FROM reader_audit "
                "WHERE reader_id = ? ORDER BY at, seq",
                (reader_id,),
            ).fetchall()
        return [
            AuditEntry.model_validate(
                {
                    "reader_id": row[0],
                    "actor_id": row[1],
                    "actor_role": row[2],
                    "kind": row[3],
                    "action": row[4],
                    "purpose": row[5],
                    "at": dt.datetime.fromisoformat(row[6]),
                }
            )
            for row in rows
        ]

    def detach_audit(self, reader_id: str, pseudonym: str) -> None:
        """Move the reader's entries under ``pseudonym`` (one UPDATE: all or nothing)."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE reader_audit SET actor_id = CASE WHEN actor_id = reader_id THEN ? ELSE actor_id END, "
                "reader_id = ? WHERE reader_id = ?",
                (pseudonym, pseudonym, reader_id),
            )


def _item(row: tuple[str, str, str, int, bytes]) -> StoredItem:
    return StoredItem(reader_id=row[0], kind=row[1], item_id=row[2], version=row[3], ciphertext=bytes(row[4]))
