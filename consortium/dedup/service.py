"""Incremental clustering: a new, changed or deleted record touches only the clusters it belongs to.

For a changed record: its candidates are the records sharing a blocking key with it; the matcher decides each
pair; the record joins the cluster holding most of its matches (ties: the best score, then the oldest cluster)
or starts a new one. Every cluster the record left or joined is checked again: if its records no longer hang
together (each linked to the others through matching pairs), it splits into the connected parts, the part
holding the oldest record keeping the cluster's id. Then the touched clusters are merged again.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from consortium.dedup.features import MatchView, match_view
from consortium.dedup.keys import blocking_keys
from consortium.dedup.matcher import MatchDecision, decide
from consortium.dedup.merge import merge_cluster
from consortium.dedup.state import ClusterChange, RecordKey, RecordPlacement
from consortium.errors import NotFoundError
from consortium.gc_tuning import fewer_collections
from consortium.ports import Clock, system_clock

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.dedup.ports import ClusterStore
    from consortium.harvest.ports import RecordStore
    from consortium.models import Record

__all__ = ["ClusterUpdate", "DedupService"]

log = logging.getLogger(__name__)
CANDIDATES_PER_KEY = 100
"""At most this many records are compared under one blocking key (a very common title says little)."""
FULL_CHECK_LIMIT = 60
"""Clusters up to this size are checked pair by pair after a change; larger ones only around the change."""


@dataclass
class ClusterUpdate:
    """Clusters saved (new or changed) and deleted by one call, for the search index to follow."""

    saved: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class DedupService:
    """Keeps clusters in step with the record store.

    Example
    -------
    >>> service = DedupService(records, clusters)
    >>> update = service.apply([("riverside", "b1"), ("lakeside", "x9")])
    >>> update.saved
    """

    def __init__(self, records: RecordStore, clusters: ClusterStore, *, clock: Clock = system_clock) -> None:
        self.records = records
        self.clusters = clusters
        self.clock = clock
        self._views: dict[RecordKey, MatchView | None] = {}

    # -- reading ---------------------------------------------------------------------------------------

    def _record(self, key: RecordKey) -> Record | None:
        return self.records.get(*key)

    def _view(self, key: RecordKey) -> MatchView | None:
        if key not in self._views:
            record = self._record(key)
            self._views[key] = match_view(record) if record else None
        return self._views[key]

    def _generic(self, view: MatchView, candidates: Iterable[RecordKey]) -> bool:
        """One member holds two or more records with this exact title: it names no single work there."""
        per_member = Counter(
            key[0] for key in candidates if (other := self._view(key)) is not None and other.title == view.title
        )
        per_member[view.key[0]] += 1
        return max(per_member.values()) > 1

    def explain(self, a: RecordKey, b: RecordKey) -> tuple[MatchView, MatchView, list[str], MatchDecision]:
        """The keys and the decision behind two records being, or not being, one work."""
        left, right = self._view(a), self._view(b)
        for key, view in ((a, left), (b, right)):
            if view is None:
                raise NotFoundError(f"no record {key[0]}/{key[1]}")
        assert left is not None and right is not None
        shared = sorted(set(blocking_keys(left)) & set(blocking_keys(right)))
        looked_up = self.clusters.lookup(blocking_keys(left), CANDIDATES_PER_KEY)
        candidates = {k for keys in looked_up.values() for k in keys} | {b}
        return left, right, shared, decide(left, right, generic_title=self._generic(left, candidates - {a}))

    # -- clustering ------------------------------------------------------------------------------------

    def apply(self, keys: Iterable[RecordKey]) -> ClusterUpdate:
        """Bring the clusters of these records (new, changed or deleted in the record store) up to date."""
        update = ClusterUpdate()
        with fewer_collections():
            for key in dict.fromkeys(keys):
                self._views.pop(key, None)
                self._apply_one(key, update)
        self._views.clear()
        update.saved = sorted(set(update.saved) - set(update.deleted))
        return update

    def _apply_one(self, key: RecordKey, update: ClusterUpdate) -> None:
        now = self.clock()
        previous = self.clusters.placement(key)
        view = self._view(key)
        if view is None:
            if previous is not None:
                change = ClusterChange(removed=[key])
                self.clusters.apply(change)
                self._settle([previous.cluster_id], now, update)
            return
        own_keys = blocking_keys(view)
        looked_up = self.clusters.lookup(own_keys, CANDIDATES_PER_KEY)
        candidates = sorted({k for ks in looked_up.values() for k in ks if k != key})
        generic = self._generic(view, candidates)
        votes: Counter[str] = Counter()
        best: dict[str, float] = {}
        for other in candidates:
            other_view = self._view(other)
            placement = self.clusters.placement(other)
            if other_view is None or placement is None:
                continue
            decision = decide(view, other_view, generic_title=generic)
            if decision.match:
                votes[placement.cluster_id] += 1
                best[placement.cluster_id] = max(best.get(placement.cluster_id, 0.0), decision.score)
        if votes:
            target = min(votes, key=lambda c: (-votes[c], -best[c], self._cluster_age(c), c))
        elif previous is not None and len(self.clusters.members_of(previous.cluster_id)) == 1:
            target = previous.cluster_id
        else:
            target = uuid.uuid4().hex
        first_seen = previous.first_seen if previous else now
        placement = RecordPlacement(
            member=key[0], local_id=key[1], cluster_id=target, keys=own_keys, first_seen=first_seen
        )
        self.clusters.apply(ClusterChange(placements=[placement]))
        touched = [target] + ([previous.cluster_id] if previous and previous.cluster_id != target else [])
        self._settle(touched, now, update, changed=key)

    def _cluster_age(self, cluster_id: str) -> datetime:
        cluster = self.clusters.get(cluster_id)
        return cluster.first_seen if cluster else datetime.max.replace(tzinfo=UTC)

    def _settle(
        self, cluster_ids: list[str], now: datetime, update: ClusterUpdate, changed: RecordKey | None = None
    ) -> None:
        """Check each touched cluster hangs together (splitting it if not), then merge and save it."""
        for cluster_id in dict.fromkeys(cluster_ids):
            members = self.clusters.members_of(cluster_id)
            if not members:
                self.clusters.apply(ClusterChange(deleted=[cluster_id]))
                update.deleted.append(cluster_id)
                continue
            parts = self._components(members, changed)
            placements = {key: self.clusters.placement(key) for key in members}
            parts.sort(key=lambda part: min((placements[k].first_seen, k) for k in part))  # type: ignore[union-attr]
            change = ClusterChange()
            for number, part in enumerate(parts):
                part_id = cluster_id if number == 0 else uuid.uuid4().hex
                records = [r for r in (self._record(k) for k in part) if r is not None]
                first_seen = {k: p.first_seen for k, p in placements.items() if p is not None}
                if number > 0:
                    for k in part:
                        old = placements[k]
                        assert old is not None
                        change.placements.append(old.model_copy(update={"cluster_id": part_id}))
                change.saved.append(merge_cluster(part_id, records, first_seen, now))
                update.saved.append(part_id)
            if len(parts) > 1:
                log.info("cluster %s split into %d", cluster_id, len(parts))
            self.clusters.apply(change)

    def _components(self, members: list[RecordKey], changed: RecordKey | None) -> list[list[RecordKey]]:
        """The parts of a cluster whose records are linked through matching pairs."""
        if len(members) == 1:
            return [members]
        views = {k: self._view(k) for k in members}
        present = [k for k in members if views[k] is not None]
        generic = {k: self._generic(views[k], present) for k in present}  # type: ignore[arg-type]
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
                if decide(va, vb, generic_title=generic[a] or generic[b]).match:
                    parent[find(b)] = find(a)
        groups: dict[RecordKey, list[RecordKey]] = {}
        for k in present:
            groups.setdefault(find(k), []).append(k)
        return list(groups.values())
