"""The harvest service: read a source page by page, archive, normalize, store, checkpoint.

For each page: the raw bytes of every new or changed record are archived (content-addressed, one batch per
page) before they are normalized; records whose raw digest is already stored are unchanged and cost nothing more
(a binary MARC record is not even parsed then: the reader gives its 001 unparsed when it can, and it is parsed
only once it is found new or changed); records that cannot be read or normalized are quarantined with their
reason and raw bytes; then the page's changes and the checkpoint after it are committed together. A run killed
at any moment resumes after its last committed page.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pydantic
from lxml import etree

from consortium.errors import ConfigError, RecordError
from consortium.gc_tuning import fewer_collections
from consortium.harvest.items import RawPage, RawRecord
from consortium.harvest.kbart_file import iter_kbart
from consortium.harvest.marc_files import MARCXML_NS, iter_iso2709, iter_marcxml, marcxml_to_pymarc, parse_raw
from consortium.harvest.normalize import (
    normalize_dublin_core,
    normalize_kbart_row,
    normalize_marc21,
    normalize_unimarc,
)
from consortium.harvest.normalize.dublin_core import is_dublin_core
from consortium.harvest.oai_errors import BadResumptionTokenError
from consortium.harvest.oai_pmh import OaiPage, OaiPmhClient
from consortium.harvest.state import Checkpoint, HarvestCounts, PageCommit, RecordChange
from consortium.members import Member, Source, SourceFormat, SourceProtocol
from consortium.models import QuarantinedRecord, RawPointer, Record
from consortium.ports import Clock, system_clock

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.harvest.ports import BlobStore, RecordStore

__all__ = ["HarvestReport", "HarvestService", "Progress", "import_source"]

log = logging.getLogger(__name__)

Progress = Callable[[HarvestCounts, float | None], None]
"""Called after each committed page with the run's counts so far and the fraction done, when known."""


@dataclass(frozen=True)
class HarvestReport:
    member: str
    source: str
    run_id: str
    counts: HarvestCounts
    complete: bool
    resumed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "source": self.source,
            "run_id": self.run_id,
            "complete": self.complete,
            "resumed": self.resumed,
            **self.counts.model_dump(),
        }


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
        on_commit: Callable[[list[tuple[str, str]]], None] | None = None,
    ) -> None:
        self.store = store
        self.archive = archive
        self.page_size = page_size
        self.clock = clock
        self.oai_client = oai_client
        self.on_commit = on_commit
        """Called with the ``(member, local_id)`` of the records each committed page changed: clustering and
        indexing follow the store this way. The page's checkpoint names them until the next page replaces it,
        so that a run that died between a commit and this call makes it again when the source is next
        harvested (the call must be idempotent)."""

    # -- runs ------------------------------------------------------------------------------------------

    def harvest_source(
        self,
        member: Member,
        source: Source,
        *,
        progress: Progress | None = None,
        max_pages: int | None = None,
    ) -> HarvestReport:
        """Harvest one source: resume its unfinished run, or start a new (incremental) one.

        ``max_pages`` stops after that many pages with the run still open (one Lambda invocation does one).
        """
        key = f"{member.id}/{source.id}"
        previous = self.store.checkpoint(key)
        file_data = self._read_file(source) if source.path is not None else None
        file_digest = hashlib.sha256(file_data).hexdigest() if file_data is not None else None
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
        if previous is not None and previous.unfollowed and self.on_commit is not None:
            self.on_commit([(m, i) for m, i in previous.unfollowed])
        checkpoint = checkpoint.model_copy(update={"unfollowed": []})
        pages = self._pages(source, checkpoint, file_data, file_digest)
        done = 0
        with fewer_collections():
            for page, fraction in pages:
                counts, commit = self._process(member, source, page)
                checkpoint = self._advance(checkpoint, page, counts, file_digest)
                changed = [(c.member, c.local_id) for c in commit.changes]
                if self.on_commit is not None:
                    checkpoint = checkpoint.model_copy(update={"unfollowed": changed})
                commit.checkpoint = checkpoint
                self.store.commit(commit)
                if self.on_commit is not None and changed:
                    self.on_commit(changed)
                done += 1
                if progress is not None:
                    progress(checkpoint.counts, fraction)
                if checkpoint.finished_at is None and max_pages is not None and done >= max_pages:
                    break
        return HarvestReport(
            member=member.id,
            source=source.id,
            run_id=checkpoint.run_id,
            counts=checkpoint.counts,
            complete=checkpoint.finished_at is not None,
            resumed=resumed,
        )

    def _read_file(self, source: Source) -> bytes:
        assert source.path is not None
        try:
            return source.path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"source {source.id!r}: cannot read {source.path}: {exc.strerror}") from exc

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
        if page.cursor is None:
            update["finished_at"] = self.clock()
            update["high_water"] = max(checkpoint.high_water or "", run_high or "") or None
        return checkpoint.model_copy(update=update)

    # -- reading ---------------------------------------------------------------------------------------

    def _pages(
        self, source: Source, checkpoint: Checkpoint, data: bytes | None, file_digest: str | None
    ) -> Iterator[tuple[RawPage, float | None]]:
        cursor = checkpoint.cursor or {}
        if source.protocol is SourceProtocol.OAI_PMH:
            yield from ((page, None) for page in self._oai_pages(source, checkpoint))
            return
        assert data is not None and source.path is not None
        name = source.path.name
        if source.format in (SourceFormat.MARC21, SourceFormat.UNIMARC):
            for page in iter_iso2709(
                data,
                name=name,
                start=int(cursor.get("offset", 0)),
                page_size=self.page_size,
                force_utf8=source.format is SourceFormat.UNIMARC,
            ):
                offset = page.cursor["offset"] if page.cursor else len(data)
                yield page, offset / len(data) if data else 1.0
        elif source.format is SourceFormat.MARCXML:
            for page in iter_marcxml(data, name=name, start=int(cursor.get("index", 0)), page_size=self.page_size):
                yield page, None
        elif source.format is SourceFormat.KBART:
            for page in iter_kbart(data, name=name, start=int(cursor.get("row", 0)), page_size=self.page_size):
                yield page, None
        elif source.format is SourceFormat.OAI_PMH:
            try:
                oai_page = OaiPmhClient(str(source.path)).parse_page(data)
            except RecordError as exc:
                yield RawPage(records=[RawRecord(name, data, "application/xml", error=str(exc))]), 1.0
                return
            page = self._oai_raw_page(oai_page)
            page.cursor = None
            yield page, 1.0
        else:
            raise ConfigError(f"source {source.id!r}: format {source.format} needs the oai-pmh protocol")

    def _oai_pages(self, source: Source, checkpoint: Checkpoint) -> Iterator[RawPage]:
        assert source.url is not None and source.metadata_prefix is not None
        client = self.oai_client(source.url)
        token = (checkpoint.cursor or {}).get("token")
        listing = client.list_records(
            source.metadata_prefix, from_=checkpoint.run_from, set_=source.set, resumption_token=token
        )
        try:
            for page in listing:
                yield self._oai_raw_page(page)
        except BadResumptionTokenError:
            if not token:
                raise
            # The saved token expired (the server restarted or changed): list the run's range again;
            # records already stored are unchanged and cost nothing.
            log.warning("harvest %s: resumption token refused; listing the run's range again", source.id)
            for page in client.list_records(source.metadata_prefix, from_=checkpoint.run_from, set_=source.set):
                yield self._oai_raw_page(page)

    @staticmethod
    def _oai_raw_page(page: OaiPage) -> RawPage:
        records = []
        for item in page.records:
            media = "application/xml"
            error = None
            if not item.identifier:
                error = "header: the record has no OAI identifier"
            elif item.metadata is None and not item.deleted:
                error = "metadata: the record is not deleted but has no metadata"
            records.append(
                RawRecord(
                    position=item.identifier or "(no identifier)",
                    raw=item.raw,
                    media_type=media,
                    local_id=item.identifier or None,
                    parsed=item.metadata,
                    error=error,
                    deleted=item.deleted,
                    datestamp=item.datestamp or None,
                )
            )
        return RawPage(records=records, cursor={"token": page.resumption_token} if page.resumption_token else None)

    # -- one page --------------------------------------------------------------------------------------

    def _process(self, member: Member, source: Source, page: RawPage) -> tuple[HarvestCounts, PageCommit]:
        counts = HarvestCounts()
        changes: list[RecordChange] = []
        quarantined: list[QuarantinedRecord] = []
        ids = {r.local_id for r in page.records if r.local_id and r.error is None}
        known = self.store.digests(member.id, ids) if ids else {}
        now = self.clock()
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

        def quarantine(item: RawRecord, reason: str, digest: str) -> None:
            archive(item, digest)
            quarantined.append(
                QuarantinedRecord(
                    member=member.id,
                    source_id=source.id,
                    position=item.position,
                    local_id=item.local_id,
                    reason=reason,
                    raw=RawPointer(digest=digest, media_type=item.media_type),
                    quarantined_at=now,
                )
            )
            counts.quarantined += 1
            log.info("quarantined %s/%s at %s: %s", member.id, source.id, item.position, reason)

        for item, digest in zip(page.records, digests, strict=True):
            if item.error is not None:
                quarantine(item, item.error, digest)
                continue
            if not item.local_id:
                quarantine(item, "001: the record has no control number (and no 035 $a)", digest)
                continue
            if item.deleted:
                if item.local_id in known:
                    changes.append(RecordChange(member=member.id, local_id=item.local_id))
                    del known[item.local_id]
                    counts.deleted += 1
                else:
                    counts.unchanged += 1  # deleting what the store does not hold leaves it unchanged
                continue
            previous = known.get(item.local_id)
            if previous == digest:
                counts.unchanged += 1
                continue
            archive(item, digest)
            try:
                readable = parse_raw(item, force_utf8=source.format is SourceFormat.UNIMARC)
            except RecordError as exc:
                # Read lazily (only now that it is new or changed), quarantined as if it had failed when read.
                quarantine(dataclasses.replace(item, local_id=None), str(exc), digest)
                continue
            pointer = RawPointer(digest=digest, media_type=item.media_type)
            try:
                record = self.normalize(member, source, readable, pointer)
            except RecordError as exc:
                quarantine(item, str(exc), digest)
                continue
            except pydantic.ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                quarantine(item, f"normalized field {where}: {first['msg']}", digest)
                continue
            changes.append(RecordChange(member=member.id, local_id=record.local_id, record=record))
            if previous is None:
                counts.added += 1
            else:
                counts.changed += 1
            known[item.local_id] = digest
        placeholder = Checkpoint(source_id="", run_id="", started_at=now)
        return counts, PageCommit(changes=changes, quarantined=quarantined, checkpoint=placeholder)

    def normalize(self, member: Member, source: Source, item: RawRecord, raw: RawPointer) -> Record:
        """Normalize one raw record by the source's format (also used to normalize archived records again)."""
        fmt = source.format
        common: dict[str, Any] = {"member": member.id, "source_id": source.id, "raw": raw}
        item = parse_raw(item, force_utf8=fmt is SourceFormat.UNIMARC)  # a binary record read without parsing
        datestamp = _parse_datestamp(item.datestamp)
        parsed = item.parsed
        oai = source.protocol is SourceProtocol.OAI_PMH or fmt is SourceFormat.OAI_PMH
        if fmt is SourceFormat.KBART:
            record = normalize_kbart_row(parsed, **common)
        elif isinstance(parsed, etree._Element) and is_dublin_core(parsed):
            assert item.local_id is not None
            record = normalize_dublin_core(parsed, local_id=item.local_id, default_location=source.location, **common)
        else:
            if isinstance(parsed, etree._Element):
                if etree.QName(parsed).namespace not in (MARCXML_NS, None):
                    raise RecordError(f"metadata: expected MARCXML or Dublin Core, found {parsed.tag!r}")
                parsed = marcxml_to_pymarc(parsed)
            normalizer = normalize_unimarc if fmt is SourceFormat.UNIMARC else normalize_marc21
            record = normalizer(
                parsed, local_id=item.local_id if oai else None, default_location=source.location, **common
            )
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


def import_source(path: Path, fmt: SourceFormat) -> Source:
    """A one-off file source for ``consortium import`` (its checkpoint is kept under ``import-<file name>``)."""
    if fmt is SourceFormat.OAI_DC:
        raise ConfigError("format 'oai_dc' is harvested over OAI-PMH; import a saved response as 'oai-pmh'")
    protocol = SourceProtocol.KBART_FILE if fmt is SourceFormat.KBART else SourceProtocol.MARC_FILE
    source_id = "import-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in path.name.lower())[:50]
    return Source(id=source_id, protocol=protocol, path=path, format=fmt)
