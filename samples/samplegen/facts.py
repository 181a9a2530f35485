"""The hand-written facts of ``samples/facts/*.toml``, loaded into typed records and checked.

``books.toml`` and ``zh_books.toml`` hold one table per manifestation (a specific edition as published), keyed by
a short name the member files refer to. ``names.toml`` and ``conventions.toml`` hold heading dates, abbreviations
and vocabularies. Each member has its own file (``riverside.toml``...): its cataloguing style and its holdings.
Every ISBN of the shared tables is checked as they are loaded, so a bad check digit stops the run before any
record is built.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .identifiers import SampleError, checked_isbn

if TYPE_CHECKING:
    from collections.abc import Iterator

    from _typeshed import DataclassInstance

FACTS = Path(__file__).resolve().parent.parent / "facts"
"""The facts folder the samples are built from by default."""

T = TypeVar("T", bound="DataclassInstance")
SIMPLE_TYPES: dict[str, type] = {"str": str, "int": int, "bool": bool}
"""Annotations (as written, under ``from __future__ import annotations``) whose values :func:`build` checks."""
Subject = tuple[str, str, str]
"""A Chinese subject heading: (topic, geographic, period) for 606 $a $y $z or 650 $a $z $y."""


@dataclass(frozen=True, kw_only=True)
class Manifestation:
    """What every manifestation (a specific edition as published) records, whatever its language."""

    key: str
    title: str
    resp: str
    """Statement of responsibility as on the title page (245 $c, 200 $f)."""
    place: str
    publisher: str
    year: int
    isbn: str
    height: int
    part_number: str = ""
    part_name: str = ""
    edition: str = ""
    series: str = ""
    fiction: bool = False
    illustrated: bool = True


@dataclass(frozen=True, kw_only=True)
class Book(Manifestation):
    """A printed English-language book, as MARC21 (and the UNIMARC member) describe it. AACR2 members shorten a
    statement of responsibility with four or more names to '... [et al.]'."""

    authors: tuple[str, ...]
    pages: str
    country: str
    """MARC country code for 008/15-17."""
    lcc: str
    ddc: str
    subjects: tuple[str, ...]
    subtitle: str = ""
    added: tuple[tuple[str, str], ...] = ()
    """Other contributors: (heading, relator)."""
    copyright: bool = False
    """The date is a copyright date (RDA: ``[2009]`` plus 264 _4 ``©2009``; AACR2: ``c2009``)."""
    qualifier: str = ""
    juvenile: bool = False
    uniform: tuple[str, str] | None = None
    """240 uniform title for translations: (original title, language)."""
    language: str = "eng"
    """The language of the text (MARC21 008/35-37, UNIMARC 101 $a): a translation into German is ``ger``."""


@dataclass(frozen=True, kw_only=True)
class ZhBook(Manifestation):
    """A Chinese-language book, as CNMARC (eastlake) and MARC21 (lakeside) describe it."""

    people: tuple[tuple[str, str, str], ...]
    """(name as catalogued, role 著/译/..., original-script form for foreign authors or '')."""
    price: str
    extent: str
    clc: str
    subjects: tuple[Subject, ...]
    other: str = ""
    """200 $e: other title information (CNMARC puts 原书第3版 here too)."""
    parallel: str = ""
    """200 $d: the original English title printed as a parallel title."""
    resp2: str = ""
    """200 $g: subsequent statement (translators, editors)."""
    original_language: str = ""
    intermediate_language: str = ""
    illustrated: bool = False


@dataclass(frozen=True)
class Conventions:
    """Cataloguing conventions shared by the members: heading dates, abbreviations, codes, LCSH vocabulary."""

    dates: dict[str, str]
    """Dates of personal-name headings, where the project is sure of them (only RDA riverside adds them)."""
    place_abbreviations: dict[str, str]
    edition_abbreviations: dict[str, str]
    country_iso: dict[str, str]
    """MARC country code (008/15-17) to the ISO 3166 code of UNIMARC 102."""
    geographic: tuple[str, ...]
    """Heading parts that are places (651 when first, $z when a subdivision)."""
    form_subdivisions: tuple[str, ...]
    """Subdivisions coded $v when they end a heading."""
    chronological: tuple[str, ...]
    """Beginnings of chronological subdivisions ($y) that do not start with a digit."""

    def place(self, place: str) -> str:
        """The AACR2 abbreviated form of a place of publication."""
        return self.place_abbreviations.get(place, place)

    def edition(self, edition: str) -> str:
        """The AACR2 abbreviated form of an edition statement."""
        return self.edition_abbreviations.get(edition, edition)


@dataclass(frozen=True)
class Numbering:
    """A member's local ids or barcodes: ``pattern.format(n=start + step * n)`` for the n-th record (from 1)."""

    pattern: str
    start: int = 0
    step: int = 1

    def __call__(self, n: int) -> str:
        return self.pattern.format(n=self.start + self.step * n)


def read_toml(path: Path) -> dict[str, Any]:
    """Read one facts file; a missing file or a syntax error is a :class:`SampleError` naming the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SampleError(f"{path.name}: {exc}") from exc


def tupled(value: Any) -> Any:
    """TOML arrays as (nested) tuples, so the facts are hashable and frozen."""
    if isinstance(value, list):
        return tuple(tupled(item) for item in value)
    return value


def padded(rows: list[list[str]]) -> list[list[str]]:
    """Arrays written without their trailing empty strings (``["机器学习"]``) padded to three items."""
    return [[*row, "", "", ""][:3] for row in rows]


def build(cls: type[T], values: dict[str, Any], where: str, **extra: Any) -> T:
    """Make a ``cls`` from one TOML table; an unknown or missing key, or a value of the wrong simple type
    (text, number, true/false), is a :class:`SampleError` naming ``where``."""
    annotations = {f.name: f.type for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(annotations))
    if unknown:
        raise SampleError(f"{where}: unknown key(s) {', '.join(unknown)}")
    for name, value in values.items():
        expected = SIMPLE_TYPES.get(str(annotations[name]))
        if expected is not None and type(value) is not expected:
            raise SampleError(f"{where}: {name} = {value!r} is not {expected.__name__}")
    try:
        return cls(**{name: tupled(value) for name, value in values.items()}, **extra)
    except TypeError as exc:
        raise SampleError(f"{where}: {exc}") from exc


def entries(cls: type[T], rows: list[dict[str, Any]], where: str) -> Iterator[tuple[str, T]]:
    """The rows of an array of a member file as ``cls`` records, each with a description for error messages
    (``"lakeside.toml chinese 3 (weicheng)"``)."""
    for i, row in enumerate(rows, start=1):
        described = f"{where} {i} ({row.get('book', row.get('what', '?'))})"
        yield described, build(cls, row, described)


def numbering(value: str | dict[str, Any], where: str) -> Numbering:
    """A numbering written as a bare pattern (``"wf{n:06d}"``) or as a table with ``start`` and ``step``."""
    return build(Numbering, {"pattern": value} if isinstance(value, str) else value, where)


@dataclass(frozen=True)
class Facts:
    """Everything the builders read: the shared manifestations, the conventions, and the member files."""

    folder: Path
    books: dict[str, Book]
    zh_books: dict[str, ZhBook]
    conventions: Conventions

    def member(self, name: str) -> dict[str, Any]:
        """The raw tables of ``<name>.toml`` (style and holdings of one member)."""
        return read_toml(self.folder / f"{name}.toml")

    def book(self, key: str, where: str) -> Book:
        """The English manifestation ``key``, for a holding described by ``where``."""
        if key not in self.books:
            raise SampleError(f"{where}: no book {key!r} in books.toml")
        return self.books[key]

    def zh_book(self, key: str, where: str) -> ZhBook:
        """The Chinese manifestation ``key``, for a holding described by ``where``."""
        if key not in self.zh_books:
            raise SampleError(f"{where}: no book {key!r} in zh_books.toml")
        return self.zh_books[key]


def load(folder: Path = FACTS) -> Facts:
    """Load and check the shared facts of ``folder``: every ISBN must have a valid check digit."""
    books = {
        key: build(Book, values, f"books.toml [{key}]", key=key)
        for key, values in read_toml(folder / "books.toml").items()
    }
    zh_books = {
        key: build(
            ZhBook,
            {**values, **{name: padded(values[name]) for name in ("people", "subjects") if name in values}},
            f"zh_books.toml [{key}]",
            key=key,
        )
        for key, values in read_toml(folder / "zh_books.toml").items()
    }
    for book in [*books.values(), *zh_books.values()]:
        checked_isbn(book.isbn, f"{'books' if isinstance(book, Book) else 'zh_books'}.toml [{book.key}]")
    tables = read_toml(folder / "conventions.toml")
    conventions = build(
        Conventions,
        {**tables.pop("lcsh", {}), **tables, "dates": read_toml(folder / "names.toml").get("dates", {})},
        "conventions.toml",
    )
    return Facts(folder=folder, books=books, zh_books=zh_books, conventions=conventions)
