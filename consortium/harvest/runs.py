"""Harvest runs as a member sees them: one :class:`HarvestRun` per request to harvest a member (all its sources
or one), whoever asked (the member through the API, the schedule, the ``consortium harvest`` command), with the
progress of each source page by page.

A run is kept by a :class:`~consortium.harvest.ports.HarvestRunStore` under ``(member, run_id)``; run ids sort by
the time the run was asked for, so the newest come first when listed. The checkpoint of each source
(:class:`~consortium.harvest.state.Checkpoint`) says where its harvest stands; a run says what one request did.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consortium.errors import ConsortiumError
from consortium.harvest.state import HarvestCounts

__all__ = [
    "ACTIVE",
    "RUN_ERRORS",
    "HarvestRun",
    "HarvestRunPage",
    "RunState",
    "RunTrigger",
    "SourceRun",
    "SourceRunState",
    "new_run_id",
    "run_error_code",
]


class RunState(StrEnum):
    """Where a run stands."""

    QUEUED = "queued"
    """Asked for; waits for a worker (or for another harvest of the data folder to end)."""
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    """Every source was harvested to its end (paused ones skipped)."""
    INCOMPLETE = "incomplete"
    """No source failed, but one stopped before its end (the rest of its file could not be read)."""
    FAILED = "failed"
    """A source failed (its ``error`` says why); the others ran."""
    INTERRUPTED = "interrupted"
    """The hub was asked to stop while it ran (its ``error`` says so), or the process running it stopped (no
    progress for a long while); what was committed is kept, and the next harvest resumes each source where its
    last committed page ended."""


ACTIVE = frozenset({RunState.QUEUED, RunState.RUNNING})
"""The states of a run that is not over."""


RUN_ERRORS: Final[dict[str, str]] = {
    "upstream_error": "the member's server or file did not give what it should (down, an HTTP or OAI-PMH error, a "
    "document that does not parse)",
    "file_error": "the source's file could not be opened or read (missing, not allowed)",
    "invalid_config": "the source's settings (members.toml or the member API) are refused",
    "not_found": "the member or the source is no longer in the registry",
    "storage_error": "the hub's own store failed; the pages committed are kept",
    "interrupted": "the hub was asked to stop; the next harvest goes on where this one stopped",
    "stopped": "the harvest stopped before the end of the source; the next one goes on from there",
    "waiting": "not tried: the source failed lately and waits out its backoff before the next try",
    "paused": "not harvested: the member paused the source",
    "internal_error": "the hub failed",
}
"""The ``error_code`` of a run or of one of its sources: stable, so that the staff pages say it in the
librarian's language (the English ``error`` keeps the details: the server's answer, the file's name)."""


_FILE_ERRORS: Final = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)
"""What the file system says of a file that would not open (not a network's ``OSError``: that is upstream)."""


def run_error_code(error: BaseException) -> str:
    """The code of :data:`RUN_ERRORS` an exception that failed a source's harvest comes under."""
    cause = error if isinstance(error, OSError) else error.__cause__
    if isinstance(cause, _FILE_ERRORS):
        return "file_error"
    if isinstance(error, OSError):  # a connection refused, reset or timed out on the way to the member
        return "upstream_error"
    if isinstance(error, ConsortiumError) and error.error_code in RUN_ERRORS:
        return error.error_code
    if isinstance(error, ConsortiumError) and error.error_code.startswith("invalid"):
        return "invalid_config"
    return "internal_error"


class RunTrigger(StrEnum):
    """Who asked for the run."""

    API = "api"
    """The member, through the member API."""
    SCHEDULE = "schedule"
    """The hub's schedule."""
    COMMAND = "command"
    """An operator's ``consortium harvest`` or ``consortium run``."""


class SourceRunState(StrEnum):
    """What a run did with one source."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    PAUSED = "paused"
    """Not harvested: the source is paused."""
    WAITING = "waiting"
    """Not tried: a scheduled run leaves a source alone while it waits out the backoff of its last failure."""


class SourceRun(BaseModel):
    """One source of a run: its state, pages and counts so far, and what went wrong."""

    model_config = ConfigDict(extra="forbid")

    source: str
    state: SourceRunState = SourceRunState.PENDING
    checkpoint_run: str | None = None
    """The id of the source's checkpointed harvest this run went on with (or started)."""
    resumed: bool = False
    """The source's last harvest had not finished: this run went on where its last committed page ended."""
    pages: int = Field(default=0, ge=0)
    """Pages committed by this run."""
    counts: HarvestCounts = Field(default_factory=HarvestCounts)
    """The source's counts, those of its resumed harvest's earlier pages included."""
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    error: str | None = None
    """Why it failed, stopped before its end, or was not harvested."""
    error_code: str | None = None
    """The kind of :attr:`error`, one of :data:`RUN_ERRORS`."""
    notice: str | None = None
    """What the member should know of a harvest that succeeded: records absent from the source's complete file
    that it did not withdraw (``counts.withheld``: more than half of the source's), and how to confirm them."""


class HarvestRun(BaseModel):
    """One request to harvest a member, and its progress.

    Example
    -------
    >>> run = runs.start("riverside", requested_by="key-1")
    >>> runs.get("riverside", run.run_id).state
    <RunState.RUNNING: 'running'>
    """

    model_config = ConfigDict(extra="forbid")

    run_id: str
    member: str
    trigger: RunTrigger
    requested_by: str | None = None
    """Who asked (an API key id or staff account); none for the schedule."""
    confirm_withdrawals: bool = False
    """The member confirmed that its source's file is right: records absent from it are withdrawn however many
    (a run withholds more than half of a source's; see ``SourceRun.notice``)."""
    state: RunState = RunState.QUEUED
    requested_at: AwareDatetime
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    updated_at: AwareDatetime
    """When the run last moved on (a page committed): a run that stopped moving is found interrupted."""
    pages: int = Field(default=0, ge=0)
    """Pages committed, every source together."""
    records: int = Field(default=0, ge=0)
    """Records read, every source together (``counts.seen``)."""
    counts: HarvestCounts = Field(default_factory=HarvestCounts)
    """Added, changed, unchanged, deleted and quarantined records, every source together."""
    sources: list[SourceRun]
    error: str | None = None
    """What went wrong, source by source, when the run did not succeed."""
    error_code: str | None = None
    """The kind of :attr:`error` (one of :data:`RUN_ERRORS`): its first source's, or the run's own."""

    def with_source(self, source_id: str, **update: Any) -> HarvestRun:
        """The run with one source's part changed."""
        sources = [s.model_copy(update=update) if s.source == source_id else s for s in self.sources]
        return self.model_copy(update={"sources": sources})

    def totalled(self) -> HarvestRun:
        """The run with ``pages``, ``counts`` and ``records`` added up from its sources."""
        counts = sum((s.counts for s in self.sources), HarvestCounts())
        return self.model_copy(
            update={"pages": sum(s.pages for s in self.sources), "counts": counts, "records": counts.seen}
        )


class HarvestRunPage(BaseModel):
    """A page of a member's runs, newest first; ``next_before`` asks for the page after it (``None``: the last)."""

    model_config = ConfigDict(extra="forbid")

    runs: list[HarvestRun]
    next_before: str | None = None


def new_run_id(at: datetime) -> str:
    """A run id that sorts by ``at`` (UTC, to the microsecond), then a random part:
    ``20261203T090000123456Z-3f9c1a7e``."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
