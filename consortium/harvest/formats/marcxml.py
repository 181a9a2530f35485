"""MARCXML as a harvest format: files read record by record (resuming at a record number), and the metadata of
OAI-PMH records listed with ``metadataPrefix=marc21``.

A document with a DOCTYPE is refused whole; malformed XML ends the reading at the fault, with the records
before it kept and the file quarantined with the line and column of the fault.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pymarc
from lxml import etree

from consortium.errors import RecordError
from consortium.harvest.formats.oai import OaiMetadataFormat
from consortium.harvest.items import RawPage, RawRecord
from consortium.harvest.normalize.marc21 import marc21_local_id, normalize_marc21
from consortium.harvest.normalize.marcxml import MARCXML_NS, marcxml_to_pymarc
from consortium.harvest.xml_safety import check_prolog

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from consortium.harvest.formats.base import FilePage
    from consortium.members import Source
    from consortium.models import RawPointer, Record

__all__ = ["MarcXmlFormat", "iter_marcxml"]

_MEDIA_MARCXML = "application/marcxml+xml"


def _is_record(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).localname == "record"


def iter_marcxml(data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
    """Pages of records from a MARCXML file, resuming after record number ``start``.

    A document with a DOCTYPE is refused whole; malformed XML ends the reading at the fault, with the records
    before it kept and the file quarantined with the line and column of the fault.
    """
    page = RawPage()
    try:
        check_prolog(data)
    except RecordError as exc:
        page.records.append(RawRecord(f"{name}", data, _MEDIA_MARCXML, error=str(exc)))
        yield page
        return
    number = 0
    events = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        for _, element in events:
            if not _is_record(element):
                continue
            parent = element.getparent()
            if parent is not None and _is_record(parent):
                continue
            namespace = etree.QName(element).namespace
            foreign = namespace not in (MARCXML_NS, None)
            if foreign and any(_is_record(inner) for inner in element.iterdescendants()):
                element.clear()  # a wrapper (an OAI-PMH record, say) around a MARC record, read on its own
                continue
            number += 1
            if number <= start:
                element.clear()
                continue
            raw = etree.tostring(element, encoding="utf-8")
            position = f"{name}#{number}"
            try:
                if foreign:
                    raise RecordError(f"record: an element in namespace {namespace}, not a MARCXML record")
                marc = marcxml_to_pymarc(element)
            except RecordError as exc:
                page.records.append(RawRecord(position, raw, _MEDIA_MARCXML, error=str(exc)))
            else:
                page.records.append(
                    RawRecord(
                        position,
                        raw,
                        _MEDIA_MARCXML,
                        local_id=marc21_local_id(marc),
                        parsed=marc,
                        deleted=str(marc.leader)[5:6] == "d",
                    )
                )
            element.clear()
            if len(page.records) >= page_size:
                page.cursor = {"index": number}
                yield page
                page = RawPage()
    except etree.XMLSyntaxError as exc:
        reason = (
            f"malformed XML at line {exc.lineno}, column {exc.offset}: {exc.msg}; "
            f"the {number} record(s) before it were read"
        )
        page.records.append(RawRecord(f"{name}#{number + 1}", data, _MEDIA_MARCXML, error=reason))
    page.cursor = None
    yield page


class MarcXmlFormat(OaiMetadataFormat):
    """MARCXML files, and OAI-PMH records whose metadata is MARCXML (or Dublin Core), normalized as MARC21."""

    def file_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        for page in iter_marcxml(data, name=name, start=int(cursor.get("index", 0)), page_size=page_size):
            yield page, None

    def normalize(self, item: RawRecord, *, source: Source, member: str, raw: RawPointer) -> Record:
        if isinstance(item.parsed, pymarc.Record):  # read from a file: 001 is the record's id
            return normalize_marc21(
                item.parsed, member=member, source_id=source.id, raw=raw, default_location=source.location
            )
        return super().normalize(item, source=source, member=member, raw=raw)
