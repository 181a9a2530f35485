"""What the matcher compares, computed once per record: normalized title, surnames, year, parts, identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consortium.models import IdentifierScheme, Record, ResourceFormat
from consortium.text import core_title, match_text, name_words, surname_key, title_tokens

__all__ = ["FORMAT_FAMILY", "MatchView", "edition_number", "match_view", "part_numbers", "title_years"]

FORMAT_FAMILY: dict[ResourceFormat, str] = {
    ResourceFormat.BOOK: "monograph",
    ResourceFormat.EBOOK: "monograph",
    ResourceFormat.THESIS: "monograph",
    ResourceFormat.MANUSCRIPT: "monograph",
    ResourceFormat.JOURNAL: "serial",
    ResourceFormat.EJOURNAL: "serial",
    ResourceFormat.DATABASE: "database",
    ResourceFormat.WEB: "web",
    ResourceFormat.SOFTWARE: "software",
    ResourceFormat.AUDIO: "audio",
    ResourceFormat.VIDEO: "video",
    ResourceFormat.MAP: "map",
    ResourceFormat.SCORE: "score",
    ResourceFormat.OTHER: "other",
}

_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "revised": 0,
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_ORDINALS = {
    **{k: v for k, v in _ORDINAL_WORDS.items() if v}, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20,
}  # fmt: skip
_ORDINAL_PART = re.compile(rf"\b({'|'.join(_ORDINALS)})\s+(?:annual|collection|volume|book|part|series)\b", re.I)
_NUMBER_IN_TITLE = re.compile(r"(?<![\w.])(\d{1,3})(?![\w.])|\b([IVXL]{2,6}|[VX])\b")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_PART = re.compile(
    r"(?:\b(?:v|vol|volume|pt|part|bd|band|t|tome|no|book|bk)\.?\s*(\d+|[ivx]{1,4}|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty)\b)"
    r"|(?:第\s*([\d一二三四五六七八九十]+)\s*[卷册部辑集])",
    re.IGNORECASE,
)
_ROMAN_DIGITS = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_ROMAN_NUMERAL = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})|x?l(?:ix|iv|v?i{0,3})", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(r"(?<=\w)[\s,.:;-]+(\d{1,3}|[ivxl]{1,6})\s*[.)\]]?\s*$", re.IGNORECASE)
_BRACKETED = re.compile(r"[(\[][^)\]]*[)\]]")
_YEAR_IN_TITLE = re.compile(r"(?<![\w.])(1[5-9]\d\d|20\d\d)(?![\w.])")
_EDITION = re.compile(r"(\d+)\s*(?:st|nd|rd|th)?\b|第\s*([\d一二三四五六七八九十]+)\s*版", re.IGNORECASE)


def _roman(text: str) -> int:
    """The value of a well-formed roman numeral up to 89 (``"xix"`` gives 19), else 0."""
    text = text.lower()
    if not text or not _ROMAN_NUMERAL.fullmatch(text):
        return 0
    total = 0
    for here, after in zip(text, text[1:] + " ", strict=True):
        value = _ROMAN_DIGITS[here]
        total += -value if after != " " and _ROMAN_DIGITS[after] > value else value
    return total


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    return _roman(text) or _CHINESE_DIGITS.get(text, 0) or _NUMBER_WORDS.get(text.lower(), 0)


def part_numbers(*texts: str | None) -> frozenset[int]:
    """Volume or part numbers named in titles: after a marker (``v. 2``, ``Part 3``, ``Book One``, ``第二卷``),
    an ordinal before one (``Fifth Annual Collection``), a number of up to three digits or an upper-case roman
    numeral standing alone (``Final Fantasy IX``, ``... systems XIX``, ``Stories 4``), or a number ending the
    title; years are not part numbers (:func:`title_years`), nor numbers inside brackets (series numbering:
    ``(Black Book 10)``)."""
    found: set[int] = set()
    for text in texts:
        for match in _PART.finditer(text or ""):
            found.add(_number(match.group(1) or match.group(2)))
    main = _BRACKETED.sub(" ", " ".join(t for t in texts if t))
    for match in _NUMBER_IN_TITLE.finditer(main):
        found.add(_number(match.group(1) or match.group(2)))
    found.update(_ORDINALS[m.group(1).lower()] for m in _ORDINAL_PART.finditer(main))
    trailing = _TRAILING_NUMBER.search(main)
    if trailing and (number := _number(trailing.group(1))):
        found.add(number)
    found.discard(0)
    return frozenset(found)


def title_years(*texts: str | None) -> frozenset[int]:
    """Years named in titles outside brackets (``Annual report 2018``, ``Black Book 2017 Edition``)."""
    return frozenset(int(y) for text in texts for y in _YEAR_IN_TITLE.findall(_BRACKETED.sub(" ", text or "")))


def edition_number(edition: str | None) -> int | None:
    """The edition's number (``"2nd ed."`` gives 2, ``"第3版"`` gives 3, ``"Second edition"`` 2), when it says."""
    if not edition:
        return None
    text = edition.lower()
    for word, number in _ORDINAL_WORDS.items():
        if word in text and number:
            return number
    match = _EDITION.search(text)
    if match:
        return _number(match.group(1) or match.group(2))
    return None


@dataclass(frozen=True, slots=True)
class MatchView:
    key: tuple[str, str]
    family: str
    title: str
    """Main title, normalized."""
    full_title: str
    """Title and subtitle, normalized."""
    core: str
    """Title and subtitle without bracketed qualifiers."""
    tokens: tuple[str, ...]
    surnames: frozenset[str]
    names: tuple[tuple[str, ...], ...]
    """Author names as normalized words, given names first, in record order."""
    year: int | None
    pages: int | None
    edition: int | None
    parts: frozenset[int]
    years_in_title: frozenset[int]
    publisher: str
    isbns: frozenset[str]
    issns: frozenset[str]
    strong_ids: frozenset[str]
    """OCLC, LCCN and DOI, each prefixed by its scheme."""
    raw_title: str
    """The title as the record gives it (for the blocking keys)."""
    first_author: str
    """The first author as the record gives it (for the blocking keys)."""
    electronic: bool
    """An e-book or e-journal (its ISBN differs from the print one's)."""
    words: frozenset[str]
    """Every word the record says in title, subtitle, authors, publisher and year: where a value put in the
    wrong field is still found."""


def match_view(record: Record) -> MatchView:
    title = match_text(record.title)
    full = match_text(f"{record.title} {record.subtitle}") if record.subtitle else title
    strong = frozenset(
        f"{i.scheme.value}:{i.value}"
        for i in record.identifiers
        if i.scheme in (IdentifierScheme.OCLC, IdentifierScheme.LCCN, IdentifierScheme.DOI)
    )
    names = tuple(n for n in (name_words(a) for a in record.authors) if n)
    publisher = match_text(record.publisher or "")
    words = {*full.split(), *publisher.split(), *(w for name in names for w in name)}
    if record.year is not None:
        words.add(str(record.year))
    return MatchView(
        key=record.key,
        family=FORMAT_FAMILY[record.format],
        title=title,
        full_title=full,
        core=core_title(f"{record.title} {record.subtitle or ''}"),
        tokens=tuple(title_tokens(record.title)),
        surnames=frozenset(s for s in (surname_key(a) for a in record.authors) if s),
        names=names,
        year=record.year,
        pages=record.pages,
        edition=edition_number(record.edition),
        parts=part_numbers(record.title, record.subtitle),
        years_in_title=title_years(record.title, record.subtitle),
        publisher=publisher,
        isbns=frozenset(record.identifier_values(IdentifierScheme.ISBN)),
        issns=frozenset(record.identifier_values(IdentifierScheme.ISSN)),
        strong_ids=strong,
        raw_title=record.title,
        first_author=record.authors[0] if record.authors else "",
        electronic=record.format in (ResourceFormat.EBOOK, ResourceFormat.EJOURNAL),
        words=frozenset(words),
    )
