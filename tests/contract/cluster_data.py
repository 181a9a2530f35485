"""Placements and clusters the cluster store suites build (``test_cluster_store*.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from factories import T0, make_test_cluster

from consortium.dedup.state import RecordPlacement

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.models import Cluster

__all__ = ["CST", "SINCE", "UNTIL", "ids", "place", "seen_at"]

CST = timezone(timedelta(hours=8))
SINCE = T0
UNTIL = T0 + timedelta(days=3)
"""The window most ``new_since`` tests ask for: ``[SINCE, UNTIL)``."""


def place(
    member: str, local_id: str, cluster_id: str, keys: list[str] | None = None, first_seen: datetime = T0
) -> RecordPlacement:
    """The placement of record ``(member, local_id)`` in ``cluster_id`` with these blocking keys."""
    return RecordPlacement(
        member=member, local_id=local_id, cluster_id=cluster_id, keys=keys or [], first_seen=first_seen
    )


def seen_at(cluster_id: str, first_seen: datetime, records: list[tuple[str, str]] | None = None) -> Cluster:
    """A cluster first seen at ``first_seen``."""
    return make_test_cluster(cluster_id, records or [("m", cluster_id)], f"Title {cluster_id}", first_seen=first_seen)


def ids(clusters: Iterable[Cluster]) -> list[str]:
    """The clusters' ids, in order."""
    return [c.cluster_id for c in clusters]
