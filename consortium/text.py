"""Text normalization for matching: one form for the same words however a cataloguer typed them.

Mojibake (UTF-8 once read as Latin-1) is repaired, full-width forms become half-width (NFKC), case is folded,
accents are removed, punctuation (Latin and CJK) becomes a space, traditional Chinese becomes simplified (OpenCC
``t2s``) and common variant characters are folded (锺 and 钟 in 钱锺书 / 钱钟书).
Chinese text is compared character by character, Latin text word by word; both may mix in one title.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import ftfy
import opencc

from consortium.mojibake import MOJIBAKE

__all__ = [
    "core_title",
    "is_cjk",
    "match_text",
    "name_words",
    "plain_title",
    "surname_key",
    "title_tokens",
]

_T2S = opencc.OpenCC("t2s.json")
# Variant characters that catalogues use interchangeably after traditional-to-simplified conversion.
_VARIANTS = str.maketrans({"锺": "钟", "於": "于", "裏": "里", "裡": "里", "妳": "你", "箇": "个", "麽": "么"})
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an|le|la|les|l|der|die|das|el|los|las|il|lo|gli|i)\s+")


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


@lru_cache(maxsize=65536)
def match_text(text: str) -> str:
    """The comparable form of ``text``: lower-case words separated by single spaces, Chinese simplified."""
    if "&" in text:
        text = html.unescape(text).replace("&", " and ")
    if text.isascii():
        # Plain ASCII needs none of the Unicode steps below (and most catalogue text is ASCII).
        return " ".join(_NON_WORD.sub(" ", text.lower()).replace("_", " ").split())
    if MOJIBAKE.search(text):  # UTF-8 read as Latin-1 at the source: repaired, and the rest ftfy fixes
        text = ftfy.fix_text(text)
    value = unicodedata.normalize("NFKC", text).casefold()
    if _CJK.search(value):
        value = _T2S.convert(value).translate(_VARIANTS)
    decomposed = unicodedata.normalize("NFD", value)
    if not decomposed.isascii():
        decomposed = "".join(c for c in decomposed if not unicodedata.combining(c))
    value = decomposed
    value = _NON_WORD.sub(" ", value).replace("_", " ")
    return " ".join(value.split())


def title_tokens(title: str) -> list[str]:
    """Words of a title for matching: Latin words, and each Chinese character as a word; no leading article."""
    return list(_title_tokens(title))


@lru_cache(maxsize=8192)
def _title_tokens(title: str) -> tuple[str, ...]:
    # Kept a while: a record's title is cut for its match view, its blocking keys, its work key and its index
    # document, one after the other.
    value = _LEADING_ARTICLE.sub("", match_text(title))
    if value.isascii():
        return tuple(value.split())  # no Chinese character to cut out (most titles): the words as they are
    tokens: list[str] = []
    for word in value.split():
        if _CJK.search(word):
            buffer = ""
            for char in word:
                if is_cjk(char):
                    if buffer:
                        tokens.append(buffer)
                        buffer = ""
                    tokens.append(char)
                else:
                    buffer += char
            if buffer:
                tokens.append(buffer)
        else:
            tokens.append(word)
    return tuple(tokens)


@lru_cache(maxsize=65536)
def surname_key(name: str) -> str:
    """The family name of a heading: ``"Knuth, Donald E."`` and ``"Donald E. Knuth"`` give ``knuth``; a Chinese
    name (written surname first, no comma) gives its whole normalized form (钱钟书)."""
    text = match_text(name)
    if not text:
        return ""
    if _CJK.search(text):
        return text.replace(" ", "")
    if "," in name:
        return match_text(name.split(",", 1)[0]).replace(" ", "")
    words = text.split()
    return words[-1] if words else ""


_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|（[^）]*）")
_PADDED = r"(&#\d+;|&#x[0-9a-fA-F]+;|&(?!amp;)[a-zA-Z]+;|[\u00c0-\u024f])"
_PADDED_INSIDE = re.compile(rf"(?<=\w) {_PADDED} (?=\w)")
_PADDED_START = re.compile(rf"(?<!\S){_PADDED} (?=[a-z\u00df-\u00ff])")
"""An accented letter, or its character reference, that an export wrote with a space on each side inside a word
(``fran &#231; ois``, ``fran ç ois``) or after it at a word's start (``&#214; zg &#252; r``, not ``É Smith``)."""


def plain_title(title: str) -> bool:
    """Whether ``title_tokens(core_title(title))`` is ``title_tokens(title)``: plain ASCII, nothing bracketed and
    no character reference (``core_title`` then only normalizes it, and normalizing ASCII twice changes nothing).
    Lets a caller holding a title's tokens skip cutting it again."""
    return title.isascii() and "(" not in title and "[" not in title and "&" not in title


@lru_cache(maxsize=8192)
def core_title(title: str) -> str:
    """The title without bracketed qualifiers (``"(panel abstract)"``, ``"[electronic resource]"``)."""
    return match_text(_BRACKETED.sub(" ", html.unescape(title)))


@lru_cache(maxsize=65536)
def name_words(name: str) -> tuple[str, ...]:
    """A personal or corporate name as normalized words, given names first (``"Güntzer, Ulrich"`` gives
    ``("ulrich", "guntzer")``); a Chinese name is one word. A lone letter split off by a stray character
    reference (``"g &#252; ntzer"``, ``"fran &#231; ois"``) is joined back to its neighbours."""
    if not name.isascii() or "&" in name:
        name = _PADDED_START.sub(r"\1", _PADDED_INSIDE.sub(r"\1", name))
    text = match_text(name)
    if _CJK.search(text):
        return (text.replace(" ", ""),) if text else ()
    if "," in name:
        family, _, given = name.partition(",")
        text = f"{match_text(given)} {match_text(family)}"
    text = re.sub(r"(\w) ([^\x00-\x7f]) (\w)", r"\1\2\3", text)
    return tuple(text.split())
