"""What the DynamoDB adapters share: the table they all use, key and item building, paged Queries, batched
reads and writes that retry unprocessed items, and botocore errors turned into ours.

Every table here has a string partition key ``pk`` and (except the reader secrets table) a string sort key
``sk``, on-demand billing and no index; :func:`create_table` makes one. Each adapter holds a
:class:`DynamoDbTable` and speaks to DynamoDB only through it, so retries, paging and error mapping are written
once.

Batched calls (BatchWriteItem, 25 requests a call; BatchGetItem, 100 keys a call) may come back with some items
unprocessed, as DynamoDB does under load. Those are sent again after an exponential backoff (:data:`BACKOFF`
seconds, doubled each time, at most :data:`MAX_BACKOFF`), through the ``sleep`` the table was given; after
:data:`RETRIES` retries a :class:`~consortium.errors.StorageError` names the table and what could not be done.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

__all__ = [
    "BACKOFF",
    "GET_BATCH",
    "MAX_BACKOFF",
    "RETRIES",
    "TRANSIENT_CODES",
    "WRITE_BATCH",
    "DynamoDbStore",
    "DynamoDbTable",
    "create_table",
    "delete_request",
    "error_code",
    "item",
    "key_of",
    "put_request",
]

WRITE_BATCH = 25
"""Requests per BatchWriteItem call (DynamoDB's limit)."""
GET_BATCH = 100
"""Keys per BatchGetItem call (DynamoDB's limit)."""
RETRIES = 8
"""How many times unprocessed items are sent again before giving up."""
BACKOFF = 0.05
"""Seconds before the first retry of unprocessed items; doubled on each retry, up to :data:`MAX_BACKOFF`."""
MAX_BACKOFF = 2.0
TRANSIENT_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError", "RequestLimitExceeded"}
)
"""Error codes for which the same call may succeed later."""


def key_of(pk: str, sk: str) -> dict[str, Any]:
    """The DynamoDB key of the item ``(pk, sk)``."""
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def item(item_key: dict[str, Any], **attributes: str) -> dict[str, Any]:
    """An item: ``item_key`` with these string attributes."""
    return item_key | {name: {"S": value} for name, value in attributes.items()}


def put_request(item_key: dict[str, Any], **attributes: str) -> dict[str, Any]:
    """A BatchWriteItem request putting ``item(item_key, **attributes)``."""
    return {"PutRequest": {"Item": item(item_key, **attributes)}}


def delete_request(pk: str, sk: str) -> dict[str, Any]:
    """A BatchWriteItem request deleting the item ``(pk, sk)``."""
    return {"DeleteRequest": {"Key": key_of(pk, sk)}}


def create_table(client: Any, table_name: str, *, sort_key: bool = True) -> None:
    """Create a table (on-demand billing, string ``pk`` and, with ``sort_key``, string ``sk``) and wait until it
    is active. A table that already exists is left as it is.

    Example
    -------
    >>> create_table(boto3.client("dynamodb"), "consortium-records")
    """
    kinds = {"pk": "HASH", "sk": "RANGE"} if sort_key else {"pk": "HASH"}
    with _mapped(
        f"create table {table_name}", lambda message, code: StorageError(message, table=table_name, code=code)
    ):
        try:
            client.create_table(
                TableName=table_name,
                AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in kinds],
                KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in kinds.items()],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if error_code(exc) != "ResourceInUseException":
                raise
        client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


class DynamoDbTable:
    """One DynamoDB table, as the adapters use it: strongly consistent reads, paged Queries, batched writes
    retried with backoff, and every botocore error raised as ours.

    Parameters
    ----------
    client
        A boto3 DynamoDB client.
    name
        The table.
    sleep
        Waits between retries of unprocessed items (a test passes one that does not wait).
    error
        Makes the error raised for a failed call from its message and DynamoDB error code; by default a
        :class:`~consortium.errors.StorageError` naming the table.

    Example
    -------
    >>> table = DynamoDbTable(boto3.client("dynamodb"), "consortium-records")
    >>> table.batch_write([put_request(key_of("REC#m", "1"), body="{}")], "write records")
    >>> [row["sk"]["S"] for row in table.query("REC#m")]
    ['1']
    """

    def __init__(
        self,
        client: Any,
        name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        error: Callable[[str, str], StorageError] | None = None,
    ) -> None:
        self.client = client
        self.name = name
        self._sleep = sleep
        self._error = error or (lambda message, code: StorageError(message, table=name, code=code))

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """botocore errors inside the block become this table's error, naming the table and ``action``."""
        with _mapped(f"{action} in table {self.name}", self._error):
            yield

    # -- single items ----------------------------------------------------------------------------------

    def get(self, item_key: dict[str, Any], action: str) -> dict[str, Any] | None:
        """The item under ``item_key`` (strongly consistent read), or ``None``."""
        with self.errors(action):
            found: dict[str, Any] | None = self.client.get_item(
                TableName=self.name, Key=item_key, ConsistentRead=True
            ).get("Item")
        return found

    def put(self, new: dict[str, Any], action: str, *, if_absent: bool = False) -> bool:
        """Put the item ``new``; with ``if_absent``, only when no item has its key. Whether it was written."""
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": "pk"}}
            if if_absent
            else {}
        )
        with self.errors(action):
            try:
                self.client.put_item(TableName=self.name, Item=new, **condition)
            except ClientError as exc:
                if if_absent and error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def delete(self, item_key: dict[str, Any], action: str) -> None:
        """Delete the item under ``item_key`` (nothing happens when there is none)."""
        with self.errors(action):
            self.client.delete_item(TableName=self.name, Key=item_key)

    # -- partitions ------------------------------------------------------------------------------------

    def query(
        self,
        pk: str,
        *,
        prefix: str = "",
        low: str | None = None,
        high: str | None = None,
        limit: int | None = None,
        attributes: Sequence[str] = (),
        descending: bool = False,
        action: str = "query",
    ) -> Iterator[dict[str, Any]]:
        """The partition's items in ``sk`` order (``descending``: highest first), every page of them: those whose
        ``sk`` starts with ``prefix``, or lies between ``low`` and ``high`` (both included; ``None``: no bound),
        at most ``limit`` of them, with only ``attributes`` when given."""
        kwargs = self._key_condition(pk, prefix, low, high)
        if descending:
            kwargs["ScanIndexForward"] = False
        if attributes:
            projection = {f"#a{n}": name for n, name in enumerate(attributes)}
            kwargs["ProjectionExpression"] = ", ".join(projection)
            kwargs["ExpressionAttributeNames"] |= projection
        left = limit
        while left is None or left > 0:
            if left is not None:
                kwargs["Limit"] = left
            with self.errors(action):
                response = self.client.query(**kwargs)
            items = response.get("Items", [])
            yield from items
            if left is not None:
                left -= len(items)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def count(self, pk: str, *, low: str | None = None, high: str | None = None, action: str = "count") -> int:
        """How many items the partition holds, or those whose ``sk`` lies between ``low`` and ``high`` (both
        included; ``None``: no bound): Query with ``Select=COUNT``, every page."""
        kwargs = self._key_condition(pk, "", low, high) | {"Select": "COUNT"}
        total = 0
        while True:
            with self.errors(action):
                response = self.client.query(**kwargs)
            total += int(response.get("Count", 0))
            if "LastEvaluatedKey" not in response:
                return total
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _key_condition(self, pk: str, prefix: str, low: str | None, high: str | None) -> dict[str, Any]:
        condition = "#pk = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        if prefix:
            condition += " AND begins_with(#sk, :prefix)"
            values[":prefix"] = {"S": prefix}
        elif low is not None and high is not None:
            condition += " AND #sk BETWEEN :low AND :high"
            values |= {":low": {"S": low}, ":high": {"S": high}}
        elif low is not None:
            condition += " AND #sk >= :low"
            values[":low"] = {"S": low}
        elif high is not None:
            condition += " AND #sk <= :high"
            values[":high"] = {"S": high}
        names = {"#pk": "pk"} | ({"#sk": "sk"} if "#sk" in condition else {})
        return {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }

    # -- batches ---------------------------------------------------------------------------------------

    def batch_write(self, requests: Sequence[dict[str, Any]], action: str) -> None:
        """Send these put and delete requests, 25 a call, retrying unprocessed ones (see the module)."""
        for start in range(0, len(requests), WRITE_BATCH):
            pending: dict[str, Any] = {self.name: list(requests[start : start + WRITE_BATCH])}
            for attempt in range(RETRIES + 1):
                with self.errors(action):
                    response = self.client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                self._backoff(attempt, action)

    def batch_get(
        self, keys: Sequence[dict[str, Any]], attributes: Sequence[str], action: str
    ) -> Iterator[dict[str, Any]]:
        """The items under these (distinct) keys that exist, with ``attributes`` only; 100 keys a call, unprocessed
        keys asked again (see the module). Items come in no particular order."""
        projection = {f"#a{n}": name for n, name in enumerate(attributes)}
        for start in range(0, len(keys), GET_BATCH):
            request: dict[str, Any] = {
                self.name: {
                    "Keys": list(keys[start : start + GET_BATCH]),
                    "ProjectionExpression": ", ".join(projection),
                    "ExpressionAttributeNames": projection,
                    "ConsistentRead": True,
                }
            }
            for attempt in range(RETRIES + 1):
                with self.errors(action):
                    response = self.client.batch_get_item(RequestItems=request)
                yield from response.get("Responses", {}).get(self.name, [])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._backoff(attempt, action)

    def _backoff(self, attempt: int, action: str) -> None:
        if attempt >= RETRIES:
            raise self._error(
                f"DynamoDB could not {action} in table {self.name}: items left unprocessed after {RETRIES} retries",
                "",
            )
        self._sleep(min(BACKOFF * 2**attempt, MAX_BACKOFF))


class DynamoDbStore:
    """The base of the DynamoDB stores: the one :class:`DynamoDbTable` each reads and writes through.

    Parameters
    ----------
    table_name
        The table, as made by :func:`create_table` (the stores may share one: their partition keys differ).
    client
        A boto3 DynamoDB client; one is made from the default session when omitted.
    sleep
        Waits between retries of unprocessed batch items (see the module).
    """

    def __init__(self, table_name: str, client: Any = None, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._table = DynamoDbTable(client if client is not None else boto3.client("dynamodb"), table_name, sleep=sleep)

    @property
    def table_name(self) -> str:
        """The table the store is in."""
        return self._table.name


@contextmanager
def _mapped(what: str, error: Callable[[str, str], StorageError]) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        raise error(f"DynamoDB could not {what}: {exc}", error_code(exc)) from exc
    except BotoCoreError as exc:
        raise error(f"DynamoDB could not {what}: {exc}", "") from exc
