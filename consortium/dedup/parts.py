"""Volume, part and year numbers read from titles: two records naming different ones are different books.

Read word by word (a regular expression a title is cheaper to split once than to scan many times):

- a number after a marker: ``v. 2``, ``Vol. II``, ``Part 3``, ``Book One``, ``t. 4``, ``第二卷``;
- an ordinal before a noun of parts: ``Fifth Annual Collection``, ``Third Volume``;
- outside brackets, a number of up to three digits standing alone (``Stories 4``, ``X-2``), an upper-case roman
  numeral (``Final Fantasy IX``, ``systems XIX``; a lone ``I`` is a pronoun, not a numeral), or a roman
  numeral in any case ending the title (``... part ii``);
- years (1500-2099) outside brackets are kept apart (:func:`title_years`): ``Annual report 2018``;
- a character reference (``&#228;``, ``&#1575;``) is the letter it names, never a number or a year;
- digits written into a word are part of a name (``TSQL2``, ``MP3``, ``H2O``), unless the word begins with a
  marker (``vol2``, ``T1``); numbers joined by slashes are a date or a fraction (``11/22/63``, ``24/7``).

Numbers inside brackets are series numbering (``(Fantasy Black Book 10)``), not parts of this book, unless the
brackets begin with a marker (``(Volume 3)``).
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Final

__all__ = ["number_value", "part_numbers", "title_years"]

_NUMBER_WORDS: Final = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_ORDINALS: Final = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
}  # fmt: skip
_MARKERS: Final = frozenset("v vol volume pt part bd band t tome no book bk".split())
_WORDY_MARKERS: Final = frozenset("volume vol part pt book bk tome band".split())
"""Markers after which a number word counts (``Book One``; not ``no one``)."""
_PART_NOUNS: Final = frozenset("annual collection volume book part series".split())
_CHINESE_DIGITS: Final = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CHINESE_PART = re.compile(r"第\s*([\d一二三四五六七八九十]+)\s*[卷册部辑集]")
_WORD = re.compile(r"[^\W\d_]+(?:\d\w*)?|\d+[^\W\d_]*")
"""A word: letters (with any digits written into them, ``TSQL2``, ``H2O``: a name, never a number), or digits
(with letters after them, ``4th``)."""
_MARKER_NUMBER = re.compile(r"(v|vol|volume|pt|part|bd|band|t|tome|no|book|bk)(\d{1,3})")
"""A marker with its number written into it (``vol2``, ``T1``)."""
_SLASHED = re.compile(r"\d+(?:\s*/\s*\d+)+")
"""Numbers joined by slashes: a date (``11/22/63``), a fraction or ``24/7``, not volume numbers."""
_BRACKETED = re.compile(r"[(\[（][^)\]）]*[)\]）]")
_ROMAN_DIGITS: Final = {"i": 1, "v": 5, "x": 10, "l": 50}
_ROMAN_NUMERAL = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})|x?l(?:ix|iv|v?i{0,3})")
_UPPER_ROMAN = re.compile(r"[IVXL]{2,6}|[VX]")
_NAMES_LIKE_NUMERALS: Final = frozenset({"li", "xi"})
"""Words ending a lower-cased title that are more often a name (Li, Xi) than a numeral."""


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


def number_value(text: str) -> int:
    """Digits, a roman numeral, a Chinese digit or an English number word as a number (0: none)."""
    if text.isdigit():
        return int(text)
    return _roman(text) or _CHINESE_DIGITS.get(text, 0) or _NUMBER_WORDS.get(text.lower(), 0)


def _after_marker(marker: str, word: str) -> int:
    if word.isdigit():
        return int(word) if len(word) <= 3 else 0  # "Black Book 2017": a year (title_years), not a part
    lower = word.lower()
    if len(lower) <= 4 and (value := _roman(lower)):
        return value
    return _NUMBER_WORDS.get(lower, 0) if marker in _WORDY_MARKERS else 0


def _decoded(text: str) -> str:
    """Character references decoded: ``h &#228; rder`` names the letter ``ä``, not the number 228."""
    return html.unescape(text) if "&" in text and ";" in text else text


def _glued_marker(word: str) -> int:
    """The number of a marker written into one word with it (``vol2``, ``T1``), else 0."""
    match = _MARKER_NUMBER.fullmatch(word.lower()) if word[-1].isdigit() else None
    return int(match.group(2)) if match else 0


def part_numbers(*texts: str | None) -> frozenset[int]:
    """Volume or part numbers named in titles (see the module)."""
    text = _decoded(" ".join(t for t in texts if t))
    if "/" in text:
        text = _SLASHED.sub(" ", text)
    found: set[int] = set()
    if "第" in text:
        found.update(number_value(m.group(1)) for m in _CHINESE_PART.finditer(text))
    bracketed = "(" in text or "[" in text or "（" in text
    main = _BRACKETED.sub(" ", text) if bracketed else text
    outside = _WORD.findall(main)
    groups = [outside]
    if bracketed:  # in brackets, only a group that begins with a marker: "(Volume 3)", not "(... Book 10)"
        for group in _BRACKETED.finditer(text):
            words = _WORD.findall(group.group()[1:-1])
            if words and (value := _glued_marker(words[0])):
                found.add(value)
            if words and words[0].lower() in _MARKERS:
                groups.append(words[:2])
    for words in groups:
        for word, after in itertools.pairwise(words):
            lower = word.lower()
            if lower in _MARKERS:
                found.add(_after_marker(lower, after))
            elif lower in _ORDINALS and after.lower() in _PART_NOUNS:
                found.add(_ORDINALS[lower])
    for word in outside:
        if word.isdigit():
            if len(word) <= 3:
                found.add(int(word))
        elif word[0] in "IVXL" and _UPPER_ROMAN.fullmatch(word):
            found.add(_roman(word))
        elif word[-1].isdigit():
            found.add(_glued_marker(word))
    last = outside[-1].lower() if len(outside) > 1 else ""
    if last and not last.isdigit() and len(last) <= 6 and last not in _NAMES_LIKE_NUMERALS:
        found.add(_roman(last))
    found.discard(0)
    return frozenset(found)


_FOUR_DIGITS = re.compile(r"\d{4}")
"""Four digits in a row: where a title names no year, it has none (the test is cheaper than the words)."""


def title_years(*texts: str | None) -> frozenset[int]:
    """Years named in titles outside brackets (``Annual report 2018``, ``Black Book 2017 Edition``)."""
    text = _decoded(" ".join(t for t in texts if t))
    if not _FOUR_DIGITS.search(text):
        return frozenset()
    text = _BRACKETED.sub(" ", text)
    return frozenset(y for w in _WORD.findall(text) if len(w) == 4 and w.isdigit() and 1500 <= (y := int(w)) < 2100)
