"""Harvest state: per-run counts, the checkpoint of each source, and the batch one page commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from consortium.models import QuarantinedRecord, Record

__all__ = ["Checkpoint", "HarvestCounts", "PageCommit", "RecordChange"]


class HarvestCounts(BaseModel):
    """What one run did. ``seen`` is every record read, including quarantined ones."""

    model_config = ConfigDict(extra="forbid")

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    """Of the quarantined, the records whose id an earlier record of the same file has (see
    :mod:`consortium.harvest.file_ids`)."""
    holdings: int = 0
    """Holdings records (MFHD) read as part of the bibliographic record they follow (see
    :mod:`consortium.harvest.formats.holdings_records`): counted with it, so not in :attr:`seen`."""
    holdings_unmatched: int = 0
    """Records of the source's holdings file not read (see :mod:`consortium.harvest.source_files`): holdings records
    whose 004 names no record its file gives (or none that can be read), and records that are no readable holdings
    record naming one; counted when a run starts. Not in :attr:`seen`."""
    superseded: int = 0
    """Quarantined records of earlier runs that left the quarantine because this run committed a good version
    (or a deletion, or a withdrawal) of the same record: same member, source and id (see
    :meth:`PageCommit.superseding`); or, a complete run of a complete file, because the file no longer gives them
    (:attr:`PageCommit.cleared`). Not records read, so not in :attr:`seen`."""
    withdrawn: int = 0
    """Records stored from the source that a complete run of its file no longer found there, deleted as an
    OAI-PMH deletion is (see :mod:`consortium.harvest.withdrawals`). Not records read."""
    withheld: int = 0
    """Records absent from a complete run's file that were *not* withdrawn: more than
    :data:`~consortium.harvest.withdrawals.MOST_WITHDRAWN_SHARE` of the source's records, until a run confirms
    them (``--confirm-withdrawals``). Not records read."""

    def __add__(self, other: HarvestCounts) -> HarvestCounts:
        return HarvestCounts(**{k: getattr(self, k) + getattr(other, k) for k in type(self).model_fields})

    @property
    def seen(self) -> int:
        return self.added + self.changed + self.unchanged + self.deleted + self.quarantined


class Checkpoint(BaseModel):
    """Where a source's harvest stands.

    While a run is under way, ``cursor`` says where to go on (an OAI-PMH resumption token, a file's record
    number) and ``counts`` holds what the run did so far, so a run killed at any moment resumes where its last
    committed page ended. When the run completes, ``cursor`` is cleared and ``high_water`` keeps the newest
    datestamp seen, the ``from`` of the next incremental run.
    """

    model_config = ConfigDict(extra="forbid")

    source_id: str
    run_id: str
    cursor: dict[str, Any] | None = None
    run_from: str | None = None
    """The ``from`` the running run started with (kept so a resumed run asks for the same range)."""
    high_water: str | None = None
    run_high_water: str | None = None
    """The newest datestamp seen so far by the running run."""
    counts: HarvestCounts = Field(default_factory=HarvestCounts)
    unfollowed: list[tuple[str, str]] = Field(default_factory=list)
    """The records committed pages changed since clustering and indexing last followed (see
    :attr:`~consortium.harvest.service.HarvestService.follow_every`), until they are known to have followed."""
    started_at: datetime
    finished_at: datetime | None = None
    stopped: str | None = None
    """Why the run gave up before the end of its source (the rest of a file could not be read); a run that
    stopped is finished but not complete."""

    @property
    def in_progress(self) -> bool:
        return self.finished_at is None


class RecordChange(BaseModel):
    """One change a page makes to the store: an upsert (``record`` set) or a delete."""

    model_config = ConfigDict(extra="forbid")

    member: str
    local_id: str
    record: Record | None = None
    source_id: str | None = None
    """The source a delete came from (an upsert's is its record's): its quarantined items with this id are
    superseded; ``None`` (a change handed on for following) supersedes nothing."""


class PageCommit(BaseModel):
    """Everything one harvested page writes, committed with the checkpoint that follows it.

    Stores apply it so that a crash anywhere leaves either the whole page or a state from which re-applying the
    page gives the same result: records are keyed by ``(member, local_id)`` and the checkpoint is written last.
    """

    model_config = ConfigDict(extra="forbid")

    changes: list[RecordChange] = Field(default_factory=list)
    quarantined: list[QuarantinedRecord] = Field(default_factory=list)
    settled: list[tuple[str, str, str]] = Field(default_factory=list)
    """``(member, source_id, local_id)`` of records the page read as deleted without a change to the store (it
    held no such record): their quarantined items are superseded as a change's are."""
    cleared: list[QuarantinedRecord] = Field(default_factory=list)
    """Quarantined records of the source that a complete run of its file did not quarantine again (the file no
    longer gives them as they were): they leave the quarantine with the page, counted as superseded."""
    checkpoint: Checkpoint

    def superseding(self) -> set[tuple[str, str, str]]:
        """The ``(member, source_id, local_id)`` whose quarantined items this page supersedes: every record it
        stores or deletes whose source is known, and :attr:`settled`.

        A store removes those items (those with a ``local_id``; unreadable ones have none) when it commits the
        page, except the ones the page quarantines itself (a later record of a file with an id given twice), and
        adds how many it removed to the checkpoint's ``counts.superseded``.
        """
        found = set(self.settled)
        for change in self.changes:
            source = change.record.source_id if change.record is not None else change.source_id
            if source is not None:
                found.add((change.member, source, change.local_id))
        return found

    def counted(self, superseded: int) -> Checkpoint:
        """The page's checkpoint with ``superseded`` more quarantined records counted as superseded."""
        cp = self.checkpoint
        if not superseded:
            return cp
        return cp.model_copy(update={"counts": cp.counts + HarvestCounts(superseded=superseded)})
