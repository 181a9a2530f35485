"""The consent ledger in one DynamoDB table (the record store's key schema), append-only by construction.

=====================  ====================================  ==========================================
item                   ``pk``                                ``sk``
=====================  ====================================  ==========================================
consent event          ``CONSENT#<reader_id>``               ``<time>#<append stamp>#<random suffix>``
=====================  ====================================  ==========================================

An event item holds the :class:`~consortium.profiles.consent.ConsentEvent` as JSON in ``body``. ``<time>`` is
the event's moment in UTC with microseconds in a fixed-width ISO form, so ``sk`` order is time order. The
append stamp (nanoseconds since the epoch, 20 digits, never lower than the previous one this ledger made)
keeps events at the same moment in the order they were appended, and a random suffix makes every ``sk``
unique. The prefix differs from the other stores', so the ledger may share a table made by
:func:`~consortium.adapters.aws.dynamodb_store.create_table`.

The code only ever writes an event with a PutItem conditioned on the item not existing, so no event is ever
overwritten; there is no UpdateItem. The only deletion is :meth:`DynamoDbConsentLedger.erase`, which removes
a reader's whole history (one Query for the keys, then BatchWriteItem deletes, unprocessed items retried).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import TYPE_CHECKING, Any

import boto3

from consortium.adapters.aws.dynamodb_store import _RETRIES, _WRITE_BATCH, _backoff, _errors, _item, _key
from consortium.profiles.consent import ConsentEvent, Purpose, current_from

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["DynamoDbConsentLedger"]


def _pk(reader_id: str) -> str:
    return f"CONSENT#{reader_id}"


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class DynamoDbConsentLedger:
    """A :class:`~consortium.profiles.consent.ConsentLedger` in a DynamoDB table.

    Reads are strongly consistent. See the module notes on the key layout and why events are never changed.

    Parameters
    ----------
    table_name
        The table, as made by :func:`~consortium.adapters.aws.dynamodb_store.create_table` (it may be shared
        with the other stores).
    client
        A boto3 DynamoDB client; one is made from the default session when omitted.

    Example
    -------
    >>> ledger = DynamoDbConsentLedger("consortium-profiles", boto3.client("dynamodb"))
    >>> ledger.append(event)
    >>> ledger.current(event.reader_id)[event.purpose]
    """

    def __init__(self, table_name: str, client: Any = None) -> None:
        self._table = table_name
        self._client: Any = client if client is not None else boto3.client("dynamodb")
        self._last_ns = 0

    def append(self, event: ConsentEvent) -> None:
        """Record a grant or a withdrawal."""
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
        sk = f"{_stamp(event.at)}#{self._last_ns:020d}#{uuid.uuid4().hex}"
        item = _item(_key(_pk(event.reader_id), sk), body=event.model_dump_json())
        with _errors("append consent event"):
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": "pk"},
            )

    def history(self, reader_id: str) -> list[ConsentEvent]:
        """The reader's events in time order (events at the same moment in the order they were appended)."""
        return [ConsentEvent.model_validate_json(item["body"]["S"]) for item in self._query(reader_id, keys=False)]

    def current(self, reader_id: str) -> dict[Purpose, bool]:
        """Whether each purpose is granted now: its latest event decides, and no event means not granted."""
        return current_from(self.history(reader_id))

    def erase(self, reader_id: str) -> None:
        """Remove the reader's whole history."""
        requests = [
            {"DeleteRequest": {"Key": _key(item["pk"]["S"], item["sk"]["S"])}}
            for item in self._query(reader_id, keys=True)
        ]
        for start in range(0, len(requests), _WRITE_BATCH):
            pending: dict[str, Any] = {self._table: requests[start : start + _WRITE_BATCH]}
            for attempt in range(_RETRIES + 1):
                with _errors("erase consent events"):
                    response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                _backoff(attempt, "erase consent events")

    # -- helpers -------------------------------------------------------------------------------------------

    def _query(self, reader_id: str, *, keys: bool) -> Iterator[dict[str, Any]]:
        """The reader's event items in ``sk`` order; only their keys when ``keys`` is true."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": "pk"},
            "ExpressionAttributeValues": {":pk": {"S": _pk(reader_id)}},
            "ConsistentRead": True,
        }
        if keys:
            kwargs["ProjectionExpression"] = "#pk, #sk"
            kwargs["ExpressionAttributeNames"] = {"#pk": "pk", "#sk": "sk"}
        while True:
            with _errors("read consent history"):
                response = self._client.query(**kwargs)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
