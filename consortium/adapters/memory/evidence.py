"""The ranking evidence kept in memory (tests, and a hub that rebuilds it in the same process)."""

from __future__ import annotations

import threading

from consortium.push.ports import StoredBlob

__all__ = ["InMemoryEvidenceStore"]


class InMemoryEvidenceStore:
    """An :class:`~consortium.push.ports.EvidenceStore` in memory; each write is a new version.

    Example
    -------
    >>> store = InMemoryEvidenceStore()
    >>> store.put(b"{}"); store.version()
    '1'
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blob: StoredBlob | None = None
        self._writes = 0

    def put(self, data: bytes) -> None:
        with self._lock:
            self._writes += 1
            self._blob = StoredBlob(bytes(data), str(self._writes))

    def get(self) -> StoredBlob | None:
        return self._blob

    def version(self) -> str | None:
        blob = self._blob
        return None if blob is None else blob.version
