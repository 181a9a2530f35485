"""The dedup feature's port: the :class:`ClusterStore` (works, each record's placement, the blocking index).

Adapters: memory, SQLite and DynamoDB; one contract suite, ``tests/contract/test_cluster_store.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from consortium.dedup.state import ClusterChange, RecordKey, RecordPlacement
    from consortium.models import Cluster

__all__ = ["ClusterStore"]


class ClusterStore(Protocol):
    """Clusters (works), each record's placement in one, and the blocking index of candidate keys.

    Example
    -------
    >>> store.apply(ClusterChange(placements=[placement], saved=[cluster]))
    >>> store.placement(("riverside", "b1")).cluster_id
    """

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        """The record's cluster, keys and first-seen time, or ``None`` for a record never clustered."""
        ...

    def lookup(self, keys: Iterable[str], limit: int = 100) -> dict[str, list[RecordKey]]:
        """For each blocking key, the records that have it (at most ``limit`` each, in key order)."""
        ...

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        """The records placed in the cluster, sorted."""
        ...

    def get(self, cluster_id: str) -> Cluster | None: ...

    def apply(self, change: ClusterChange) -> None:
        """Apply the whole change, or nothing of it."""
        ...

    def clusters(self) -> Iterator[Cluster]:
        """Every cluster, by id."""
        ...

    def new_since(self, since: datetime, until: datetime | None = None) -> Iterator[Cluster]:
        """Clusters whose first_seen is in [since, until) (until=None: no upper bound), oldest first (ties by
        cluster_id).

        Read through an index on ``first_seen``, not by scanning every cluster. Times are compared as instants
        (a naive datetime counts as UTC). A deleted cluster is never returned; a cluster saved again appears
        once, under its current ``first_seen``.
        """
        ...

    def count(self) -> int: ...

    def count_shared(self) -> int:
        """How many clusters hold records of more than one member (their ``records``).

        Answered by the store without handing every cluster to the caller: from an index it keeps, or in one
        statement of its database.
        """
        ...

    def sharing_counts(self, member: str) -> dict[int, int]:
        """For the clusters holding records of ``member``: how many are held by how many members,
        ``{members: clusters}`` (``1``: the member's alone; counts of none left out).

        Answered from an index the store keeps of each cluster's members (a member's entries counted), never by
        reading every cluster.
        """
        ...

    def most_shared(self, limit: int) -> list[Cluster]:
        """At most ``limit`` of the clusters holding records of more than one member: those of the most members
        first, then by title, then by id. As :meth:`count_shared`, ranked by the store; only these are read."""
        ...
