"""``riverside.mrc``: binary MARC21, RDA, LC call numbers. Print books, e-books, and other materials (a DVD, a
score, a map, a journal) whose fields are written out in ``facts/riverside.toml``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .facts import build, entries
from .fields import cf, df, f008, lcsh, leader21, parse_field, record
from .identifiers import checked_isbn
from .marc21 import Hold, Online, book_record, control, f040, member_style, print_books

if TYPE_CHECKING:
    from pymarc import Record

    from .facts import Conventions, Facts
    from .marc21 import Style


@dataclass(frozen=True)
class Fixed:
    """008 of another material: positions 18-34 (``material``) depend on the type of material."""

    date_type: str
    date1: str
    date2: str
    place: str
    material: str
    language: str


@dataclass(frozen=True)
class Other:
    """A record that is not a book: its fields are written out in full in the facts file."""

    what: str
    leader: str
    """Leader/06 type of record and /07 bibliographic level: 'gm' (video), 'cm' (score), 'em' (map), 'as'."""
    fixed: dict[str, str]
    fields: tuple[str, ...]
    """Data fields as displayed: ``"245 10 $a Title / $c Statement."`` (see :func:`fields.parse_field`)."""
    location: str
    call: str
    control: dict[str, str] | None = None
    """Control fields other than 001/003/005/008, e.g. ``{"007" = "vd cvaizs"}``."""
    subjects: tuple[str, ...] = ()
    note: str = ""
    """852 $z, e.g. the held range of a journal (serials carry no item barcode)."""


def other_record(other: Other, where: str, *, local_id: str, barcode: str, style: Style, conv: Conventions) -> Record:
    """A record of another material, with the member's control fields, 040 and 852."""
    fixed = build(Fixed, other.fixed, f"{where} fixed")
    date008 = f008(
        style.entered, fixed.date_type, fixed.date1, fixed.date2, fixed.place, fixed.material, fixed.language
    )
    serial = other.leader[1:] == "s"
    fields = [
        *control(local_id, style),
        *[cf(tag, data) for tag, data in (other.control or {}).items()],
        cf("008", date008),
        f040(style),
        *[parse_field(text, where) for text in other.fields],
        *[lcsh(subject, conv) for subject in other.subjects],
        df("852", style.holdings_ind1 + " ", "a", style.org, "b", other.location, "h", other.call,
           "p", "" if serial else barcode, "z", other.note),
    ]  # fmt: skip
    return record(leader21(other.leader[0], other.leader[1], "i"), fields)


def records(facts: Facts) -> list[Record]:
    """The records of ``riverside.mrc``, numbered on: print books, e-books, other materials."""
    tables, style = member_style(facts, "riverside")
    out = print_books(facts, "riverside", tables.get("holdings", []), style)
    for where, online in entries(Online, tables.get("ebooks", []), "riverside.toml ebooks"):
        book = facts.book(online.book, where)
        if online.eisbn:
            checked_isbn(online.eisbn, where)
        n = len(out) + 1
        hold, local_id = Hold(online.book, ""), style.local_id(n)
        out.append(
            book_record(book, hold, local_id=local_id, barcode="", style=style, conv=facts.conventions, online=online)
        )
    for where, other in entries(Other, tables.get("other", []), "riverside.toml other"):
        n = len(out) + 1
        local_id, barcode = style.local_id(n), style.barcode(n)
        out.append(other_record(other, where, local_id=local_id, barcode=barcode, style=style, conv=facts.conventions))
    return out
