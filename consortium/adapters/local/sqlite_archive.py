"""The raw archive in its own SQLite file: one row per blob, keyed by its SHA-256 digest.

A harvested page's raw records are written in one transaction (:meth:`SqliteBlobStore.put_many`), which costs a
fraction of writing one file per record. The archive has its own database file, apart from the record store's,
so that it can be copied, moved or dropped on its own.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import TYPE_CHECKING

from consortium.adapters.local.sqlite_common import Schema, SqliteAdapter, legacy_table, open_database
from consortium.errors import NotFoundError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence
    from pathlib import Path

__all__ = ["SqliteBlobStore"]

_DIGEST = re.compile(r"[0-9a-f]{64}")
_SCHEMA = Schema(
    "raw_archive",
    steps=(("CREATE TABLE raw (digest TEXT PRIMARY KEY, data BLOB NOT NULL)",),),
    legacy=legacy_table("raw"),
)
"""One row per blob (see :mod:`~consortium.adapters.local.sqlite_common`)."""
_INSERT = "INSERT OR IGNORE INTO raw (digest, data) VALUES (?, ?)"
_PAGE_SIZE = 16384
"""Raw records of a few kB fit a 16 kB page several at a time: a page's batch is written in about a third less
time than with 4 kB pages. Set on a new file only, before its first table."""


class SqliteBlobStore(SqliteAdapter):
    """A :class:`~consortium.harvest.ports.BlobStore` in a SQLite database (table ``raw(digest, data)``).

    Writing a blob that is already there does nothing. The connection may be used from several threads; one
    call runs at a time.

    Made as :class:`~consortium.adapters.local.sqlite_common.SqliteAdapter` is, from a ``connection``; prefer
    :meth:`open`.

    Example
    -------
    >>> archive = SqliteBlobStore.open(settings.archive_path)
    >>> archive.get(archive.put(b"..."))
    b'...'
    """

    _schema = _SCHEMA
    _what = "raw archive"
    _threads = True

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__(connection)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, *, fsync: bool = False) -> SqliteBlobStore:
        """Open (creating it and its parent folders if needed) the archive database at ``path``.

        ``fsync`` makes every write transaction durable on its own (``synchronous = FULL``), so it survives a
        power cut; without it (``NORMAL``) the database stays consistent but the last transactions may be lost.
        """
        store = open_database(path, cls._what, cls, check_same_thread=False, fsync=fsync, page_size=_PAGE_SIZE)
        return cls._gated(store, path)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            super().close()

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 digest."""
        return self.put_many([data])[0]

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """Store every blob and return their SHA-256 digests, in order, in one transaction."""
        digests = [hashlib.sha256(data).hexdigest() for data in blobs]
        if digests:
            with self._lock, self._transaction() as conn:
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

    def _row(self, sql: str, digest: str) -> tuple[bytes] | None:
        if _DIGEST.fullmatch(digest) is None:
            return None
        with self._lock, self._errors():
            row: tuple[bytes] | None = self._conn.execute(sql, (digest,)).fetchone()
        return row
