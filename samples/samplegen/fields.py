"""Field helpers shared by the builders: control and data fields, MARC21 leader and 008, headings, names."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Literal

from pymarc import Field, Indicators, Leader, Record, Subfield

from .identifiers import SampleError

if TYPE_CHECKING:
    from .facts import Conventions, Subject

NORMAL_FORMS: dict[str, Literal["NFC", "NFD"]] = {"NFC": "NFC", "NFD": "NFD"}


def cf(tag: str, data: str) -> Field:
    """A control field."""
    return Field(tag=tag, data=data)


def df(tag: str, ind: str, *pairs: str) -> Field:
    """A data field; ``ind`` is the two indicators ('10', ' 4'); empty subfield values are dropped."""
    if len(ind) != 2 or len(pairs) % 2:
        raise SampleError(f"bad field spec {tag} {ind!r} {pairs!r}")
    subs = [Subfield(code=pairs[i], value=pairs[i + 1]) for i in range(0, len(pairs), 2) if pairs[i + 1]]
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subs)


def record(leader: str, fields: list[Field], *, unimarc: bool = False) -> Record:
    """A record with ``leader`` and ``fields`` in tag order (fields of one tag keep the order given).

    A UNIMARC record keeps leader/09 blank (undefined there: 100 $a/26-29 says UTF-8) and is written in UTF-8.
    """
    if len(leader) != 24:
        raise SampleError(f"bad leader {leader!r}")
    rec = Record(force_utf8=True) if unimarc else Record()
    rec.leader = Leader(leader)
    if unimarc:
        rec.to_unicode = False
    for field in fields:
        rec.add_ordered_field(field)
    return rec


def normalize(rec: Record, form: str) -> Record:
    """Put every text value of the record in Unicode normalization ``form`` (NFC or NFD)."""
    if form not in NORMAL_FORMS:
        raise SampleError(f"unknown Unicode normalization form {form!r} (NFC or NFD)")
    for field in rec.fields:
        if field.control_field:
            continue
        field.subfields = [
            Subfield(s.code, unicodedata.normalize(NORMAL_FORMS[form], s.value)) for s in field.subfields
        ]
    return rec


def nonfiling(title: str) -> str:
    """The number of non-filing characters of a title (245 second indicator)."""
    for article in ("The ", "An ", "A "):
        if title.startswith(article):
            return str(len(article))
    return "0"


def end(text: str, mark: str = ".") -> str:
    """Add closing punctuation unless the text already ends in some."""
    return text if text[-1:] in ".?!-])" else text + mark


def leader21(rtype: str, level: str, desc: str) -> str:
    """A MARC21 leader: UTF-8 (09 ``a``), descriptive cataloguing form ``desc`` in 18."""
    return f"00000n{rtype}{level} a2200000 {desc} 4500"


def f008(entered: str, dtype: str, date1: str, date2: str, country: str, material: str, lang: str) -> str:  # noqa: PLR0917
    """MARC21 008: ``material`` is positions 18-34, which depend on the type of material."""
    value = f"{entered}{dtype}{date1}{date2}{country:<3}{material}{lang} d"
    if len(value) != 40 or len(material) != 17:
        raise SampleError(f"bad 008 {value!r} ({len(value)} chars)")
    return value


def book_material(
    *, illustrated: bool, form: str = " ", index: bool = True, fiction: bool = False, juvenile: bool = False
) -> str:
    """008/18-34 for books."""
    ill = "a   " if illustrated else "    "
    audience = "j" if juvenile else " "
    return f"{ill}{audience}{form}    {' '}00{'1' if index else '0'} {'1' if fiction else '0'} "


def lcsh(heading: str, conv: Conventions, *, tag: str = "650", bare: bool = False, ind: str = " 0") -> Field:
    """'A -- B -- Fiction' to 650 _0 $a A $x B $v Fiction (with final period unless ``bare``); a heading that
    starts with a place goes in 651."""
    parts = heading.split(" -- ")
    if tag == "650" and parts[0] in conv.geographic:
        tag = "651"
    pairs = ["a", parts[0]]
    for p in parts[1:]:
        if p in conv.geographic:
            code = "z"
        elif p[:1].isdigit() or p.startswith(conv.chronological):
            code = "y"
        elif p in conv.form_subdivisions and p == parts[-1]:
            code = "v"
        else:
            code = "x"
        pairs += [code, p]
    if not bare:
        pairs[-1] = end(pairs[-1])
    return df(tag, ind, *pairs)


def zh_subjects(tag: str, ind: str, subjects: tuple[Subject, ...], *, place: str, period: str) -> list[Field]:
    """Chinese topical headings: (topic, place, period) in $a and the subfields ``place`` and ``period``."""
    return [df(tag, ind, "a", topic, place, geo, period, when) for topic, geo, when in subjects]


def display_name(heading: str) -> str:
    """'Cormen, Thomas H.' to 'Thomas H. Cormen'."""
    if heading.endswith(", Jr."):
        surname, forenames = heading[:-5].split(", ", 1)
        return f"{forenames} {surname}, Jr."
    if ", " not in heading:
        return heading
    surname, forenames = heading.split(", ", 1)
    return f"{forenames} {surname}"


def short_resp(resp: str, authors: tuple[str, ...]) -> str:
    """AACR2's rule of three: with four or more authors, only the first, then '... [et al.]'."""
    if len(authors) > 3:
        return f"{display_name(authors[0])} ... [et al.]"
    return resp


def parse_field(text: str, where: str) -> Field:
    """A data field written as in a cataloguer's display: ``"264 _1 $a Burbank, CA : $b Warner Home Video,"``
    (tag, two indicators with ``_`` for blank, then `` $code value`` for each subfield)."""
    tag, ind, rest = text[:3], text[4:6].replace("_", " "), text[7:]
    parts = rest[1:].split(" $") if rest.startswith("$") else []
    if not tag.isdigit() or text[3:4] != " " or text[6:7] != " " or not parts:
        raise SampleError(f"{where}: cannot read field {text!r}")
    pairs: list[str] = []
    for part in parts:
        if len(part) < 3 or part[1] != " ":
            raise SampleError(f"{where}: cannot read subfield {part!r} of {text!r}")
        pairs += [part[0], part[2:]]
    return df(tag, ind, *pairs)
