"""The harvest service: read a source page by page, archive, normalize, store, checkpoint.

For each page: the raw bytes of every new or changed record are archived (content-addressed, one batch per
page) before they are normalized; records whose raw digest is already stored are unchanged and cost nothing more
(a binary MARC record is not even parsed then: the reader gives its 001 unparsed when it can, and it is parsed
only once it is found new or changed); records that cannot be read or normalized are quarantined with their
reason and raw bytes; then the page's changes and the checkpoint after it are committed together (a record stored
or deleted supersedes the quarantined ones of its member, source and id). A run killed at any moment resumes
after its last committed page. A complete run of a complete file ends by withdrawing what the file no longer gives
(:mod:`consortium.harvest.withdrawals`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import uuid
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import pydantic

from consortium.errors import Interrupted, RecordError
from consortium.gc_tuning import fewer_collections
from consortium.harvest.file_ids import FileIds
from consortium.harvest.following import Following
from consortium.harvest.formats import reader_for
from consortium.harvest.imports import import_source
from consortium.harvest.oai_pmh import OaiPmhClient
from consortium.harvest.read_ahead import read_ahead
from consortium.harvest.refusals import Refusal, normalized_wrong
from consortium.harvest.report import HarvestReport, paused_report
from consortium.harvest.source_files import SourceHoldings, read_source_file
from consortium.harvest.state import Checkpoint, HarvestCounts, PageCommit, RecordChange
from consortium.harvest.withdrawals import WithdrawalPage, Withdrawals, file_pages
from consortium.locations import with_location_names
from consortium.members import Member, Source, SourceProtocol
from consortium.models import QuarantinedRecord, RawPointer, Record
from consortium.ports import Clock, system_clock

if TYPE_CHECKING:
    from consortium.harvest.items import RawPage, RawRecord
    from consortium.harvest.ports import BlobStore, Follower, RecordStore

__all__ = ["HarvestReport", "HarvestService", "Progress", "import_source", "paused_report"]

log = logging.getLogger(__name__)
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
"""A C0 or C1 control character: a record whose id holds one (a MARC subfield delimiter in 001, say) is
quarantined, not stored under an id that XML cannot carry and a screen does not show."""

Progress = Callable[[HarvestCounts, float | None], None]
"""Called after each committed page with the run's counts so far and the fraction done, when known."""


class HarvestService:
    """Harvests member sources into a :class:`~consortium.harvest.ports.RecordStore`.

    Example
    -------
    >>> service = HarvestService(store, archive)
    >>> report = service.harvest_source(member, member.sources[0])
    >>> report.counts.added
    """

    def __init__(
        self,
        store: RecordStore,
        archive: BlobStore,
        *,
        page_size: int = 500,
        clock: Clock = system_clock,
        oai_client: Callable[[str], OaiPmhClient] = OaiPmhClient,
        on_commit: Callable[[list[RecordChange]], None] | None = None,
        follow_every: int = 1,
        read_ahead: int = 1,
        start_follower: Callable[[], Follower] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        self.archive = archive
        self.page_size = page_size
        self.clock = clock
        self.oai_client = oai_client
        self.on_commit = on_commit
        """Called with the changes committed pages made (the records themselves, or deletes): clustering and
        indexing follow the store this way, once at least :attr:`follow_every` records have changed since the
        last call, and at the end of the run (or, once a run has started a follower, :attr:`start_follower`, they
        are handed to it instead). Each page's checkpoint names every record not yet known to be followed, so
        that a run that died before the call makes it again (with the records as the store then holds them)
        when the source is next harvested, or the next writer starts (the call must be idempotent)."""
        self.follow_every = follow_every
        """How many changed records are handed to :attr:`on_commit` at once (at least a page's; 1: every page
        that changed something). Clustering and indexing cost much less per record in batches (one cluster store
        transaction and one search index commit a batch); the index lags the store by up to this many records
        during a run. The hub sets it from ``Settings.harvest_follow_every``."""
        self.start_follower = start_follower
        """Starts clustering and indexing in another process (see :mod:`consortium.harvest.following`), for a
        run that hands a batch to :attr:`on_commit` before its end; ``None``: they follow in this process."""
        self.read_ahead = read_ahead
        """How many pages of a server are fetched and parsed in a thread ahead of the one stored (OAI-PMH
        sources, runs without ``max_pages``; 0: one page at a time): see :mod:`consortium.harvest.read_ahead`.
        What is stored is the same."""
        self.should_stop = should_stop
        """Whether the hub was asked to stop (``consortium run`` sets it on SIGTERM or Ctrl-C): a run then stops
        after the page it committed (or while waiting for a server's next page), its checkpoint open, reported
        ``interrupted``; the next harvest of the source resumes there."""

    # -- runs ------------------------------------------------------------------------------------------

    def harvest_source(
        self,
        member: Member,
        source: Source,
        *,
        progress: Progress | None = None,
        max_pages: int | None = None,
        confirm_withdrawals: bool = False,
    ) -> HarvestReport:
        """Harvest one source: resume its unfinished run, or start a new (incremental) one.

        ``max_pages`` stops after that many pages with the run still open (one Lambda invocation does one).
        ``confirm_withdrawals``: a complete run of a complete file withdraws every record absent from it, however
        many (see :mod:`consortium.harvest.withdrawals`).
        """
        key = f"{member.id}/{source.id}"
        previous = self.store.checkpoint(key)
        file_data = read_source_file(source, source.path) if source.path is not None else None
        file_digest = hashlib.sha256(file_data).hexdigest() if file_data is not None else None
        holdings = SourceHoldings.of(source, reader_for(source.format))
        file_digest = holdings.with_file(file_digest) if holdings is not None else file_digest
        resumed = previous is not None and previous.in_progress
        if previous is not None and previous.in_progress and file_digest is not None:
            resumed = (previous.cursor or {}).get("file") == file_digest
        if resumed and previous is not None:
            checkpoint = previous
        else:
            checkpoint = Checkpoint(
                source_id=key,
                run_id=uuid.uuid4().hex,
                run_from=previous.high_water if previous else None,
                high_water=previous.high_water if previous else None,
                started_at=self.clock(),
            )
        log.info("harvest %s: run %s (%s)", key, checkpoint.run_id, "resumed" if resumed else "new")
        if previous is not None:
            self._follow_unfollowed(previous)
        checkpoint = checkpoint.model_copy(update={"unfollowed": []})
        file_ids = FileIds.before(reader_for(source.format), source, file_data, checkpoint.cursor if resumed else None)
        absent = None  # a complete run of a complete file withdraws what the file no longer gives
        if file_ids is not None and source.withdraws_absent:
            absent = Withdrawals(
                self.store,
                member.id,
                source,
                file_ids,
                checkpoint.run_id,
                page_size=self.page_size,
                confirmed=confirm_withdrawals,
            )
        pages = self._pages(
            source, checkpoint, file_data, absent, ahead=self.read_ahead if max_pages is None else 0, holdings=holdings
        )
        done, interrupted = 0, False
        following = Following(self.on_commit, self.follow_every, self.start_follower) if self.on_commit else None
        with fewer_collections():
            try:
                for page, fraction in pages:
                    counts, commit = self._process(member, source, page, file_ids, checkpoint.run_id)
                    if holdings is not None and file_data is not None and done == 0 and not resumed:
                        counts.holdings_unmatched = holdings.unmatched(reader_for(source.format), file_data, key)
                    if isinstance(page, WithdrawalPage):  # a complete file's end: what it no longer gives
                        page.add_to(counts, commit, member.id, source.id)
                    checkpoint = self._advance(checkpoint, page, counts, file_digest)
                    if following is not None:
                        checkpoint = checkpoint.model_copy(update={"unfollowed": following.unfollowed(commit.changes)})
                    commit.checkpoint = checkpoint
                    checkpoint = commit.counted(self.store.commit(commit))  # as the store saved it
                    done += 1
                    stopping = max_pages is not None and done >= max_pages
                    if following is not None:
                        following.committed(commit.changes, last=checkpoint.finished_at is not None or stopping)
                    if progress is not None:
                        progress(checkpoint.counts, fraction)
                    interrupted = checkpoint.finished_at is None and not stopping and self.should_stop()
                    if checkpoint.finished_at is None and (stopping or interrupted):
                        break
            except Interrupted:  # asked to stop while waiting for a page read ahead
                interrupted = True
            except BaseException as exc:
                if following is not None and isinstance(exc, Exception):
                    following.fail(key)  # follow what was committed
                elif following is not None:
                    following.abandon()  # Ctrl-C: just stop
                raise
            finally:
                pages.close()  # stops a page read ahead, if any
            if following is not None and interrupted:
                following.abandon()  # what it did not follow, the checkpoint names: the next writer follows it
            elif following is not None:
                following.finish()
        if checkpoint.unfollowed and not interrupted:  # the last changes were followed too: no page will say so
            checkpoint = checkpoint.model_copy(update={"unfollowed": []})
            self.store.commit(PageCommit(checkpoint=checkpoint))
        if interrupted:
            log.info("harvest %s: stopped on request after %d page(s); the next run resumes there", key, done)
        return HarvestReport(
            member=member.id,
            source=source.id,
            run_id=checkpoint.run_id,
            counts=checkpoint.counts,
            complete=checkpoint.finished_at is not None and checkpoint.stopped is None,
            resumed=resumed,
            stopped=checkpoint.stopped,
            withheld=absent.held if absent is not None else None,
            interrupted=interrupted,
        )

    def catch_up(self) -> int:
        """Follow (cluster and index) the pages a process committed but died before following, for every
        source: the index catches up with the store. Returns how many records were followed again.

        Run it when a writer starts (with no other writer at work): each such checkpoint is saved again
        without its unfollowed records.
        """
        followed = 0
        for checkpoint in self.store.checkpoints():
            if checkpoint.unfollowed and self.on_commit is not None:
                followed += self._follow_unfollowed(checkpoint)
                self.store.commit(PageCommit(checkpoint=checkpoint.model_copy(update={"unfollowed": []})))
        if followed:
            log.warning("caught up: %d record(s) committed but not yet indexed were followed", followed)
        return followed

    def _follow_unfollowed(self, checkpoint: Checkpoint) -> int:
        """Follow the records the checkpoint's page changed, as the store holds them now (the process that
        committed it died before following it); return how many."""
        if not checkpoint.unfollowed or self.on_commit is None:
            return 0
        self.on_commit(
            [RecordChange(member=m, local_id=i, record=self.store.get(m, i)) for m, i in checkpoint.unfollowed]
        )
        return len(checkpoint.unfollowed)

    def _advance(
        self, checkpoint: Checkpoint, page: RawPage, counts: HarvestCounts, file_digest: str | None
    ) -> Checkpoint:
        datestamps = [r.datestamp for r in page.records if r.datestamp]
        run_high = max([checkpoint.run_high_water or "", *datestamps]) or None
        cursor = page.cursor
        if cursor is not None and file_digest is not None:
            cursor = {**cursor, "file": file_digest}
        update: dict[str, Any] = {
            "cursor": cursor,
            "counts": checkpoint.counts + counts,
            "run_high_water": run_high,
        }
        if page.stopped is not None:
            update["stopped"] = page.stopped
            log.info("harvest %s stopped before the end of the source: %s", checkpoint.source_id, page.stopped)
        if page.cursor is None:
            update["finished_at"] = self.clock()
            update["high_water"] = max(checkpoint.high_water or "", run_high or "") or None
        return checkpoint.model_copy(update=update)

    # -- reading ---------------------------------------------------------------------------------------

    def _pages(
        self,
        source: Source,
        checkpoint: Checkpoint,
        data: bytes | None,
        absent: Withdrawals | None,
        *,
        ahead: int,
        holdings: SourceHoldings | None,
    ) -> Generator[tuple[RawPage, float | None]]:
        reader = reader_for(source.format)
        if source.protocol is SourceProtocol.OAI_PMH:
            assert source.url is not None
            pages = reader.server_pages(self.oai_client(source.url), source, checkpoint)
            if ahead < 1:
                yield from ((page, None) for page in pages)
                return
            early = read_ahead(pages, depth=ahead, should_stop=self.should_stop)
            try:
                yield from ((page, None) for page in early)
            finally:
                early.close()  # stops reading at once (closing the expression above would leave it to the GC)
            return
        assert data is not None and source.path is not None
        name = source.path.name
        read = partial(reader.file_pages, data, name=name, page_size=self.page_size)
        attached = holdings.attached if holdings is not None else iter  # with the holdings file's holdings records
        yield from file_pages(lambda cursor: attached(read(cursor=cursor)), checkpoint.cursor or {}, absent)

    # -- one page --------------------------------------------------------------------------------------

    def _process(
        self, member: Member, source: Source, page: RawPage, file_ids: FileIds | None, run_id: str | None = None
    ) -> tuple[HarvestCounts, PageCommit]:
        reader = reader_for(source.format)
        counts = HarvestCounts()
        now = self.clock()
        commit = PageCommit(checkpoint=Checkpoint(source_id="", run_id="", started_at=now))  # its own comes later
        ids = {r.local_id for r in page.records if r.local_id and r.error is None}
        known = self.store.digests(member.id, ids) if ids else {}
        digests = [hashlib.sha256(item.raw).hexdigest() for item in page.records]
        # The raw bytes of every record that may be stored or quarantined are archived in one batch, before any
        # is normalized: those that cannot be read and those new or changed by what the store held before.
        batch = [
            item.raw
            for item, digest in zip(page.records, digests, strict=True)
            if item.error is not None or not item.local_id or (not item.deleted and known.get(item.local_id) != digest)
        ]
        archived = set(self.archive.put_many(batch)) if batch else set()

        def archive(item: RawRecord, digest: str) -> None:
            # Only when an earlier record of this page changed what the store holds under the same id.
            if digest not in archived:
                archived.update(self.archive.put_many([item.raw]))

        def quarantine(item: RawRecord, why: RecordError, digest: str) -> None:
            archive(item, digest)
            commit.quarantined.append(
                QuarantinedRecord(
                    member=member.id,
                    source_id=source.id,
                    position=item.position,
                    local_id=item.local_id,
                    reason=why.message,
                    raw=RawPointer(digest=digest, media_type=item.media_type),
                    quarantined_at=now,
                    reason_code=why.error_code,
                    reason_field=why.field,
                    checkpoint_run=run_id,
                )
            )
            counts.quarantined += 1
            log.info("quarantined %s/%s at %s: %s", member.id, source.id, item.position, why.message)

        for item, digest in zip(page.records, digests, strict=True):
            counts.holdings += len(item.attached)
            if (refused := item.refusal()) is not None:
                quarantine(item, refused, digest)
                continue
            if not item.local_id:
                quarantine(item, RecordError(reader.missing_id, error_code=Refusal.NO_ID), digest)
                continue
            control = _CONTROL_CHARACTER.search(item.local_id)
            if control is not None:  # an id the store, the API and the XML the hub writes cannot carry as it is
                reason = f"the record's id {item.local_id[:60]!r} holds a control character (U+{ord(control[0]):04X})"
                quarantine(item, RecordError(reason, error_code=Refusal.BAD_ID), digest)
                continue
            if file_ids is not None and (twice := file_ids.twice(item)) is not None:  # an id the file gave before
                quarantine(item, RecordError(twice, error_code=Refusal.DUPLICATE_ID), digest)
                counts.duplicates += 1
                continue
            if item.deleted:
                if item.local_id in known:
                    commit.changes.append(RecordChange(member=member.id, local_id=item.local_id, source_id=source.id))
                    del known[item.local_id]
                    counts.deleted += 1
                else:  # deleting what the store does not hold leaves it unchanged (it may have been quarantined)
                    counts.unchanged += 1
                    commit.settled.append((member.id, source.id, item.local_id))
                continue
            previous = known.get(item.local_id)
            if previous == digest:
                counts.unchanged += 1
                continue
            archive(item, digest)
            try:
                readable = reader.read(item)
            except RecordError as exc:
                # Read lazily (only now that it is new or changed), quarantined as if it had failed when read.
                quarantine(dataclasses.replace(item, local_id=None), exc, digest)
                if file_ids is not None:
                    file_ids.failed(item)
                continue
            pointer = RawPointer(digest=digest, media_type=item.media_type)
            try:
                record = self.normalize(member, source, readable, pointer)
            except (RecordError, pydantic.ValidationError) as exc:
                quarantine(item, exc if isinstance(exc, RecordError) else normalized_wrong(exc), digest)
                if file_ids is not None:
                    file_ids.failed(item)
                continue
            commit.changes.append(RecordChange(member=member.id, local_id=record.local_id, record=record))
            if previous is None:
                counts.added += 1
            else:
                counts.changed += 1
            known[item.local_id] = digest
        return counts, commit

    def normalize(self, member: Member, source: Source, item: RawRecord, raw: RawPointer) -> Record:
        """Normalize one raw record by the source's format (also used to normalize archived records again)."""
        reader = reader_for(source.format)
        record = with_location_names(
            reader.normalize(reader.read(item), source=source, member=member.id, raw=raw), member.locations
        )
        datestamp = _parse_datestamp(item.datestamp)
        if datestamp is not None:
            record.datestamp = datestamp
        return record


def _parse_datestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
