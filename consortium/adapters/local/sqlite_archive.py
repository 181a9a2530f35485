"""The raw archive in its own SQLite file: one row per blob, keyed by its SHA-256 digest.

A harvested page's raw records are written in one transaction (:meth:`SqliteBlobStore.put_many`), which costs a
fraction of writing one file per record. The archive has its own database file, apart from the record store's,
so that it can be copied, moved or dropped on its own.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from consortium.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

__all__ = ["SqliteBlobStore"]

_DIGEST = re.compile(r"[0-9a-f]{64}")
_SCHEMA_VERSION = 1
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS raw (digest TEXT PRIMARY KEY, data BLOB NOT NULL)",
    f"PRAGMA user_version = {_SCHEMA_VERSION}",
)
_INSERT = "INSERT OR IGNORE INTO raw (digest, data) VALUES (?, ?)"


class SqliteBlobStore:
    """A :class:`~consortium.ports.BlobStore` in a SQLite database (table ``raw(digest, data)``).

    Writing a blob that is already there does nothing. The connection may be used from several threads; one
    call runs at a time.

    Parameters
    ----------
    connection
        An open connection; the table is created on it if missing. Prefer :meth:`open`, which also sets WAL
        journal mode.

    Example
    -------
    >>> archive = SqliteBlobStore.open(settings.archive_path)
    >>> archive.get(archive.put(b"..."))
    b'...'
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._lock = threading.Lock()
        with self._transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    @classmethod
    def open(cls, path: Path, *, fsync: bool = False) -> SqliteBlobStore:
        """Open (creating it and its parent folders if needed) the archive database at ``path``.

        ``fsync`` makes every write transaction durable on its own (``synchronous = FULL``), so it survives a
        power cut; without it (``NORMAL``) the database stays consistent but the last transactions may be lost.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the raw archive {path}: {exc}", path=str(path)) from exc
        try:
            # Set before the file's first table (no effect later): raw records of a few kB fit a 16 kB page
            # several at a time, and a page's batch is written in about a third less time than with 4 kB pages.
            conn.execute("PRAGMA page_size = 16384")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
            return cls(conn)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"cannot open the raw archive {path}: {exc}", path=str(path)) from exc
            raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock, self._errors("close"):
            self._conn.close()

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 digest."""
        return self.put_many([data])[0]

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """Store every blob and return their SHA-256 digests, in order, in one transaction."""
        digests = [hashlib.sha256(data).hexdigest() for data in blobs]
        if digests:
            with self._transaction() as conn:
                conn.executemany(_INSERT, zip(digests, blobs, strict=True))
        return digests

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; :class:`~consortium.errors.NotFoundError` if none."""
        row = self._row("SELECT data FROM raw WHERE digest = ?", digest)
        if row is None:
            raise NotFoundError(f"no raw record with digest {digest}", digest=digest)
        return bytes(row[0])

    def exists(self, digest: str) -> bool:
        """Whether a blob with this digest is stored."""
        return self._row("SELECT 1 FROM raw WHERE digest = ?", digest) is not None

    # -- helpers -------------------------------------------------------------------------------------------

    def _row(self, sql: str, digest: str) -> tuple[bytes] | None:
        if _DIGEST.fullmatch(digest) is None:
            return None
        with self._lock, self._errors("read"):
            row: tuple[bytes] | None = self._conn.execute(sql, (digest,)).fetchone()
        return row

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StorageError(f"raw archive {what} failed: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.commit()
            except BaseException as exc:
                try:
                    if conn.in_transaction:
                        conn.rollback()
                except sqlite3.Error:
                    pass  # the original error says more
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(f"raw archive write failed: {exc}") from exc
                raise
