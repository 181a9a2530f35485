"""``lakeside.xml``: a MARCXML collection, punctuation stripped. English books with Dewey call numbers, and
Chinese books catalogued in Chinese in MARC21 (CLC in 084, no 880 parallel fields)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree
from pymarc import Leader, XMLWriter

from .facts import entries
from .fields import book_material, cf, df, f008, leader21, record, zh_subjects
from .identifiers import isbn_as
from .marc21 import control, f040, member_style, print_books

if TYPE_CHECKING:
    from pymarc import Record

    from .facts import Facts, ZhBook
    from .marc21 import Style


@dataclass(frozen=True)
class ZhHold:
    """Lakeside's copy of a Chinese book: call number, and where its record differs from the book's facts."""

    book: str
    call: str
    clc: str = ""
    """084 $a when lakeside classes the book differently (default: the book's CLC)."""
    swaps: dict[str, str] | None = None
    """Text replacements in this member's record, e.g. a variant character in a name."""


def zh_record(z: ZhBook, h: ZhHold, local_id: str, barcode: str, style: Style) -> Record:
    """Lakeside's MARC21 record of a Chinese book: 041 for translations, 084 CLC, 245 as printed, 246 parallel."""

    def s(text: str) -> str:
        for old, new in (h.swaps or {}).items():
            text = text.replace(old, new)
        return text

    material = book_material(illustrated=z.illustrated, index=False, fiction=z.fiction)
    authors = [p for p in z.people if p[1] == "著"]
    others = [p for p in z.people if p[1] != "著"]
    edition_like = z.other.startswith(("原书", "第"))
    edition = z.edition or (z.other if edition_like else "")
    resp = s(z.resp) + (f" ; {z.resp2}" if z.resp2 else "")
    fields = [
        *control(local_id, style),
        cf("008", f008(style.entered, "s", str(z.year), "    ", "cc ", material, "chi")),
        df("020", "  ", "a", isbn_as(z.isbn, "13"), "c", z.price),
        f040(style, "chi"),
        *([df("041", "1 ", "a", "chi", "h", z.original_language)] if z.original_language else []),
        df("084", "  ", "a", h.clc or z.clc, "2", "clc"),
        df("100", "0 ", "a", s(authors[0][0]), "e", "著"),
        df("245", "10", "a", s(z.title), "n", z.part_number, "p", z.part_name, "b", "" if edition_like else z.other,
           "c", resp),
        *([df("246", "31", "a", z.parallel)] if z.parallel else []),
        *([df("250", "  ", "a", edition)] if edition else []),
        df("260", "  ", "a", z.place, "b", z.publisher, "c", str(z.year)),
        df("300", "  ", "a", z.extent, "b", "图" if z.illustrated else "", "c", f"{z.height}cm"),
        *([df("490", "0 ", "a", z.series)] if z.series else []),
        *zh_subjects("650", " 4", z.subjects, place="z", period="y"),
        *[df("700", "0 ", "a", s(name), "e", role) for name, role, _original in [*authors[1:], *others]],
        df("852", "8 ", "a", style.org, "b", "east-asian", "h", h.call, "p", barcode),
    ]  # fmt: skip
    return record(leader21("a", "m", "a"), fields)


def records(facts: Facts) -> list[Record]:
    """The records of ``lakeside.xml``: the English print books, then the Chinese books, numbered on."""
    tables, style = member_style(facts, "lakeside")
    out = print_books(facts, "lakeside", tables.get("holdings", []), style)
    for where, hold in entries(ZhHold, tables.get("chinese", []), "lakeside.toml chinese"):
        n = len(out) + 1
        out.append(zh_record(facts.zh_book(hold.book, where), hold, style.local_id(n), style.barcode(n), style))
    return out


def marcxml_bytes(records: list[Record]) -> bytes:
    """An indented MARCXML collection; each leader carries the record length and base address an ISO 2709
    export of the same record would have."""
    buffer = io.BytesIO()
    writer = XMLWriter(buffer)
    for rec in records:
        rec.leader = Leader(rec.as_marc()[:24].decode("ascii"))
        writer.write(rec)
    writer.close(close_fh=False)
    root = etree.fromstring(buffer.getvalue())
    etree.indent(root, space="  ")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8")) + b"\n"
