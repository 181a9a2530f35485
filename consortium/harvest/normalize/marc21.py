"""MARC21 bibliographic records to :class:`~consortium.models.Record`.

Field use: leader/06-07, 006-008 for the format; 245 $a $n $p title, $b subtitle; 240, else 130, $a $n $p uniform
title (a translation's original title; not a field with a form subheading $k, "Selections"); 100/110/111/700/710/711
authors; 264 (second indicator 1) or 260 publisher and year, 008/07-10 year first; 008/35-37 or 041 language;
250 edition; 830 $a (the controlled form), else 440 $a (obsolete), else 490 $a series, that field's $v its
volume; 300 extent; 020 ISBN ($z, cancelled, is ignored), 022 ISSN, 035 (OCoLC), 010 LCCN, 024 (doi) DOI; 6xx
subjects; 050/090 LCC, 082 DDC, 080 UDC, 084 with $2 clc CLC; shelf holdings from Koha's 952 items, else Ex
Libris' AVA, else 852 (876 $j the status of its items, 866 $a $z what a serial's or a set's copy holds), and 856
links ($3 what they reach; not one to a table of contents, a blurb or a cover); a copy's shelf status as
:mod:`~consortium.harvest.normalize.shelf_status` reads it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from consortium.errors import RecordError
from consortium.harvest.identifiers import (
    normalize_doi,
    normalize_isbn,
    normalize_issn,
    normalize_lccn,
    normalize_oclc,
)
from consortium.harvest.normalize.assembly import MarcDialect, add_classification
from consortium.harvest.normalize.common import (
    control,
    identifiers_from,
    joined,
    subfield,
    subfields,
    tagged,
)
from consortium.harvest.normalize.enumeration import PAIRS, enumeration_statement
from consortium.harvest.normalize.shelf_status import KOHA_MARC21, ava_holdings, item_statuses, koha_items, linked
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
    from collections.abc import Mapping, Sequence

    from consortium.harvest.normalize.common import MarcFieldLike, MarcFields
    from consortium.models import Identifier

__all__ = ["MARC21", "Marc21", "marc21_format", "marc21_local_id", "normalize_marc21"]

_ELECTRONIC_FORMS = {"o", "q", "s"}
# An LC class number begins with its one to three letter class (never I, O, W, X or Y first) and a number; other
# values of 050/090 are shelf or accession numbers ("MLCS 96/3906", "Microfiche 90/61328", "(Alma)99...").
_LCC = re.compile(r"^[A-HJ-NP-VZ][A-Z]{0,2} ?\d")
_DDC = re.compile(r"^\d{3}(?:\.\d+)?")
# The parts of a subject heading before its subdivisions ($v $x $y $z): a name with its numeration, titles and
# dates, subordinate units, a uniform title and its parts; not relator terms ($e, $4) or control subfields.
_HEADING = "abcdfgklmnopqrst"
_SUBDIVISIONS = "vxyz"
# 856 $3 of a link to a description, not to the resource: LC's ("Table of contents only", "Publisher description",
# "Contributor biographical information", "Sample text") and the German National Library's ("Inhaltsverzeichnis",
# "Inhaltstext", "Klappentext"), and a cover.
_DESCRIPTION = re.compile(
    r"(?:table of contents|contents|publisher description|contributor biographical information|sample text"
    r"|inhaltsverzeichnis|inhaltstext|klappentext|(?:view )?cover(?: art| image)?|table des mati[eè]res)\b",
    re.IGNORECASE,
)


def marc21_local_id(marc: MarcFields) -> str | None:
    """The member's id of the record: 001, else the first 035 $a."""
    value = control(marc, "001")
    if value and value.strip():
        return value.strip()
    for field in tagged(marc, "035"):
        system_number = subfield(field, "a")
        if system_number and system_number.strip():
            return system_number.strip()
    return None


_RECORD_TYPES = frozenset("acdefgijkmoprt")
"""MARC 21's bibliographic types of record (leader/06)."""
_MATERIAL_TYPES = {"t": "a", "h": "a", "c": "a", "v": "g", "m": "g", "g": "g", "s": "j", "a": "e", "d": "e"}
"""007/00, the category of material (text, microform, electronic resource, videorecording, motion picture,
projected graphic, sound recording, map, globe), as the type of record it describes: an electronic resource as
language material, which 007 ``c`` then makes an e-book or an e-journal."""


def _is_link_to_it(field: MarcFieldLike) -> bool:
    """Whether an 856 links to the resource itself (second indicator 0, 1 or blank, with a URL), not to a
    description of it: its ``$3`` (materials specified) naming a table of contents, a blurb, a sample or a cover
    (:data:`_DESCRIPTION`), as LC's and the German National Library's links to them say, is not a copy."""
    if field.indicator2 not in ("0", "1", " ") or not subfield(field, "u"):
        return False
    materials = subfield(field, "3")
    return materials is None or _DESCRIPTION.match(materials.strip()) is None


def marc21_format(marc: MarcFields) -> ResourceFormat:
    leader = str(marc.leader)
    kind, level = leader[6:7], leader[7:8]
    f008 = control(marc, "008") or ""
    f007 = control(marc, "007") or ""
    if kind not in _RECORD_TYPES:  # not a MARC 21 type of record (BiblioMondo's "h"): the material 007 names
        kind = _MATERIAL_TYPES.get(f007[:1], kind)
    online = f007[:1] == "c" or any(_is_link_to_it(f) and f.indicator2 in "01" for f in tagged(marc, "856"))
    if kind in ("a", "t"):
        if level in ("s", "i", "b"):
            nature = f008[21:22]
            if nature == "d":
                return ResourceFormat.DATABASE
            if nature == "w":
                return ResourceFormat.WEB
            electronic = f008[23:24] in _ELECTRONIC_FORMS or online
            return ResourceFormat.EJOURNAL if electronic else ResourceFormat.JOURNAL
        if tagged(marc, "502"):
            return ResourceFormat.THESIS
        if kind == "t":
            return ResourceFormat.MANUSCRIPT
        return ResourceFormat.EBOOK if f008[23:24] in _ELECTRONIC_FORMS or f007[:1] == "c" else ResourceFormat.BOOK
    if kind in ("c", "d"):
        return ResourceFormat.SCORE
    if kind in ("e", "f"):
        return ResourceFormat.MAP
    if kind == "g":
        return ResourceFormat.VIDEO
    if kind in ("i", "j"):
        return ResourceFormat.AUDIO
    if kind == "m":  # a computer file by its 008/26 type: numeric or bibliographic data, an online service, a text
        file_type = f008[26:27]
        if file_type in ("a", "e", "j"):
            return ResourceFormat.DATABASE
        if level == "i":
            return ResourceFormat.WEB
        return ResourceFormat.EBOOK if file_type == "d" else ResourceFormat.SOFTWARE
    return ResourceFormat.OTHER


def _title(marc: MarcFields) -> tuple[str, str | None]:
    """245 $a $n $p and $b; a 245 with only a form ($k, as archives write) or no 245 at all falls back to
    the uniform title (240, 130) or a varying title (246)."""
    for field in tagged(marc, "245"):
        parts = [clean(p) for p in subfields(field, "anp")]
        title = ". ".join(p for p in parts if p)
        if title:
            return title, clean(subfield(field, "b"))
        form = clean(subfield(field, "k"))
        if form:
            return form, None
    for field in tagged(marc, "240", "130", "246"):
        parts = [clean(p) for p in subfields(field, "anp")]
        title = ". ".join(p for p in parts if p)
        if title:
            return title, None
    if tagged(marc, "245"):
        raise RecordError("245$a: the record has no title", error_code=Refusal.NO_TITLE, field="245$a")
    raise RecordError(
        "245: the record has no title field (nor 240, 130 or 246)", error_code=Refusal.NO_TITLE, field="245"
    )


def _uniform_title(marc: MarcFields) -> str | None:
    """240 (uniform title), else 130 (main entry uniform title): $a $n $p; a field with $k (a form subheading:
    "Works. Selections") names a compilation, not the work, and is passed over."""
    for field in tagged(marc, "240", "130"):
        if subfield(field, "k"):
            continue
        parts = [clean(p) for p in subfields(field, "anp")]
        title = ". ".join(p for p in parts if p)
        if title:
            return title
    return None


def _publication(marc: MarcFields) -> tuple[str | None, str | None]:
    """Publisher name and date statement: 264 with second indicator 1 first, then 260."""
    for field in tagged(marc, "264"):
        if field.indicator2 == "1":
            return publisher_name(subfield(field, "b")), subfield(field, "c")
    for field in tagged(marc, "260"):
        return publisher_name(subfield(field, "b")), subfield(field, "c")
    return None, None


def _year(f008: str, date_statement: str | None) -> int | None:
    """008/07-10, else the date statement; for a reprint (008/06 ``r``) dated in the wrong order, 008/11-14."""
    date1, date2 = f008[7:11], f008[11:15]
    if f008[6:7] == "r" and date1.isdigit() and date2.isdigit() and date2 > date1:
        date1 = date2
    return first_year(date1 if date1.isdigit() else None, date_statement)


def _classifications(marc: MarcFields) -> list[Classification]:
    found: list[Classification] = []

    def add(scheme: ClassScheme, code: str | None) -> None:
        add_classification(found, scheme, code)

    for field in tagged(marc, "050", "090"):
        code = clean(subfield(field, "a"))
        if code and _LCC.match(code):
            add(ClassScheme.LCC, code)
    for field in tagged(marc, "082"):
        # Segmentation marks (/ and ') go; so does what follows the number ("938.5 s": a number for a series).
        code = (subfield(field, "a") or "").replace("/", "").replace("'", "").strip()
        number = _DDC.match(code)
        add(ClassScheme.DDC, number.group(0) if number else code)
    for field in tagged(marc, "080"):
        add(ClassScheme.UDC, subfield(field, "a"))
    for field in tagged(marc, "084"):
        scheme = (subfield(field, "2") or "").strip().lower()
        if scheme in ("clc", "cl", "zhongguo tu shu guan fen lei fa"):
            for code in subfields(field, "a"):
                add(ClassScheme.CLC, code)
    return found


def _holdings(marc: MarcFields, member: str, default_location: str | None, online: bool) -> list[Holding]:
    """The shelf copies from Koha's items (952), else Ex Libris' availability (AVA), else 852 (its status from
    the 876 items linked to it): each of the first two describes the copies an 852 beside it does, with their
    status; then 856 links."""
    holdings: list[Holding] = koha_items(tagged(marc, "952"), member, default_location, KOHA_MARC21)
    if not holdings:
        holdings = ava_holdings(tagged(marc, "AVA"), member, default_location)
        if len(holdings) == 1:  # Alma publishes the summary holdings beside the one location's availability
            coverage = _holdings_statement(tagged(marc, *_STATEMENT_TAGS))
            holdings[0] = holdings[0].model_copy(update={"coverage": coverage})
    if not holdings:
        shelves = tagged(marc, "852")
        links = [subfield(f, "8") for f in shelves]
        statuses = item_statuses(tagged(marc, "876"), links)
        summaries = linked(tagged(marc, *_STATEMENT_TAGS), links)
        for field, status, summary in zip(shelves, statuses, summaries, strict=True):
            call_number = " ".join(p.strip() for p in subfields(field, "hi") if p.strip()) or None
            location = " ".join(p.strip() for p in subfields(field, "bc") if p.strip()) or default_location
            holdings.append(
                Holding(
                    member=member,
                    location=location,
                    call_number=call_number,
                    availability=status,
                    coverage=_holdings_statement(summary),
                )
            )
    for field in tagged(marc, "856"):
        url = subfield(field, "u")
        if url and _is_link_to_it(field):
            coverage = clean(subfield(field, "3"))  # materials specified: the volumes or years the link reaches
            holdings.append(
                Holding(member=member, url=url.strip(), availability=Availability.ONLINE, coverage=coverage)
            )
    if not holdings and not online:
        call = next((" ".join(subfields(f, "ab")) for f in tagged(marc, "090", "050")), None)
        coverage = _holdings_statement(tagged(marc, *_STATEMENT_TAGS))  # no 852 to link to: its one shelf holding
        holdings.append(Holding(member=member, location=default_location, call_number=clean(call), coverage=coverage))
    return holdings


_TEXTUAL = (("866", None), ("867", "supplements"), ("868", "indexes"))
"""The textual holdings statements, and what their unit is called when it is not the basic one (as :data:`PAIRS`)."""
_STATEMENT_TAGS = (*(tag for tag, _ in _TEXTUAL), *(tag for captions, values, _ in PAIRS for tag in (captions, values)))
"""The fields that say what a holding holds: textual statements, and captions with enumeration and chronology."""


def _holdings_statement(fields: Sequence[MarcFieldLike]) -> str | None:
    """What a serial's or a set's shelf holding holds, from its textual holdings: each 866's ``$a`` (the volumes
    and years, ``v.1 (1990)-v.20 (2009)``) and its ``$z`` public note in brackets after it, the fields joined by
    ``; ``, then 867's and 868's named as supplements and indexes; a holding without any is read from its captions
    and enumeration (853-855 with 863-865: :mod:`consortium.harvest.normalize.enumeration`)."""
    found = []
    for tag, unit in _TEXTUAL:
        parts = []
        for field in (f for f in fields if f.tag == tag):
            held = clean(" ".join(subfields(field, "a")))
            note = clean(" ".join(subfields(field, "z")))
            parts.append(f"{held} ({note})" if held and note else held or note)
        said = "; ".join(p for p in parts if p)
        if said:
            found.append(f"{unit}: {said}" if unit else said)
    return "; ".join(found) or enumeration_statement(fields)


class Marc21(MarcDialect):
    """MARC21 bibliographic records (see the module's field use)."""

    missing_id = "001: the record has no control number (and no 035 $a)"
    id_name = "control number (001)"
    edition_tag = "250"
    extent_tag = "300"
    series_fields = (("830", "a"), ("440", "a"), ("490", "a"))
    record_kinds: ClassVar[Mapping[str, str]] = {
        **dict.fromkeys("uvxy", "a holdings"),
        "z": "an authority",
        "w": "a classification",
        "q": "a community information",
    }
    other_title = ("200", "unimarc")

    def local_id(self, marc: MarcFields) -> str | None:
        return marc21_local_id(marc)

    def title(self, marc: MarcFields) -> tuple[str, str | None]:
        return _title(marc)

    def uniform_title(self, marc: MarcFields) -> str | None:
        return _uniform_title(marc)

    def publication(self, marc: MarcFields) -> tuple[str | None, str | None]:
        return _publication(marc)

    def year(self, marc: MarcFields, date_statement: str | None) -> int | None:
        return _year(control(marc, "008") or "", date_statement)

    def language(self, marc: MarcFields) -> str | None:
        f008 = control(marc, "008") or ""
        language = language_code(f008[35:38] if len(f008) >= 38 else None)
        if language is None:
            language = next((language_code(subfield(f, "a")) for f in tagged(marc, "041")), None)
        return language

    def identifiers(self, marc: MarcFields) -> list[Identifier]:
        identifiers = identifiers_from(
            marc,
            [
                ("020", "a", normalize_isbn),
                ("022", "a", normalize_issn),
                ("035", "a", normalize_oclc),
                ("010", "a", normalize_lccn),
            ],
        )
        for field in tagged(marc, "024"):
            if (subfield(field, "2") or "").lower() == "doi":
                doi = normalize_doi(subfield(field, "a") or "")
                if doi and doi not in identifiers:
                    identifiers.append(doi)
        return identifiers

    def resource_format(self, marc: MarcFields) -> ResourceFormat:
        return marc21_format(marc)

    def authors(self, marc: MarcFields) -> list[str]:
        return unique(
            # A corporate name is its entry element with its subordinate units ("United States. Congress. House").
            clean(" ".join(subfields(f, "ab") if f.tag in ("110", "710") else subfields(f, "a")))
            for f in tagged(marc, "100", "110", "111", "700", "710", "711")
        )

    def subjects(self, marc: MarcFields) -> list[str]:
        headings = tagged(marc, "600", "610", "611", "630", "650", "651", "655")
        return unique(joined(headings, _SUBDIVISIONS, heading=_HEADING))

    def classifications(self, marc: MarcFields) -> list[Classification]:
        return _classifications(marc)

    def holdings(self, marc: MarcFields, member: str, default_location: str | None, online: bool) -> list[Holding]:
        return _holdings(marc, member, default_location, online)


MARC21 = Marc21()
normalize_marc21 = MARC21.normalize
"""Normalize one MARC21 record; ``local_id`` overrides 001 (an OAI-PMH identifier, say)."""
