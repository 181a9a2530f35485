"""The profile store in SQLite: wrapped data keys, encrypted items and the audit log, in three tables.

Only ciphertext and opaque ids are stored. ``PRAGMA secure_delete`` is on, so deleted rows are overwritten with
zeros rather than left in free pages. Times in the audit log are UTC with microseconds in a fixed-width ISO form,
so text order is time order.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from consortium.adapters.local.sqlite_common import open_database, storage_errors, write_transaction
from consortium.profiles.models import AuditEntry, StoredItem

if TYPE_CHECKING:
    import sqlite3
    from contextlib import AbstractContextManager
    from pathlib import Path

__all__ = ["SqliteProfileStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS reader_keys (
        reader_id   TEXT PRIMARY KEY,
        wrapped_key BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS reader_items (
        reader_id  TEXT NOT NULL,
        kind       TEXT NOT NULL,
        item_id    TEXT NOT NULL,
        version    INTEGER NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (reader_id, kind, item_id)
    )""",
    """CREATE TABLE IF NOT EXISTS reader_audit (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        reader_id  TEXT NOT NULL,
        actor_id   TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        kind       TEXT NOT NULL,
        action     TEXT NOT NULL,
        purpose    TEXT NOT NULL,
        at         TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS reader_audit_reader ON reader_audit (reader_id, at, seq)",
)


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class SqliteProfileStore:
    """A :class:`~consortium.profiles.store.ProfileStore` on a SQLite connection.

    Parameters
    ----------
    connection
        An open connection in autocommit mode (``isolation_level=None``); the tables are created on it if
        missing. Prefer :meth:`open`.

    Example
    -------
    >>> store = SqliteProfileStore.open(data_dir / "hub.sqlite")
    >>> store.put_key("r1", wrapped)
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        with self._errors():
            self._conn.execute("PRAGMA secure_delete = ON")
        with self._transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    @classmethod
    def open(cls, path: Path) -> SqliteProfileStore:
        """Open (creating it and its parent folders if needed) the database file at ``path``."""
        return open_database(path, "profile database", cls, check_same_thread=False)

    def close(self) -> None:
        """Close the connection (after checkpointing the write-ahead log into the database file)."""
        with self._errors():
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    # -- keys

    def put_key(self, reader_id: str, wrapped_key: bytes) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO reader_keys (reader_id, wrapped_key) VALUES (?, ?) "
                "ON CONFLICT (reader_id) DO UPDATE SET wrapped_key = excluded.wrapped_key",
                (reader_id, bytes(wrapped_key)),
            )

    def get_key(self, reader_id: str) -> bytes | None:
        with self._errors():
            row = self._conn.execute("SELECT wrapped_key FROM reader_keys WHERE reader_id = ?", (reader_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def delete_key(self, reader_id: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM reader_keys WHERE reader_id = ?", (reader_id,))

    # -- items

    def put(self, reader_id: str, kind: str, item_id: str, ciphertext: bytes, version: int) -> None:
        item = StoredItem(reader_id=reader_id, kind=kind, item_id=item_id, ciphertext=ciphertext, version=version)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO reader_items (reader_id, kind, item_id, version, ciphertext) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (reader_id, kind, item_id) DO UPDATE SET "
                "version = excluded.version, ciphertext = excluded.ciphertext",
                (item.reader_id, item.kind, item.item_id, item.version, item.ciphertext),
            )

    def get(self, reader_id: str, kind: str, item_id: str) -> StoredItem | None:
        with self._errors():
            row = self._conn.execute(
                "SELECT reader_id, kind, item_id, version, ciphertext FROM reader_items "
                "WHERE reader_id = ? AND kind = ? AND item_id = ?",
                (reader_id, kind, item_id),
            ).fetchone()
        return None if row is None else _item(row)

    def items(self, reader_id: str, kind: str | None = None) -> list[StoredItem]:
        sql = "SELECT reader_id, kind, item_id, version, ciphertext FROM reader_items WHERE reader_id = ?"
        params: tuple[str, ...] = (reader_id,)
        if kind is not None:
            sql += " AND kind = ?"
            params += (kind,)
        with self._errors():
            rows = self._conn.execute(sql + " ORDER BY kind, item_id", params).fetchall()
        return [_item(row) for row in rows]

    def delete(self, reader_id: str, kind: str, item_id: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM reader_items WHERE reader_id = ? AND kind = ? AND item_id = ?", (reader_id, kind, item_id)
            )

    def delete_reader(self, reader_id: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM reader_items WHERE reader_id = ?", (reader_id,))

    def readers(self) -> list[str]:
        with self._errors():
            rows = self._conn.execute(
                "SELECT reader_id FROM reader_keys UNION SELECT reader_id FROM reader_items ORDER BY reader_id"
            ).fetchall()
        return [row[0] for row in rows]

    # -- audit

    def audit(self, entry: AuditEntry) -> None:
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
                    _stamp(entry.at),
                ),
            )

    def audit_log(self, reader_id: str) -> list[AuditEntry]:
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

    # -- helpers

    def _errors(self) -> AbstractContextManager[None]:
        return storage_errors("profile database")

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        return write_transaction(self._conn, "profile database")


def _item(row: tuple[str, str, str, int, bytes]) -> StoredItem:
    return StoredItem(reader_id=row[0], kind=row[1], item_id=row[2], version=row[3], ciphertext=bytes(row[4]))
