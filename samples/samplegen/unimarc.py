"""``eastlake.iso``: binary UNIMARC in the CNMARC style, UTF-8. Chinese books in the Chinese stacks, English
originals in the foreign-language stacks; one local 905 per copy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .facts import Numbering, build, entries, numbering, padded
from .fields import cf, df, record, short_resp, zh_subjects
from .identifiers import SampleError, isbn_as

if TYPE_CHECKING:
    from pymarc import Field, Record

    from .facts import Book, Conventions, Facts, Subject, ZhBook

UNIMARC_LEADER = "00000nam0 2200000   450 "


@dataclass(frozen=True)
class Shelf:
    """One of eastlake's stacks: 905 $c location, and how its barcodes are numbered."""

    location: str
    barcode: Numbering


@dataclass(frozen=True)
class Eastlake:
    """Eastlake's codes and constants (the ``[style]`` of ``facts/eastlake.toml``)."""

    org: str
    entered: str
    """Date entered on file (100 $a/0-7) and 801 $c."""
    stamp: str
    local_id: Numbering
    chinese: Shelf
    english: Shelf


@dataclass(frozen=True)
class Copy:
    """A copy on eastlake's shelves: 905 $e book number (种次号, or an author mark for an English original); an
    English original also gives its CLC class and Chinese subject headings (a Chinese book has them already)."""

    book: str
    book_number: str
    clc: str = ""
    subjects: tuple[Subject, ...] = ()


def style_from(table: dict[str, Any]) -> Eastlake:
    """The ``[style]`` table of ``eastlake.toml``."""
    shelves = {
        name: build(Shelf, {**shelf, "barcode": numbering(shelf.get("barcode", ""), f"[style.{name}] barcode")},
                    f"eastlake.toml [style.{name}]")
        for name, shelf in ((name, table.get(name, {})) for name in ("chinese", "english"))
    }  # fmt: skip
    local_id = numbering(table.get("local_id", ""), "eastlake.toml [style] local_id")
    return build(Eastlake, {**table, **shelves, "local_id": local_id}, "eastlake.toml [style]")


def f100(style: Eastlake, year: int, script: str, audience: str = "km ") -> str:
    """CNMARC 100 $a: 0-7 date entered, 8 'd', 9-12 date 1, 13-16 date 2, 17-19 audience, 20 government
    publication (y none), 21 modified record (0), 22-24 cataloguing language, 25 transliteration (y none),
    26-29 character sets ('50' = ISO 10646), 30-33 additional sets, 34-35 script of title."""
    value = f"{style.entered}d{year}    {audience}y0chiy50      {script}"
    if len(value) != 36:
        raise SampleError(f"bad CNMARC 100 {value!r} ({len(value)} chars)")
    return value


def f105(illustrated: bool, fiction: bool, index: bool = False) -> str:
    """CNMARC 105 $a, textual material coded data (13 characters)."""
    value = f"{'a' if illustrated else 'y'}   z   00{'1' if index else '0'}{'a' if fiction else 'y'}y"
    if len(value) != 13:
        raise SampleError(f"bad 105 {value!r}")
    return value


def unimarc(style: Eastlake, n: int, fields: list[Field], *, shelf: Shelf, clc: str, book_number: str) -> Record:
    """A CNMARC record: 001, 005, 106, 690, 801 and the 905 holding around the ``fields`` of the description."""
    common = [
        cf("001", style.local_id(n)),
        cf("005", style.stamp),
        df("106", "  ", "a", "r"),
        df("690", "  ", "a", clc, "v", "5"),
        df("801", " 0", "a", "CN", "b", style.org, "c", style.entered),
        df("905", "  ", "a", style.org, "b", shelf.barcode(n), "c", shelf.location, "d", clc, "e", book_number),
    ]
    return record(UNIMARC_LEADER, [*common, *fields], unimarc=True)


def zh_fields(style: Eastlake, z: ZhBook) -> list[Field]:
    """The description of a Chinese book: 010 as printed, 101 languages of a translation, 200, 701/702."""
    if z.original_language:
        language = df("101", "1 ", "a", "chi", "b", z.intermediate_language, "c", z.original_language)
    else:
        language = df("101", "0 ", "a", "chi")
    return [
        df("010", "  ", "a", z.isbn, "d", z.price),
        df("100", "  ", "a", f100(style, z.year, "ea")),
        language,
        df("102", "  ", "a", "CN"),
        df("105", "  ", "a", f105(z.illustrated, z.fiction)),
        df("200", "1 ", "a", z.title, "h", z.part_number, "i", z.part_name, "d", z.parallel, "e", z.other,
           "f", z.resp, "g", z.resp2, "z", "eng" if z.parallel else ""),
        *([df("205", "  ", "a", z.edition)] if z.edition else []),
        df("210", "  ", "a", z.place, "c", z.publisher, "d", str(z.year)),
        df("215", "  ", "a", z.extent, "c", "图" if z.illustrated else "", "d", f"{z.height}cm"),
        *([df("225", "2 ", "a", z.series)] if z.series else []),
        *zh_subjects("606", "0 ", z.subjects, place="y", period="z"),
        *[df("701" if role == "著" else "702", " 0", "a", name, "g", f"({original})" if original else "", "4", role)
          for name, role, original in z.people],
    ]  # fmt: skip


def en_fields(style: Eastlake, b: Book, copy: Copy, conv: Conventions) -> list[Field]:
    """The description of an English original (or a translation into a Western language, with its original title
    in 500 and 101 first indicator 1): hyphenated ISBN, AACR2-like 200/205/210/215, 701 _1 names."""
    return [
        df("010", "  ", "a", isbn_as(b.isbn, "hyphen"), "b", "hbk" if "hard" in b.qualifier else ""),
        df("100", "  ", "a", f100(style, b.year, "ba")),
        df("101", "1 " if b.uniform else "0 ", "a", b.language),
        df("102", "  ", "a", conv.country_iso[b.country]),
        df("105", "  ", "a", f105(b.illustrated, b.fiction, index=True)),
        df("200", "1 ", "a", b.title, "e", b.subtitle, "f", short_resp(b.resp, b.authors)),
        *([df("500", "10", "a", b.uniform[0], "m", b.uniform[1])] if b.uniform else []),
        *([df("205", "  ", "a", conv.edition(b.edition))] if b.edition else []),
        df("210", "  ", "a", conv.place(b.place), "c", b.publisher.removeprefix("The "), "d", str(b.year)),
        df("215", "  ", "a", f"{b.pages} p.", "c", "ill." if b.illustrated else "", "d", f"{b.height} cm"),
        *([df("225", "2 ", "a", b.series)] if b.series else []),
        *zh_subjects("606", "0 ", copy.subjects, place="y", period="z"),
        *[df("701", " 1", "a", surname, "b", forenames, "4", "著")
          for surname, _, forenames in (heading.partition(", ") for heading in b.authors)],
    ]  # fmt: skip


def records(facts: Facts) -> list[Record]:
    """The records of ``eastlake.iso``: the Chinese books, then the English originals, numbered on."""
    tables = facts.member("eastlake")
    style = style_from(tables.get("style", {}))
    out: list[Record] = []
    for where, copy in entries(Copy, tables.get("chinese", []), "eastlake.toml chinese"):
        z = facts.zh_book(copy.book, where)
        fields = zh_fields(style, z)
        out.append(unimarc(style, len(out) + 1, fields, shelf=style.chinese, clc=z.clc, book_number=copy.book_number))
    english = [{**row, "subjects": padded(row.get("subjects", []))} for row in tables.get("english", [])]
    for where, copy in entries(Copy, english, "eastlake.toml english"):
        fields = en_fields(style, facts.book(copy.book, where), copy, facts.conventions)
        out.append(
            unimarc(style, len(out) + 1, fields, shelf=style.english, clc=copy.clc, book_number=copy.book_number)
        )
    return out
