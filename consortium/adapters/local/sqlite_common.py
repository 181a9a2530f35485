"""What the SQLite adapters share: error mapping and one write transaction."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

__all__ = ["open_database", "storage_errors", "write_transaction"]

T = TypeVar("T")


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


def open_database(
    path: Path, what: str, build: Callable[[sqlite3.Connection], T], *, check_same_thread: bool = True
) -> T:
    """Open (creating it and its parent folders if needed) the database file at ``path`` in WAL mode and hand
    the connection to ``build`` (an adapter's constructor); the connection is closed if that fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot open the {what} {path}: {exc}", path=str(path)) from exc
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return build(conn)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise StorageError(f"cannot open the {what} {path}: {exc}", path=str(path)) from exc
        raise
