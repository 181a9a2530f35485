"""What the matcher compares, computed once per record: normalized title, surnames, year, parts, identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consortium.models import IdentifierScheme, Record, ResourceFormat
from consortium.text import core_title, match_text, name_words, surname_key, title_tokens

__all__ = ["FORMAT_FAMILY", "MatchView", "edition_number", "match_view", "part_numbers"]

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
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_PART = re.compile(
    r"(?:\b(?:v|vol|volume|pt|part|bd|band|t|tome|no|book|bk)\.?\s*(\d+|[ivx]{1,4})\b)"
    r"|(?:第\s*([\d一二三四五六七八九十]+)\s*[卷册部辑集])",
    re.IGNORECASE,
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_EDITION = re.compile(r"(\d+)\s*(?:st|nd|rd|th)?\b|第\s*([\d一二三四五六七八九十]+)\s*版", re.IGNORECASE)


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    return _ROMAN.get(text.lower(), 0) or _CHINESE_DIGITS.get(text, 0)


def part_numbers(*texts: str | None) -> frozenset[int]:
    """Volume or part numbers named in titles (``v. 2``, ``Part 3``, ``第二卷``)."""
    found: set[int] = set()
    for text in texts:
        for match in _PART.finditer(text or ""):
            found.add(_number(match.group(1) or match.group(2)))
    return frozenset(found)


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
    publisher: str
    isbns: frozenset[str]
    issns: frozenset[str]
    strong_ids: frozenset[str]
    """OCLC, LCCN and DOI, each prefixed by its scheme."""


def match_view(record: Record) -> MatchView:
    title = match_text(record.title)
    full = match_text(f"{record.title} {record.subtitle}") if record.subtitle else title
    strong = frozenset(
        f"{i.scheme.value}:{i.value}"
        for i in record.identifiers
        if i.scheme in (IdentifierScheme.OCLC, IdentifierScheme.LCCN, IdentifierScheme.DOI)
    )
    return MatchView(
        key=record.key,
        family=FORMAT_FAMILY[record.format],
        title=title,
        full_title=full,
        core=core_title(f"{record.title} {record.subtitle or ''}"),
        tokens=tuple(title_tokens(record.title)),
        surnames=frozenset(s for s in (surname_key(a) for a in record.authors) if s),
        names=tuple(n for n in (name_words(a) for a in record.authors) if n),
        year=record.year,
        pages=record.pages,
        edition=edition_number(record.edition),
        parts=part_numbers(record.title, record.subtitle),
        publisher=match_text(record.publisher or ""),
        isbns=frozenset(record.identifier_values(IdentifierScheme.ISBN)),
        issns=frozenset(record.identifier_values(IdentifierScheme.ISSN)),
        strong_ids=strong,
    )
