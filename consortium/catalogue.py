"""Keeping clusters and the search index in step with the record store.

The harvest service calls :meth:`Catalogue.follow` with the changes of committed pages, a batch of them at a time
(``HarvestService.follow_every``): the records (in hand, not read back) are clustered again in one cluster store
write and the clusters they touched, as saved, are indexed in one index write (and removed from the index in
one more, if any went).
:meth:`Catalogue.rebuild` recomputes every cluster and the whole index from the record store, for a new index
version or after a crash between a page's commit and its clustering. :meth:`Catalogue.reindex_if_needed` rebuilds
only the index, from the stored works, when its layout changed (a new release's index template), while other
processes go on writing (the harvest Lambdas on AWS): what they change meanwhile is replayed from the cluster
store's change index once the new index is in place.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from consortium.dedup.bulk import cluster_bulk
from consortium.dedup.partition import cluster_partition, plan_partitions, sweep_stale
from consortium.dedup.ports import RowWritingClusterStore
from consortium.dedup.processes import cluster_in_processes
from consortium.dedup.service import ClusterUpdate
from consortium.dedup.state import ClusterChange
from consortium.dedup.work_groups import with_work_id

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.dedup.partition import PartitionPlan, PartitionResult
    from consortium.dedup.ports import ClusterStore, PlanStore
    from consortium.dedup.service import DedupService
    from consortium.harvest.ports import RecordStore
    from consortium.harvest.state import RecordChange
    from consortium.search.ports import SearchIndex

__all__ = ["REPLAY_MARGIN", "Catalogue"]

log = logging.getLogger(__name__)

REPLAY_MARGIN = dt.timedelta(minutes=5)
"""How far before a reindex started its replay of changes reaches: the change times other processes wrote come
from their own clocks, which may be behind this one's."""

_REPLAY_PAGE = 500


@dataclass
class Catalogue:
    records: RecordStore
    clusters: ClusterStore
    index: SearchIndex | None
    """``None`` where no search index is available yet (the OpenSearch adapter on AWS)."""
    dedup: DedupService

    def follow(self, changes: Iterable[RecordChange]) -> ClusterUpdate:
        """Cluster these changed records (upserted or deleted) again and index what changed (idempotent)."""
        update = self.cluster(changes)
        self._index(update)
        return update

    def cluster(self, changes: Iterable[RecordChange]) -> ClusterUpdate:
        """Cluster these changed records again, in one cluster store write, without indexing: the clusters saved
        and deleted, for the caller to index (the follower process, which commits the index beside its next
        batch's clustering)."""
        return self.dedup.apply_records(((c.member, c.local_id), c.record) for c in changes)

    def _index(self, update: ClusterUpdate) -> None:
        if self.index is None:
            return
        if update.saved:
            self.index.upsert(update.saved)
        if update.deleted:
            self.index.delete(update.deleted)

    def reindex_if_needed(self, *, force: bool = False) -> int:
        """Rebuild the search index from the stored clusters when the index asks for it (it was written by an
        older release, in another layout), when it holds no work while the store holds some (an index folder
        lost, or a data folder restored without it: searches would find nothing, for good), or ``force``: works
        keep their ids; nothing is clustered again; a work
        stored before work groups is indexed with the work id its fields give
        (:func:`~consortium.dedup.work_groups.with_work_id`). Returns how many works were indexed (0: nothing
        needed).

        Other processes may write meanwhile (on AWS the harvest Lambdas keep following their pages): their
        writes reach the old index until the new one takes its place, so afterwards every cluster the change
        index says changed since the rebuild began (less :data:`REPLAY_MARGIN`) is indexed again, or removed."""
        if self.index is None:
            return 0
        if not (force or getattr(self.index, "needs_rebuild", False) or self._index_lost()):
            return 0
        began = self.dedup.clock() - REPLAY_MARGIN
        self.index.rebuild(with_work_id(cluster) for cluster in self.clusters.clusters())
        replayed = self.replay_changes(began)
        count = self.clusters.count()
        log.warning("the search index was rebuilt from the %d stored works (%d changed meanwhile)", count, replayed)
        return count

    def _index_lost(self) -> bool:
        """The index holds no work while the cluster store holds some (two counts, nothing read)."""
        return self.index is not None and self.index.count() == 0 and self.clusters.count() > 0

    def replay_changes(self, since: dt.datetime) -> int:
        """Index again every cluster changed since ``since`` and remove those deleted since (from the cluster
        store's change index, a page at a time); how many entries were replayed."""
        if self.index is None:
            return 0
        replayed, after = 0, None
        while True:
            page = self.clusters.changed(since, after=after, limit=_REPLAY_PAGE)
            if not page:
                return replayed
            saved = [with_work_id(v.cluster) for v in page if v.cluster is not None]
            if saved:
                self.index.upsert(saved)
            deleted = [v.cluster_id for v in page if v.cluster is None]
            if deleted:
                self.index.delete(deleted)
            replayed += len(page)
            after = page[-1].cursor

    def rebuild(self, *, workers: int = 1) -> ClusterUpdate:
        """The matcher's weights fitted again to every record, every record clustered from scratch (the bulk
        path) with them, and the index rebuilt from the clusters.

        Records keep their ``first_seen``, so a rebuild makes no work "new". Works get new ids: the old ones
        are tombstones in the cluster store's change index (the OAI-PMH provider lists them as deleted).

        With ``workers`` above 1 and a store taking rows (:class:`~consortium.dedup.ports.RowWritingClusterStore`:
        SQLite), the records are clustered by that many worker processes, a part at a time (parts share no
        blocking key, so the clusters are the same), while this process stores the parts as they come; else in
        this process."""
        stale = [c.cluster_id for c in self.clusters.clusters()]
        removed = sorted({k for cid in stale for k in self.clusters.members_of(cid)})
        first_seen = {k: p.first_seen for k in removed if (p := self.clusters.placement(k)) is not None}
        now = self.dedup.clock()
        records = list(self.records.records())
        model = self.dedup.refit(records)
        if workers > 1 and isinstance(self.clusters, RowWritingClusterStore):
            self.clusters.apply(ClusterChange(removed=removed, deleted=stale, at=now))
            parts = cluster_in_processes(
                records, now, self.clusters.encode, first_seen=first_seen, model=model, workers=workers
            )
            self.clusters.apply_rows(parts, expected=len(records))
            saved = sorted(self.clusters.clusters(), key=lambda c: c.cluster_id)
        else:
            change = cluster_bulk(records, now, first_seen, model)
            self.clusters.apply(ClusterChange(removed=removed, deleted=stale, at=now))
            self.clusters.apply(change)
            saved = sorted(change.saved, key=lambda c: c.cluster_id)
        update = ClusterUpdate(saved=saved, deleted=stale)
        if self.index is not None:
            self.index.rebuild(self.clusters.clusters())
        log.info("rebuilt %d clusters from %d records", self.clusters.count(), self.records.count())
        return update

    # -- the same rebuild in partitions (consortium.dedup.partition) ------------------------------------

    def plan_rebuild(
        self, plans: PlanStore, *, run: str, partitions: int, max_records: int | None = None
    ) -> PartitionPlan:
        """The planning pass of a partitioned rebuild: the weights fitted (kept as :meth:`rebuild` keeps them),
        the records' components packed into ``partitions`` partitions, the plan stored under ``run``."""
        plan = plan_partitions(
            self.records.records,
            self.clusters,
            plans,
            run=run,
            partitions=partitions,
            now=self.dedup.clock(),
            max_records=max_records,
        )
        self.dedup.keep_model(plan.model)
        return plan

    def rebuild_partition(self, plans: PlanStore, *, run: str, partition: int) -> PartitionResult:
        """Re-cluster one partition of the plan ``run`` (the index is rebuilt by :meth:`finish_rebuild`)."""
        return cluster_partition(self.records, self.clusters, plans, run=run, index=partition, now=self.dedup.clock())

    def finish_rebuild(self, plans: PlanStore, *, run: str) -> int:
        """After every partition of ``run``: clusters older than the plan deleted, the index rebuilt from the
        clusters; the number of stale clusters deleted."""
        stale = sweep_stale(self.clusters, plans, run=run, now=self.dedup.clock())
        if self.index is not None:
            self.index.rebuild(self.clusters.clusters())
        log.info("partitioned rebuild %s: %d clusters, %d stale deleted", run, self.clusters.count(), len(stale))
        return len(stale)
