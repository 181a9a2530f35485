"""The inter-library loan request store in SQLite: one table, ``loan_requests``, in the hub's database file (its
own schema, ``loans``, in ``schema_migrations``).

A save reads the stored version and writes the new one in one ``BEGIN IMMEDIATE`` transaction, so of two
processes saving the same version one wins and the other gets a :class:`~consortium.errors.ConflictError`.
"""

from __future__ import annotations

import threading
from datetime import UTC
from typing import TYPE_CHECKING

from consortium.adapters.local.sqlite_common import Schema, SqliteAdapter
from consortium.cooperation.models import LoanRequest, Side
from consortium.errors import VersionConflictError

if TYPE_CHECKING:
    import sqlite3

__all__ = ["SqliteLoanRequestStore"]

_SCHEMA = Schema(
    "loans",
    steps=(
        (
            """CREATE TABLE loan_requests (
                request_id TEXT PRIMARY KEY,
                lender     TEXT NOT NULL,
                borrower   TEXT NOT NULL,
                reader_id  TEXT NOT NULL,
                created_at TEXT NOT NULL,
                version    INTEGER NOT NULL,
                body       TEXT NOT NULL
            )""",
            "CREATE INDEX loan_requests_lender ON loan_requests (lender, created_at)",
            "CREATE INDEX loan_requests_borrower ON loan_requests (borrower, created_at)",
            "CREATE INDEX loan_requests_reader ON loan_requests (reader_id, created_at)",
        ),
    ),
)

_ORDER = "ORDER BY created_at DESC, request_id DESC"


class SqliteLoanRequestStore(SqliteAdapter):
    """A :class:`~consortium.cooperation.ports.LoanRequestStore` on a SQLite connection, usable from several
    threads.

    Made as :class:`~consortium.adapters.local.sqlite_common.SqliteAdapter` is; prefer :meth:`open`.

    Example
    -------
    >>> store = SqliteLoanRequestStore.open(settings.sqlite_path)
    >>> store.save(request)
    """

    _schema = _SCHEMA
    _what = "loan request database"
    _threads = True

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._lock = threading.Lock()
        super().__init__(connection)

    def get(self, request_id: str) -> LoanRequest | None:
        with self._lock, self._errors():
            row = self._conn.execute("SELECT body FROM loan_requests WHERE request_id = ?", (request_id,)).fetchone()
        return LoanRequest.model_validate_json(row[0]) if row else None

    def save(self, request: LoanRequest) -> None:
        with self._lock, self._transaction() as conn:
            row = conn.execute(
                "SELECT version FROM loan_requests WHERE request_id = ?", (request.request_id,)
            ).fetchone()
            version = int(row[0]) if row else 0
            if version != request.version - 1:
                raise VersionConflictError(
                    f"request {request.request_id} is at version {version}, not {request.version - 1}: "
                    "it was changed in between",
                    version=version,
                )
            conn.execute(
                "INSERT INTO loan_requests (request_id, lender, borrower, reader_id, created_at, version, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO UPDATE SET version = excluded.version, "
                "reader_id = excluded.reader_id, body = excluded.body",
                (
                    request.request_id,
                    request.lender,
                    request.borrower,
                    request.reader_id,
                    request.created_at.astimezone(UTC).isoformat(),
                    request.version,
                    request.model_dump_json(),
                ),
            )

    def for_member(self, member: str, side: Side) -> list[LoanRequest]:
        column = "lender" if side is Side.LENDING else "borrower"
        return self._select(f"WHERE {column} = ?", (member,))

    def for_reader(self, reader_id: str) -> list[LoanRequest]:
        return self._select("WHERE reader_id = ?", (reader_id,))

    def forget_reader(self, reader_id: str, pseudonym: str) -> None:
        with self._lock, self._transaction() as conn:
            rows = conn.execute("SELECT body FROM loan_requests WHERE reader_id = ?", (reader_id,)).fetchall()
            for (body,) in rows:
                request = LoanRequest.model_validate_json(body).under_pseudonym(pseudonym)
                conn.execute(
                    "UPDATE loan_requests SET reader_id = ?, body = ? WHERE request_id = ?",
                    (pseudonym, request.model_dump_json(), request.request_id),
                )

    def _select(self, where: str, params: tuple[str, ...]) -> list[LoanRequest]:
        with self._lock, self._errors():
            rows = self._conn.execute(f"SELECT body FROM loan_requests {where} {_ORDER}", params).fetchall()
        return [LoanRequest.model_validate_json(row[0]) for row in rows]
