"""The cluster store in memory: for unit tests, and a correct :class:`~consortium.dedup.ports.ClusterStore`.

``new_since`` reads a sorted list of ``(first_seen as UTC text, cluster_id)``, kept in step with every save and
delete, so it finds the window by bisection instead of sorting every cluster.
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from typing import TYPE_CHECKING

from consortium.adapters.timestamps import utc_sort_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from consortium.dedup.state import ClusterChange, RecordKey, RecordPlacement
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

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        found = self._placements.get(key)
        return found.model_copy(deep=True) if found else None

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
            self._unindex(self._clusters.pop(cluster_id, None))
        for cluster in change.saved:
            self._unindex(self._clusters.get(cluster.cluster_id))
            self._clusters[cluster.cluster_id] = cluster.model_copy(deep=True)
            bisect.insort(self._by_first_seen, (utc_sort_key(cluster.first_seen), cluster.cluster_id))

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
