"""The cluster store in one DynamoDB table (single-table design, the record store's key schema).

=====================  ====================================  ==========================================
item                   ``pk``                                ``sk``
=====================  ====================================  ==========================================
placement              ``PLC#<member>``                      ``<local_id>``
blocking key entry     ``KEY#<key>``                         ``<member>\\x1f<local_id>``
cluster membership     ``MEM#<cluster_id>``                  ``<member>\\x1f<local_id>``
cluster                ``CL#<shard>``                        ``<cluster_id>``
first-seen entry       ``NEW#<YYYY-MM-DD>``                  ``<first_seen>#<cluster_id>``
first-seen day         ``NEWDAYS``                           ``<YYYY-MM-DD>``
shared entry           ``SHR#<shard>``                       ``<cluster_id>``
=====================  ====================================  ==========================================

Placements and clusters hold the model as JSON in ``body``; key entries and memberships hold ``member`` and
``local_id`` (read back from there, never parsed out of ``sk``). The prefixes differ from the record store's,
so the two stores may share a table made by :func:`~consortium.adapters.aws.dynamodb_common.create_table`.

``new_since`` without a Scan: a time-bucketed index kept in the table itself. A global secondary index was
not chosen: ``create_table`` (shared by every store) makes no GSI, existing
tables would need one added, and a GSI on ``first_seen`` alone would put every cluster in one index partition
or need the same day bucketing anyway. Each cluster has one *first-seen entry*: partition ``NEW#`` and the
UTC day of its ``first_seen``, sort key its ``first_seen`` in UTC as fixed-width ISO 8601 without offset
(``2025-03-01T08:30:15.123456``, so text order is time order), ``#`` and the cluster id (ties by id), and
the ``cluster_id`` as an attribute. The cluster item carries that sort key in ``first_seen_sk``. Every UTC
day that has ever had an entry has a *day* item under ``NEWDAYS`` (never deleted: a day left empty costs one
empty Query). ``new_since`` Queries the day items between ``since`` and ``until`` (no upper bound when
``until`` is ``None``, so no day is guessed and none is left out), then each day's entries with
``sk BETWEEN <since> AND <until>`` (an entry at exactly ``until`` sorts after it, so the window is
``[since, until)``), and reads the clusters with BatchGetItem, 100 at a time. A cluster is yielded only if it
still exists and its ``first_seen`` is the entry's: so an entry made stale by a failed ``apply`` never yields
a deleted cluster, nor a cluster twice.

Tables made before the index existed: :meth:`DynamoDbClusterStore.index_first_seen` writes the entries and
days of every cluster (Queries over the cluster shards, no Scan); a legacy cluster item without
``first_seen_sk`` also gets its entry on its next save.

Each member's clusters by how many members hold them, without a Scan: the holder entries of
:mod:`~consortium.adapters.aws.dynamodb_holders` (written in ``apply``'s first stream, from the ``holders`` the
cluster item keeps).

Clusters held by several members, without a Scan: a cluster whose records come from more than one member has
a *shared entry* under the shard of its cluster item (``SHR#`` and the same hex digit), holding its number of
members (zero-padded) and its title. ``apply`` puts it with every save of such a cluster and deletes it with
every save of another cluster and every deletion (its key is known, so nothing is read first: one more write
per saved cluster). ``count_shared`` adds up the shards' ``Select=COUNT`` Queries; ``most_shared`` reads the
shared entries (small items, one per shared cluster, not the clusters) and then only the clusters it returns.
:meth:`DynamoDbClusterStore.index_first_seen` also writes the shared entries of a table made before them.

One day's entries share a partition key, so saving clusters first seen on one day is held to one
partition's write rate (1,000 writes a second, before DynamoDB splits a hot partition); each entry is one
small write.

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

The first-seen index follows the same rule. ``apply`` first reads the ``first_seen_sk`` of the clusters it
saves or deletes (one BatchGetItem per 100). The first stream then deletes the entries of deleted clusters
and the old entries of clusters whose ``first_seen`` moved, and puts the entry of every saved cluster (and
the day item of each new day); the cluster items, with their new ``first_seen_sk``, come in the second. So a
cluster item never names an entry that was not written, and re-applying converges here too. BatchWriteItem
is not atomic, so writing an entry "in the same batch" as its cluster item would promise nothing more; the
order and the check ``new_since`` makes on read are what keep it right.

The change index (``changed``, ``count_changed``, ``version``, and the tombstones deleted clusters leave) is in
the same table, described in :mod:`~consortium.adapters.aws.dynamodb_changes`; ``apply`` writes it in the same
two streams.

Limits DynamoDB sets that the other stores do not: a cluster's JSON must fit in an item (400 KB); ids, member
codes and cluster ids must not be empty (key attributes); a blocking key must fit in a partition key (2 KB).
"""

from __future__ import annotations

import hashlib
import heapq
import time
from itertools import islice
from typing import TYPE_CHECKING, Any

from consortium.adapters.aws.dynamodb_changes import INDEXED, ChangeEntry, ChangeIndex, tombstone_pk, version_of
from consortium.adapters.aws.dynamodb_common import GET_BATCH, DynamoDbStore, delete_request, key_of, put_request
from consortium.adapters.aws.dynamodb_holders import (
    HOLDERS,
    directory_writes,
    holder_writes,
    holders_of,
    sharing_counts,
)
from consortium.adapters.aws.dynamodb_placements import placement_writes
from consortium.adapters.timestamps import utc_sort_key
from consortium.dedup.state import ClusterVersion, RecordPlacement
from consortium.models import Cluster

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from consortium.dedup.state import ChangeCursor, ClusterChange, RecordKey

__all__ = ["DynamoDbClusterStore"]

_SHARDS = [f"CL#{digit}" for digit in "0123456789abcdef"]
"""The clusters' partition keys: ``CL#`` and the first hex digit of the SHA-256 of the cluster id."""
_SEP = "\x1f"
_DAYS = "NEWDAYS"
"""The partition of the day items: one per UTC day that has had a first-seen entry."""
_SHARED = "SHR#"
"""The shared entries' partition key prefix (then the cluster's shard digit)."""
_SEEN_SK = "first_seen_sk"
"""The cluster item's attribute naming its first-seen entry's sort key."""


def _cluster_pk(cluster_id: str) -> str:
    return f"CL#{hashlib.sha256(cluster_id.encode()).hexdigest()[0]}"


def _shared_pk(shard_pk: str) -> str:
    """The partition of the shared entries of the clusters in the shard ``shard_pk`` (``CL#<digit>``)."""
    return _SHARED + shard_pk.removeprefix("CL#")


def _shared_request(cluster: Cluster) -> dict[str, Any]:
    """The write that keeps the cluster's shared entry right: put if it has several members, else delete."""
    pk = _shared_pk(_cluster_pk(cluster.cluster_id))
    if len(cluster.members) < 2:
        return delete_request(pk, cluster.cluster_id)
    return put_request(key_of(pk, cluster.cluster_id), members=f"{len(cluster.members):06d}", title=cluster.title)


def _entry_sk(cluster: Cluster) -> str:
    """The sort key of the cluster's first-seen entry."""
    return f"{utc_sort_key(cluster.first_seen)}#{cluster.cluster_id}"


def _entry_pk(entry_sk: str) -> str:
    """The partition of a first-seen entry: ``NEW#`` and its UTC day (the sort key's first ten characters)."""
    return f"NEW#{entry_sk[:10]}"


class DynamoDbClusterStore(DynamoDbStore):
    """A :class:`~consortium.dedup.ports.ClusterStore` in a DynamoDB table.

    Reads are strongly consistent. See the module notes on ordering and on why :meth:`apply` converges when
    repeated rather than being atomic.

    Made as :class:`~consortium.adapters.aws.dynamodb_common.DynamoDbStore` is: ``table_name``, ``client``,
    ``sleep``.

    Example
    -------
    >>> store = DynamoDbClusterStore("consortium-records", boto3.client("dynamodb"))
    >>> store.apply(ClusterChange(placements=[placement], saved=[cluster]))
    """

    def __init__(self, table_name: str, client: Any = None, *, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(table_name, client, sleep=sleep)
        self._known_holders: set[tuple[str, int]] = set()
        """The (member, count) partitions this store knows to be in the holder directory."""
        self._changes = ChangeIndex(self._table)

    # -- reads ---------------------------------------------------------------------------------------------

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        """The record's cluster, keys and first-seen time, or ``None`` for a record never clustered."""
        found = self._table.get(key_of(f"PLC#{key[0]}", key[1]), "get placement")
        return RecordPlacement.model_validate_json(found["body"]["S"]) if found else None

    def placements(self, keys: Iterable[RecordKey]) -> dict[RecordKey, RecordPlacement]:
        """The placements of these records that exist, read with BatchGetItem (100 keys a request)."""
        found: dict[RecordKey, RecordPlacement] = {}
        distinct = [key_of(f"PLC#{m}", i) for m, i in dict.fromkeys(keys)]
        for item in self._table.batch_get(distinct, ["body"], "read placements"):
            placement = RecordPlacement.model_validate_json(item["body"]["S"])
            found[(placement.member, placement.local_id)] = placement
        return found

    def lookup(self, keys: Iterable[str], limit: int = 100) -> dict[str, list[RecordKey]]:
        """For each blocking key, the records that have it (at most ``limit`` each, in key order).

        Keys no record has are left out. One Query per distinct key.
        """
        fetch = limit if limit > 0 else (1 if limit == 0 else None)  # None: all, then sliced as a list is
        found: dict[str, list[RecordKey]] = {}
        for key in dict.fromkeys(keys):
            records = [
                (i["member"]["S"], i["local_id"]["S"])
                for i in self._table.query(f"KEY#{key}", limit=fetch, action="look up keys")
            ]
            if records:
                found[key] = records[:limit]
        return found

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        """The records placed in the cluster, sorted."""
        return sorted(
            (i["member"]["S"], i["local_id"]["S"])
            for i in self._table.query(f"MEM#{cluster_id}", action="read members")
        )

    def get(self, cluster_id: str) -> Cluster | None:
        """The cluster, or ``None``."""
        found = self._table.get(key_of(_cluster_pk(cluster_id), cluster_id), "get cluster")
        return Cluster.model_validate_json(found["body"]["S"]) if found else None

    def clusters(self) -> Iterator[Cluster]:
        """Every cluster, by id (the shards' sorted Queries merged)."""
        shards = [self._table.query(pk, action="read clusters") for pk in _SHARDS]
        for item in heapq.merge(*shards, key=lambda i: str(i["sk"]["S"])):
            yield Cluster.model_validate_json(item["body"]["S"])

    def new_since(self, since: datetime, until: datetime | None = None) -> Iterator[Cluster]:
        """Clusters whose ``first_seen`` is in ``[since, until)`` (``until=None``: no upper bound), oldest
        first, ties by id: the day items, then each day's first-seen entries, then the clusters (see the
        module)."""
        low = utc_sort_key(since)
        high = utc_sort_key(until) if until is not None else None
        if high is not None and high <= low:
            return
        days = [
            item["sk"]["S"]
            for item in self._table.query(
                _DAYS, low=low[:10], high=high[:10] if high else None, action="read first-seen days"
            )
        ]
        for day in days:
            entries = self._table.query(f"NEW#{day}", low=low, high=high, action="read first-seen entries")
            while page := list(islice(entries, GET_BATCH)):
                found = self._clusters_by_id(list(dict.fromkeys(entry["cluster_id"]["S"] for entry in page)))
                for entry in page:
                    cluster = found.get(entry["cluster_id"]["S"])
                    if cluster is not None and _entry_sk(cluster) == entry["sk"]["S"]:
                        yield cluster

    def changed(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        member: str | None = None,
        after: ChangeCursor | None = None,
        limit: int = 100,
    ) -> list[ClusterVersion]:
        """One page of the change index: the days, then their entries, then the clusters and tombstones they
        name (see :mod:`~consortium.adapters.aws.dynamodb_changes`)."""
        return self._changes.changed(since, until, member=member, after=after, limit=limit, cluster_pk=_cluster_pk)

    def count_changed(
        self, since: datetime | None = None, until: datetime | None = None, *, member: str | None = None
    ) -> int:
        """How many entries the change index holds in the window (``Select=COUNT`` per day)."""
        return self._changes.count(since, until, member)

    def version(self, cluster_id: str) -> ClusterVersion | None:
        """The cluster's entry in the change index: the stored cluster, its tombstone, or ``None``."""
        cluster = self.get(cluster_id)
        if cluster is not None:
            return ClusterVersion.of(cluster)
        found = self._table.get(key_of(tombstone_pk(_cluster_pk(cluster_id)), cluster_id), "get tombstone")
        return version_of(found, deleted=True) if found else None

    def count(self) -> int:
        """How many clusters are stored."""
        return sum(self._table.count(pk, action="count clusters") for pk in _SHARDS)

    def count_shared(self) -> int:
        """How many clusters hold records of more than one member (counts of the shared entries' shards)."""
        return sum(self._table.count(_shared_pk(pk), action="count shared clusters") for pk in _SHARDS)

    def sharing_counts(self, member: str) -> dict[int, int]:
        """For the clusters holding the member's records, how many are held by how many members (the holder
        directory, then a count per partition: see :mod:`~consortium.adapters.aws.dynamodb_holders`)."""
        return sharing_counts(self._table, member)

    def most_shared(self, limit: int) -> list[Cluster]:
        """At most ``limit`` clusters holding records of more than one member: most members first, then by
        title, then by id (the shared entries ranked, then those clusters read)."""
        entries = (item for pk in _SHARDS for item in self._table.query(_shared_pk(pk), action="read shared clusters"))
        ranked = heapq.nsmallest(
            max(limit, 0), entries, key=lambda i: (-int(i["members"]["S"]), i["title"]["S"], i["sk"]["S"])
        )
        found = self._clusters_by_id([item["sk"]["S"] for item in ranked])
        return [found[item["sk"]["S"]] for item in ranked if item["sk"]["S"] in found]

    def index_first_seen(self) -> int:
        """Write the first-seen entry and day, the shared entry, the holder entries and the change entries and
        days of every cluster (for a table made before those indexes existed); return how many clusters there are.
        Idempotent; Queries the cluster shards, no Scan. Run it while no ``apply`` runs."""
        count = 0
        for pk in _SHARDS:
            requests: dict[tuple[str, str], dict[str, Any]] = {}
            for item in self._table.query(pk, action="read clusters"):
                cluster = Cluster.model_validate_json(item["body"]["S"])
                entry = _entry_sk(cluster)
                requests[(_DAYS, entry[:10])] = put_request(key_of(_DAYS, entry[:10]))
                requests[(_entry_pk(entry), entry)] = put_request(
                    key_of(_entry_pk(entry), entry), cluster_id=cluster.cluster_id
                )
                requests[(_shared_pk(pk), cluster.cluster_id)] = _shared_request(cluster)
                directory_writes(holder_writes(cluster.cluster_id, None, cluster, requests), requests)
                change = ChangeEntry.from_item(item) or ChangeEntry.of(
                    cluster.updated_at, cluster.cluster_id, cluster.members
                )
                requests |= self._changes.writes(cluster.cluster_id, [], change, deleted=False)[0]
                count += 1
            self._table.batch_write(list(requests.values()), "index first-seen times")
        return count

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
        old = self.placements(final)

        stale, fresh = placement_writes(final, old)

        saved = {cluster.cluster_id: cluster for cluster in change.saved}
        gone = [cluster_id for cluster_id in dict.fromkeys(change.deleted) if cluster_id not in saved]
        indexed, changes, tombstones = self._indexed([*saved, *gone], list(saved))
        writes = self._changes.apply_writes(
            change.at, saved=saved, gone=gone, changes=changes, tombstones=tombstones, cluster_pk=_cluster_pk
        )
        stale |= writes.stale
        fresh |= writes.fresh
        holders: set[tuple[str, int]] = set()
        for cluster_id in gone:
            pk = _cluster_pk(cluster_id)
            fresh[(pk, cluster_id)] = delete_request(pk, cluster_id)
            shared_pk = _shared_pk(pk)
            fresh[(shared_pk, cluster_id)] = delete_request(shared_pk, cluster_id)
            old_entry, old_holders = indexed.get(cluster_id, (None, None))
            holder_writes(cluster_id, old_holders, None, stale)
            if old_entry is not None:
                stale[(_entry_pk(old_entry), old_entry)] = delete_request(_entry_pk(old_entry), old_entry)
        for cluster_id, cluster in saved.items():
            entry = _entry_sk(cluster)
            old_entry, old_holders = indexed.get(cluster_id, (None, None))
            holders |= holder_writes(cluster_id, old_holders, cluster, stale)
            if old_entry is not None and old_entry != entry:
                stale[(_entry_pk(old_entry), old_entry)] = delete_request(_entry_pk(old_entry), old_entry)
            if old_entry != entry:
                stale[(_DAYS, entry[:10])] = put_request(key_of(_DAYS, entry[:10]))
            stale[(_entry_pk(entry), entry)] = put_request(key_of(_entry_pk(entry), entry), cluster_id=cluster_id)
            pk = _cluster_pk(cluster_id)
            attributes = {_SEEN_SK: entry, HOLDERS: holders_of(cluster), **writes.attributes[cluster_id]}
            fresh[(pk, cluster_id)] = put_request(key_of(pk, cluster_id), body=cluster.model_dump_json(), **attributes)
            fresh[(_shared_pk(pk), cluster_id)] = _shared_request(cluster)

        directory_writes(holders - self._known_holders, stale)
        self._table.batch_write(list(stale.values()), "write clusters")
        self._known_holders |= holders
        self._changes.remember(writes.days)
        self._table.batch_write(list(fresh.values()), "write clusters")

    # -- helpers -------------------------------------------------------------------------------------------

    def _clusters_by_id(self, cluster_ids: list[str]) -> dict[str, Cluster]:
        """The stored clusters among these (distinct) ids."""
        keys = [key_of(_cluster_pk(cluster_id), cluster_id) for cluster_id in cluster_ids]
        clusters = (
            Cluster.model_validate_json(i["body"]["S"]) for i in self._table.batch_get(keys, ["body"], "read clusters")
        )
        return {cluster.cluster_id: cluster for cluster in clusters}

    def _indexed(
        self, cluster_ids: list[str], resaved: list[str]
    ) -> tuple[dict[str, tuple[str, str]], dict[str, ChangeEntry], dict[str, ChangeEntry]]:
        """For these (distinct) clusters that are stored: their first-seen entry (its sort key) with their
        ``holders``, and their change entry; and the change entry of the tombstones of the ``resaved`` ones. One
        BatchGetItem per 100 keys.

        A cluster item written before an index existed names no entry of it, so its entries (if
        :meth:`index_first_seen` made them) are worked out from its body.
        """
        keys = [key_of(_cluster_pk(c), c) for c in cluster_ids]
        keys += [key_of(tombstone_pk(_cluster_pk(c)), c) for c in resaved]
        attributes = ["pk", "sk", _SEEN_SK, HOLDERS, *INDEXED]
        entries: dict[str, tuple[str, str]] = {}
        changes: dict[str, ChangeEntry] = {}
        tombstones: dict[str, ChangeEntry] = {}
        legacy: list[str] = []
        for item in self._table.batch_get(keys, attributes, "read clusters"):
            cluster_id, change = item["sk"]["S"], ChangeEntry.from_item(item)
            if item["pk"]["S"].startswith("TMB#"):
                if change is not None:
                    tombstones[cluster_id] = change
            elif _SEEN_SK in item and HOLDERS in item and change is not None:
                entries[cluster_id] = (item[_SEEN_SK]["S"], item[HOLDERS]["S"])
                changes[cluster_id] = change
            else:
                legacy.append(cluster_id)
        for cluster_id, cluster in self._clusters_by_id(legacy).items():
            entries[cluster_id] = (_entry_sk(cluster), holders_of(cluster))
            changes[cluster_id] = ChangeEntry.of(cluster.updated_at, cluster_id, cluster.members)
        return entries, changes, tombstones
