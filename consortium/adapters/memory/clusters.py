"""In-memory cluster store."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from consortium.dedup.state import ClusterChange, RecordKey, RecordPlacement
    from consortium.models import Cluster

__all__ = ["InMemoryClusterStore"]


class InMemoryClusterStore:
    def __init__(self) -> None:
        self._placements: dict[RecordKey, RecordPlacement] = {}
        self._index: dict[str, set[RecordKey]] = defaultdict(set)
        self._clusters: dict[str, Cluster] = {}

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        found = self._placements.get(key)
        return found.model_copy(deep=True) if found else None

    def lookup(self, keys: Iterable[str], limit: int = 100) -> dict[str, list[RecordKey]]:
        return {key: sorted(self._index[key])[:limit] for key in keys if self._index.get(key)}

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        return sorted(k for k, p in self._placements.items() if p.cluster_id == cluster_id)

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
            for index_key in placement.keys:
                self._index[index_key].add(key)
        for cluster_id in change.deleted:
            self._clusters.pop(cluster_id, None)
        for cluster in change.saved:
            self._clusters[cluster.cluster_id] = cluster.model_copy(deep=True)

    def _drop(self, key: RecordKey) -> None:
        old = self._placements.pop(key, None)
        if old is not None:
            for index_key in old.keys:
                self._index[index_key].discard(key)
                if not self._index[index_key]:
                    del self._index[index_key]

    def clusters(self) -> Iterator[Cluster]:
        for cluster_id in sorted(self._clusters):
            yield self._clusters[cluster_id].model_copy(deep=True)

    def count(self) -> int:
        return len(self._clusters)
