"""What one clustering step writes: record assignments, blocking keys, and the clusters it touched; and what the
change index gives back (:class:`ClusterVersion`)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from consortium.models import Cluster

__all__ = ["ChangeCursor", "ClusterChange", "ClusterVersion", "RecordKey", "RecordPlacement"]

RecordKey = tuple[str, str]
ChangeCursor = tuple[datetime, str]
"""Where a listing by change time stopped: the last entry's ``(changed_at, cluster_id)``."""


class RecordPlacement(BaseModel):
    """Where one record now stands: its cluster, its blocking keys and when the consortium first had it."""

    model_config = ConfigDict(extra="forbid")

    member: str
    local_id: str
    cluster_id: str
    keys: list[str]
    first_seen: datetime


class ClusterChange(BaseModel):
    """Applied atomically by a cluster store: placements set, records removed, clusters saved or deleted."""

    model_config = ConfigDict(extra="forbid")

    placements: list[RecordPlacement] = Field(default_factory=list)
    removed: list[RecordKey] = Field(default_factory=list)
    saved: list[Cluster] = Field(default_factory=list)
    deleted: list[str] = Field(default_factory=list)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When the change was made: the time the tombstone of each deleted cluster carries (a saved cluster's change
    time is its own ``updated_at``). The dedup service passes its clock's time."""


class ClusterVersion(BaseModel):
    """A cluster as the change index has it: when it last changed, the members whose records it holds, and the
    cluster itself, or ``None`` when it was deleted (a tombstone: ``members`` are those it held then).

    A stored cluster's ``changed_at`` is its ``updated_at``; a tombstone's is the ``at`` of the change that
    deleted it.
    """

    model_config = ConfigDict(extra="forbid")

    cluster_id: str
    changed_at: datetime
    members: list[str]
    cluster: Cluster | None = None

    @property
    def deleted(self) -> bool:
        return self.cluster is None

    @property
    def cursor(self) -> ChangeCursor:
        """The cursor that lists what comes after this entry."""
        return (self.changed_at, self.cluster_id)

    @classmethod
    def of(cls, cluster: Cluster) -> ClusterVersion:
        """The entry of a stored cluster."""
        return cls(
            cluster_id=cluster.cluster_id, changed_at=cluster.updated_at, members=cluster.members, cluster=cluster
        )
