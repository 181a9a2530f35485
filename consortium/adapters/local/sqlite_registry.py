"""The source override store in SQLite: one table, ``source_overrides``, beside the record store's in the hub's
database file (its own schema, ``registry``, in ``schema_migrations``).

A save reads the stored version and writes the new one in one ``BEGIN IMMEDIATE`` transaction, so of two
processes saving the same version one wins and the other gets a :class:`~consortium.errors.ConflictError`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from consortium.adapters.local.sqlite_common import Schema, SqliteAdapter
from consortium.errors import VersionConflictError
from consortium.registry.models import SourceOverride

if TYPE_CHECKING:
    import sqlite3

__all__ = ["SqliteSourceOverrideStore"]

_SCHEMA = Schema(
    "registry",
    steps=(
        (
            """CREATE TABLE source_overrides (
                member    TEXT NOT NULL,
                source_id TEXT NOT NULL,
                version   INTEGER NOT NULL,
                body      TEXT NOT NULL,
                PRIMARY KEY (member, source_id)
            )""",
        ),
    ),
)


class SqliteSourceOverrideStore(SqliteAdapter):
    """A :class:`~consortium.registry.ports.SourceOverrideStore` on a SQLite connection, usable from several
    threads (the API's and the scheduler's).

    Made as :class:`~consortium.adapters.local.sqlite_common.SqliteAdapter` is; prefer :meth:`open`.

    Example
    -------
    >>> store = SqliteSourceOverrideStore.open(settings.sqlite_path)
    >>> store.save(override)
    """

    _schema = _SCHEMA
    _what = "registry database"
    _threads = True

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._lock = threading.Lock()
        super().__init__(connection)

    def get(self, member: str, source_id: str) -> SourceOverride | None:
        """The member's override of the source, or ``None``."""
        sql = "SELECT body FROM source_overrides WHERE member = ? AND source_id = ?"
        with self._lock, self._errors():
            row = self._conn.execute(sql, (member, source_id)).fetchone()
        return SourceOverride.model_validate_json(row[0]) if row else None

    def overrides(self, member: str | None = None) -> list[SourceOverride]:
        """Every override, or one member's, in ``(member, source_id)`` order."""
        where, params = ("", ()) if member is None else ("WHERE member = ?", (member,))
        with self._lock, self._errors():
            rows = self._conn.execute(
                f"SELECT body FROM source_overrides {where} ORDER BY member, source_id", params
            ).fetchall()
        return [SourceOverride.model_validate_json(row[0]) for row in rows]

    def save(self, override: SourceOverride) -> None:
        """Store ``override`` over version ``override.version - 1`` (see the module)."""
        key = (override.member, override.source_id)
        with self._lock, self._transaction() as conn:
            row = conn.execute(
                "SELECT version FROM source_overrides WHERE member = ? AND source_id = ?", key
            ).fetchone()
            version = int(row[0]) if row else 0
            if version != override.version - 1:
                raise VersionConflictError(
                    f"source {override.source_id!r} of member {override.member!r} is at version {version}, "
                    f"not {override.version - 1}",
                    version=version,
                )
            conn.execute(
                "INSERT INTO source_overrides (member, source_id, version, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (member, source_id) DO UPDATE SET version = excluded.version, body = excluded.body",
                (*key, override.version, override.model_dump_json()),
            )

    def delete(self, member: str, source_id: str) -> None:
        """Forget the override (nothing happens when there is none)."""
        with self._lock, self._transaction() as conn:
            conn.execute("DELETE FROM source_overrides WHERE member = ? AND source_id = ?", (member, source_id))
