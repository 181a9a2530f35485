"""The profile store in memory: for unit tests, and a correct :class:`~consortium.profiles.ports.ProfileStore`."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from typing import TYPE_CHECKING

from consortium.profiles.models import AuditEntry, StoredItem

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

__all__ = ["InMemoryProfileStore"]


class InMemoryProfileStore:
    """A :class:`~consortium.profiles.ports.ProfileStore` in dicts.

    Example
    -------
    >>> store = InMemoryProfileStore()
    >>> store.put_key("r1", wrapped)
    """

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._items: dict[tuple[str, str, str], StoredItem] = {}
        self._audit: list[AuditEntry] = []
        self._lock = threading.Lock()

    def put_key(self, reader_id: str, wrapped_key: bytes) -> None:
        with self._lock:
            self._keys[reader_id] = bytes(wrapped_key)

    def get_key(self, reader_id: str) -> bytes | None:
        with self._lock:
            return self._keys.get(reader_id)

    def delete_key(self, reader_id: str) -> None:
        with self._lock:
            self._keys.pop(reader_id, None)

    def put(self, reader_id: str, kind: str, item_id: str, ciphertext: bytes, version: int) -> None:
        item = StoredItem(reader_id=reader_id, kind=kind, item_id=item_id, ciphertext=ciphertext, version=version)
        with self._lock:
            self._items[(reader_id, kind, item_id)] = item

    def get(self, reader_id: str, kind: str, item_id: str) -> StoredItem | None:
        with self._lock:
            return self._items.get((reader_id, kind, item_id))

    def items(self, reader_id: str, kind: str | None = None) -> list[StoredItem]:
        with self._lock:
            found = [
                item
                for (reader, item_kind, _), item in self._items.items()
                if reader == reader_id and (kind is None or item_kind == kind)
            ]
        return sorted(found, key=lambda item: (item.kind, item.item_id))

    def delete(self, reader_id: str, kind: str, item_id: str) -> None:
        with self._lock:
            self._items.pop((reader_id, kind, item_id), None)

    def delete_reader(self, reader_id: str) -> None:
        with self._lock:
            for key in [key for key in self._items if key[0] == reader_id]:
                del self._items[key]

    def readers(self) -> list[str]:
        with self._lock:
            return sorted(set(self._keys) | {key[0] for key in self._items})

    def audit(self, entry: AuditEntry) -> None:
        with self._lock:
            self._audit.append(entry)

    def audit_log(self, reader_id: str) -> list[AuditEntry]:
        with self._lock:
            found = [entry for entry in self._audit if entry.reader_id == reader_id]
        return sorted(found, key=lambda entry: entry.at)

    def detach_audit(self, reader_id: str, pseudonym: str) -> None:
        with self._lock:
            self._audit = [
                entry.detached(pseudonym) if entry.reader_id == reader_id else entry for entry in self._audit
            ]

    def transaction(self) -> AbstractContextManager[None]:
        """Each write goes as it is made (no rollback): a block only groups them for the caller."""
        return nullcontext()
