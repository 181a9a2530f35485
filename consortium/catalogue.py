"""Keeping clusters and the search index in step with the record store.

The harvest service calls :meth:`Catalogue.follow` with the changes of committed pages, a batch of them at a time
(``HarvestService.follow_every``): the records (in hand, not read back) are clustered again in one cluster store
write and the clusters they touched, as saved, are indexed in one index write (and removed from the index in
one more, if any went).
:meth:`Catalogue.rebuild` recomputes every cluster and the whole index from the record store, for a new index
version or after a crash between a page's commit and its clustering.
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
    from consortium.harvest.state import RecordChange
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

    def follow(self, changes: Iterable[RecordChange]) -> ClusterUpdate:
        """Cluster these changed records (upserted or deleted) again and index what changed (idempotent)."""
        update = self.dedup.apply_records(((c.member, c.local_id), c.record) for c in changes)
        self._index(update)
        return update

    def _index(self, update: ClusterUpdate) -> None:
        if self.index is None:
            return
        if update.saved:
            self.index.upsert(update.saved)
        if update.deleted:
            self.index.delete(update.deleted)

    def reindex_if_needed(self) -> int:
        """Rebuild the search index from the stored clusters when the index asks for it (it was written by an
        older release, in another layout, and opened empty: it is derived data). Works keep their ids; nothing is
        clustered again. Returns how many works were indexed (0: nothing needed)."""
        if self.index is None or not getattr(self.index, "needs_rebuild", False):
            return 0
        self.index.rebuild(self.clusters.clusters())
        count = self.clusters.count()
        log.warning("the search index was in an older layout: rebuilt from the %d stored works", count)
        return count

    def rebuild(self) -> ClusterUpdate:
        """The matcher's weights fitted again to every record, every record clustered from scratch (the bulk
        path) with them, and the index rebuilt from the clusters.

        Records keep their ``first_seen``, so a rebuild makes no work "new". Works get new ids: the old ones
        are tombstones in the cluster store's change index (the OAI-PMH provider lists them as deleted)."""
        stale = [c.cluster_id for c in self.clusters.clusters()]
        removed = sorted({k for cid in stale for k in self.clusters.members_of(cid)})
        first_seen = {k: p.first_seen for k in removed if (p := self.clusters.placement(k)) is not None}
        now = self.dedup.clock()
        records = list(self.records.records())
        model = self.dedup.refit(records)
        change = cluster_bulk(records, now, first_seen, model)
        self.clusters.apply(ClusterChange(removed=removed, deleted=stale, at=now))
        self.clusters.apply(change)
        update = ClusterUpdate(saved=sorted(change.saved, key=lambda c: c.cluster_id), deleted=stale)
        if self.index is not None:
            self.index.rebuild(self.clusters.clusters())
        log.info("rebuilt %d clusters from %d records", self.clusters.count(), self.records.count())
        return update
