"""The record store in one DynamoDB table (single-table design).

=====================  ====================================  ==========================================
item                   ``pk``                                ``sk``
=====================  ====================================  ==========================================
record                 ``REC#<member>``                      ``<local_id>``
quarantined record     ``QUAR#<member>``                     ``<source_id>#<position>#<raw digest>``
checkpoint             ``CP``                                ``<source_id>``
member directory       ``MEMBERS``                           ``<member>``
format entry           ``FMT#<member>#<format>``             ``<local_id>``
format directory       ``FORMATS``                           ``<member>#<format>``
=====================  ====================================  ==========================================

Record, quarantine and checkpoint items hold the model as JSON in ``body``; records also hold ``digest`` and
``format``. The member directory lists every member that ever had a record or a quarantined one, so that
reading all records is one sorted Query per member, and counting them or the quarantined ones one Query with
``Select=COUNT`` per member.

Records per format, without a Scan: each record has one *format entry* in the partition of its member and
format, counted with ``Select=COUNT``; the *format directory* lists every (member, format) pair that ever had
an entry (never deleted), so :meth:`DynamoDbRecordStore.count_by_format` knows which partitions to count.
Before a page's records are written, ``commit`` reads their stored ``format`` (BatchGetItem) and writes the
entries that change: put in the new format's partition and deleted from the old one when a record is added,
changes format or is deleted; a record whose format stays costs no write. They are written before the records,
so the same page applied again after a failure (as a resumed harvest does) reads the old formats again and
converges. The cost: a page's records are read once more (their whole size counts towards read capacity,
whatever the projection), and each added or deleted record costs one more write. A table made before the
index: :meth:`DynamoDbRecordStore.index_formats` writes the entries and ``format`` of every record (Queries,
no Scan); run it while no harvest runs.

DynamoDB sorts ``sk`` by UTF-8 bytes, which is the code-point order Python sorts strings in, so records come
out in ``(member, local_id)`` order.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from consortium.errors import StorageError
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
from consortium.models import QuarantinedRecord, Record, ResourceFormat

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["DynamoDbRecordStore", "create_table"]

_WRITE_BATCH = 25
_GET_BATCH = 100
_RETRIES = 8
_BACKOFF = 0.05
"""Seconds before the first retry of unprocessed items; doubled on each retry, up to two seconds."""

_MEMBERS = "MEMBERS"
_CHECKPOINT = "CP"
_FORMATS = "FORMATS"


def _format_pk(member: str, fmt: str) -> str:
    return f"FMT#{member}#{fmt}"


def create_table(client: Any, table_name: str) -> None:
    """Create the store's table (on-demand billing, string ``pk``/``sk`` keys) and wait until it is active.

    A table that already exists is left as it is.
    """
    with _errors("create table"):
        try:
            client.create_table(
                TableName=table_name,
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise
        waiter = client.get_waiter("table_exists")
        waiter.wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


class DynamoDbRecordStore:
    """A :class:`~consortium.ports.RecordStore` in a DynamoDB table.

    A page is written with batched writes and its checkpoint is put last, so a crash part-way leaves the old
    checkpoint and re-applying the page gives the same result. Reads are strongly consistent.

    Parameters
    ----------
    table_name
        The table, as made by :func:`create_table`.
    client
        A boto3 DynamoDB client; one is made from the default session when omitted.

    Example
    -------
    >>> store = DynamoDbRecordStore("consortium-records", boto3.client("dynamodb"))
    >>> store.commit(page)
    """

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        self._client: Any = client if client is not None else boto3.client("dynamodb")
        self._known_members: set[str] = set()
        self._known_formats: set[tuple[str, str]] = set()
        """The (member, format) pairs this store knows to be in the format directory."""

    # -- reads ---------------------------------------------------------------------------------------------

    def get(self, member: str, local_id: str) -> Record | None:
        """The record, or ``None`` when the member has no record with that id."""
        with _errors("get record"):
            item = self._client.get_item(
                TableName=self.table_name, Key=_key(f"REC#{member}", local_id), ConsistentRead=True
            ).get("Item")
        return Record.model_validate_json(item["body"]["S"]) if item else None

    def digests(self, member: str, local_ids: Iterable[str]) -> dict[str, str]:
        """The raw digest of each of these records that is stored (absent ids are left out)."""
        keys = [_key(f"REC#{member}", local_id) for local_id in dict.fromkeys(local_ids)]
        rows = batch_get_items(self._client, self.table_name, keys, ["sk", "digest"], "read digests")
        return {row["sk"]["S"]: row["digest"]["S"] for row in rows}

    def records(self, member: str | None = None) -> Iterator[Record]:
        """Every stored record, or one member's, in ``(member, local_id)`` order."""
        for each in [member] if member is not None else self._members():
            for item in self._query(f"REC#{each}"):
                yield Record.model_validate_json(item["body"]["S"])

    def count(self, member: str | None = None) -> int:
        """How many records are stored, in all or for one member."""
        members = [member] if member is not None else self._members()
        return sum(self._query_count(f"REC#{each}") for each in members)

    def count_by_format(self, member: str | None = None) -> dict[ResourceFormat, int]:
        """How many records of each format are stored, in all or for one member (formats with none left out):
        one Query of the format directory, then one count per (member, format) partition."""
        counts: Counter[ResourceFormat] = Counter()
        for row in self._query(_FORMATS):
            each, _, fmt = row["sk"]["S"].rpartition("#")
            if member is None or each == member:
                counts[ResourceFormat(fmt)] += self._query_count(_format_pk(each, fmt))
        return {fmt: count for fmt, count in counts.items() if count}

    def count_quarantined(self, member: str | None = None) -> int:
        """How many quarantined records are kept, in all or for one member (a count per member partition)."""
        members = [member] if member is not None else self._members()
        return sum(self._query_count(f"QUAR#{each}") for each in members)

    def quarantined(self, member: str | None = None) -> list[QuarantinedRecord]:
        """The quarantined records, in ``(member, source_id, position)`` order."""
        items = [
            QuarantinedRecord.model_validate_json(item["body"]["S"])
            for each in ([member] if member is not None else self._members())
            for item in self._query(f"QUAR#{each}")
        ]
        return sorted(items, key=lambda q: (q.member, q.source_id, q.position))

    def checkpoint(self, source_id: str) -> Checkpoint | None:
        """The source's last saved checkpoint."""
        with _errors("get checkpoint"):
            item = self._client.get_item(
                TableName=self.table_name, Key=_key(_CHECKPOINT, source_id), ConsistentRead=True
            ).get("Item")
        return Checkpoint.model_validate_json(item["body"]["S"]) if item else None

    # -- writes --------------------------------------------------------------------------------------------

    def commit(self, page: PageCommit) -> None:
        """Write a page's upserts, deletes and quarantined records, then put its checkpoint.

        When a page changes one key more than once, its last change wins, as if applied in order.
        """
        last: dict[tuple[str, str], RecordChange] = {}
        for change in page.changes:
            last[(change.member, change.local_id)] = change
        quarantine = {(q.source_id, q.position, q.raw.digest): q for q in page.quarantined}

        new_members = {c.member for c in last.values() if c.record is not None}
        new_members |= {q.member for q in quarantine.values()}
        new_members -= self._known_members
        self._batch_write([_put(_key(_MEMBERS, m)) for m in sorted(new_members)])
        self._known_members |= new_members
        self._update_formats(last)

        requests: list[dict[str, Any]] = []
        for (member, local_id), change in last.items():
            key = _key(f"REC#{member}", local_id)
            if change.record is None:
                requests.append({"DeleteRequest": {"Key": key}})
            else:
                body = change.record.model_dump_json()
                requests.append(
                    _put(key, digest=change.record.raw.digest, format=change.record.format.value, body=body)
                )
        for (source_id, position, digest), q in quarantine.items():
            key = _key(f"QUAR#{q.member}", f"{source_id}#{position}#{digest}")
            requests.append(_put(key, body=q.model_dump_json()))
        self._batch_write(requests)

        cp = page.checkpoint
        item = _item(_key(_CHECKPOINT, cp.source_id), body=cp.model_dump_json())
        with _errors("put checkpoint"):
            self._client.put_item(TableName=self.table_name, Item=item)

    def index_formats(self) -> int:
        """Write the format entry and ``format`` of every record (for a table made before the format index);
        return how many records there are. Idempotent; Queries per member, no Scan. Run it while no harvest
        runs."""
        count = 0
        for member in self._members():
            rows = list(self._query(f"REC#{member}"))
            formats = {row["sk"]["S"]: Record.model_validate_json(row["body"]["S"]).format.value for row in rows}
            self._write_format_entries(member, formats)
            self._batch_write(
                [{"PutRequest": {"Item": row | _item({}, format=formats[row["sk"]["S"]])}} for row in rows]
            )
            count += len(rows)
        return count

    # -- helpers -------------------------------------------------------------------------------------------

    def _update_formats(self, last: dict[tuple[str, str], RecordChange]) -> None:
        """Bring the format index in line with a page's last change of each record (see the module)."""
        keys = [_key(f"REC#{member}", local_id) for member, local_id in last]
        rows = batch_get_items(self._client, self.table_name, keys, ["pk", "sk", "format"], "read record formats")
        stored = {(r["pk"]["S"].removeprefix("REC#"), r["sk"]["S"]): r["format"]["S"] for r in rows if "format" in r}
        stale: list[dict[str, Any]] = []
        fresh: dict[str, dict[str, str]] = {}
        for (member, local_id), change in last.items():
            old = stored.get((member, local_id))
            new = change.record.format.value if change.record is not None else None
            if old is not None and old != new:
                stale.append({"DeleteRequest": {"Key": _key(_format_pk(member, old), local_id)}})
            if new is not None and old != new:
                fresh.setdefault(member, {})[local_id] = new
        for member, formats in fresh.items():
            self._write_format_entries(member, formats)
        self._batch_write(stale)

    def _write_format_entries(self, member: str, formats: dict[str, str]) -> None:
        """Put the format entries of a member's records (local id → format), after the directory items."""
        pairs = {(member, fmt) for fmt in formats.values()} - self._known_formats
        self._batch_write([_put(_key(_FORMATS, f"{m}#{fmt}")) for m, fmt in sorted(pairs)])
        self._known_formats |= pairs
        self._batch_write([_put(_key(_format_pk(member, fmt), local_id)) for local_id, fmt in formats.items()])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        batch_write_items(self._client, self.table_name, requests, "write records")

    def _members(self) -> list[str]:
        return [item["sk"]["S"] for item in self._query(_MEMBERS)]

    def _query(self, pk: str) -> Iterator[dict[str, Any]]:
        return query_partition(self._client, self.table_name, pk)

    def _query_count(self, pk: str) -> int:
        return count_partition(self._client, self.table_name, pk)


def query_partition(client: Any, table_name: str, pk: str, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The partition's items in ``sk`` order, at most ``limit`` of them."""
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": "pk"},
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ConsistentRead": True,
    }
    left = limit
    while left is None or left > 0:
        if left is not None:
            kwargs["Limit"] = left
        with _errors("query"):
            response = client.query(**kwargs)
        items = response.get("Items", [])
        yield from items
        if left is not None:
            left -= len(items)
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def batch_get_items(
    client: Any, table_name: str, keys: list[dict[str, Any]], attributes: list[str], action: str
) -> Iterator[dict[str, Any]]:
    """The items under these (distinct) keys that exist, with ``attributes`` only (strongly consistent); 100 keys
    a call, unprocessed keys asked again with backoff. Items come in no particular order."""
    projection = {f"#a{n}": name for n, name in enumerate(attributes)}
    for start in range(0, len(keys), _GET_BATCH):
        request: dict[str, Any] = {
            table_name: {
                "Keys": keys[start : start + _GET_BATCH],
                "ProjectionExpression": ", ".join(projection),
                "ExpressionAttributeNames": projection,
                "ConsistentRead": True,
            }
        }
        for attempt in range(_RETRIES + 1):
            with _errors(action):
                response = client.batch_get_item(RequestItems=request)
            yield from response.get("Responses", {}).get(table_name, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            _backoff(attempt, action)


def batch_write_items(client: Any, table_name: str, requests: list[dict[str, Any]], action: str) -> None:
    """Send these put and delete requests, 25 a call, retrying unprocessed ones with backoff."""
    for start in range(0, len(requests), _WRITE_BATCH):
        pending: dict[str, Any] = {table_name: requests[start : start + _WRITE_BATCH]}
        for attempt in range(_RETRIES + 1):
            with _errors(action):
                response = client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                break
            _backoff(attempt, action)


def count_partition(client: Any, table_name: str, pk: str) -> int:
    """How many items the partition holds."""
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": "pk"},
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "Select": "COUNT",
        "ConsistentRead": True,
    }
    total = 0
    while True:
        with _errors("count"):
            response = client.query(**kwargs)
        total += int(response.get("Count", 0))
        if "LastEvaluatedKey" not in response:
            return total
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _item(key: dict[str, Any], **attributes: str) -> dict[str, Any]:
    return key | {name: {"S": value} for name, value in attributes.items()}


def _put(key: dict[str, Any], **attributes: str) -> dict[str, Any]:
    return {"PutRequest": {"Item": _item(key, **attributes)}}


def _backoff(attempt: int, action: str) -> None:
    if attempt >= _RETRIES:
        raise StorageError(f"DynamoDB could not {action}: items left unprocessed after {_RETRIES} retries")
    time.sleep(min(_BACKOFF * 2**attempt, 2.0))


@contextmanager
def _errors(action: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise StorageError(f"DynamoDB could not {action}: {exc}", code=code) from exc
    except BotoCoreError as exc:
        raise StorageError(f"DynamoDB could not {action}: {exc}") from exc
