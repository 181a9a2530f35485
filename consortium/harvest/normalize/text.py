"""Cleaning text as cataloguers write it: ISBD punctuation, years, page counts, language codes."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from consortium.mojibake import unmangled

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["clean", "first_year", "language_code", "page_count", "publisher_name", "unique"]

_TRAILING = re.compile(r"[\s/:;,=.]+$")
_LEADING = re.compile(r"^[\s/:;,=]+")
# C0 and C1 control characters: non-sorting marks (U+0088/U+0089, U+0098/U+009C), stray escapes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A printable ASCII value that starts and ends with none of these (and has no double blank) is already clean.
_ASIS_FIRST = frozenset(" /:;,=[")
_ASIS_LAST = frozenset(" /:;,=.]")
_INITIAL = re.compile(r"(?:^|[\s.])[^\W\d_]\.$")
_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
# A pagination sequence ("xv, 320, 11 p.", "1,312 pages"): numbers before the unit, comma and blank separated.
_PAGES = re.compile(
    r"(\d[\d,]*(?:,\s+\d[\d,]*)*)\s*(?:p\b|pp\b|pages?\b|leaves\b|sivua?\b|seiten\b|sidor\b|s\.|页|頁)", re.IGNORECASE
)
_BARE_NUMBER = re.compile(r"^\[?(\d+)\]?$")
# "[s.n.]" (sine nomine) and its variants say that the publisher is unknown.
_NO_PUBLISHER = re.compile(r"^(?:s\.?\s?n\.?|sine nomine|n\.?\s?p\.?|publisher not identified)$", re.IGNORECASE)

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
    "pl": "pol",
    "cs": "cze",
    "el": "gre",
    "tr": "tur",
    "da": "dan",
    "no": "nor",
    "nb": "nob",
    "nn": "nno",
    "hu": "hun",
    "fa": "per",
}
# Language names a Dublin Core record writes instead of a code (DSpace's, in English or the language's own), for
# the languages above and a few more; a name not here is no code (never its first three letters: "other").
_LANGUAGE_NAMES = {
    name: code
    for code, names in {
        "eng": ("english",),
        "chi": ("chinese", "中文", "汉语", "漢語"),
        "fre": ("french", "français", "francais"),
        "ger": ("german", "deutsch"),
        "jpn": ("japanese", "日本語"),
        "kor": ("korean", "한국어"),
        "spa": ("spanish", "español", "espanol", "castellano"),
        "rus": ("russian", "русский"),
        "ita": ("italian", "italiano"),
        "por": ("portuguese", "português", "portugues"),
        "ara": ("arabic", "العربية"),
        "heb": ("hebrew", "עברית"),
        "fin": ("finnish", "suomi"),
        "swe": ("swedish", "svenska"),
        "dut": ("dutch", "nederlands"),
        "lat": ("latin", "latina"),
        "pol": ("polish", "polski"),
        "cze": ("czech", "čeština", "cestina"),
        "gre": ("greek", "ελληνικά"),
        "tur": ("turkish", "türkçe"),
        "dan": ("danish", "dansk"),
        "nor": ("norwegian", "norsk"),
        "hun": ("hungarian", "magyar"),
    }.items()
    for name in names
}
_NO_LANGUAGE = frozenset({"und", "zxx", "mul", "mis", "other", "others", "unknown", "none", "n/a"})
"""Values that name no language (ISO 639-2's undetermined, no linguistic content, multiple, uncoded)."""
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
    """Strip ISBD punctuation (``" /"``, ``" :"``, a closing ``"."``), control characters and blanks, in Unicode
    NFC (MARC-8 decodes composed, UTF-8 records often carry combining marks); ``None`` when empty.

    A final period is kept after an initial or an abbreviation of one letter (``"Knuth, Donald E."``). Brackets
    around the whole value (information the cataloguer supplied) go; a bracketed part inside it stays whole.
    """
    if value is None:
        return None
    if (
        value
        and value.isascii()
        and value.isprintable()
        and value[0] not in _ASIS_FIRST
        and value[-1] not in _ASIS_LAST
        and "  " not in value
    ):
        return value  # plain ASCII, single-spaced, no punctuation or bracket at either end: nothing to do
    value = unmangled(value)  # UTF-8 read as Latin-1 at the source ("rÃ¶mische"): read again
    spaced = " ".join(unicodedata.normalize("NFC", value).split())  # blanks first: a tab is a blank, not a control
    # Controls (C0, C1) are never printable: a printable value has none to remove.
    text = spaced if spaced.isprintable() else " ".join(_CONTROL.sub("", spaced).split())
    previous = None
    while text != previous:
        previous = text
        text = _LEADING.sub("", text).rstrip(" /:;,=")
        if text.endswith(".") and not _INITIAL.search(text):
            text = _TRAILING.sub("", text)
        text = _unbracket(text)
    return text or None


def _unbracket(text: str) -> str:
    opening, closing = text.count("["), text.count("]")
    if text.startswith("[") and text.endswith("]") and opening == closing == 1:
        return text[1:-1].strip()
    if text.startswith("[") and opening > closing:
        return text[1:].strip()
    if text.endswith("]") and closing > opening:
        return text[:-1].strip()
    return text


def publisher_name(value: str | None) -> str | None:
    """A publisher statement cleaned, or ``None`` when it says the publisher is unknown (``[s.n.]``)."""
    text = clean(value)
    return None if text is None or _NO_PUBLISHER.match(text) else text


def first_year(*texts: str | None) -> int | None:
    """The first plausible publication year (1400-2099) in the texts, in order."""
    for text in texts:
        if text:
            match = _YEAR.search(text)
            if match:
                return int(match.group(1))
    return None


def page_count(text: str | None) -> int | None:
    """The page count of an extent statement: ``"xv, 1312 pages"`` gives 1312, ``"356页"`` gives 356, ``"320, 11
    p."`` gives 320, ``"543 sivua"`` 543; a bare number counts as pages, a number of anything else (``"2 v."``,
    ``"1 map"``) does not."""
    if not text:
        return None
    counts = [
        int(number.replace(",", ""))
        for match in _PAGES.finditer(text)
        for number in re.split(r",\s+", match.group(1))
        if number.replace(",", "").isdigit()
    ]
    if not counts:
        bare = _BARE_NUMBER.match(text.strip().rstrip(" .:;,"))
        counts = [int(bare.group(1))] if bare else []
    if not counts:
        return None
    pages = max(counts)
    return pages if 0 < pages < 100_000 else None


def language_code(value: str | None) -> str | None:
    """An ISO 639-2/B code from a MARC, UNIMARC or Dublin Core language value: a three-letter code (a /T one
    turned /B), a two-letter one or a language tag (``en_US``, ``pt-BR``), or a language's name; ``None`` for a
    value that names no language (``und``, ``other``) or that is none of these."""
    if not value:
        return None
    text = value.strip().lower()
    if text in _NO_LANGUAGE:
        return None
    if text in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[text]
    code = re.split(r"[-_\s;,/]", text, maxsplit=1)[0]
    if len(code) == 2:
        return _ISO639_1.get(code)
    if len(code) == 3 and code.isascii() and code.isalpha() and code not in _NO_LANGUAGE:
        return _ISO639_2T.get(code, code)
    return None


def unique(values: Iterable[str | None]) -> list[str]:
    """The non-empty values in their first order, each once."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)
