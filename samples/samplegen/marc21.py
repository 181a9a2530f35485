"""MARC21 bibliographic records of English books in a member's style: RDA with full ISBD punctuation
(riverside), AACR2 (westfield), or AACR2 content with the punctuation stripped by the export (lakeside); print
books with their holdings, or e-books with a link to the print version."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .facts import Numbering, build, entries, numbering
from .fields import book_material, cf, df, end, f008, lcsh, leader21, nonfiling, normalize, record, short_resp
from .identifiers import SampleError, isbn_as

if TYPE_CHECKING:
    from pymarc import Field, Record

    from .facts import Book, Conventions, Facts

DESCRIPTIVE_FORM = {"rda": "i", "aacr2": "a", "bare": "a"}
"""Leader/18 by cataloguing rules."""
TEXT = ("text", "txt")
UNMEDIATED_VOLUME = (("unmediated", "n"), ("volume", "nc"))
ONLINE_RESOURCE = (("computer", "c"), ("online resource", "cr"))


@dataclass(frozen=True)
class Style:
    """How a MARC21 member catalogues: its codes, its rules, its habits (the ``[style]`` of its facts file)."""

    org: str
    rules: str
    """'rda' (full ISBD punctuation, 264, 336-338), 'aacr2' (full ISBD, 260, abbreviations) or 'bare'
    (AACR2 content with the ISBD punctuation stripped by the member's export)."""
    entered: str
    """008/00-05 of every record."""
    stamp: str
    """The fixed 005 of every record."""
    isbn_form: str
    """'13' or '10' (with the qualifier), as the member usually records it."""
    holdings_ind1: str
    local_id: Numbering
    barcode: Numbering
    shelving: str = "lcc"
    """Call numbers in 852 $h: 'lcc' (the book's LC call number) or 'dewey' (a public-library Dewey number)."""
    normalize: str = "NFC"


def style_from(table: dict[str, Any], where: str) -> Style:
    """The ``[style]`` table of a member's facts file."""
    ids = {name: numbering(table.get(name, ""), f"{where} {name}") for name in ("local_id", "barcode")}
    return build(Style, {**table, **ids}, where)


@dataclass(frozen=True)
class Hold:
    """One member's copy of a manifestation: location and record-level quirks."""

    book: str
    location: str
    drop_subtitle: bool = False
    isbn_form: str = ""
    oclc: str = ""
    lccn: str = ""


@dataclass(frozen=True)
class Online:
    """The online version of a printed book: the record gets 006/007, 008/23 'o', 776 to the print and 856."""

    book: str
    url: str
    eisbn: str = ""


def control(local_id: str, style: Style) -> list[Field]:
    """001 local id, 003 organization, 005 the member's fixed timestamp."""
    return [cf("001", local_id), cf("003", style.org), cf("005", style.stamp)]


def f040(style: Style, language: str = "eng") -> Field:
    """040 cataloguing source (with $e rda under RDA)."""
    rda = "rda" if style.rules == "rda" else ""
    return df("040", "  ", "a", style.org, "b", language, "e", rda, "c", style.org)


def rda_types(content: tuple[str, str], media: tuple[str, str], carrier: tuple[str, str]) -> list[Field]:
    """336/337/338 content, media and carrier types: (term, code) each."""
    return [
        df(tag, "  ", "a", term, "b", code, "2", source)
        for tag, (term, code), source in zip(
            ("336", "337", "338"), (content, media, carrier), ("rdacontent", "rdamedia", "rdacarrier"), strict=True
        )
    ]


def name_field(tag: str, heading: str, relator: str, style: Style, conv: Conventions) -> Field:
    """100/700 personal name: RDA adds dates and relator terms; AACR2 only relators of non-authors."""
    if style.rules == "bare":
        return df(tag, "1 ", "a", heading)
    if style.rules == "rda":
        dates = conv.dates.get(heading, "")
        return df(tag, "1 ", "a", heading + ",", "d", (dates + ",") if dates else "", "e", end(relator))
    if relator in ("author", ""):
        return df(tag, "1 ", "a", end(heading))
    return df(tag, "1 ", "a", heading + ",", "e", end(relator))


def f245(b: Book, subtitle: str, resp: str, ind1: str, rules: str) -> Field:
    """245 title statement, with ISBD punctuation unless ``rules`` is 'bare'."""
    ind = ind1 + nonfiling(b.title)
    if rules == "bare":
        return df("245", ind, "a", b.title, "n", b.part_number, "p", b.part_name, "b", subtitle, "c", resp)
    pairs: list[str] = []
    tail = [("p", b.part_name)] if b.part_name else []
    if b.part_number:
        pairs += ["a", b.title + "."]
        pieces = [("n", b.part_number), *tail]
    else:
        pieces = [("a", b.title)]
    if subtitle:
        pieces.append(("b", subtitle))
    for i, (code, text) in enumerate(pieces):
        last = i == len(pieces) - 1
        if code == "n" and not last:
            mark = ","
        elif last:
            mark = " /" if resp else "."
        elif pieces[i + 1][0] == "b":
            mark = " :"
        else:
            mark = ""
        pairs += [code, text + mark]
    if resp:
        pairs += ["c", resp if resp.endswith(".") else resp + "."]
    return df("245", ind, *pairs)


def title_main_entry(b: Book, rules: str) -> bool:
    """RDA takes the first author whatever their number; AACR2 enters works of four or more under title."""
    return rules != "rda" and len(b.authors) > 3


def call_number(b: Book, style: Style) -> str:
    """852 $h: the LC call number, or a public-library Dewey number ('005.1 COR', 'FIC HOS', '005.1 INT')."""
    if style.shelving == "lcc":
        return b.lcc
    if title_main_entry(b, style.rules):
        name = b.title[int(nonfiling(b.title)) :]
    else:
        name = unicodedata.normalize("NFD", b.authors[0].split(",")[0]).encode("ascii", "ignore").decode()
    return f"FIC {name[:3].upper()}" if b.fiction else f"{b.ddc.replace('/', '')} {name[:3].upper()}"


def _numbers(b: Book, h: Hold, style: Style, online: Online | None) -> list[Field]:
    """010 LCCN, 020 ISBN (the e-ISBN of an e-book, if any), 035 OCLC number, 050 and 082 classification."""
    fields = [df("010", "  ", "a", f"  {h.lccn}")] if h.lccn else []
    if online:
        fields += [df("020", "  ", "a", f"{online.eisbn} (electronic bk.)")] if online.eisbn else []
    else:
        qualifier = f" ({b.qualifier})" if b.qualifier and style.rules != "bare" else ""
        fields.append(df("020", "  ", "a", isbn_as(b.isbn, h.isbn_form or style.isbn_form) + qualifier))
    fields += [df("035", "  ", "a", f"(OCoLC){h.oclc}")] if h.oclc else []
    if style.rules == "rda":
        cls, _, item = b.lcc.partition(" ")
        fields.append(df("050", " 4", "a", cls, "b", item))
    return [*fields, df("082", "04", "a", b.ddc, "2", "23")]


def _titles(b: Book, h: Hold, style: Style, conv: Conventions) -> list[Field]:
    """100 main entry, 240 uniform title, 245, 250 edition."""
    rules = style.rules
    title_main = title_main_entry(b, rules)
    fields = [] if title_main else [name_field("100", b.authors[0], "author", style, conv)]
    if b.uniform and not title_main:
        original, language = b.uniform
        fields.append(df("240", "10", "a", original if rules == "bare" else original + ".", "l", language))
    resp = b.resp if rules == "rda" else short_resp(b.resp, b.authors)
    fields.append(f245(b, "" if h.drop_subtitle else b.subtitle, resp, "0" if title_main else "1", rules))
    if b.edition:
        edition = b.edition if rules == "rda" else conv.edition(b.edition)
        fields.append(df("250", "  ", "a", edition if rules == "bare" else end(edition)))
    return fields


def _publication(b: Book, style: Style, conv: Conventions, online: Online | None) -> list[Field]:
    """264 (RDA, with 264 _4 for a copyright date of a print book) or 260."""
    if style.rules == "rda":
        date = f"[{b.year}]" if b.copyright else f"{b.year}."
        copyright_date = [df("264", " 4", "c", f"©{b.year}")] if b.copyright and not online else []
        return [df("264", " 1", "a", b.place + " :", "b", b.publisher + ",", "c", date), *copyright_date]
    place, publisher = conv.place(b.place), b.publisher.removeprefix("The ")
    if style.rules == "aacr2":
        date = f"c{b.year}." if b.copyright else f"{b.year}."
        return [df("260", "  ", "a", place + " :", "b", publisher + ",", "c", date)]
    return [df("260", "  ", "a", place, "b", publisher, "c", str(b.year))]


def _physical(b: Book, rules: str, online: Online | None) -> list[Field]:
    """300 physical description, and 336-338 under RDA."""
    ill = b.illustrated
    if rules == "aacr2":
        pages = f"{b.pages} p." + (" :" if ill else " ;")
        return [df("300", "  ", "a", pages, "b", "ill. ;" if ill else "", "c", f"{b.height} cm.")]
    if rules == "bare":
        return [df("300", "  ", "a", f"{b.pages} p.", "b", "ill." if ill else "", "c", f"{b.height} cm")]
    if online:
        extent = f"1 online resource ({b.pages} pages)" + (" :" if ill else "")
        return [df("300", "  ", "a", extent, "b", "illustrations" if ill else ""), *rda_types(TEXT, *ONLINE_RESOURCE)]
    pages = f"{b.pages} pages" + (" :" if ill else " ;")
    physical = df("300", "  ", "a", pages, "b", "illustrations ;" if ill else "", "c", f"{b.height} cm")
    return [physical, *rda_types(TEXT, *UNMEDIATED_VOLUME)]


def _access(b: Book, style: Style, conv: Conventions, online: Online | None) -> list[Field]:
    """490 series, 650/651 subjects (655 for e-books), 700 added entries."""
    fields = [df("490", "0 ", "a", b.series)] if b.series else []
    fields += [lcsh(subject, conv, bare=style.rules == "bare") for subject in b.subjects]
    fields += [lcsh("Electronic books", conv, tag="655", ind=" 4")] if online else []
    others = b.authors if title_main_entry(b, style.rules) else b.authors[1:]
    fields += [name_field("700", heading, "author", style, conv) for heading in others]
    return fields + [name_field("700", heading, relator, style, conv) for heading, relator in b.added]


def _links(b: Book, h: Hold, barcode: str, style: Style, online: Online | None) -> list[Field]:
    """852 holdings of a print copy; 776 to the print version and 856 for an e-book."""
    if not online:
        ind = style.holdings_ind1 + " "
        return [df("852", ind, "a", style.org, "b", h.location, "h", call_number(b, style), "p", barcode)]
    print_title = f"{b.title} : {b.subtitle}." if b.subtitle else f"{b.title}."
    published = f"{b.place} : {b.publisher}, {b.year}"
    return [
        df("776", "08", "i", "Print version:", "a", b.authors[0], "t", print_title, "d", published, "z", b.isbn),
        df("856", "40", "u", online.url, "z", "Online access"),
    ]


def book_record(
    b: Book, h: Hold, *, local_id: str, barcode: str, style: Style, conv: Conventions, online: Online | None = None
) -> Record:
    """One member's record of an English book (a print copy with 852, or the e-book ``online``)."""
    rules = style.rules
    electronic = [cf("006", "m     o  d        "), cf("007", "cr |n|||||||||")] if online else []
    material = book_material(
        illustrated=b.illustrated,
        form="o" if online else " ",
        index=not b.fiction,
        fiction=b.fiction,
        juvenile=b.juvenile,
    )
    dtype, date2 = ("t", f"{b.year}") if (b.copyright and rules == "rda") else ("s", "    ")
    fields = [
        *control(local_id, style),
        *electronic,
        cf("008", f008(style.entered, dtype, str(b.year), date2, b.country, material, b.language)),
        *_numbers(b, h, style, online),
        f040(style),
        *_titles(b, h, style, conv),
        *_publication(b, style, conv, online),
        *_physical(b, rules, online),
        *_access(b, style, conv, online),
        *_links(b, h, barcode, style, online),
    ]
    return normalize(record(leader21("a", "m", DESCRIPTIVE_FORM[rules]), fields), style.normalize)


def member_style(facts: Facts, member: str) -> tuple[dict[str, Any], Style]:
    """The tables of ``<member>.toml`` and the member's cataloguing style."""
    tables = facts.member(member)
    if "style" not in tables:
        raise SampleError(f"{member}.toml: no [style] table")
    return tables, style_from(tables["style"], f"{member}.toml [style]")


def print_books(facts: Facts, member: str, rows: list[dict[str, Any]], style: Style) -> list[Record]:
    """One record per print copy of the ``holdings`` rows, numbered from 1."""
    out: list[Record] = []
    for n, (where, hold) in enumerate(entries(Hold, rows, f"{member}.toml holdings"), start=1):
        book = facts.book(hold.book, where)
        barcode = style.barcode(n)
        out.append(
            book_record(book, hold, local_id=style.local_id(n), barcode=barcode, style=style, conv=facts.conventions)
        )
    return out
