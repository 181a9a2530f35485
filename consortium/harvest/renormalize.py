"""Reading archived raw records again through today's normalizers.

A record is normalized once, when it is harvested; a harvest skips a record whose raw bytes did not change. So
records harvested before the normalizers learnt something (uniform and original titles, MARC 240/130 and UNIMARC
500/454, and the work ids they give) keep what the older normalizer made until their member changes them. The raw
archive keeps every harvested record's bytes under its digest: :func:`renormalize` reads each stored record's
bytes again, normalizes them by its source's format as a harvest would, and hands the records that came out
different to ``follow`` (the catalogue: clusters and the search index follow incrementally), a page at a time, each
page committed to the record store with its source's checkpoint as it stands.

A record that no longer normalizes (a normalizer that became stricter) is quarantined under its member and source
with the reason, naming the record, and the stored record is left as it was; a record whose bytes are not in the
archive, or whose source the registry no longer names (give its format), is counted as skipped, by reason.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pydantic

from consortium.errors import ConfigError, NotFoundError, RecordError
from consortium.harvest.formats import reader_for
from consortium.harvest.formats.oai import oai_raw_page
from consortium.harvest.items import RawRecord
from consortium.harvest.oai_pmh import OAI_NS, parse_list_records
from consortium.harvest.refusals import Refusal, normalized_wrong
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
from consortium.members import Member, MemberRegistry, Source, SourceFormat, SourceProtocol
from consortium.models import QuarantinedRecord, RawPointer, Record
from consortium.ports import Clock, system_clock

if TYPE_CHECKING:
    from consortium.harvest.ports import BlobStore, RecordStore

__all__ = ["RenormalizeReport", "renormalize", "reread"]

log = logging.getLogger(__name__)

_OAI_RECORD = "application/xml"
"""The media type of a record harvested over OAI-PMH: its bytes are the OAI ``record`` element."""


@dataclass
class RenormalizeReport:
    """What one :func:`renormalize` did."""

    read: int = 0
    changed: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    """Records not read again, by reason."""
    quarantined_records: list[str] = field(default_factory=list)
    """``member/local_id: reason`` of each record quarantined (the stored record kept)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "skipped": dict(self.skipped),
            "quarantined_records": self.quarantined_records,
        }


def reread(fmt: SourceFormat, data: bytes, media_type: str, name: str) -> RawRecord:
    """One archived record's bytes read again as its harvest read them (``name`` in the reader's messages): an
    OAI ``record`` element inside a ListRecords envelope, any other through the format's file reader."""
    if media_type == _OAI_RECORD:
        envelope = f'<OAI-PMH xmlns="{OAI_NS}"><ListRecords>'.encode() + data + b"</ListRecords></OAI-PMH>"
        items = oai_raw_page(parse_list_records(envelope, name)).records
    else:
        items = [item for page, _ in reader_for(fmt).file_pages(data, name=name, cursor={}, page_size=1)
                 for item in page.records]  # fmt: skip
    if len(items) != 1:
        mismatch = f"{name}: the archived bytes hold {len(items)} records, not one"
        raise RecordError(mismatch, error_code=Refusal.ARCHIVE_MISMATCH)
    item = reader_for(fmt).read(items[0])
    if (refused := item.refusal()) is not None:
        raise RecordError(f"{name}: {refused}", error_code=refused.error_code, field=refused.field)
    if item.deleted:
        raise RecordError(f"{name}: the archived bytes are a deleted record", error_code=Refusal.ARCHIVE_MISMATCH)
    return item


@dataclass
class _Page:
    checkpoint: Checkpoint
    changes: list[RecordChange] = field(default_factory=list)
    quarantined: list[QuarantinedRecord] = field(default_factory=list)


Normalize = Callable[[Member, Source, RawRecord, RawPointer], Record]
"""How a harvest normalizes one read record (:meth:`~consortium.harvest.service.HarvestService.normalize`)."""


def renormalize(
    records: RecordStore,
    archive: BlobStore,
    registry: MemberRegistry,
    normalize: Normalize,
    follow: Callable[[list[RecordChange]], object],
    *,
    member: str | None = None,
    formats: dict[str, SourceFormat] | None = None,
    page_size: int = 1000,
    progress: Callable[[RenormalizeReport, int], None] | None = None,
    clock: Clock = system_clock,
) -> RenormalizeReport:
    """Normalize every stored record (or ``member``'s) again from its archived bytes with ``normalize`` (the
    harvest's); commit and ``follow`` the ones that changed, ``page_size`` at a time (see the module).

    ``formats`` names the format of sources the registry does not have (the ``import-...`` sources of
    ``consortium import``), by source id; ``progress`` is called after each page with the report so far and
    the number of records to read.
    """
    again = _Again(archive, normalize, clock)
    total = records.count(member)
    pages: dict[tuple[str, str], _Page] = {}
    for record in records.records(member):
        again.report.read += 1
        key = (record.member, record.source_id)
        found = _source(registry, record, formats or {})
        if isinstance(found, str):
            again.report.skipped[found] += 1
            continue
        page = pages.get(key) or pages.setdefault(
            key, _Page(_checkpoint(records, record.member, record.source_id, clock))
        )
        again.one(record, *found, page)
        if len(page.changes) + len(page.quarantined) >= page_size:
            _commit(records, pages.pop(key), follow)
            if progress is not None:
                progress(again.report, total)
    for page in pages.values():
        _commit(records, page, follow)
    if progress is not None:
        progress(again.report, total)
    return again.report


def _source(registry: MemberRegistry, record: Record, formats: dict[str, SourceFormat]) -> tuple[Member, Source] | str:
    """The record's member and source, or why it cannot be read again."""
    try:
        member = registry.get(record.member)
    except ConfigError:
        return f"member {record.member} not in the registry"
    if record.source_id in formats:
        fmt = formats[record.source_id]
        protocol = SourceProtocol.KBART_FILE if fmt is SourceFormat.KBART else SourceProtocol.MARC_FILE
        return member, Source.model_construct(id=record.source_id, protocol=protocol, format=fmt, location=None)
    try:
        return member, member.source(record.source_id)
    except ConfigError:
        return f"source {record.member}/{record.source_id} not in the registry (name its format)"


def _checkpoint(records: RecordStore, member_id: str, source_id: str, clock: Clock) -> Checkpoint:
    """The checkpoint a page of this source is committed with: the source's own, unchanged."""
    key = f"{member_id}/{source_id}"  # as the harvest keys it
    return records.checkpoint(key) or Checkpoint(source_id=key, run_id="renormalize", started_at=clock())


@dataclass
class _Again:
    """Normalizing records again, one at a time, into pages and a report."""

    archive: BlobStore
    normalize: Normalize
    clock: Clock
    report: RenormalizeReport = field(default_factory=RenormalizeReport)

    def one(self, record: Record, member: Member, source: Source, page: _Page) -> None:
        """The record normalized again into ``page``: changed, unchanged (nothing), or quarantined."""
        name = f"{record.member}/{record.local_id}"
        try:
            data = self.archive.get(record.raw.digest)
        except NotFoundError:
            self.report.skipped["raw bytes not in the archive"] += 1
            return
        pointer = RawPointer(digest=record.raw.digest, media_type=record.raw.media_type)
        try:
            item = reread(source.format, data, record.raw.media_type, f"archived record {name}")
            again = self.normalize(member, source, item, pointer)
        except RecordError as exc:
            why = exc
        except pydantic.ValidationError as exc:
            why = normalized_wrong(exc)
        else:
            if again.local_id == record.local_id:
                if again == record:
                    self.report.unchanged += 1
                else:
                    page.changes.append(RecordChange(member=record.member, local_id=record.local_id, record=again))
                    self.report.changed += 1
                return
            why = RecordError(f"the archived bytes now give the id {again.local_id!r}", error_code=Refusal.ID_CHANGED)
        reason = why.message
        page.quarantined.append(
            QuarantinedRecord(
                member=record.member,
                source_id=record.source_id,
                position=record.local_id,
                local_id=record.local_id,
                reason=f"normalized again from the archive: {reason}",
                raw=pointer,
                quarantined_at=self.clock(),
                reason_code=why.error_code,
                reason_field=why.field,
            )
        )
        self.report.quarantined += 1
        self.report.quarantined_records.append(f"{name}: {reason}")
        log.info("quarantined %s/%s when normalized again: %s", record.member, record.source_id, reason)


def _commit(records: RecordStore, page: _Page, follow: Callable[[list[RecordChange]], object]) -> None:
    if not page.changes and not page.quarantined:
        return
    records.commit(PageCommit(changes=page.changes, quarantined=page.quarantined, checkpoint=page.checkpoint))
    if page.changes:
        follow(page.changes)
