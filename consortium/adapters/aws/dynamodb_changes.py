"""The change index of the DynamoDB cluster store: every cluster by the time it last changed, deleted ones as
tombstones, and the same per member, without a Scan (the OAI-PMH provider's incremental, per-member listings).

=====================  =========================================  =========================================
item                   ``pk``                                     ``sk``
=====================  =========================================  =========================================
change entry           ``CHG#<YYYY-MM-DD>``                       ``<changed key>#<cluster_id>``
member change entry    ``CHGM#<member>#<YYYY-MM-DD>``             ``<changed key>#<cluster_id>``
change day             ``CHGDAYS`` / ``CHGMDAYS#<member>``        ``<YYYY-MM-DD>``
tombstone              ``TMB#<shard>``                            ``<cluster_id>``
=====================  =========================================  =========================================

The changed key is the change time in UTC as fixed-width ISO 8601 without offset (text order is time order);
the day is its first ten characters, so one day's entries share a partition, as the first-seen index does
(:mod:`~consortium.adapters.aws.dynamodb_clusters`). A member's pk ends with the fixed-width day, so two
``(member, day)`` pairs never share one. Entries hold ``cluster_id`` and ``deleted`` (``"1"`` for a tombstone).
Every ``(scope, day)`` that has had an entry has a day item (never deleted; a day left empty costs an empty
Query). A tombstone item (the shard is the cluster's, the first hex digit of the SHA-256 of its id) holds the
:class:`~consortium.dedup.state.ClusterVersion` as JSON in ``body``.

The cluster item, and the tombstone item, carry the entry they are indexed under: ``changed_sk`` and
``changed_members`` (a JSON list). ``apply`` reads them (with the first-seen entry, in the same BatchGetItem),
writes the new entries and deletes the stale ones in its first write stream, then the cluster items in the
second; a tombstone item is put in the first stream, before its cluster item is deleted, so re-applying a
change after a failure finds the same cluster and writes the same tombstone. A listing reads the day items,
then each day's entries a page at a time (``Limit``-ed Queries, never more than the page asks plus a margin),
and keeps an entry only if the cluster item (or tombstone item) it points at still names it, so an entry made
stale by a failed ``apply`` is never listed. ``count_changed`` adds up ``Select=COUNT`` Queries over the days
(a stale entry, until the change is applied again, is counted). Cluster items written before this index have
no ``changed_sk``: their entry is worked out from the body (``updated_at``, the members), as
:meth:`~consortium.adapters.aws.DynamoDbClusterStore.index_first_seen` writes it for such tables.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from consortium.adapters.aws.dynamodb_common import delete_request, key_of, put_request
from consortium.adapters.timestamps import utc_sort_key
from consortium.dedup.state import ClusterVersion
from consortium.models import Cluster

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from consortium.adapters.aws.dynamodb_common import DynamoDbTable
    from consortium.dedup.state import ChangeCursor

__all__ = [
    "CHANGED_MEMBERS",
    "CHANGED_SK",
    "INDEXED",
    "ChangeEntry",
    "ChangeIndex",
    "ChangeWrites",
    "tombstone_pk",
    "version_of",
]

CHANGED_SK = "changed_sk"
"""The cluster (or tombstone) item's attribute naming its change entries' sort key."""
CHANGED_MEMBERS = "changed_members"
"""The cluster (or tombstone) item's attribute listing the members it is indexed under (JSON)."""
INDEXED = (CHANGED_SK, CHANGED_MEMBERS)
"""Both, as read with the other attributes of a cluster item."""
_MARGIN = 10
"""Entries read beyond what a page needs, so that a few stale ones cost no second Query."""


def tombstone_pk(cluster_pk: str) -> str:
    """The partition of a tombstone: ``TMB#`` and its cluster's shard digit (``cluster_pk`` is ``CL#<digit>``)."""
    return "TMB#" + cluster_pk.removeprefix("CL#")


def _entry_pk(member: str | None, day: str) -> str:
    return f"CHG#{day}" if member is None else f"CHGM#{member}#{day}"


def _days_pk(member: str | None) -> str:
    return "CHGDAYS" if member is None else f"CHGMDAYS#{member}"


class ChangeEntry(NamedTuple):
    """What a cluster is indexed under: its entries' sort key and the members whose lists hold it."""

    sk: str
    members: tuple[str, ...]

    @classmethod
    def of(cls, changed_at: datetime, cluster_id: str, members: Iterable[str]) -> ChangeEntry:
        return cls(f"{utc_sort_key(changed_at)}#{cluster_id}", tuple(members))

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ChangeEntry | None:
        """The entry a cluster or tombstone item names, or ``None`` for a cluster item older than this index."""
        if CHANGED_SK not in item:
            return None
        return cls(item[CHANGED_SK]["S"], tuple(json.loads(item[CHANGED_MEMBERS]["S"])))

    def attributes(self) -> dict[str, str]:
        """The item attributes naming this entry."""
        return {CHANGED_SK: self.sk, CHANGED_MEMBERS: json.dumps(list(self.members), ensure_ascii=False)}

    def places(self) -> dict[tuple[str, str], str]:
        """``(pk, sk)`` of each of its entries, to the day item's pk of that entry's scope."""
        day = self.sk[:10]
        return {(_entry_pk(m, day), self.sk): _days_pk(m) for m in (None, *self.members)}


class ChangeWrites(NamedTuple):
    """What one ``apply`` writes for the change index: requests for the first stream and the second, the
    attributes each saved cluster item carries, and the day items put (to :meth:`ChangeIndex.remember`)."""

    stale: dict[tuple[str, str], dict[str, Any]]
    fresh: dict[tuple[str, str], dict[str, Any]]
    attributes: dict[str, dict[str, str]]
    days: list[tuple[str, str]]


class ChangeIndex:
    """The change index in a cluster store's table (see the module). ``known_days`` remembers the day items this
    process has written (they are never deleted), so saving clusters on a known day puts no day item again."""

    def __init__(self, table: DynamoDbTable) -> None:
        self._table = table
        self._known_days: set[tuple[str, str]] = set()

    # -- writes ----------------------------------------------------------------------------------------

    def writes(
        self, cluster_id: str, old: Iterable[ChangeEntry], new: ChangeEntry, *, deleted: bool
    ) -> tuple[dict[tuple[str, str], dict[str, Any]], list[tuple[str, str]]]:
        """The requests that move a cluster's entries from ``old`` to ``new`` (for the first write stream), and
        the day items they put (to :meth:`remember` once written)."""
        requests: dict[tuple[str, str], dict[str, Any]] = {}
        old_places: dict[tuple[str, str], str] = {}
        for entry in old:
            old_places |= entry.places()
        new_places = new.places()
        for pk, sk in old_places.keys() - new_places.keys():
            requests[(pk, sk)] = delete_request(pk, sk)
        days = []
        had = {(days_pk, place[1][:10]) for place, days_pk in old_places.items()}
        for (pk, sk), days_pk in new_places.items():
            requests[(pk, sk)] = put_request(key_of(pk, sk), cluster_id=cluster_id, deleted="1" if deleted else "0")
            day = (days_pk, sk[:10])
            if day not in had and day not in self._known_days:
                requests[day] = put_request(key_of(*day))
                days.append(day)
        return requests, days

    def apply_writes(
        self,
        at: datetime,
        *,
        saved: dict[str, Cluster],
        gone: list[str],
        changes: dict[str, ChangeEntry],
        tombstones: dict[str, ChangeEntry],
        cluster_pk: Callable[[str], str],
    ) -> ChangeWrites:
        """The change index's part of an ``apply``: ``saved`` clusters by id, ``gone`` the ids deleted (not saved
        again), ``changes`` the entries of the stored ones among both, ``tombstones`` those of the saved ids'
        tombstone items. A gone cluster that was stored gets a tombstone dated ``at`` (its item in the first
        stream, before the cluster item goes); a saved id's tombstone item goes in the second."""
        writes = ChangeWrites({}, {}, {}, [])
        for cluster_id in gone:
            was = changes.get(cluster_id)
            if was is None:
                continue
            entry = ChangeEntry.of(at, cluster_id, was.members)
            requests, days = self.writes(cluster_id, [was], entry, deleted=True)
            writes.stale.update(requests)
            writes.days.extend(days)
            version = ClusterVersion(cluster_id=cluster_id, changed_at=at, members=list(was.members))
            pk = tombstone_pk(cluster_pk(cluster_id))
            writes.stale[(pk, cluster_id)] = self.tombstone_item(pk, version, entry)
        for cluster_id, cluster in saved.items():
            now = ChangeEntry.of(cluster.updated_at, cluster_id, cluster.members)
            before = [e for e in (changes.get(cluster_id), tombstones.get(cluster_id)) if e is not None]
            requests, days = self.writes(cluster_id, before, now, deleted=False)
            writes.stale.update(requests)
            writes.days.extend(days)
            writes.attributes[cluster_id] = now.attributes()
            if cluster_id in tombstones:
                pk = tombstone_pk(cluster_pk(cluster_id))
                writes.fresh[(pk, cluster_id)] = delete_request(pk, cluster_id)
        return writes

    def remember(self, days: Iterable[tuple[str, str]]) -> None:
        """Day items now written."""
        self._known_days.update(days)

    @staticmethod
    def tombstone_item(pk: str, version: ClusterVersion, entry: ChangeEntry) -> dict[str, Any]:
        """The put of a tombstone item (``pk`` from :func:`tombstone_pk`)."""
        return put_request(key_of(pk, version.cluster_id), body=version.model_dump_json(), **entry.attributes())

    # -- reads -----------------------------------------------------------------------------------------

    def changed(
        self,
        since: datetime | None,
        until: datetime | None,
        *,
        member: str | None,
        after: ChangeCursor | None,
        limit: int,
        cluster_pk: Callable[[str], str],
    ) -> list[ClusterVersion]:
        """One page of the change index (see :meth:`~consortium.dedup.ports.ClusterStore.changed`);
        ``cluster_pk`` gives a cluster id's partition."""
        low, high, skip = self._bounds(since, until, after)
        found: list[ClusterVersion] = []
        if limit <= 0 or (high is not None and low is not None and low >= high):
            return found
        for day in self._days(member, low, high):
            start = low
            while len(found) < limit:
                asked = limit - len(found) + _MARGIN
                page = list(self._table.query(_entry_pk(member, day), low=start, high=high, limit=asked))
                entries = [item for item in page if item["sk"]["S"] != skip]
                found.extend(self._verified(entries, cluster_pk)[: limit - len(found)])
                if len(page) < asked:
                    break
                start = skip = page[-1]["sk"]["S"]
            if len(found) >= limit:
                break
        return found

    def count(self, since: datetime | None, until: datetime | None, member: str | None) -> int:
        """How many entries the window holds (stale ones included until their change is applied again)."""
        low, high, _ = self._bounds(since, until, None)
        if high is not None and low is not None and low >= high:
            return 0
        return sum(
            self._table.count(_entry_pk(member, day), low=low, high=high, action="count changes")
            for day in self._days(member, low, high)
        )

    def _days(self, member: str | None, low: str | None, high: str | None) -> list[str]:
        items = self._table.query(
            _days_pk(member), low=low[:10] if low else None, high=high[:10] if high else None, action="read days"
        )
        return [item["sk"]["S"] for item in items]

    @staticmethod
    def _bounds(
        since: datetime | None, until: datetime | None, after: ChangeCursor | None
    ) -> tuple[str | None, str | None, str | None]:
        """The lowest sort key to read (included), the key every entry must sort below, and the entry to skip
        (the cursor's, which the lowest key names)."""
        low = utc_sort_key(since) if since is not None else None
        high = utc_sort_key(until) if until is not None else None
        skip = None
        if after is not None:
            skip = f"{utc_sort_key(after[0])}#{after[1]}"
            low = skip if low is None or skip > low else low
        return low, high, skip

    def _verified(self, entries: list[dict[str, Any]], cluster_pk: Callable[[str], str]) -> list[ClusterVersion]:
        """The entries whose cluster (or tombstone) item still names them, as versions, in order."""

        def item_key(entry: dict[str, Any]) -> tuple[str, str]:
            cluster_id = entry["cluster_id"]["S"]
            pk = cluster_pk(cluster_id)
            return (tombstone_pk(pk) if entry.get("deleted", {}).get("S") == "1" else pk, cluster_id)

        wanted = [key_of(*key) for key in dict.fromkeys(item_key(entry) for entry in entries)]
        read = self._table.batch_get(wanted, ["pk", "sk", "body", *INDEXED], "read changes")
        items = {(item["pk"]["S"], item["sk"]["S"]): item for item in read}
        versions = []
        for entry in entries:
            key = item_key(entry)
            if (item := items.get(key)) is None:
                continue
            version = version_of(item, deleted=key[0].startswith("TMB#"))
            named = ChangeEntry.from_item(item) or ChangeEntry.of(version.changed_at, key[1], version.members)
            if named.sk == entry["sk"]["S"]:
                versions.append(version)
        return versions


def version_of(item: dict[str, Any], *, deleted: bool) -> ClusterVersion:
    """The version a cluster item (``deleted=False``) or a tombstone item holds in ``body``."""
    if deleted:
        return ClusterVersion.model_validate_json(item["body"]["S"])
    return ClusterVersion.of(Cluster.model_validate_json(item["body"]["S"]))
