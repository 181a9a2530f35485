"""The cluster store in memory: for unit tests, and a correct :class:`~consortium.dedup.ports.ClusterStore`.

``new_since`` reads a sorted list of ``(first_seen as UTC text, cluster_id)``, kept in step with every save and
delete, so it finds the window by bisection instead of sorting every cluster. The change index is kept the same
way: one sorted list of ``(change time as UTC text, cluster_id)`` for every cluster and tombstone, and one per
member.
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from typing import TYPE_CHECKING

from consortium.adapters.timestamps import utc_sort_key
from consortium.dedup.state import ClusterVersion

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from consortium.dedup.state import ChangeCursor, ClusterChange, RecordKey, RecordPlacement
    from consortium.models import Cluster

__all__ = ["InMemoryClusterStore"]


class InMemoryClusterStore:
    """A :class:`~consortium.dedup.ports.ClusterStore` in dicts; placements and clusters go in and out as copies.

    Example
    -------
    >>> store = InMemoryClusterStore()
    >>> store.apply(ClusterChange(placements=[placement], saved=[cluster]))
    >>> store.members_of(cluster.cluster_id)
    [('riverside', 'b1')]
    """

    def __init__(self) -> None:
        self._placements: dict[RecordKey, RecordPlacement] = {}
        self._index: dict[str, set[RecordKey]] = defaultdict(set)
        self._clusters: dict[str, Cluster] = {}
        self._members: dict[str, set[RecordKey]] = defaultdict(set)
        self._by_first_seen: list[tuple[str, str]] = []
        """``(first-seen key, cluster_id)`` of every cluster, sorted."""
        self._tombstones: dict[str, ClusterVersion] = {}
        self._by_change: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
        """``(change key, cluster_id)`` of every cluster and tombstone (under ``None``), and of those holding each
        member's records (under the member), sorted."""
        self._change_of: dict[str, tuple[str, list[str]]] = {}
        """Each indexed cluster's change key and the members it is indexed under."""

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        found = self._placements.get(key)
        return found.model_copy(deep=True) if found else None

    def placements(self, keys: Iterable[RecordKey]) -> dict[RecordKey, RecordPlacement]:
        return {key: found.model_copy(deep=True) for key in keys if (found := self._placements.get(key)) is not None}

    def lookup(self, keys: Iterable[str], limit: int = 100) -> dict[str, list[RecordKey]]:
        return {key: sorted(self._index[key])[:limit] for key in keys if self._index.get(key)}

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        return sorted(self._members.get(cluster_id, ()))

    def get(self, cluster_id: str) -> Cluster | None:
        found = self._clusters.get(cluster_id)
        return found.model_copy(deep=True) if found else None

    def apply(self, change: ClusterChange) -> None:
        for key in change.removed:
            self._drop(key)
        for placement in change.placements:
            key = (placement.member, placement.local_id)
            self._drop(key)
            self._placements[key] = placement.model_copy(deep=True)
            self._members[placement.cluster_id].add(key)
            for index_key in placement.keys:
                self._index[index_key].add(key)
        for cluster_id in change.deleted:
            gone = self._clusters.pop(cluster_id, None)
            self._unindex(gone)
            if gone is not None:
                tombstone = ClusterVersion(cluster_id=cluster_id, changed_at=change.at, members=gone.members)
                self._tombstones[cluster_id] = tombstone
                self._index_change(cluster_id, utc_sort_key(change.at), tombstone.members)
        for cluster in change.saved:
            self._unindex(self._clusters.get(cluster.cluster_id))
            self._clusters[cluster.cluster_id] = cluster.model_copy(deep=True)
            bisect.insort(self._by_first_seen, (utc_sort_key(cluster.first_seen), cluster.cluster_id))
            self._tombstones.pop(cluster.cluster_id, None)
            self._index_change(cluster.cluster_id, utc_sort_key(cluster.updated_at), cluster.members)

    def _index_change(self, cluster_id: str, key: str, members: list[str]) -> None:
        old = self._change_of.pop(cluster_id, None)
        if old is not None:
            for scope in (None, *old[1]):
                entries = self._by_change[scope]
                at = bisect.bisect_left(entries, (old[0], cluster_id))
                if at < len(entries) and entries[at] == (old[0], cluster_id):
                    del entries[at]
        self._change_of[cluster_id] = (key, list(members))
        for scope in (None, *members):
            bisect.insort(self._by_change[scope], (key, cluster_id))

    def _unindex(self, cluster: Cluster | None) -> None:
        if cluster is not None:
            entry = (utc_sort_key(cluster.first_seen), cluster.cluster_id)
            at = bisect.bisect_left(self._by_first_seen, entry)
            if at < len(self._by_first_seen) and self._by_first_seen[at] == entry:
                del self._by_first_seen[at]

    def _drop(self, key: RecordKey) -> None:
        old = self._placements.pop(key, None)
        if old is not None:
            self._members[old.cluster_id].discard(key)
            if not self._members[old.cluster_id]:
                del self._members[old.cluster_id]
            for index_key in old.keys:
                self._index[index_key].discard(key)
                if not self._index[index_key]:
                    del self._index[index_key]

    def clusters(self) -> Iterator[Cluster]:
        for cluster_id in sorted(self._clusters):
            yield self._clusters[cluster_id].model_copy(deep=True)

    def new_since(self, since: datetime, until: datetime | None = None) -> Iterator[Cluster]:
        low = bisect.bisect_left(self._by_first_seen, (utc_sort_key(since), ""))
        high = (
            bisect.bisect_left(self._by_first_seen, (utc_sort_key(until), ""))
            if until is not None
            else len(self._by_first_seen)
        )
        for _, cluster_id in self._by_first_seen[low:high]:
            found = self._clusters.get(cluster_id)
            if found is not None:
                yield found.model_copy(deep=True)

    def changed(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        member: str | None = None,
        after: ChangeCursor | None = None,
        limit: int = 100,
    ) -> list[ClusterVersion]:
        entries = self._by_change.get(member, [])
        low, high = self._window(entries, since, until)
        if after is not None:
            low = max(low, bisect.bisect_right(entries, (utc_sort_key(after[0]), after[1])))
        found = []
        for _, cluster_id in entries[low : min(high, low + max(limit, 0))]:
            cluster = self._clusters.get(cluster_id)
            version = ClusterVersion.of(cluster) if cluster is not None else self._tombstones[cluster_id]
            found.append(version.model_copy(deep=True))
        return found

    def count_changed(
        self, since: datetime | None = None, until: datetime | None = None, *, member: str | None = None
    ) -> int:
        low, high = self._window(self._by_change.get(member, []), since, until)
        return max(high - low, 0)

    @staticmethod
    def _window(entries: list[tuple[str, str]], since: datetime | None, until: datetime | None) -> tuple[int, int]:
        low = bisect.bisect_left(entries, (utc_sort_key(since), "")) if since is not None else 0
        high = bisect.bisect_left(entries, (utc_sort_key(until), "")) if until is not None else len(entries)
        return low, high

    def version(self, cluster_id: str) -> ClusterVersion | None:
        cluster = self._clusters.get(cluster_id)
        if cluster is not None:
            return ClusterVersion.of(cluster.model_copy(deep=True))
        tombstone = self._tombstones.get(cluster_id)
        return tombstone.model_copy(deep=True) if tombstone is not None else None

    def count(self) -> int:
        return len(self._clusters)

    def count_shared(self) -> int:
        return sum(1 for cluster in self._clusters.values() if len(cluster.members) > 1)

    def sharing_counts(self, member: str) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for cluster in self._clusters.values():
            members = cluster.members
            if member in members:
                counts[len(members)] += 1
        return dict(counts)

    def most_shared(self, limit: int) -> list[Cluster]:
        shared = (c for c in self._clusters.values() if len(c.members) > 1)
        ranked = heapq.nsmallest(max(limit, 0), shared, key=lambda c: (-len(c.members), c.title, c.cluster_id))
        return [cluster.model_copy(deep=True) for cluster in ranked]
