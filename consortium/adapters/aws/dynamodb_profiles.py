"""The profile store in one DynamoDB table (single-table design, the same key schema as the record store's).

=====================  ==========================  ===============================================
item                   ``pk``                      ``sk``
=====================  ==========================  ===============================================
wrapped data key       ``READER#<reader_id>``      ``KEY``
encrypted item         ``READER#<reader_id>``      ``ITEM#<kind>#<item_id>``
audit entry            ``AUDIT#<reader_id>``       ``<at, UTC ISO>#<random>``
reader directory       ``READERS``                 ``<reader_id>``
=====================  ==========================  ===============================================

Encrypted items hold ``kind``, ``item_id``, ``version`` and ``ciphertext`` (binary) as attributes; nothing is
parsed back out of ``sk``. Audit entries hold their fields as attributes, never data. The reader directory lists
every reader with a key or an item, so that :meth:`DynamoDbProfileStore.readers` is one Query, not a Scan.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

import boto3

from consortium.adapters.aws.dynamodb_store import _errors, _key, create_table
from consortium.profiles.models import AuditEntry, StoredItem

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["DynamoDbProfileStore", "create_table"]

_READERS = "READERS"
_KEY_SK = "KEY"
_WRITE_BATCH = 25


def _reader_pk(reader_id: str) -> str:
    return f"READER#{reader_id}"


def _item_sk(kind: str, item_id: str) -> str:
    return f"ITEM#{kind}#{item_id}"


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class DynamoDbProfileStore:
    """A :class:`~consortium.profiles.store.ProfileStore` in a DynamoDB table. Reads are strongly consistent.

    Parameters
    ----------
    table_name
        The table (string ``pk`` and ``sk``); make it with :func:`create_table`.
    client
        A boto3 DynamoDB client; a default one is made when omitted.
    """

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        self._client = client if client is not None else boto3.client("dynamodb")

    # -- keys

    def put_key(self, reader_id: str, wrapped_key: bytes) -> None:
        self._put(_key(_reader_pk(reader_id), _KEY_SK) | {"wrapped_key": {"B": bytes(wrapped_key)}})
        self._put(_key(_READERS, reader_id))

    def get_key(self, reader_id: str) -> bytes | None:
        item = self._get(_key(_reader_pk(reader_id), _KEY_SK))
        return None if item is None else bytes(item["wrapped_key"]["B"])

    def delete_key(self, reader_id: str) -> None:
        self._delete(_key(_reader_pk(reader_id), _KEY_SK))
        self._forget_if_empty(reader_id)

    # -- items

    def put(self, reader_id: str, kind: str, item_id: str, ciphertext: bytes, version: int) -> None:
        item = StoredItem(reader_id=reader_id, kind=kind, item_id=item_id, ciphertext=ciphertext, version=version)
        self._put(
            _key(_reader_pk(reader_id), _item_sk(item.kind, item.item_id))
            | {
                "kind": {"S": item.kind},
                "item_id": {"S": item.item_id},
                "version": {"N": str(item.version)},
                "ciphertext": {"B": item.ciphertext},
            }
        )
        self._put(_key(_READERS, reader_id))

    def get(self, reader_id: str, kind: str, item_id: str) -> StoredItem | None:
        item = self._get(_key(_reader_pk(reader_id), _item_sk(kind, item_id)))
        return None if item is None else _stored(reader_id, item)

    def items(self, reader_id: str, kind: str | None = None) -> list[StoredItem]:
        prefix = "ITEM#" if kind is None else f"ITEM#{kind}#"
        found = [_stored(reader_id, item) for item in self._query(_reader_pk(reader_id), prefix)]
        if kind is not None:
            found = [item for item in found if item.kind == kind]
        return sorted(found, key=lambda item: (item.kind, item.item_id))

    def delete(self, reader_id: str, kind: str, item_id: str) -> None:
        self._delete(_key(_reader_pk(reader_id), _item_sk(kind, item_id)))
        self._forget_if_empty(reader_id)

    def delete_reader(self, reader_id: str) -> None:
        keys = [_key(item["pk"]["S"], item["sk"]["S"]) for item in self._query(_reader_pk(reader_id), "ITEM#")]
        for start in range(0, len(keys), _WRITE_BATCH):
            pending: dict[str, Any] = {
                self.table_name: [{"DeleteRequest": {"Key": key}} for key in keys[start : start + _WRITE_BATCH]]
            }
            while pending:
                with _errors("delete reader items"):
                    response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
        self._forget_if_empty(reader_id)

    def readers(self) -> list[str]:
        return sorted(item["sk"]["S"] for item in self._query(_READERS, ""))

    # -- audit

    def audit(self, entry: AuditEntry) -> None:
        self._put(
            _key(f"AUDIT#{entry.reader_id}", f"{_stamp(entry.at)}#{secrets.token_hex(8)}")
            | {
                "actor_id": {"S": entry.actor_id},
                "actor_role": {"S": entry.actor_role.value},
                "kind": {"S": entry.kind},
                "action": {"S": entry.action.value},
                "purpose": {"S": entry.purpose.value},
                "at": {"S": _stamp(entry.at)},
            }
        )

    def audit_log(self, reader_id: str) -> list[AuditEntry]:
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

    # -- helpers

    def _forget_if_empty(self, reader_id: str) -> None:
        if not any(True for _ in self._query(_reader_pk(reader_id), "", limit=1)):
            self._delete(_key(_READERS, reader_id))

    def _put(self, item: dict[str, Any]) -> None:
        with _errors("put a profile item"):
            self._client.put_item(TableName=self.table_name, Item=item)

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        with _errors("get a profile item"):
            response = self._client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _delete(self, key: dict[str, Any]) -> None:
        with _errors("delete a profile item"):
            self._client.delete_item(TableName=self.table_name, Key=key)

    def _query(self, pk: str, sk_prefix: str, limit: int | None = None) -> Iterator[dict[str, Any]]:
        condition = "#pk = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        if sk_prefix:
            condition += " AND begins_with(#sk, :prefix)"
            values[":prefix"] = {"S": sk_prefix}
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": "pk", **({"#sk": "sk"} if sk_prefix else {})},
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        if limit is not None:
            kwargs["Limit"] = limit
        while True:
            with _errors("query profiles"):
                response = self._client.query(**kwargs)
            yield from response.get("Items", [])
            if limit is not None or "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _stored(reader_id: str, item: dict[str, Any]) -> StoredItem:
    return StoredItem(
        reader_id=reader_id,
        kind=item["kind"]["S"],
        item_id=item["item_id"]["S"],
        version=int(item["version"]["N"]),
        ciphertext=bytes(item["ciphertext"]["B"]),
    )
