"""The :class:`ProfileStore` port: where readers' wrapped data keys, encrypted items and audit log are kept.

A store never sees plaintext. Reader ids are opaque; an item is addressed by ``(reader_id, kind, item_id)`` and
holds only ciphertext and the version bound into it. The audit log says who touched whose data, what kind, how,
when and for which purpose, never the data.

Adapters: :class:`~consortium.adapters.memory.profiles.InMemoryProfileStore`,
:class:`~consortium.adapters.local.sqlite_profiles.SqliteProfileStore` and
:class:`~consortium.adapters.aws.dynamodb_profiles.DynamoDbProfileStore`; one contract suite,
``tests/contract/test_profile_store.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from consortium.profiles.models import AuditEntry, StoredItem

__all__ = ["ProfileStore"]


class ProfileStore(Protocol):
    """Readers' wrapped data keys, encrypted items and the audit log.

    Example
    -------
    >>> store.put_key("r1", wrapped)
    >>> store.put("r1", "profile", "profile", sealed, 1)
    >>> store.get("r1", "profile", "profile").ciphertext == sealed
    True
    """

    def put_key(self, reader_id: str, wrapped_key: bytes) -> None:
        """Store (or replace) the reader's wrapped data key."""
        ...

    def get_key(self, reader_id: str) -> bytes | None:
        """The reader's wrapped data key, or ``None`` when there is none (never created, or erased)."""
        ...

    def delete_key(self, reader_id: str) -> None:
        """Delete the reader's wrapped data key (nothing happens when there is none)."""
        ...

    def put(self, reader_id: str, kind: str, item_id: str, ciphertext: bytes, version: int) -> None:
        """Store (or replace) one encrypted item."""
        ...

    def get(self, reader_id: str, kind: str, item_id: str) -> StoredItem | None:
        """One item, or ``None``."""
        ...

    def items(self, reader_id: str, kind: str | None = None) -> list[StoredItem]:
        """The reader's items (of one kind, or all), in ``(kind, item_id)`` order."""
        ...

    def delete(self, reader_id: str, kind: str, item_id: str) -> None:
        """Delete one item (nothing happens when it is absent)."""
        ...

    def delete_reader(self, reader_id: str) -> None:
        """Delete every item of the reader (not the wrapped key, not the audit log)."""
        ...

    def readers(self) -> list[str]:
        """The ids of every reader with a wrapped key or an item, sorted."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log."""
        ...

    def audit_log(self, reader_id: str) -> list[AuditEntry]:
        """The entries about the reader, in time order (same-moment entries in the order appended)."""
        ...
