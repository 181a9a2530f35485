"""What one clustering step writes: record assignments, blocking keys, and the clusters it touched."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from consortium.models import Cluster

__all__ = ["ClusterChange", "RecordKey", "RecordPlacement"]

RecordKey = tuple[str, str]


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
