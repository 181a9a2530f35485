"""Statistics of a member's own contribution to the union catalogue (the member API's
``GET /members/{id}/statistics``): its records by format, the works it alone holds, the works it shares and
with how many members, its quarantined records, its sources.

Every figure is a count a store keeps (:meth:`~consortium.harvest.ports.RecordStore.count_by_format`,
:meth:`~consortium.dedup.ports.ClusterStore.sharing_counts`,
:meth:`~consortium.harvest.ports.RecordStore.count_quarantined`): no record or work is read to answer. Works
are the deduplicated clusters; records harvested but not yet clustered count as records, not yet as works.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from consortium.models import ResourceFormat
from consortium.ports import system_clock

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.dedup.ports import ClusterStore
    from consortium.harvest.ports import RecordStore
    from consortium.members import Member
    from consortium.ports import Clock

__all__ = ["Contribution", "MemberStatistics", "SharedWorks"]


class SharedWorks(BaseModel):
    """How many of the member's works are held by ``members`` members (the member one of them)."""

    model_config = ConfigDict(extra="forbid")

    members: int
    works: int


class Contribution(BaseModel):
    """A member's contribution to the union catalogue, now."""

    model_config = ConfigDict(extra="forbid")

    member: str
    records: int
    """The member's records in the hub."""
    records_by_format: dict[ResourceFormat, int]
    """Its records by format (formats it has none of left out)."""
    works: int
    """The works (deduplicated clusters) holding its records."""
    works_alone: int
    """Works no other member holds."""
    works_shared: int
    """Works other members hold too."""
    shared_with: list[SharedWorks]
    """The shared works by how many members hold them, fewest first."""
    quarantined: int
    """Its records kept in quarantine (refused when harvested)."""
    sources: int
    paused_sources: int
    computed_at: datetime


class MemberStatistics:
    """A member's contribution, from counts the stores keep.

    Example
    -------
    >>> stats = MemberStatistics(record_store, cluster_store, member_sources.member)
    >>> stats.contribution("riverside").works_alone
    412
    """

    def __init__(
        self,
        records: RecordStore,
        clusters: ClusterStore,
        member: Callable[[str], Member],
        clock: Clock = system_clock,
    ) -> None:
        self.records = records
        self.clusters = clusters
        self._member = member
        self._clock = clock

    def contribution(self, member_id: str) -> Contribution:
        """The member's contribution; :class:`~consortium.errors.NotFoundError` for an unknown member."""
        member = self._member(member_id)
        by_format = self.records.count_by_format(member_id)
        sharing = self.clusters.sharing_counts(member_id)
        return Contribution(
            member=member_id,
            records=self.records.count(member_id),
            records_by_format=dict(sorted(by_format.items())),
            works=sum(sharing.values()),
            works_alone=sharing.get(1, 0),
            works_shared=sum(works for members, works in sharing.items() if members > 1),
            shared_with=[SharedWorks(members=m, works=w) for m, w in sorted(sharing.items()) if m > 1],
            quarantined=self.records.count_quarantined(member_id),
            sources=len(member.sources),
            paused_sources=sum(1 for source in member.sources if source.paused),
            computed_at=self._clock(),
        )
