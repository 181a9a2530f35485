"""One reader's sealed items with their wrapped data key in hand (:meth:`~consortium.profiles.vault.Vault.items_of`):
the steps of one operation look the key up once, not once a step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consortium.profiles.models import StoredItem
    from consortium.profiles.vault import Vault

__all__ = ["ReaderItems"]


@dataclass(frozen=True)
class ReaderItems:
    """One reader's sealed items, their wrapped data key in hand: the steps of one operation (load, change,
    save) look the key up once. No consent check, no audit entry: the operation that holds it does both.

    Sealing and storing can be apart (:meth:`seal`, then :meth:`put_sealed`): the encryption of a
    read-modify-write done before its transaction, which then only writes.
    """

    vault: Vault
    reader_id: str
    wrapped: bytes

    def load(self, kind: str, item_id: str) -> Any:
        """One item, decrypted, or ``None``."""
        found = self.load_versioned(kind, item_id)
        return None if found is None else found[0]

    def load_versioned(self, kind: str, item_id: str) -> tuple[Any, int] | None:
        """One item, decrypted, and its version; or ``None``."""
        item = self.vault.store.get(self.reader_id, kind, item_id)
        return None if item is None else (self.vault.open_item(self.wrapped, item), item.version)

    def load_all(self, kind: str | None = None) -> list[tuple[StoredItem, Any]]:
        """Every item (of ``kind``), with its payload decrypted."""
        stored = self.vault.store.items(self.reader_id, kind)
        return [(item, self.vault.open_item(self.wrapped, item)) for item in stored]

    def save(self, kind: str, item_id: str, payload: Any) -> None:
        """Seal and store one item under the next version."""
        self.vault.seal_item(self.wrapped, self.reader_id, kind, item_id, payload)

    def seal(self, kind: str, item_id: str, payload: Any, version: int) -> bytes:
        """``payload`` sealed as version ``version`` of the item, not stored (:meth:`put_sealed` stores it)."""
        return self.vault.seal(self.wrapped, self.reader_id, kind, item_id, payload, version=version)

    def put_sealed(self, kind: str, item_id: str, sealed: bytes, version: int) -> None:
        """Store what :meth:`seal` gave, as version ``version`` of the item."""
        self.vault.store.put(self.reader_id, kind, item_id, sealed, version)
