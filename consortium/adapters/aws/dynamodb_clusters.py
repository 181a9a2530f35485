"""The cluster store in one DynamoDB table (single-table design, the record store's key schema).

=====================  ====================================  ==========================================
item                   ``pk``                                ``sk``
=====================  ====================================  ==========================================
placement              ``PLC#<member>``                      ``<local_id>``
blocking key entry     ``KEY#<key>``                         ``<member>\\x1f<local_id>``
cluster membership     ``MEM#<cluster_id>``                  ``<member>\\x1f<local_id>``
cluster                ``CL#<shard>``                        ``<cluster_id>``
=====================  ====================================  ==========================================

Placements and clusters hold the model as JSON in ``body``; key entries and memberships hold ``member`` and
``local_id`` (read back from there, never parsed out of ``sk``). The prefixes differ from the record store's,
so the two stores may share a table made by :func:`~consortium.adapters.aws.dynamodb_store.create_table`.

``lookup`` is one Query per key (``Limit``-ed), ``members_of`` one Query. Clusters are spread over
16 partition keys ``CL#0`` … ``CL#f`` (the first hex digit of the SHA-256 of the id), so that
saving many clusters is not held to one partition's write rate; ``clusters()`` merges the shards' sorted
Queries and ``count()`` adds up their counts.

Order: DynamoDB sorts ``sk`` by UTF-8 bytes, which is code-point order, so clusters come out by id and key
entries and memberships by ``(member, local_id)`` as long as member codes hold no control character at or
below U+001F (the separator). ``members_of`` sorts what it reads, so only ``lookup``'s choice of the first
``limit`` records could differ from the other stores for such member codes.

Atomicity: :meth:`DynamoDbClusterStore.apply` cannot be atomic (a change may touch far more than the 100 items
of a transaction). It reads the records' current placements, then writes in two BatchWriteItem streams (25
items a call, unprocessed items retried): first the deletion of the key entries and memberships the change
makes stale, then everything else (new key entries and memberships, placements, clusters). A placement is
only overwritten after the stale entries it names are gone, and every new entry is written whether or not it
is there already, so re-applying the same change after a failure converges to the state a single successful
apply gives. Until then, readers may see part of the change; apply it again before any other change.

Limits DynamoDB sets that the other stores do not: a cluster's JSON must fit in an item (400 KB); ids, member
codes and cluster ids must not be empty (key attributes); a blocking key must fit in a partition key (2 KB).
"""

from __future__ import annotations

import hashlib
import heapq
from typing import TYPE_CHECKING, Any

import boto3

from consortium.adapters.aws.dynamodb_store import (
    _GET_BATCH,
    _RETRIES,
    _WRITE_BATCH,
    _backoff,
    _errors,
    _key,
    _put,
    count_partition,
    query_partition,
)
from consortium.dedup.state import RecordPlacement
from consortium.models import Cluster

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from consortium.dedup.state import ClusterChange, RecordKey

__all__ = ["DynamoDbClusterStore"]

_SHARDS = [f"CL#{digit}" for digit in "0123456789abcdef"]
"""The clusters' partition keys: ``CL#`` and the first hex digit of the SHA-256 of the cluster id."""
_SEP = "\x1f"


def _cluster_pk(cluster_id: str) -> str:
    return f"CL#{hashlib.sha256(cluster_id.encode()).hexdigest()[0]}"


def _record_sk(key: RecordKey) -> str:
    return f"{key[0]}{_SEP}{key[1]}"


class DynamoDbClusterStore:
    """A :class:`~consortium.ports.ClusterStore` in a DynamoDB table.

    Reads are strongly consistent. See the module notes on ordering and on why :meth:`apply` converges when
    repeated rather than being atomic.

    Parameters
    ----------
    table_name
        The table, as made by :func:`~consortium.adapters.aws.dynamodb_store.create_table` (it may be the
        record store's).
    client
        A boto3 DynamoDB client; one is made from the default session when omitted.

    Example
    -------
    >>> store = DynamoDbClusterStore("consortium-records", boto3.client("dynamodb"))
    >>> store.apply(ClusterChange(placements=[placement], saved=[cluster]))
    """

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        self._client: Any = client if client is not None else boto3.client("dynamodb")

    # -- reads ---------------------------------------------------------------------------------------------

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        """The record's cluster, keys and first-seen time, or ``None`` for a record never clustered."""
        with _errors("get placement"):
            item = self._client.get_item(
                TableName=self.table_name, Key=_key(f"PLC#{key[0]}", key[1]), ConsistentRead=True
            ).get("Item")
        return RecordPlacement.model_validate_json(item["body"]["S"]) if item else None

    def lookup(self, keys: Iterable[str], limit: int = 100) -> dict[str, list[RecordKey]]:
        """For each blocking key, the records that have it (at most ``limit`` each, in key order).

        Keys no record has are left out. One Query per distinct key.
        """
        fetch = limit if limit > 0 else (1 if limit == 0 else None)  # None: all, then sliced as a list is
        found: dict[str, list[RecordKey]] = {}
        for key in dict.fromkeys(keys):
            records = [(i["member"]["S"], i["local_id"]["S"]) for i in self._query(f"KEY#{key}", fetch)]
            if records:
                found[key] = records[:limit]
        return found

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        """The records placed in the cluster, sorted."""
        return sorted((i["member"]["S"], i["local_id"]["S"]) for i in self._query(f"MEM#{cluster_id}"))

    def get(self, cluster_id: str) -> Cluster | None:
        """The cluster, or ``None``."""
        with _errors("get cluster"):
            item = self._client.get_item(
                TableName=self.table_name, Key=_key(_cluster_pk(cluster_id), cluster_id), ConsistentRead=True
            ).get("Item")
        return Cluster.model_validate_json(item["body"]["S"]) if item else None

    def clusters(self) -> Iterator[Cluster]:
        """Every cluster, by id (the shards' sorted Queries merged)."""
        shards = [self._query(pk) for pk in _SHARDS]
        for item in heapq.merge(*shards, key=lambda i: str(i["sk"]["S"])):
            yield Cluster.model_validate_json(item["body"]["S"])

    def count(self) -> int:
        """How many clusters are stored."""
        return sum(self._query_count(pk) for pk in _SHARDS)

    # -- writes --------------------------------------------------------------------------------------------

    def apply(self, change: ClusterChange) -> None:
        """Apply the change: not atomically, but re-applying it after a failure converges (see the module).

        The result is the in-memory store's: records removed, then placements (each replacing the record's
        previous placement and its blocking keys; of two placements of one record the last wins), then
        clusters deleted, then clusters saved (so a cluster both deleted and saved is kept).
        """
        final: dict[RecordKey, RecordPlacement | None] = dict.fromkeys(change.removed)
        for placement in change.placements:
            final[(placement.member, placement.local_id)] = placement
        old = self._placements(list(final))

        stale: dict[tuple[str, str], dict[str, Any]] = {}
        fresh: dict[tuple[str, str], dict[str, Any]] = {}
        for key, new in final.items():
            record_sk = _record_sk(key)
            names = {"member": key[0], "local_id": key[1]}
            new_keys = set(new.keys) if new is not None else set()
            previous = old.get(key)
            if previous is not None:
                for index_key in sorted(set(previous.keys) - new_keys):
                    stale[(f"KEY#{index_key}", record_sk)] = _delete(f"KEY#{index_key}", record_sk)
                if new is None or new.cluster_id != previous.cluster_id:
                    pk = f"MEM#{previous.cluster_id}"
                    stale[(pk, record_sk)] = _delete(pk, record_sk)
            placement_pk = f"PLC#{key[0]}"
            if new is None:
                fresh[(placement_pk, key[1])] = _delete(placement_pk, key[1])
                continue
            for index_key in new.keys:
                fresh[(f"KEY#{index_key}", record_sk)] = _put(_key(f"KEY#{index_key}", record_sk), **names)
            fresh[(f"MEM#{new.cluster_id}", record_sk)] = _put(_key(f"MEM#{new.cluster_id}", record_sk), **names)
            fresh[(placement_pk, key[1])] = _put(
                _key(placement_pk, key[1]), cluster_id=new.cluster_id, body=new.model_dump_json()
            )

        saved = {cluster.cluster_id: cluster for cluster in change.saved}
        for cluster_id in change.deleted:
            if cluster_id not in saved:
                fresh[(_cluster_pk(cluster_id), cluster_id)] = _delete(_cluster_pk(cluster_id), cluster_id)
        for cluster_id, cluster in saved.items():
            pk = _cluster_pk(cluster_id)
            fresh[(pk, cluster_id)] = _put(_key(pk, cluster_id), body=cluster.model_dump_json())

        self._batch_write(list(stale.values()))
        self._batch_write(list(fresh.values()))

    # -- helpers -------------------------------------------------------------------------------------------

    def _placements(self, keys: list[RecordKey]) -> dict[RecordKey, RecordPlacement]:
        """The current placements of these (distinct) records, read in batches of 100."""
        found: dict[RecordKey, RecordPlacement] = {}
        for start in range(0, len(keys), _GET_BATCH):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [_key(f"PLC#{m}", i) for m, i in keys[start : start + _GET_BATCH]],
                    "ProjectionExpression": "#body",
                    "ExpressionAttributeNames": {"#body": "body"},
                    "ConsistentRead": True,
                }
            }
            for attempt in range(_RETRIES + 1):
                with _errors("read placements"):
                    response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    placement = RecordPlacement.model_validate_json(item["body"]["S"])
                    found[(placement.member, placement.local_id)] = placement
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                _backoff(attempt, "read placements")
        return found

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), _WRITE_BATCH):
            pending: dict[str, Any] = {self.table_name: requests[start : start + _WRITE_BATCH]}
            for attempt in range(_RETRIES + 1):
                with _errors("write clusters"):
                    response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                _backoff(attempt, "write clusters")

    def _query(self, pk: str, limit: int | None = None) -> Iterator[dict[str, Any]]:
        return query_partition(self._client, self.table_name, pk, limit)

    def _query_count(self, pk: str) -> int:
        return count_partition(self._client, self.table_name, pk)


def _delete(pk: str, sk: str) -> dict[str, Any]:
    return {"DeleteRequest": {"Key": _key(pk, sk)}}
