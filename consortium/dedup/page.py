"""One page of incremental clustering, written to the cluster store once.

:class:`PageClusters` stands between the dedup service and its :class:`~consortium.dedup.ports.ClusterStore` for
one call of :meth:`~consortium.dedup.service.DedupService.apply_records`. The service clusters the page's records
one after the other exactly as before, applying each record's change here; every read it makes sees the store as
it was when the page began with the page's changes so far on top, so each record is clustered as it would be had
the changes before it been written. At the end, :meth:`PageClusters.change` is the page's net change (the last
placement of each record, the last version of each cluster, the clusters left deleted) for one
:meth:`~consortium.dedup.ports.ClusterStore.apply`: one transaction a page instead of one a record, and no read
of what the page itself wrote.

What it reads from the store does not change while the page is clustered, so it is read once: placements (in
batches, :meth:`PageClusters.prefetch`), the records under each blocking key, the members of each cluster, each
cluster's ``first_seen``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from consortium.dedup.state import ClusterChange

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from consortium.dedup.ports import ClusterStore
    from consortium.dedup.state import RecordKey, RecordPlacement
    from consortium.models import Cluster

__all__ = ["PageClusters"]


class PageClusters:
    """The cluster store as one page of clustering sees it: the store's state, the page's changes on top.

    ``reads`` of :meth:`placement`, :meth:`lookup`, :meth:`members_of` and :meth:`first_seen` answer what the
    store would answer had every change given to :meth:`apply` been written to it; nothing is written until the
    caller applies :meth:`change` to the store.

    Example
    -------
    >>> page = PageClusters(store)
    >>> page.prefetch([("riverside", "b1")])
    >>> page.apply(ClusterChange(placements=[placement], saved=[cluster], at=now))
    >>> store.apply(page.change())
    """

    def __init__(self, store: ClusterStore) -> None:
        self.store = store
        self._placed: dict[RecordKey, RecordPlacement | None] = {}
        """The page's placements (``None``: the record was removed)."""
        self._in_cluster: dict[str, set[RecordKey]] = defaultdict(set)
        """The records the page placed, by cluster."""
        self._under_key: dict[str, set[RecordKey]] = defaultdict(set)
        """The records the page placed, by blocking key."""
        self._saved: dict[str, Cluster] = {}
        self._deleted: set[str] = set()
        self._at: datetime | None = None
        self._stored: dict[RecordKey, RecordPlacement | None] = {}
        self._stored_members: dict[str, list[RecordKey]] = {}
        self._stored_keys: dict[str, list[RecordKey]] = {}
        self._stored_first_seen: dict[str, datetime | None] = {}
        self._lookup_limit: int | None = None
        self._reserve = 0

    # -- reading -------------------------------------------------------------------------------------------

    def prefetch(self, keys: Iterable[RecordKey]) -> None:
        """Read the stored placements of these records in one batch (those already read are not read again)."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self._stored]
        if wanted:
            found = self.store.placements(wanted)
            for key in wanted:
                self._stored[key] = found.get(key)

    def reserve_for(self, keys: Iterable[RecordKey]) -> None:
        """Say which records the page may take out of the blocking index (the page's own: their keys may change
        or go); call before the first :meth:`lookup`, after :meth:`prefetch` of the same records.

        A stored record the page took out of a key's list leaves room for the next one the store holds under
        that key, so the store is asked for that many more than the limit.
        """
        assert self._lookup_limit is None, "reserve_for comes before the first lookup"
        self._reserve = sum(1 for key in dict.fromkeys(keys) if self._stored_placement(key) is not None)

    def _stored_placement(self, key: RecordKey) -> RecordPlacement | None:
        if key not in self._stored:
            self._stored[key] = self.store.placement(key)
        return self._stored[key]

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        """The record's placement: the page's, or the store's."""
        if key in self._placed:
            return self._placed[key]
        return self._stored_placement(key)

    def lookup(self, keys: Iterable[str], limit: int) -> dict[str, list[RecordKey]]:
        """For each blocking key, the records that have it (at most ``limit``, in key order), as
        :meth:`~consortium.dedup.ports.ClusterStore.lookup` would answer after the page's changes so far.

        One page asks with one ``limit`` (``limit`` >= 1). The store's answer for each key is read once.
        """
        if self._lookup_limit is None:
            self._lookup_limit = limit
        assert limit == self._lookup_limit and limit >= 1, "one page looks keys up with one limit"
        wanted = [key for key in dict.fromkeys(keys) if key not in self._stored_keys]
        if wanted:
            found = self.store.lookup(wanted, limit + self._reserve)
            for key in wanted:
                self._stored_keys[key] = found.get(key, [])
        result: dict[str, list[RecordKey]] = {}
        for key in dict.fromkeys(keys):
            records = {k for k in self._stored_keys[key] if k not in self._placed} | self._under_key.get(key, set())
            if records:
                result[key] = sorted(records)[:limit]
        return result

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        """The records placed in the cluster, sorted."""
        if cluster_id not in self._stored_members:
            self._stored_members[cluster_id] = self.store.members_of(cluster_id)
        stored = (k for k in self._stored_members[cluster_id] if k not in self._placed)
        return sorted({*stored, *self._in_cluster.get(cluster_id, ())})

    def first_seen(self, cluster_id: str) -> datetime | None:
        """The cluster's ``first_seen`` (the page's version, or the store's), or ``None`` when it has none."""
        if cluster_id in self._saved:
            return self._saved[cluster_id].first_seen
        if cluster_id in self._deleted:
            return None
        if cluster_id not in self._stored_first_seen:
            cluster = self.store.get(cluster_id)
            self._stored_first_seen[cluster_id] = cluster.first_seen if cluster is not None else None
        return self._stored_first_seen[cluster_id]

    # -- writing -------------------------------------------------------------------------------------------

    def apply(self, change: ClusterChange) -> None:
        """Take one record's change, as the store's ``apply`` would: records removed, then placements, then
        clusters deleted, then clusters saved."""
        for key in change.removed:
            self._place(key, None)
        for placement in change.placements:
            self._place((placement.member, placement.local_id), placement)
        for cluster_id in change.deleted:
            self._saved.pop(cluster_id, None)
            self._deleted.add(cluster_id)
        for cluster in change.saved:
            self._deleted.discard(cluster.cluster_id)
            self._saved[cluster.cluster_id] = cluster
        self._at = change.at

    def _place(self, key: RecordKey, placement: RecordPlacement | None) -> None:
        old = self._placed.get(key)
        if old is not None:
            self._in_cluster[old.cluster_id].discard(key)
            for index_key in old.keys:
                self._under_key[index_key].discard(key)
        self._placed[key] = placement
        if placement is not None:
            self._in_cluster[placement.cluster_id].add(key)
            for index_key in placement.keys:
                self._under_key[index_key].add(key)

    def change(self) -> ClusterChange | None:
        """The page's net change, for one ``apply`` on the store (``None``: nothing changed).

        Its ``at`` (the time of the tombstones it leaves) is that of the page's last change. A cluster made and
        deleted within the page is in ``deleted`` too; the store, which never held it, leaves no tombstone.
        """
        if self._at is None:
            return None
        return ClusterChange(
            placements=[p for p in self._placed.values() if p is not None],
            removed=[key for key, p in self._placed.items() if p is None],
            saved=[self._saved[cluster_id] for cluster_id in sorted(self._saved)],
            deleted=sorted(self._deleted),
            at=self._at,
        )
