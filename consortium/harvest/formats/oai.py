"""OAI-PMH records as a harvest format: pages listed by a server (following resumption tokens) or read from a
saved ``ListRecords`` response, their metadata normalized as Dublin Core, MARCXML or MarcXchange, whichever it is.

A record without an identifier, or not deleted but without metadata, is quarantined. A saved response that
cannot be read (not XML, an OAI error, no ``ListRecords``) is quarantined whole.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lxml import etree

from consortium.errors import RecordError
from consortium.harvest.formats.base import FormatReader
from consortium.harvest.items import RawPage, RawRecord
from consortium.harvest.normalize.dublin_core import is_dublin_core, normalize_dublin_core
from consortium.harvest.normalize.marcxml import MARC_NAMESPACES, marc_dialect, marcxml_fields
from consortium.harvest.oai_errors import BadResumptionTokenError
from consortium.harvest.oai_pmh import parse_list_records
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from consortium.harvest.formats.base import FilePage
    from consortium.harvest.oai_pmh import OaiPage, OaiPmhClient
    from consortium.harvest.state import Checkpoint
    from consortium.members import Source
    from consortium.models import RawPointer, Record

__all__ = ["OaiMetadataFormat", "SavedOaiFormat", "oai_raw_page"]

log = logging.getLogger(__name__)
_MEDIA = "application/xml"


def oai_raw_page(page: OaiPage) -> RawPage:
    """An OAI-PMH page as raw records: each keyed by its OAI identifier, its metadata element parsed."""
    records = []
    for item in page.records:
        error, code, field = None, None, None
        if not item.identifier:
            error, code, field = "header: the record has no OAI identifier", Refusal.NO_ID, "header"
        elif item.metadata is None and not item.deleted:
            error = "metadata: the record is not deleted but has no metadata"
            code, field = Refusal.WRONG_FORMAT, "metadata"
        records.append(
            RawRecord(
                position=item.identifier or "(no identifier)",
                raw=item.raw,
                media_type=_MEDIA,
                local_id=item.identifier or None,
                parsed=item.metadata,
                error=error,
                deleted=item.deleted,
                datestamp=item.datestamp or None,
                error_code=code,
                error_field=field,
            )
        )
    return RawPage(records=records, cursor={"token": page.resumption_token} if page.resumption_token else None)


class OaiMetadataFormat(FormatReader):
    """Records listed by an OAI-PMH server; their metadata is Dublin Core, or MARCXML or MarcXchange (normalized as
    the MARC format the record says),
    and the OAI identifier is the record's id."""

    def __init__(self, name: str) -> None:
        self.name = name

    def server_pages(self, client: OaiPmhClient, source: Source, checkpoint: Checkpoint) -> Iterator[RawPage]:
        assert source.metadata_prefix is not None
        token = (checkpoint.cursor or {}).get("token")
        listing = client.list_records(
            source.metadata_prefix, from_=checkpoint.run_from, set_=source.set, resumption_token=token
        )
        try:
            for page in listing:
                yield oai_raw_page(page)
        except BadResumptionTokenError:
            if not token:
                raise
            # The saved token expired (the server restarted or changed): list the run's range again;
            # records already stored are unchanged and cost nothing.
            log.warning("harvest %s: resumption token refused; listing the run's range again", source.id)
            for page in client.list_records(source.metadata_prefix, from_=checkpoint.run_from, set_=source.set):
                yield oai_raw_page(page)

    def normalize(self, item: RawRecord, *, source: Source, member: str, raw: RawPointer) -> Record:
        element = item.parsed
        assert isinstance(element, etree._Element) and item.local_id is not None
        if is_dublin_core(element):
            return normalize_dublin_core(
                element,
                member=member,
                source_id=source.id,
                raw=raw,
                local_id=item.local_id,
                default_location=source.location,
            )
        if etree.QName(element).namespace not in MARC_NAMESPACES:
            raise RecordError(
                f"metadata: expected MARCXML, MarcXchange or Dublin Core, found {element.tag!r}",
                error_code=Refusal.WRONG_FORMAT,
                field="metadata",
            )
        return marc_dialect(element).normalize(
            marcxml_fields(element),
            member=member,
            source_id=source.id,
            raw=raw,
            local_id=item.local_id,
            default_location=source.location,
        )


class SavedOaiFormat(OaiMetadataFormat):
    """A saved OAI-PMH ``ListRecords`` response loaded as a file: one page, its token (if any) not followed."""

    id_name = "OAI identifier"

    def read_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        try:
            oai_page = parse_list_records(data, f"OAI-PMH response from {name}", name)
        except RecordError as exc:  # the whole response cannot be read: none of its records was
            yield RawPage(records=[RawRecord.refused(name, data, _MEDIA, exc)], stopped=str(exc)), 1.0
            return
        page = oai_raw_page(oai_page)
        page.cursor = None
        yield page, 1.0
