"""Cleaning text as cataloguers write it: ISBD punctuation, years, page counts, language codes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["clean", "first_year", "language_code", "page_count", "unique"]

_TRAILING = re.compile(r"[\s/:;,=.\]]+$")
_LEADING = re.compile(r"^[\s\[]+")
_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
_PAGES = re.compile(r"(\d[\d,]*)\s*(?:p\b|pp\b|pages?\b|leaves\b|页|頁)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")

# ISO 639-1 codes that Dublin Core records often carry, to the ISO 639-2/B codes MARC uses.
_ISO639_1 = {
    "en": "eng",
    "zh": "chi",
    "fr": "fre",
    "de": "ger",
    "ja": "jpn",
    "ko": "kor",
    "es": "spa",
    "ru": "rus",
    "it": "ita",
    "pt": "por",
    "ar": "ara",
    "he": "heb",
    "fi": "fin",
    "sv": "swe",
    "nl": "dut",
    "la": "lat",
}
# ISO 639-2/T codes that differ from the /B code MARC uses.
_ISO639_2T = {
    "zho": "chi",
    "fra": "fre",
    "deu": "ger",
    "nld": "dut",
    "ces": "cze",
    "fas": "per",
    "ell": "gre",
}


def clean(value: str | None) -> str | None:
    """Strip ISBD punctuation (``" /"``, ``" :"``, a closing ``"."``) and blanks; ``None`` when empty.

    A final period is kept after an initial or an abbreviation of one letter (``"Knuth, Donald E."``).
    """
    if value is None:
        return None
    text = " ".join(value.split())
    text = _LEADING.sub("", text)
    text = text.rstrip(" /:;,=]")
    if text.endswith(".") and not re.search(r"(?:^|[\s.])\w\.$", text):
        text = _TRAILING.sub("", text)
    text = text.strip()
    return text or None


def first_year(*texts: str | None) -> int | None:
    """The first plausible publication year (1400-2099) in the texts, in order."""
    for text in texts:
        if text:
            match = _YEAR.search(text)
            if match:
                return int(match.group(1))
    return None


def page_count(text: str | None) -> int | None:
    """The page count of an extent statement: ``"xv, 1312 pages"`` gives 1312, ``"356页"`` gives 356."""
    if not text:
        return None
    counts = [int(m.group(1).replace(",", "")) for m in _PAGES.finditer(text)]
    if not counts:
        counts = [int(n) for n in _NUMBER.findall(text)]
        if len(counts) != 1:
            return None
    pages = max(counts)
    return pages if 0 < pages < 100_000 else None


def language_code(value: str | None) -> str | None:
    """An ISO 639-2/B code from a MARC, UNIMARC or Dublin Core language value."""
    if not value:
        return None
    code = value.strip().lower()[:3]
    code = code.split("-")[0].split("_")[0]
    if len(code) == 2:
        return _ISO639_1.get(code)
    if len(code) == 3 and code.isalpha() and code not in ("und", "zxx", "mul", "   "):
        return _ISO639_2T.get(code, code)
    return None


def unique(values: Iterable[str | None]) -> list[str]:
    """The non-empty values in their first order, each once."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)
