"""The dedup feature's ports: the :class:`ClusterStore` (works, each record's placement, the blocking index, and
the change index the OAI-PMH provider lists: every cluster by the time it last changed, deleted ones as
tombstones), and the :class:`MatchModelStore` (where the consortium's fitted matcher weights are kept).

Adapters: memory, SQLite and DynamoDB; one contract suite, ``tests/contract/test_cluster_store.py``. The model
store: memory, a file in the data folder, an object in S3; ``tests/contract/test_match_model_store.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from consortium.dedup.model import MatchModel
    from consortium.dedup.state import ChangeCursor, ClusterChange, ClusterVersion, RecordKey, RecordPlacement
    from consortium.models import Cluster

__all__ = ["ClusterStore", "MatchModelStore", "PlanStore", "RowWritingClusterStore"]


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

    def placements(self, keys: Iterable[RecordKey]) -> dict[RecordKey, RecordPlacement]:
        """The placements of these records that exist, read in batches (records never clustered are left out).

        What :meth:`placement` gives each, for a page of records at once.
        """
        ...

    def lookup(self, keys: Iterable[str], limit: int = 100) -> dict[str, list[RecordKey]]:
        """For each blocking key, the records that have it (at most ``limit`` each, in key order)."""
        ...

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        """The records placed in the cluster, sorted."""
        ...

    def get(self, cluster_id: str) -> Cluster | None: ...

    def apply(self, change: ClusterChange) -> None:
        """Apply the whole change, or nothing of it.

        A deleted cluster that was stored leaves a tombstone dated ``change.at`` holding the members it had
        (kept for good: the provider's ``deletedRecord`` is ``persistent``); saving a cluster with that id again
        replaces the tombstone. Deleting an id that is not stored changes nothing (an existing tombstone keeps
        its date).
        """
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

    def changed(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        member: str | None = None,
        after: ChangeCursor | None = None,
        limit: int = 100,
    ) -> list[ClusterVersion]:
        """At most ``limit`` entries of the change index whose ``changed_at`` is in ``[since, until)`` (``None``:
        no bound), ordered by ``(changed_at, cluster_id)``, those after ``after`` only; with ``member``, only
        clusters (and tombstones) holding that member's records.

        Every stored cluster has one entry (at its ``updated_at``) and every deleted one its tombstone, so a
        cluster saved again moves to its new time and appears once. Times compare as instants (a naive datetime
        counts as UTC). Read through an index on the change time (one per member too), a page at a time: never
        by reading every cluster.
        """
        ...

    def count_changed(
        self, since: datetime | None = None, until: datetime | None = None, *, member: str | None = None
    ) -> int:
        """How many entries :meth:`changed` would list over the whole window (counted by the store)."""
        ...

    def version(self, cluster_id: str) -> ClusterVersion | None:
        """The cluster's entry in the change index: the stored cluster, its tombstone, or ``None`` (never
        stored)."""
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


@runtime_checkable
class RowWritingClusterStore(Protocol):
    """A cluster store that can take a bulk change as plain rows made in other processes (the SQLite store): the
    bulk path on several cores (:func:`~consortium.dedup.processes.cluster_in_processes`) uses it."""

    def encode(self, change: ClusterChange) -> Any:
        """The rows of a change that only places records and saves clusters (picklable)."""
        ...

    def apply_rows(self, parts: Iterable[Any], expected: int | None = None) -> int:
        """Write the rows of several changes (:meth:`encode`) in one transaction; how many parts were written.
        ``expected``: how many records the parts place in all, when known (a bulk load may then finish its indexes
        while the last parts are still in the making)."""
        ...


class PlanStore(Protocol):
    """Where a partitioned rebuild keeps its plan (:mod:`consortium.dedup.partition`): named files, written by the
    planning pass and read by each partition, wherever it runs.

    Adapters: memory, a folder (locally: ``<data>/rebuild``), S3 (the raw archive's bucket, under ``rebuild/``).

    Example
    -------
    >>> store.put("run-1/plan.json", b"{}")
    >>> store.get("run-1/plan.json")
    b'{}'
    """

    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name`` (``<run>/<file>``), replacing what was there."""
        ...

    def get(self, name: str) -> bytes:
        """The bytes under ``name``; :class:`~consortium.errors.NotFoundError` if none."""
        ...


class MatchModelStore(Protocol):
    """The consortium's own fitted match model (:class:`~consortium.dedup.model.MatchModel`), kept where every
    process that clusters reads it: the blob store's place (the raw archive's S3 bucket on AWS, the data folder
    locally), so the harvest Lambdas and the rebuild task match with the same weights.

    Example
    -------
    >>> store.save(fit_collection(records))
    >>> store.load().fitted_on["records"]
    """

    @property
    def where(self) -> str:
        """Where the model is kept, for messages (a path, ``s3://bucket/key``)."""
        ...

    def load(self) -> MatchModel | None:
        """The model kept, or ``None`` when none has been fitted yet; a model that cannot be read is refused
        with :class:`~consortium.errors.ValidationError` naming :attr:`where` and the field."""
        ...

    def save(self, model: MatchModel) -> None:
        """Keep ``model`` in place of the one kept (whole: a reader never sees half of it)."""
        ...

    def version(self) -> str | None:
        """A token that changes whenever another model is saved (``None``: none kept), cheaper to ask than
        :meth:`load` (a HeadObject; a file's size and time)."""
        ...
