"""The harvest run store in SQLite: one table, ``harvest_runs``, in the hub's database file (schema ``runs``).

A run's row is keyed by ``(member, run_id)``; the primary key's index gives a member's runs newest first.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from consortium.adapters.local.sqlite_common import Schema, SqliteAdapter
from consortium.errors import AlreadyExistsError
from consortium.harvest.runs import HarvestRun

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable

__all__ = ["SqliteHarvestRunStore"]

_SCHEMA = Schema(
    "runs",
    steps=(
        (
            """CREATE TABLE harvest_runs (
                member TEXT NOT NULL,
                run_id TEXT NOT NULL,
                body   TEXT NOT NULL,
                PRIMARY KEY (member, run_id)
            )""",
        ),
    ),
)


class SqliteHarvestRunStore(SqliteAdapter):
    """A :class:`~consortium.harvest.ports.HarvestRunStore` on a SQLite connection, usable from several threads
    (the API's, the scheduler's, the harvest worker's).

    Made as :class:`~consortium.adapters.local.sqlite_common.SqliteAdapter` is; prefer :meth:`open`.

    Example
    -------
    >>> store = SqliteHarvestRunStore.open(settings.sqlite_path)
    >>> store.add(run)
    """

    _schema = _SCHEMA
    _what = "harvest run database"
    _threads = True

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._lock = threading.Lock()
        super().__init__(connection)

    def add(self, run: HarvestRun) -> None:
        """Keep a new run; :class:`ConflictError` when the member has a run with its id."""
        with self._lock, self._transaction() as conn:
            added = conn.execute(
                "INSERT OR IGNORE INTO harvest_runs (member, run_id, body) VALUES (?, ?, ?)",
                (run.member, run.run_id, run.model_dump_json()),
            ).rowcount
        if not added:
            raise AlreadyExistsError(f"member {run.member!r} has a run {run.run_id!r} already", run_id=run.run_id)

    def save(self, run: HarvestRun) -> None:
        """Keep the run as it is now."""
        with self._lock, self._transaction() as conn:
            conn.execute(
                "INSERT INTO harvest_runs (member, run_id, body) VALUES (?, ?, ?) "
                "ON CONFLICT (member, run_id) DO UPDATE SET body = excluded.body",
                (run.member, run.run_id, run.model_dump_json()),
            )

    def get(self, member: str, run_id: str) -> HarvestRun | None:
        """The member's run, or ``None``."""
        sql = "SELECT body FROM harvest_runs WHERE member = ? AND run_id = ?"
        with self._lock, self._errors():
            row = self._conn.execute(sql, (member, run_id)).fetchone()
        return HarvestRun.model_validate_json(row[0]) if row else None

    def delete(self, member: str, run_ids: Iterable[str]) -> None:
        """Forget these runs of the member, in one transaction."""
        with self._lock, self._transaction() as conn:
            conn.executemany(
                "DELETE FROM harvest_runs WHERE member = ? AND run_id = ?", [(member, run_id) for run_id in run_ids]
            )

    def runs(self, member: str, *, limit: int = 20, before: str | None = None) -> list[HarvestRun]:
        """The member's runs, newest first (read from the primary key's index)."""
        where, params = ("member = ?", [member]) if before is None else ("member = ? AND run_id < ?", [member, before])
        sql = f"SELECT body FROM harvest_runs WHERE {where} ORDER BY run_id DESC LIMIT ?"
        with self._lock, self._errors():
            rows = self._conn.execute(sql, (*params, max(limit, 0))).fetchall()
        return [HarvestRun.model_validate_json(row[0]) for row in rows]
