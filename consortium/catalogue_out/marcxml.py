"""A work's merged record as MARC21 in MARCXML (the ``marc21`` metadata format and SRU's ``marcxml`` schema).

Written so that a MARC21 reader, the hub's own included, reads back the same work:

=======  ===================================================================================================
field    from the cluster
=======  ===================================================================================================
leader   06 type and 07 level from the format (``a``/``m`` a book, ``a``/``s`` a journal, ``e`` a map, ``c`` a
         score, ``g`` video, ``i`` audio, ``m`` software, ``t`` a manuscript, ``p`` other), 09 ``a`` (UTF-8)
001      the cluster id; 005 when it last changed
007/008  008/00-05 first seen, 06-10 ``s`` and the year (``nuuuu`` without one), 21 the kind of continuing
         resource (database, website), 23 ``o`` for online resources (and 007 ``cr``), 35-37 the language
010 020  LCCN, ISBNs, ISSNs, DOIs (024 7_ $2 doi), OCLC numbers (035 ``(OCoLC)``)
022 024
035
050 080  LCC, UDC, DDC, CLC (084 $2 clc)
082 084
100 700  the first author, the others
240 130  the uniform (original) title $a: 240 with an author, 130 without
245      $a title $b subtitle; 250 edition; 264 _1 $b publisher $c year; 300 pages; 490 0_ $a series $v number
502      ``Thesis`` (theses); 650 _4 $a each subject heading as the hub has it (subdivisions joined by " — ")
852      one per shelf holding: $a the member's id, $b location, $h call number, $z availability; with what the
         copy holds (a serial's volumes), $8 n and an 866 _0 $8 n $a after it
856      one per online holding: $u the URL, $3 coverage, $z the member's id; indicators ``40`` (the resource
         itself) for an online resource, ``4`` and blank for the online copy of a print one (a print journal some
         member also has online stays a journal: a MARC21 reader takes ``40``/``41`` links as the resource
         being electronic)
=======  ===================================================================================================

Holdings of members that do not share them are left out (:meth:`PublishedCatalogue.holdings`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.catalogue_out.response import esc
from consortium.models import Availability, ClassScheme, IdentifierScheme, ResourceFormat

if TYPE_CHECKING:
    from consortium.dedup.state import ClusterVersion
    from consortium.models import Cluster, Holding

__all__ = ["MARCXML_NS", "cluster_ids", "marcxml"]

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
MARCXML_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"

_KIND = {
    ResourceFormat.MANUSCRIPT: "t",
    ResourceFormat.SCORE: "c",
    ResourceFormat.MAP: "e",
    ResourceFormat.VIDEO: "g",
    ResourceFormat.AUDIO: "i",
    ResourceFormat.SOFTWARE: "m",
    ResourceFormat.OTHER: "p",
}
_SERIAL = {ResourceFormat.JOURNAL, ResourceFormat.EJOURNAL, ResourceFormat.DATABASE, ResourceFormat.WEB}
_ONLINE = {ResourceFormat.EBOOK, ResourceFormat.EJOURNAL, ResourceFormat.DATABASE, ResourceFormat.WEB}
_NATURE = {ResourceFormat.DATABASE: "d", ResourceFormat.WEB: "w"}
_AVAILABILITY = {
    Availability.AVAILABLE: "Available",
    Availability.ON_LOAN: "On loan",
    Availability.UNAVAILABLE: "Unavailable",
    Availability.ONLINE: "Online",
}
_CLASS_FIELDS = {
    ClassScheme.LCC: ("050", " 4", ""),
    ClassScheme.UDC: ("080", "  ", ""),
    ClassScheme.DDC: ("082", "04", ""),
    ClassScheme.CLC: ("084", "  ", "clc"),
}


def _control(tag: str, value: str) -> str:
    return f'<controlfield tag="{tag}">{esc(value)}</controlfield>'


def _data(tag: str, indicators: str, *subfields: tuple[str, str | None]) -> str:
    """A data field with the subfields that have a value; none: no field."""
    present = "".join(f'<subfield code="{code}">{esc(value)}</subfield>' for code, value in subfields if value)
    if not present:
        return ""
    return f'<datafield tag="{tag}" ind1="{indicators[0]}" ind2="{indicators[1]}">{present}</datafield>'


def _leader(cluster: Cluster) -> str:
    kind = _KIND.get(cluster.format, "a")
    level = "s" if cluster.format in _SERIAL else "m"
    return f"00000n{kind}{level} a2200000uu 4500"


def _f008(cluster: Cluster) -> str:
    chars = list(" " * 40)
    chars[0:6] = cluster.first_seen.strftime("%y%m%d")
    year = f"{cluster.year:04d}" if cluster.year is not None and 0 <= cluster.year <= 9999 else None
    chars[6:11] = f"s{year}" if year else "nuuuu"
    chars[15:18] = "xx "
    chars[21] = _NATURE.get(cluster.format, " ")
    chars[23] = "o" if cluster.format in _ONLINE else " "
    language = cluster.language if cluster.language and len(cluster.language) == 3 else "und"
    chars[35:38] = language
    chars[39] = "d"
    return "".join(chars)


def cluster_ids(cluster: Cluster, scheme: IdentifierScheme) -> list[str]:
    """The cluster's identifiers of one scheme, in order."""
    return [identifier.value for identifier in cluster.identifiers if identifier.scheme is scheme]


def _holding(holding: Holding, online: bool, link: int) -> str:
    if holding.url:
        indicators = "40" if online else "4 "
        return _data("856", indicators, ("u", holding.url), ("3", holding.coverage), ("z", holding.member))
    shelf = _data(
        "852",
        "  ",
        ("8", str(link) if holding.coverage else None),
        ("a", holding.member),
        ("b", holding.location),
        ("h", holding.call_number),
        ("z", _AVAILABILITY.get(holding.availability)),
    )
    if not holding.coverage:
        return shelf
    return shelf + _data("866", " 0", ("8", str(link)), ("a", holding.coverage))


def marcxml(version: ClusterVersion, holdings: list[Holding]) -> str:
    """The MARCXML ``record`` element (with its namespace) of a stored cluster, with ``holdings`` (those that
    may be shown)."""
    cluster = version.cluster
    assert cluster is not None, "a deleted record has no metadata"
    parts = [
        f'<record xmlns="{MARCXML_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{MARCXML_NS} {MARCXML_SCHEMA}">',
        f"<leader>{_leader(cluster)}</leader>",
        _control("001", cluster.cluster_id),
        _control("005", version.changed_at.strftime("%Y%m%d%H%M%S.0")),
    ]
    if cluster.format in _ONLINE:
        parts.append(_control("007", "cr"))
    parts.append(_control("008", _f008(cluster)))
    parts += [_data("010", "  ", ("a", value)) for value in cluster_ids(cluster, IdentifierScheme.LCCN)]
    parts += [_data("020", "  ", ("a", value)) for value in cluster_ids(cluster, IdentifierScheme.ISBN)]
    parts += [_data("022", "  ", ("a", value)) for value in cluster_ids(cluster, IdentifierScheme.ISSN)]
    parts += [_data("024", "7 ", ("a", value), ("2", "doi")) for value in cluster_ids(cluster, IdentifierScheme.DOI)]
    parts += [_data("035", "  ", ("a", f"(OCoLC){value}")) for value in cluster_ids(cluster, IdentifierScheme.OCLC)]
    for scheme, (tag, indicators, source) in _CLASS_FIELDS.items():
        codes = [c.code for c in cluster.classifications if c.scheme is scheme]
        parts += [_data(tag, indicators, ("a", code), ("2", source or None)) for code in codes]
    if cluster.authors:
        parts.append(_data("100", "1 ", ("a", cluster.authors[0])))
    parts.append(
        _data("240" if cluster.authors else "130", "10" if cluster.authors else "0 ", ("a", cluster.uniform_title))
    )
    parts.append(_data("245", "10" if cluster.authors else "00", ("a", cluster.title), ("b", cluster.subtitle)))
    parts.append(_data("250", "  ", ("a", cluster.edition)))
    year = str(cluster.year) if cluster.year is not None else None
    parts.append(_data("264", " 1", ("b", cluster.publisher), ("c", year)))
    parts.append(_data("300", "  ", ("a", f"{cluster.pages} p." if cluster.pages else None)))
    parts.append(_data("490", "0 ", ("a", cluster.series), ("v", cluster.series_number)))
    if cluster.format is ResourceFormat.THESIS:
        parts.append(_data("502", "  ", ("a", "Thesis")))
    parts += [_data("650", " 4", ("a", subject)) for subject in cluster.subjects]
    parts += [_data("700", "1 ", ("a", author)) for author in cluster.authors[1:]]
    online = cluster.format in _ONLINE
    parts += [_holding(holding, online, n) for n, holding in enumerate((h for h in holdings if not h.url), 1)]
    parts += [_holding(holding, online, 0) for holding in holdings if holding.url]
    parts.append("</record>")
    return "".join(parts)
