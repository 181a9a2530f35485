"""The curated list store in SQLite: one table, ``curated_lists``, in the hub's database file (its own schema,
``lists``, in ``schema_migrations``); a save checks the stored version in one ``BEGIN IMMEDIATE`` transaction."""

from __future__ import annotations

import threading
from datetime import UTC
from typing import TYPE_CHECKING

from consortium.adapters.local.sqlite_common import Schema, SqliteAdapter
from consortium.cooperation.lists import CuratedList
from consortium.errors import VersionConflictError

if TYPE_CHECKING:
    import sqlite3

    from consortium.cooperation.lists import ListState

__all__ = ["SqliteCuratedListStore"]

_SCHEMA = Schema(
    "lists",
    steps=(
        (
            """CREATE TABLE curated_lists (
                list_id    TEXT PRIMARY KEY,
                member     TEXT NOT NULL,
                state      TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                version    INTEGER NOT NULL,
                body       TEXT NOT NULL
            )""",
        ),
    ),
)


class SqliteCuratedListStore(SqliteAdapter):
    """A :class:`~consortium.cooperation.ports.CuratedListStore` on a SQLite connection (prefer :meth:`open`)."""

    _schema = _SCHEMA
    _what = "curated list database"
    _threads = True

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._lock = threading.Lock()
        super().__init__(connection)

    def get(self, list_id: str) -> CuratedList | None:
        with self._lock, self._errors():
            row = self._conn.execute("SELECT body FROM curated_lists WHERE list_id = ?", (list_id,)).fetchone()
        return CuratedList.model_validate_json(row[0]) if row else None

    def save(self, curated: CuratedList) -> None:
        with self._lock, self._transaction() as conn:
            row = conn.execute("SELECT version FROM curated_lists WHERE list_id = ?", (curated.list_id,)).fetchone()
            version = int(row[0]) if row else 0
            if version != curated.version - 1:
                raise VersionConflictError(
                    f"list {curated.list_id} is at version {version}, not {curated.version - 1}: "
                    "it was changed in between",
                    version=version,
                )
            conn.execute(
                "INSERT INTO curated_lists (list_id, member, state, updated_at, version, body) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (list_id) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at, "
                "version = excluded.version, body = excluded.body",
                (
                    curated.list_id,
                    curated.member,
                    curated.state.value,
                    curated.updated_at.astimezone(UTC).isoformat(),
                    curated.version,
                    curated.model_dump_json(),
                ),
            )

    def delete(self, list_id: str, version: int) -> None:
        with self._lock, self._transaction() as conn:
            row = conn.execute("SELECT version FROM curated_lists WHERE list_id = ?", (list_id,)).fetchone()
            found = int(row[0]) if row else 0
            if found != version:
                raise VersionConflictError(
                    f"list {list_id} is at version {found}, not {version}: it was changed in between", version=found
                )
            conn.execute("DELETE FROM curated_lists WHERE list_id = ?", (list_id,))

    def lists(self, member: str | None = None, state: ListState | None = None) -> list[CuratedList]:
        where, params = [], []
        if member is not None:
            where.append("member = ?")
            params.append(member)
        if state is not None:
            where.append("state = ?")
            params.append(state.value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._lock, self._errors():
            rows = self._conn.execute(
                f"SELECT body FROM curated_lists {clause} ORDER BY updated_at DESC, list_id DESC", params
            ).fetchall()
        return [CuratedList.model_validate_json(row[0]) for row in rows]
