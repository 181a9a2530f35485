"""UNIMARC and CNMARC (the UNIMARC profile of Chinese libraries) records to :class:`~consortium.models.Record`.

Field use: leader/06-07 format (an electronic resource's by 110 or 135); 200 $a title (with $h $i part number and
name), $e other title information; 500 $a $h $i uniform title (not one with a form subheading $l), else 454 $t (or
the $a of its embedded 200) the original of a translation; 700/701/702 and 710/711/712 names ($a entry element, $b
rest of name); 210 or 214 $c publisher, $d date, and 100 $a/09-12 date first; 101 $a language; 205 $a edition; 225
$a else 410 $t series, that field's $v its volume; 215 $a extent; 010 ISBN ($z, invalid, ignored), 011 ISSN; 600-608
subjects with their subdivisions; 690 and 686 ($2 clc) CLC, 676 DDC, 675 UDC, 680 LCC; 905 CNMARC holdings ($a
institution, $c location, $d class number, $e book number), Koha's 995 items (with their shelf status, as
:mod:`~consortium.harvest.normalize.shelf_status` reads it) and 852; 856 links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from consortium.errors import RecordError
from consortium.harvest.identifiers import normalize_isbn, normalize_issn
from consortium.harvest.normalize.assembly import MarcDialect, add_classification
from consortium.harvest.normalize.common import (
    control,
    identifiers_from,
    joined,
    require_title,
    subfield,
    subfields,
    tagged,
)
from consortium.harvest.normalize.shelf_status import KOHA_UNIMARC, koha_items
from consortium.harvest.normalize.text import clean, first_year, language_code, publisher_name, unique
from consortium.harvest.refusals import Refusal
from consortium.models import (
    Availability,
    Classification,
    ClassScheme,
    Holding,
    ResourceFormat,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from consortium.harvest.normalize.common import MarcFields
    from consortium.models import Identifier

__all__ = ["UNIMARC", "Unimarc", "normalize_unimarc", "unimarc_format"]


def unimarc_format(marc: MarcFields) -> ResourceFormat:
    leader = str(marc.leader)
    kind, level = leader[6:7], leader[7:8]
    online = any(subfield(f, "u") for f in tagged(marc, "856"))
    if kind in ("a", "b"):
        if level == "s":
            return ResourceFormat.EJOURNAL if online else ResourceFormat.JOURNAL
        if level == "i":
            return ResourceFormat.WEB if online else ResourceFormat.JOURNAL
        if tagged(marc, "328"):
            return ResourceFormat.THESIS
        if kind == "b":
            return ResourceFormat.MANUSCRIPT
        return ResourceFormat.EBOOK if online and not tagged(marc, "905", "995", "852") else ResourceFormat.BOOK
    if kind in ("c", "d"):
        return ResourceFormat.SCORE
    if kind in ("e", "f"):
        return ResourceFormat.MAP
    if kind == "g":
        return ResourceFormat.VIDEO
    if kind in ("i", "j"):
        return ResourceFormat.AUDIO
    if kind == "l":
        return _electronic(marc, level)
    return ResourceFormat.OTHER


def _coded(marc: MarcFields, tag: str) -> str:
    """The first character of a coded-data field's ``$a`` (110, 135), or ``""``."""
    return next((value[:1] for f in tagged(marc, tag) if (value := subfield(f, "a"))), "")


def _electronic(marc: MarcFields, level: str) -> ResourceFormat:
    """An electronic resource (leader/06 ``l``): a continuing one by its 110 $a/0 (``f`` a database, ``g`` an
    updating website, else a serial is an e-journal); a monograph by its 135 $a/0 (``d`` text: an e-book; ``a``
    numeric or ``e`` bibliographic data, ``j`` an online service: a database; else software)."""
    if level in ("s", "i"):
        designator = _coded(marc, "110")
        if designator == "f":
            return ResourceFormat.DATABASE
        if designator == "g":
            return ResourceFormat.WEB
        return ResourceFormat.EJOURNAL if level == "s" else ResourceFormat.DATABASE
    kind = _coded(marc, "135")
    if kind == "d":
        return ResourceFormat.EBOOK
    if kind in ("a", "e", "j"):
        return ResourceFormat.DATABASE
    return ResourceFormat.SOFTWARE


def _name(field_a: str | None, field_b: str | None) -> str | None:
    entry = clean(field_a)
    rest = clean(field_b)
    if entry and rest:
        return f"{entry}, {rest}"
    return entry


def _title(marc: MarcFields) -> tuple[str, str | None]:
    fields = tagged(marc, "200")
    if not fields:
        raise RecordError("200: the record has no title field", error_code=Refusal.NO_TITLE, field="200")
    field = fields[0]
    parts = [clean(p) for p in subfields(field, "a")[:1] + subfields(field, "hi")]
    title = require_title(". ".join(p for p in parts if p) or None, "200$a")
    return title, clean(subfield(field, "e"))


def _uniform_title(marc: MarcFields) -> str | None:
    """500 $a $h $i (not with $l, a form subheading: "Selections"), else 454 (translation of) $t, or the $a of
    the 200 it embeds (``$1 2001 $a ...``)."""
    for field in tagged(marc, "500"):
        if subfield(field, "l"):
            continue
        parts = [clean(p) for p in subfields(field, "a")[:1] + subfields(field, "hi")]
        uniform = ". ".join(p for p in parts if p)
        if uniform:
            return uniform
    for field in tagged(marc, "454"):
        linked = clean(subfield(field, "t"))
        if not linked and any(link.startswith("200") for link in subfields(field, "1")):
            linked = clean(subfield(field, "a"))
        if linked:
            return linked
    return None


def _classifications(marc: MarcFields) -> list[Classification]:
    found: list[Classification] = []

    def add(scheme: ClassScheme, code: str | None) -> None:
        add_classification(found, scheme, code)

    for field in tagged(marc, "690"):
        add(ClassScheme.CLC, subfield(field, "a"))
    for field in tagged(marc, "686"):
        if (subfield(field, "2") or "").strip().lower() in ("clc", "cl"):
            add(ClassScheme.CLC, subfield(field, "a"))
    for field in tagged(marc, "676"):
        add(ClassScheme.DDC, subfield(field, "a"))
    for field in tagged(marc, "675"):
        add(ClassScheme.UDC, subfield(field, "a"))
    for field in tagged(marc, "680"):
        add(ClassScheme.LCC, subfield(field, "a"))
    return found


def _holdings(marc: MarcFields, member: str, default_location: str | None, online: bool) -> list[Holding]:
    """Koha's 995 items (their shelf status read), else CNMARC 905 copies and 852 (a Koha record's 905 or 852
    would describe the same copies without status); then 856 links."""
    holdings: list[Holding] = koha_items(tagged(marc, "995"), member, default_location, KOHA_UNIMARC)
    if not holdings:
        for field in tagged(marc, "905"):
            class_number, book_number = clean(subfield(field, "d")), clean(subfield(field, "e"))
            call_number = f"{class_number}/{book_number}" if class_number and book_number else class_number
            location = clean(subfield(field, "c")) or default_location
            holdings.append(Holding(member=member, location=location, call_number=call_number))
        for field in tagged(marc, "852"):
            call_number = " ".join(p.strip() for p in subfields(field, "hj") if p.strip()) or None
            location = clean(subfield(field, "c")) or clean(subfield(field, "b")) or default_location
            holdings.append(Holding(member=member, location=location, call_number=call_number))
    for field in tagged(marc, "856"):
        url = subfield(field, "u")
        if url:
            holdings.append(Holding(member=member, url=url.strip(), availability=Availability.ONLINE))
    if not holdings and not online:
        holdings.append(Holding(member=member, location=default_location))
    return holdings


class Unimarc(MarcDialect):
    """UNIMARC and CNMARC bibliographic records (see the module's field use)."""

    missing_id = "001: the record has no record identifier"
    id_name = "record identifier (001)"
    edition_tag = "205"
    extent_tag = "215"
    series_fields = (("225", "a"), ("410", "t"))
    record_kinds: ClassVar[Mapping[str, str]] = {
        **dict.fromkeys("uv", "a holdings"),
        **dict.fromkeys("xy", "an authority or holdings"),
        "z": "an authority",
    }
    """UNIMARC/Authorities and UNIMARC/Holdings share x and y."""
    other_title = ("245", "marc21")

    def local_id(self, marc: MarcFields) -> str | None:
        return (control(marc, "001") or "").strip() or None

    def title(self, marc: MarcFields) -> tuple[str, str | None]:
        return _title(marc)

    def uniform_title(self, marc: MarcFields) -> str | None:
        return _uniform_title(marc)

    def publication(self, marc: MarcFields) -> tuple[str | None, str | None]:
        publication = next(iter(tagged(marc, "210", "214")), None)
        if publication is None:
            return None, None
        return publisher_name(subfield(publication, "c")), subfield(publication, "d")

    def year(self, marc: MarcFields, date_statement: str | None) -> int | None:
        general = next((subfield(f, "a") or "" for f in tagged(marc, "100")), "")
        return first_year(general[9:13] if general[9:13].isdigit() else None, date_statement)

    def language(self, marc: MarcFields) -> str | None:
        return next((language_code(subfield(f, "a")) for f in tagged(marc, "101")), None)

    def identifiers(self, marc: MarcFields) -> list[Identifier]:
        return identifiers_from(marc, [("010", "a", normalize_isbn), ("011", "a", normalize_issn)])

    def resource_format(self, marc: MarcFields) -> ResourceFormat:
        return unimarc_format(marc)

    def authors(self, marc: MarcFields) -> list[str]:
        names = tagged(marc, "700", "701", "710", "711", "702", "712")
        return unique(_name(subfield(f, "a"), subfield(f, "b")) for f in names)

    def subjects(self, marc: MarcFields) -> list[str]:
        return unique(
            joined(tagged(marc, "600", "601", "602", "604", "605", "606", "607", "608"), "axyzj")
            + [clean(a) for f in tagged(marc, "610") for a in subfields(f, "a")]
        )

    def classifications(self, marc: MarcFields) -> list[Classification]:
        return _classifications(marc)

    def holdings(self, marc: MarcFields, member: str, default_location: str | None, online: bool) -> list[Holding]:
        return _holdings(marc, member, default_location, online)


UNIMARC = Unimarc()
normalize_unimarc = UNIMARC.normalize
"""Normalize one UNIMARC or CNMARC record; ``local_id`` overrides 001."""
