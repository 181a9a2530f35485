"""What a harvest of one source says it did: :class:`HarvestReport` (its counts, whether it read the whole
source, why it stopped, was interrupted or was skipped, and records absent from a complete file that it did not
withdraw)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consortium.harvest.state import HarvestCounts

if TYPE_CHECKING:
    from consortium.members import Member, Source

__all__ = ["HarvestReport", "paused_report"]


@dataclass(frozen=True)
class HarvestReport:
    member: str
    source: str
    run_id: str
    counts: HarvestCounts
    complete: bool
    """The whole source was read (every record stored, unchanged or quarantined)."""
    resumed: bool
    stopped: str | None = None
    """Why reading gave up before the end of the source, if it did (then the run is not complete)."""
    paused: str | None = None
    """Set when the source was not harvested at all because it is paused: ``"paused"``, with its reason when it
    has one (see :func:`paused_report`)."""
    withheld: str | None = None
    """Why the records absent from this complete run's file (``counts.withheld``) were not withdrawn (see
    :mod:`consortium.harvest.withdrawals`; each interface says how to confirm them)."""
    interrupted: bool = False
    """The harvest was asked to stop (the hub stopping) and stopped after its last committed page: every page
    before is kept, and the next harvest of the source resumes after it."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "source": self.source,
            "run_id": self.run_id,
            "complete": self.complete,
            "resumed": self.resumed,
            "stopped": self.stopped,
            "paused": self.paused,
            "withheld_because": self.withheld,
            "interrupted": self.interrupted,
            **self.counts.model_dump(),
        }


def paused_report(member: Member, source: Source) -> HarvestReport:
    """What a harvest says of a paused source it skipped: nothing read, and why (``run_id`` empty: no run)."""
    why = f"paused: {source.paused_reason}" if source.paused_reason else "paused"
    return HarvestReport(member.id, source.id, "", HarvestCounts(), complete=False, resumed=False, paused=why)
