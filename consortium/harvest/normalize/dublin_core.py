"""Unqualified Dublin Core (OAI-PMH ``oai_dc``) to :class:`~consortium.models.Record`."""

from __future__ import annotations

from lxml import etree

from consortium.errors import RecordError
from consortium.harvest.identifiers import (
    InvalidIdentifierError,
    normalize_doi,
    normalize_isbn,
    normalize_issn,
)
from consortium.harvest.normalize.text import clean, first_year, language_code, page_count, unique
from consortium.harvest.refusals import Refusal
from consortium.models import Availability, Holding, Identifier, RawPointer, Record, ResourceFormat

__all__ = ["DC_NS", "OAI_DC_NS", "is_dublin_core", "normalize_dublin_core"]

DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"

_TYPES = {
    "sound": ResourceFormat.AUDIO,
    "movingimage": ResourceFormat.VIDEO,
    "dataset": ResourceFormat.DATABASE,
    "software": ResourceFormat.SOFTWARE,
    "thesis": ResourceFormat.THESIS,
    "map": ResourceFormat.MAP,
    "cartographic": ResourceFormat.MAP,
    "score": ResourceFormat.SCORE,
    "journal": ResourceFormat.JOURNAL,
    "periodical": ResourceFormat.JOURNAL,
    "website": ResourceFormat.WEB,
    "interactiveresource": ResourceFormat.WEB,
    "image": ResourceFormat.OTHER,
    "stillimage": ResourceFormat.OTHER,
    "physicalobject": ResourceFormat.OTHER,
}


def is_dublin_core(element: etree._Element) -> bool:
    """An ``oai_dc:dc`` element, or a ``dc`` element without a namespace (as some repositories answer)."""
    name = etree.QName(element)
    return name.localname == "dc" and name.namespace in (OAI_DC_NS, None)


def _values(element: etree._Element, name: str) -> list[str]:
    """The texts of the ``dc:<name>`` elements (or ``<name>`` ones in a Dublin Core record without namespaces)."""
    tags = (f"{{{DC_NS}}}{name}", name) if etree.QName(element).namespace is None else (f"{{{DC_NS}}}{name}",)
    return [" ".join("".join(str(t) for t in e.itertext()).split()) for e in element.iter(*tags)]


def _identifier(value: str) -> Identifier | None:
    lowered = value.lower()
    try:
        if "isbn" in lowered:
            return normalize_isbn(value)
        if "issn" in lowered:
            return normalize_issn(value)
    except InvalidIdentifierError as exc:
        raise RecordError(f"dc:identifier: {exc}", error_code=exc.error_code, field="dc:identifier") from exc
    if "10." in value and ("doi" in lowered or value.startswith("10.")):
        return normalize_doi(value)
    return None


def normalize_dublin_core(
    metadata: etree._Element,
    *,
    member: str,
    source_id: str,
    local_id: str,
    raw: RawPointer,
    default_location: str | None = None,
) -> Record:
    """Normalize one ``oai_dc:dc`` element; ``local_id`` is the OAI-PMH identifier."""
    titles = [t for t in (clean(v) for v in _values(metadata, "title")) if t]
    if not titles:
        raise RecordError("dc:title: the record has no title", error_code=Refusal.NO_TITLE, field="dc:title")
    identifiers: list[Identifier] = []
    urls: list[str] = []
    for value in _values(metadata, "identifier"):
        if value.startswith(("http://", "https://")):
            urls.append(value)
        identifier = _identifier(value)
        if identifier is not None and identifier not in identifiers:
            identifiers.append(identifier)
    types = [t.lower().replace(" ", "") for t in _values(metadata, "type")]
    resource_format = next((_TYPES[t] for t in types if t in _TYPES), None)
    if resource_format is None:
        resource_format = ResourceFormat.EBOOK if urls else ResourceFormat.BOOK
    holdings = [Holding(member=member, url=u, availability=Availability.ONLINE) for u in urls]
    if not holdings:
        holdings = [Holding(member=member, location=default_location)]
    return Record(
        member=member,
        local_id=local_id,
        source_id=source_id,
        format=resource_format,
        title=titles[0],
        subtitle=titles[1] if len(titles) > 1 else None,
        authors=unique(clean(v) for v in _values(metadata, "creator") + _values(metadata, "contributor")),
        publisher=next((clean(v) for v in _values(metadata, "publisher")), None),
        year=first_year(*_values(metadata, "date")),
        language=next((language_code(v) for v in _values(metadata, "language")), None),
        pages=next((page_count(v) for v in _values(metadata, "format") if "p" in v or "页" in v), None),
        identifiers=identifiers,
        subjects=unique(clean(v) for v in _values(metadata, "subject")),
        holdings=holdings,
        raw=raw,
    )
