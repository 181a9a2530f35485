"""Incremental clustering: a new, changed or deleted record touches only the clusters it belongs to.

For a changed record: its candidates are the records sharing a blocking key with it; the matcher decides each
pair; the record joins the cluster holding most of its matches (ties: the best score, then the oldest cluster),
and every other cluster it matches joins that one too, or it starts a new one: clusters are the connected parts
of the match graph, so they do not depend on the order records arrive in. Every cluster the record left or
joined is checked again: if its records no longer hang together (each linked to the others through matching
pairs), it splits into the connected parts, the part holding the oldest record keeping the cluster's id. Then
the touched clusters are merged again.

A page of records is clustered one record after the other, each seeing the changes of those before it, and
written to the cluster store in one change (:class:`~consortium.dedup.page.PageClusters`): the clusters are those
of clustering the records one call each, in the same order.

A page's changes are dated when it is written, not while it is clustered: the clock is read once, just before
the write, and the page's records take that time plus a microsecond each in the order given (clustering runs on
provisional instants in the same order, later than any real time). So a work's ``updated_at`` (its OAI-PMH
datestamp) is never older than its write by more than the write itself takes, however long the page took to
cluster: a harvester listing changes up to "now" cannot miss a work committed just after with an older date.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from consortium.dedup.features import MatchView, match_view
from consortium.dedup.fit import fit_collection
from consortium.dedup.kept_model import KeptModel
from consortium.dedup.keys import blocking_keys
from consortium.dedup.matcher import MatchDecision, decide
from consortium.dedup.merge import merge_cluster
from consortium.dedup.page import PageClusters
from consortium.dedup.state import ClusterChange, RecordKey, RecordPlacement
from consortium.dedup.views import ViewCache
from consortium.errors import NotFoundError
from consortium.gc_tuning import fewer_collections
from consortium.ports import Clock, system_clock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from consortium.dedup.model import MatchModel
    from consortium.dedup.ports import ClusterStore, MatchModelStore
    from consortium.harvest.ports import RecordStore
    from consortium.models import Cluster, Record

__all__ = ["ClusterUpdate", "DedupService"]

log = logging.getLogger(__name__)
CANDIDATES_PER_KEY = 100
"""At most this many records are compared under one blocking key (a very common title says little)."""
FULL_CHECK_LIMIT = 60
"""Clusters up to this size are checked pair by pair after a change; larger ones only around the change."""
PROVISIONAL = datetime(9999, 1, 1, tzinfo=UTC)
"""The first of the instants a page is clustered on (one a microsecond, in order), later than any real time;
each becomes the page's write time plus as many microseconds when it is written."""


def random_cluster_id() -> str:
    """A new cluster's id: 32 hex digits, the time in milliseconds (12 digits) then 80 random bits, ordered as a
    version 7 UUID is. Ids made together sort together, so a page's new works go side by side into every index
    keyed by work id (the SQLite cluster store has five): with wholly random ids each went to a page of its own,
    and the pages a page's write changed (and its commit wrote) grew with the catalogue."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.randbits(80):020x}"


@dataclass
class ClusterUpdate:
    """Clusters saved (new or changed, as saved) and deleted by one call, for the search index to follow."""

    saved: list[Cluster] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def saved_ids(self) -> list[str]:
        """The ids of the saved clusters, sorted."""
        return [cluster.cluster_id for cluster in self.saved]


class DedupService:
    """Keeps clusters in step with the record store.

    Example
    -------
    >>> service = DedupService(records, clusters)
    >>> update = service.apply_records([(("riverside", "b1"), record), (("lakeside", "x9"), None)])
    >>> [cluster.title for cluster in update.saved]
    """

    def __init__(
        self,
        records: RecordStore,
        clusters: ClusterStore,
        *,
        clock: Clock = system_clock,
        new_id: Callable[[], str] = random_cluster_id,
        model: MatchModel | None = None,
        model_store: MatchModelStore | None = None,
    ) -> None:
        self.records = records
        self.clusters = clusters
        self.clock = clock
        self.new_id = new_id
        """Gives each new cluster (and each part split off) its id."""
        self.kept_model = KeptModel(model_store, model, clock=clock)
        """Where the weights come from: the consortium's fit in ``model_store``, else ``model`` (by default the
        packaged model, :func:`~consortium.dedup.kept_model.packaged_model`); asked again now and then."""
        self.model = self.kept_model.current()
        """The matcher's weights (the consortium's fitted model, or the default), brought up to date at the start
        of each :meth:`apply_records`."""
        self._records: dict[RecordKey, Record | None] = {}
        self._views: dict[RecordKey, MatchView | None] = {}
        self._keys: dict[RecordKey, list[str]] = {}
        """The blocking keys of the page's records, from :meth:`_prefetch_candidates` to :meth:`_apply_one`."""
        self._next_date: datetime | None = None
        """The earliest time the next page may be dated (each page's dates come after the last one's)."""
        self._kept = ViewCache()
        """Views of records clustered or compared lately, used again when the record store gives the same
        digest."""

    # -- reading ---------------------------------------------------------------------------------------

    def _record(self, key: RecordKey) -> Record | None:
        if key not in self._records:
            self._records[key] = self.records.get(*key)
        return self._records[key]

    def _view(self, key: RecordKey) -> MatchView | None:
        if key not in self._views:
            record = self._record(key)
            view = match_view(record) if record else None
            self._views[key] = view
            if record is not None and view is not None:
                self._kept.put(key, record.raw.digest, view)
            else:
                self._kept.drop(key)
        return self._views[key]

    def _reuse_views(self, keys: Iterable[RecordKey]) -> None:
        """Take the kept views of these records (not in the page: read from the store) that the record store
        still has in the same version (one digest batch a member); a record it no longer holds is known absent."""
        by_member: dict[str, list[str]] = {}
        for member, local_id in keys:
            if (member, local_id) not in self._views:
                by_member.setdefault(member, []).append(local_id)
        for member, ids in by_member.items():
            digests = self.records.digests(member, ids)
            for local_id in ids:
                key = (member, local_id)
                digest = digests.get(local_id)
                if digest is None:
                    self._records[key] = self._views[key] = None
                    self._kept.drop(key)
                elif (view := self._kept.get(key, digest)) is not None:
                    self._views[key] = view

    def explain(self, a: RecordKey, b: RecordKey) -> tuple[MatchView, MatchView, list[str], MatchDecision]:
        """The keys and the decision behind two records being, or not being, one work."""
        left, right = self._view(a), self._view(b)
        for key, view in ((a, left), (b, right)):
            if view is None:
                raise NotFoundError(f"no record {key[0]}/{key[1]}")
        assert left is not None and right is not None
        shared = sorted(set(blocking_keys(left)) & set(blocking_keys(right)))
        return left, right, shared, decide(left, right, self.model)

    def refit(self, records: Sequence[Record], *, keep: bool = True) -> MatchModel:
        """Fit the matcher's weights to these records (the whole collection) and, with ``keep``, keep them in
        the model store and use them from now on: what ``dedup fit`` does, and ``dedup rebuild`` before clustering
        again."""
        model = fit_collection(records)
        if keep:
            self.kept_model.save(model)
            self.model = model
        return model

    def keep_model(self, model: MatchModel) -> None:
        """Use these weights from now on, kept in the model store (where every process that clusters reads
        them): a partitioned rebuild's plan fits them as :meth:`refit` does."""
        self.kept_model.save(model)
        self.model = model

    # -- clustering ------------------------------------------------------------------------------------

    def apply(self, keys: Iterable[RecordKey]) -> ClusterUpdate:
        """Bring the clusters of these records (new, changed or deleted in the record store) up to date, reading
        each record from the record store (see :meth:`apply_records` when they are in hand)."""
        return self.apply_records((key, self.records.get(*key)) for key in dict.fromkeys(keys))

    def apply_records(self, changes: Iterable[tuple[RecordKey, Record | None]]) -> ClusterUpdate:
        """Bring the clusters of these records up to date, each given as the record store now holds it
        (``None``: deleted); when a key comes twice, the last counts.

        The records are clustered in the order given, and the whole result is written in one cluster store
        change (so all of it or none of it): the same clusters as one call per record would make. Its times are
        those of the write (see the module).
        """
        page = dict(changes)
        self.model = self.kept_model.current()  # another process may have fitted a new model meanwhile
        pending = _Pending()
        work = PageClusters(self.clusters)
        instants = (PROVISIONAL + timedelta(microseconds=n) for n in itertools.count())
        self._records.clear()
        self._views.clear()
        self._keys.clear()
        try:
            with fewer_collections():
                self._records.update(page)
                work.prefetch(page)
                work.reserve_for(page)
                self._prefetch_candidates(page, work)
                for key in page:
                    self._apply_one(key, next(instants), work, pending)
                change = work.change()
                if change is None:
                    return ClusterUpdate(deleted=pending.deleted)
                written = self.clock()
                if self._next_date is not None and written < self._next_date:
                    written = self._next_date
                _date(change, written)
                self.clusters.apply(change)
                self._next_date = written + timedelta(microseconds=len(page))
        finally:
            self._records.clear()
            self._views.clear()
            self._keys.clear()
        return ClusterUpdate(saved=change.saved, deleted=pending.deleted)

    def _prefetch_candidates(self, page: dict[RecordKey, Record | None], work: PageClusters) -> None:
        """Look up the page's blocking keys in one batch, and take the views of the records found that were
        kept from earlier pages, if the records are unchanged."""
        keys: list[str] = []
        for key in page:
            if (view := self._view(key)) is not None:
                self._keys[key] = own = blocking_keys(view)
                keys.extend(own)
        found = work.lookup(keys, CANDIDATES_PER_KEY)
        self._reuse_views(dict.fromkeys(k for records in found.values() for k in records))

    def _apply_one(self, key: RecordKey, now: datetime, work: PageClusters, pending: _Pending) -> None:
        previous = work.placement(key)
        view = self._view(key)
        if view is None:
            if previous is not None:
                left = [k for k in work.members_of(previous.cluster_id) if k != key]
                change = ClusterChange(removed=[key], at=now)
                self._settle({previous.cluster_id: left}, {}, now, work=work, change=change, pending=pending)
                work.apply(change)
            return
        own_keys = self._keys.pop(key, None) or blocking_keys(view)  # worked out by the prefetch, for this view
        looked_up = work.lookup(own_keys, CANDIDATES_PER_KEY)
        candidates = sorted({k for ks in looked_up.values() for k in ks if k != key})
        votes: Counter[str] = Counter()
        best: dict[str, float] = {}
        for other in candidates:
            other_view = self._view(other)
            if other_view is None:
                continue
            decision = decide(view, other_view, self.model)
            # Only a match's cluster counts, so only a match's placement is read.
            if decision.match and (placement := work.placement(other)) is not None:
                votes[placement.cluster_id] += 1
                best[placement.cluster_id] = max(best.get(placement.cluster_id, 0.0), decision.score)
        before = work.members_of(previous.cluster_id) if previous is not None else []
        if votes:
            target = min(votes, key=lambda c: (-votes[c], -best[c], _age(work, c), c))
        elif previous is not None and len(before) == 1:
            target = previous.cluster_id
        else:
            target = self.new_id()
        first_seen = previous.first_seen if previous else now
        placement = RecordPlacement(
            member=key[0], local_id=key[1], cluster_id=target, keys=own_keys, first_seen=first_seen
        )
        if previous is not None and previous.cluster_id == target:
            joined = before
        else:  # a new cluster has no members yet (nothing to read)
            joined = work.members_of(target) if votes else []
        # Every other cluster the record matches is joined to the target: clusters are the connected parts of
        # the match graph, whatever order the records came in.
        merged = [k for other in votes if other != target for k in work.members_of(other)]
        members = {target: sorted({*joined, *merged, key})}
        members |= {other: [] for other in votes if other != target}
        if previous is not None and previous.cluster_id != target:
            members[previous.cluster_id] = [k for k in before if k != key and k not in merged]
        change = ClusterChange(at=now)
        self._settle(members, {key: placement}, now, work=work, change=change, pending=pending, changed=key)
        work.apply(change)

    def _settle(
        self,
        members: dict[str, list[RecordKey]],
        placed: dict[RecordKey, RecordPlacement],
        now: datetime,
        *,
        work: PageClusters,
        change: ClusterChange,
        pending: _Pending,
        changed: RecordKey | None = None,
    ) -> None:
        """Into ``change``: each touched cluster (its ``members`` once the change is applied) checked to hang
        together (split if not), then merged and saved, or deleted when no record is left in it; with the
        ``placed`` records' new placements and those of records moved by a split."""
        moves = dict(placed)
        for cluster_id, keys in members.items():
            # A record the store no longer holds still stands here until its own turn in the page takes it out.
            live = [key for key in keys if self._record(key) is not None]
            if not live:
                change.deleted.append(cluster_id)
                if cluster_id not in pending.deleted:
                    pending.deleted.append(cluster_id)
                continue
            parts = self._components(live, changed)
            placements = {key: placed.get(key) or work.placement(key) for key in live}
            parts.sort(key=lambda part: min((placements[k].first_seen, k) for k in part))  # type: ignore[union-attr]
            first_seen = {k: p.first_seen for k, p in placements.items() if p is not None}
            for number, part in enumerate(parts):
                part_id = cluster_id if number == 0 else self.new_id()
                records = [r for r in (self._record(k) for k in part) if r is not None]
                for k in part:
                    old = placements[k]
                    assert old is not None
                    if old.cluster_id != part_id:
                        moves[k] = old.model_copy(update={"cluster_id": part_id})
                change.saved.append(merge_cluster(part_id, records, first_seen, now))
            if len(parts) > 1:
                log.info("cluster %s split into %d", cluster_id, len(parts))
        change.placements.extend(moves.values())

    def _components(self, members: list[RecordKey], changed: RecordKey | None) -> list[list[RecordKey]]:
        """The parts of a cluster whose records are linked through matching pairs."""
        if len(members) == 1:
            return [members]
        views = {k: self._view(k) for k in members}
        present = [k for k in members if views[k] is not None]
        parent = {k: k for k in present}

        def find(k: RecordKey) -> RecordKey:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        full = len(present) <= FULL_CHECK_LIMIT or changed is None
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                if not full and changed not in (a, b):
                    parent[find(b)] = find(a)
                    continue
                if find(a) == find(b):
                    continue
                va, vb = views[a], views[b]
                assert va is not None and vb is not None
                if decide(va, vb, self.model).match:
                    parent[find(b)] = find(a)
        groups: dict[RecordKey, list[RecordKey]] = {}
        for k in present:
            groups.setdefault(find(k), []).append(k)
        return list(groups.values())


def _date(change: ClusterChange, written: datetime) -> None:
    """Turn the page's provisional instants in its change into times from ``written`` on (in place: the clusters
    and placements that carry them were all made by this page)."""

    def real(at: datetime) -> datetime:
        return written + (at - PROVISIONAL) if at >= PROVISIONAL else at

    for cluster in change.saved:
        cluster.first_seen, cluster.updated_at = real(cluster.first_seen), real(cluster.updated_at)
    for placement in change.placements:
        placement.first_seen = real(placement.first_seen)
    change.at = real(change.at)


def _age(work: PageClusters, cluster_id: str) -> datetime:
    """When the cluster was first seen (one that has none sorts last)."""
    return work.first_seen(cluster_id) or datetime.max.replace(tzinfo=UTC)


@dataclass
class _Pending:
    """The clusters one :meth:`DedupService.apply_records` call deleted (for the search index, those made and
    deleted within the page too)."""

    deleted: list[str] = field(default_factory=list)
