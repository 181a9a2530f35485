"""The profile store in one DynamoDB table (single-table design, the same key schema as the record store's).

=====================  ==========================  ===============================================
item                   ``pk``                      ``sk``
=====================  ==========================  ===============================================
wrapped data key       ``READER#<reader_id>``      ``KEY``
encrypted item         ``READER#<reader_id>``      ``ITEM#<kind>#<item_id>``
audit entry            ``AUDIT#<reader_id>``       ``<at, UTC ISO>#<random>``
detached audit entry   ``AUDIT#<pseudonym>``       the same as before
reader directory       ``READERS``                 ``<reader_id>``
=====================  ==========================  ===============================================

Encrypted items hold ``kind``, ``item_id``, ``version`` and ``ciphertext`` (binary) as attributes; nothing is
parsed back out of ``sk``. Audit entries hold their fields as attributes, never data. The reader directory lists
every reader with a key or an item, so that :meth:`DynamoDbProfileStore.readers` is one Query, not a Scan.
"""

from __future__ import annotations

import datetime as dt
import secrets
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, delete_request, key_of
from consortium.adapters.timestamps import utc_stamp
from consortium.profiles.models import AuditEntry, StoredItem

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from contextlib import AbstractContextManager

__all__ = ["DynamoDbProfileStore"]

_READERS = "READERS"
_KEY_SK = "KEY"


def _reader_pk(reader_id: str) -> str:
    return f"READER#{reader_id}"


def _item_sk(kind: str, item_id: str) -> str:
    return f"ITEM#{kind}#{item_id}"


class DynamoDbProfileStore(DynamoDbStore):
    """A :class:`~consortium.profiles.ports.ProfileStore` in a DynamoDB table. Reads are strongly consistent.

    Made as :class:`~consortium.adapters.aws.dynamodb_common.DynamoDbStore` is: ``table_name``, ``client``,
    ``sleep``.

    Example
    -------
    >>> store = DynamoDbProfileStore("consortium-profiles", boto3.client("dynamodb"))
    >>> store.put_key("r1", wrapped)
    """

    # -- keys

    def put_key(self, reader_id: str, wrapped_key: bytes) -> None:
        """Store (or replace) the reader's wrapped data key, and list the reader."""
        self._put(key_of(_reader_pk(reader_id), _KEY_SK) | {"wrapped_key": {"B": bytes(wrapped_key)}})
        self._put(key_of(_READERS, reader_id))

    def get_key(self, reader_id: str) -> bytes | None:
        """The reader's wrapped data key, or ``None``."""
        item = self._get(key_of(_reader_pk(reader_id), _KEY_SK))
        return None if item is None else bytes(item["wrapped_key"]["B"])

    def delete_key(self, reader_id: str) -> None:
        """Delete the reader's wrapped data key (the reader leaves the list once nothing of theirs is left)."""
        self._delete(key_of(_reader_pk(reader_id), _KEY_SK))
        self._forget_if_empty(reader_id)

    # -- items

    def put(self, reader_id: str, kind: str, item_id: str, ciphertext: bytes, version: int) -> None:
        """Store (or replace) one encrypted item, and list the reader."""
        item = StoredItem(reader_id=reader_id, kind=kind, item_id=item_id, ciphertext=ciphertext, version=version)
        self._put(
            key_of(_reader_pk(reader_id), _item_sk(item.kind, item.item_id))
            | {
                "kind": {"S": item.kind},
                "item_id": {"S": item.item_id},
                "version": {"N": str(item.version)},
                "ciphertext": {"B": item.ciphertext},
            }
        )
        self._put(key_of(_READERS, reader_id))

    def get(self, reader_id: str, kind: str, item_id: str) -> StoredItem | None:
        """One item, or ``None``."""
        item = self._get(key_of(_reader_pk(reader_id), _item_sk(kind, item_id)))
        return None if item is None else _stored(reader_id, item)

    def items(self, reader_id: str, kind: str | None = None) -> list[StoredItem]:
        """The reader's items (of one kind, or all), in ``(kind, item_id)`` order: one Query on the prefix."""
        prefix = "ITEM#" if kind is None else f"ITEM#{kind}#"
        found = [_stored(reader_id, item) for item in self._query(_reader_pk(reader_id), prefix)]
        if kind is not None:
            found = [item for item in found if item.kind == kind]
        return sorted(found, key=lambda item: (item.kind, item.item_id))

    def delete(self, reader_id: str, kind: str, item_id: str) -> None:
        """Delete one item (nothing happens when it is absent)."""
        self._delete(key_of(_reader_pk(reader_id), _item_sk(kind, item_id)))
        self._forget_if_empty(reader_id)

    def delete_reader(self, reader_id: str) -> None:
        """Delete every item of the reader (a Query for the keys, then batched deletes), not the key or the log."""
        rows = self._query(_reader_pk(reader_id), "ITEM#", attributes=["pk", "sk"])
        self._table.batch_write([delete_request(row["pk"]["S"], row["sk"]["S"]) for row in rows], "delete reader items")
        self._forget_if_empty(reader_id)

    def readers(self) -> list[str]:
        """The ids of every reader with a wrapped key or an item, sorted (one Query of the directory)."""
        return sorted(item["sk"]["S"] for item in self._query(_READERS, ""))

    # -- audit

    def audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log (its fields as attributes, never data)."""
        self._put(
            key_of(f"AUDIT#{entry.reader_id}", f"{utc_stamp(entry.at)}#{secrets.token_hex(8)}")
            | {
                "actor_id": {"S": entry.actor_id},
                "actor_role": {"S": entry.actor_role.value},
                "kind": {"S": entry.kind},
                "action": {"S": entry.action.value},
                "purpose": {"S": entry.purpose.value},
                "at": {"S": utc_stamp(entry.at)},
            }
        )

    def audit_log(self, reader_id: str) -> list[AuditEntry]:
        """The entries about the reader, in time order."""
        # Same-moment entries share the timestamp prefix; the random suffix then decides, not the append order.
        return [
            AuditEntry.model_validate(
                {
                    "reader_id": reader_id,
                    "actor_id": item["actor_id"]["S"],
                    "actor_role": item["actor_role"]["S"],
                    "kind": item["kind"]["S"],
                    "action": item["action"]["S"],
                    "purpose": item["purpose"]["S"],
                    "at": dt.datetime.fromisoformat(item["at"]["S"]),
                }
            )
            for item in self._query(f"AUDIT#{reader_id}", "")
        ]

    def detach_audit(self, reader_id: str, pseudonym: str) -> None:
        """Move the reader's entries under ``pseudonym``: each is put under ``AUDIT#<pseudonym>`` with the same sort
        key, then the originals are deleted (batched). Not atomic: an interrupted move is finished by calling it
        again (the puts are idempotent)."""
        rows = list(self._query(f"AUDIT#{reader_id}", ""))
        moved = [
            row
            | key_of(f"AUDIT#{pseudonym}", row["sk"]["S"])
            | {"actor_id": {"S": pseudonym if row["actor_id"]["S"] == reader_id else row["actor_id"]["S"]}}
            for row in rows
        ]
        self._table.batch_write([{"PutRequest": {"Item": row}} for row in moved], "detach an audit log")
        self._table.batch_write([delete_request(row["pk"]["S"], row["sk"]["S"]) for row in rows], "detach an audit log")

    def transaction(self) -> AbstractContextManager[None]:
        """Each write goes as it is made (a DynamoDB transaction holds at most 100 items and would be rebuilt
        from the block's writes; none is needed: every item is one reader's, and a write replaces it whole)."""
        return nullcontext()

    # -- helpers

    def _forget_if_empty(self, reader_id: str) -> None:
        if not any(True for _ in self._query(_reader_pk(reader_id), "", limit=1)):
            self._delete(key_of(_READERS, reader_id))

    def _put(self, row: dict[str, Any]) -> None:
        self._table.put(row, "put a profile item")

    def _get(self, row_key: dict[str, Any]) -> dict[str, Any] | None:
        return self._table.get(row_key, "get a profile item")

    def _delete(self, row_key: dict[str, Any]) -> None:
        self._table.delete(row_key, "delete a profile item")

    def _query(
        self, pk: str, prefix: str, limit: int | None = None, attributes: Sequence[str] = ()
    ) -> Iterator[dict[str, Any]]:
        return self._table.query(pk, prefix=prefix, limit=limit, attributes=attributes, action="query profiles")


def _stored(reader_id: str, item: dict[str, Any]) -> StoredItem:
    return StoredItem(
        reader_id=reader_id,
        kind=item["kind"]["S"],
        item_id=item["item_id"]["S"],
        version=int(item["version"]["N"]),
        ciphertext=bytes(item["ciphertext"]["B"]),
    )
