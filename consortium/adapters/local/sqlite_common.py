"""What the SQLite adapters share: error mapping and one write transaction."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import TYPE_CHECKING

from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["storage_errors", "write_transaction"]


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """SQLite errors inside the block become :class:`StorageError` naming ``what`` failed."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StorageError(f"{what} failed: {exc}") from exc


@contextmanager
def write_transaction(conn: sqlite3.Connection, what: str) -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` unless one is open): committed when the block ends, rolled
    back if it raises; SQLite errors become :class:`StorageError` naming ``what``."""
    try:
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.commit()
    except BaseException as exc:
        try:
            if conn.in_transaction:
                conn.rollback()
        except sqlite3.Error:
            pass  # the original error says more; the transaction is gone with the connection anyway
        if isinstance(exc, sqlite3.Error):
            raise StorageError(f"{what} write failed: {exc}") from exc
        raise
