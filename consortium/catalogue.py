"""Keeping clusters and the search index in step with the record store.

The harvest service calls :meth:`Catalogue.follow` after each committed page: the page's records are clustered
again and the clusters they touched are indexed (or removed from the index). :meth:`Catalogue.rebuild`
recomputes every cluster and the whole index from the record store, for a new index version or after a crash
between a page's commit and its clustering.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from consortium.dedup.bulk import cluster_bulk
from consortium.dedup.service import ClusterUpdate
from consortium.dedup.state import ClusterChange

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.dedup.ports import ClusterStore
    from consortium.dedup.service import DedupService
    from consortium.harvest.ports import RecordStore
    from consortium.search.ports import SearchIndex

__all__ = ["Catalogue"]

log = logging.getLogger(__name__)


@dataclass
class Catalogue:
    records: RecordStore
    clusters: ClusterStore
    index: SearchIndex | None
    """``None`` where no search index is available yet (the OpenSearch adapter on AWS)."""
    dedup: DedupService

    def follow(self, keys: Iterable[tuple[str, str]]) -> ClusterUpdate:
        """Cluster these changed records again and index what changed (idempotent)."""
        update = self.dedup.apply(keys)
        self._index(update)
        return update

    def _index(self, update: ClusterUpdate) -> None:
        if self.index is None:
            return
        saved = [c for c in (self.clusters.get(i) for i in update.saved) if c is not None]
        if saved:
            self.index.upsert(saved)
        if update.deleted:
            self.index.delete(update.deleted)

    def rebuild(self) -> ClusterUpdate:
        """Every record clustered from scratch (the bulk path), and the index rebuilt from the clusters.

        Records keep their ``first_seen``, so a rebuild makes no work "new"."""
        stale = [c.cluster_id for c in self.clusters.clusters()]
        removed = sorted({k for cid in stale for k in self.clusters.members_of(cid)})
        first_seen = {k: p.first_seen for k in removed if (p := self.clusters.placement(k)) is not None}
        change = cluster_bulk(self.records.records(), self.dedup.clock(), first_seen)
        self.clusters.apply(ClusterChange(removed=removed, deleted=stale))
        self.clusters.apply(change)
        update = ClusterUpdate(saved=[c.cluster_id for c in change.saved], deleted=stale)
        if self.index is not None:
            self.index.rebuild(self.clusters.clusters())
        log.info("rebuilt %d clusters from %d records", self.clusters.count(), self.records.count())
        return update
