"""MARCXML as a harvest format: files read record by record (resuming at a record number), and the metadata of
OAI-PMH records listed with ``metadataPrefix=marc21``; MarcXchange records (ISO 25577) are read as well, each
normalized as the MARC format it says (MARC21 or UNIMARC).

A document with a DOCTYPE is refused whole; malformed XML quarantines only the record it lies in, and the
records after it are read (:mod:`~consortium.harvest.formats.xml_faults`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

from consortium.errors import RecordError
from consortium.harvest.formats.base import MOST_UNREADABLE_IN_A_ROW, normalized
from consortium.harvest.formats.holdings_records import Joining, index_cursor
from consortium.harvest.formats.oai import OaiMetadataFormat
from consortium.harvest.formats.xml_faults import Declarations, locate_fault, remainder
from consortium.harvest.items import RawPage, RawRecord
from consortium.harvest.normalize.marc21 import MARC21
from consortium.harvest.normalize.marcxml import MARC_NAMESPACES, marc_dialect, marcxml_to_pymarc
from consortium.harvest.refusals import Refusal
from consortium.harvest.xml_safety import check_prolog, entity_references

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    import pymarc

    from consortium.harvest.formats.base import FilePage
    from consortium.harvest.normalize.assembly import MarcDialect
    from consortium.harvest.normalize.common import MarcFields
    from consortium.members import Source
    from consortium.models import RawPointer, Record

__all__ = ["MarcXmlFormat", "iter_marcxml"]

_MEDIA_MARCXML = "application/marcxml+xml"


@dataclass(frozen=True, slots=True)
class _MarcRead:
    """A record read from a file, and the normalizer of the MARC format it is in."""

    marc: pymarc.Record
    dialect: MarcDialect


def _is_record(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).localname == "record"


def _records(document: bytes, roots: list[etree._Element | None] | None = None) -> Iterator[etree._Element]:
    """The MARC records of a document (and foreign records, which are refused when read), as they end; once
    the document is read, its root element (``None`` if it has none) is added to ``roots``."""
    events = etree.iterparse(
        io.BytesIO(document),
        events=("end",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    for _, element in events:
        if not _is_record(element):
            continue
        parent = element.getparent()
        if parent is not None and _is_record(parent):
            continue
        if etree.QName(element).namespace not in MARC_NAMESPACES and any(
            _is_record(inner) for inner in element.iterdescendants()
        ):
            element.clear()  # a wrapper (an OAI-PMH record, say) around a MARC record, read on its own
            continue
        yield element
    if roots is not None:
        roots.append(events.root)


def _not_marcxml(root: etree._Element | None) -> str | None:
    """Why a document in which no record was found is not MARCXML at all (no root element, or a root that is
    not a collection: an HTML error page saved as the export, say); ``None`` for an empty collection."""
    if root is None:
        return "not a MARCXML file: the document has no root element"
    if etree.QName(root).localname == "collection" and etree.QName(root).namespace in MARC_NAMESPACES:
        return None
    return f"not a MARCXML file: the root element is <{root.tag}> and holds no MARC record"


def _raw_record(element: etree._Element, position: str) -> RawRecord:
    raw = etree.tostring(element, encoding="utf-8")
    namespace = etree.QName(element).namespace
    try:
        if namespace not in MARC_NAMESPACES:
            raise RecordError(
                f"record: an element in namespace {namespace}, not a MARCXML or MarcXchange record",
                error_code=Refusal.WRONG_FORMAT,
            )
        dialect = marc_dialect(element)
        lost = entity_references(element)
        if lost:  # its text would be cut where each stands: quarantined, never read short
            names = ", ".join(f"&{name};" for name in lost)
            raise RecordError(
                f"record: refers to entities that are never resolved ({names})", error_code=Refusal.UNSAFE_XML
            )
        marc = marcxml_to_pymarc(element)
    except RecordError as exc:
        return RawRecord.refused(position, raw, _MEDIA_MARCXML, exc)
    deleted = str(marc.leader)[5:6] == "d"
    local_id = dialect.local_id(marc)
    return RawRecord(position, raw, _MEDIA_MARCXML, local_id=local_id, parsed=_MarcRead(marc, dialect), deleted=deleted)


def iter_marcxml(data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
    """Pages of records from a MARCXML file, resuming after record number ``start``.

    A document with a DOCTYPE is refused whole. Malformed XML quarantines the record it lies in (see
    :mod:`consortium.harvest.formats.xml_faults`), and reading goes on with the next record; a file that ends
    inside a record is read up to it, and the run is not complete; so is one with
    :data:`~consortium.harvest.formats.base.MOST_UNREADABLE_IN_A_ROW` malformed records in a row.
    """
    page = RawPage()
    try:
        check_prolog(data)
    except RecordError as exc:
        page.records.append(RawRecord.refused(f"{name}", data, _MEDIA_MARCXML, exc))
        yield page
        return
    number = 0
    document, offset = data, 0
    declared = Declarations()
    in_a_row = 0
    roots: list[etree._Element | None] = []
    while True:
        try:
            for element in _records(document, roots):
                in_a_row = 0
                number += 1
                if number > start:
                    page.records.append(_raw_record(element, f"{name}#{number}"))
                element.clear()
                if len(page.records) >= page_size:
                    page.cursor = {"index": number}
                    yield page
                    page = RawPage()
            wrong = _not_marcxml(roots[0]) if number == 0 and offset == 0 else None
            if wrong is not None:
                page.records.append(RawRecord(name, data, _MEDIA_MARCXML, error=wrong, error_code=Refusal.WRONG_FORMAT))
                page.stopped = wrong
            break
        except etree.XMLSyntaxError as exc:
            fault = locate_fault(data, document, offset, exc)
        if number == 0 and offset == 0 and fault.span is None and fault.resume is None:
            # Nothing but closing tags, blanks or a declaration where a document should be: no root element.
            wrong = f"not a MARCXML file: {fault.reason}"
            page.records.append(RawRecord(name, data, _MEDIA_MARCXML, error=wrong, error_code=Refusal.WRONG_FORMAT))
            page.stopped = wrong
            break
        if fault.span is not None:
            number += 1
            if number > start:
                begin, end = fault.span
                reason = f"{fault.reason}; the {number - 1} record(s) before it were read"
                broken = RawRecord(
                    f"{name}#{number}", data[begin:end], _MEDIA_MARCXML, error=reason, error_code=Refusal.MALFORMED_XML
                )
                page.records.append(broken)
            in_a_row += 1
        if fault.stopped is not None:
            page.stopped = fault.stopped.replace("{number}", str(number))  # the reason may hold braces itself
        elif in_a_row >= MOST_UNREADABLE_IN_A_ROW:
            page.stopped = f"not a MARCXML file: {in_a_row} records in a row are malformed; reading stopped"
        if fault.resume is None or page.stopped is not None:
            break
        document, offset = remainder(data, fault.resume, declared)
    page.cursor = None
    yield page


def _record_type(item: RawRecord) -> str:
    return str(item.parsed.marc.leader)[6:7] if isinstance(item.parsed, _MarcRead) else ""


def _marc21(item: RawRecord) -> tuple[RawRecord, MarcFields | None]:
    read = item.parsed
    return item, read.marc if isinstance(read, _MarcRead) and read.dialect is MARC21 else None


def _collection(records: Sequence[bytes]) -> bytes:
    """Records' ``record`` elements as one MARCXML document (each declares its own namespaces)."""
    return b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + b"".join(records) + b"</collection>"


_JOINING = Joining(_record_type, _marc21, _collection, index_cursor, lambda item: _marc21(item)[1] is not None)


class MarcXmlFormat(OaiMetadataFormat):
    """MARCXML and MarcXchange files, and OAI-PMH records whose metadata is either (or Dublin Core), each record
    normalized as the MARC format it is in."""

    def read_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        for page in iter_marcxml(data, name=name, start=int(cursor.get("index", 0)), page_size=page_size):
            yield page, None

    def holdings_joining(self) -> Joining | None:
        return _JOINING

    def normalize(self, item: RawRecord, *, source: Source, member: str, raw: RawPointer) -> Record:
        if isinstance(item.parsed, _MarcRead):  # read from a file: 001 is the record's id
            read = item.parsed
            return normalized(read.dialect, read.marc, item, _JOINING, source=source, member=member, raw=raw)
        return super().normalize(item, source=source, member=member, raw=raw)
