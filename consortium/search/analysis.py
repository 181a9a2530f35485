"""Text analysis for search: the same words for a document and for a query, whichever adapter indexes them.

Text is first put in the form :func:`~consortium.text.match_text` gives (NFKC, case folded, accents and
punctuation removed, traditional Chinese converted to simplified), then cut into terms:

- a run of Chinese (or Japanese, Korean) characters gives every character (unigrams) and every pair of
  neighbouring characters (overlapping bigrams): ``深度学习`` gives ``深 深度 度 度学 学 学习 习``. A Chinese
  title has no spaces between words, and an engine's default tokenizer keeps the whole run as one term, so a
  reader typing ``深度`` would not find ``深度学习`` without this;
- any other run (Latin, digits, Cyrillic...) is one term, and in titles, subjects and publishers an English
  plural is reduced to its singular (the rules of Lucene's ``EnglishMinimalStemmer``, OpenSearch's
  ``minimal_english`` filter): ``algorithms`` and ``algorithm`` meet. Names are not stemmed.

A mixed word such as ``Python深度学习`` gives ``python`` and the Chinese terms. The analyzed terms are joined by
spaces into companion fields (``title_terms``...) that an engine indexes with a plain whitespace tokenizer, and
queries are analyzed by the same function, so every adapter matches the same documents.
"""

from __future__ import annotations

import re
from functools import lru_cache

from consortium.text import match_text

__all__ = ["CACHED", "analyze", "analyze_name", "analyze_text", "minimal_english_stem", "plain_analyze"]

# Scripts written without spaces between words: CJK ideographs (as match_text knows them), kana, Hangul.
_BIGRAM_SCRIPT = r"\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ffff"
_RUNS = re.compile(rf"([{_BIGRAM_SCRIPT}]+)|([^{_BIGRAM_SCRIPT}]+)")
_BIGRAM_CHAR = re.compile(rf"[{_BIGRAM_SCRIPT}]")
_ASCII_WORD = re.compile(r"[a-z]+")


def minimal_english_stem(word: str) -> str:
    """The singular of an English plural, as Lucene's ``EnglishMinimalStemmer`` gives it.

    ``libraries`` gives ``library``, ``algorithms`` gives ``algorithm``; ``status``, ``class``, ``heroes``
    and words of fewer than four letters are left alone.
    """
    if len(word) < 3 or word[-1] != "s" or not _ASCII_WORD.fullmatch(word):
        return word
    before = word[-2]
    if before in "us":
        return word
    if before == "e":
        if len(word) > 3 and word[-3] == "i" and word[-4] not in "ae":
            return word[:-3] + "y"
        if word[-3] in "iaoe":
            return word
    return word[:-1]


def analyze(text: str, *, stem: bool, join_runs: bool = False) -> list[str]:
    """The terms of ``text`` (see the module notes).

    Parameters
    ----------
    text
        Any text: a title, a name, what a reader typed.
    stem
        Reduce English plurals to their singular.
    join_runs
        Also pair the last character of a Chinese run with the first of the next one when only spaces or
        punctuation separate them (``深度学习：方法`` also gives ``习方``), so a query typed without the
        punctuation still finds the document. Used for documents, not for queries.

    The terms of a text are kept for the next time it comes (:data:`CACHED` texts: a union catalogue repeats
    its publishers, subject headings and authors from work to work); they are those of :func:`plain_analyze`.

    Example
    -------
    >>> analyze("Python深度学习", stem=True)
    ['python', '深', '深度', '度', '度学', '学', '学习', '习']
    """
    return list(_analyzed(text, stem, join_runs))


CACHED = 32_768
"""Texts whose terms :func:`analyze` keeps (the most recently used)."""


@lru_cache(maxsize=CACHED)
def _analyzed(text: str, stem: bool, join_runs: bool) -> tuple[str, ...]:
    value = match_text(text)
    if value.isascii():
        # No character of a script written without spaces (most catalogue text): each word is one term.
        words = value.split()
        return tuple(minimal_english_stem(word) for word in words) if stem else tuple(words)
    return tuple(_analyze_words(value.split(), stem=stem, join_runs=join_runs))


def plain_analyze(text: str, *, stem: bool, join_runs: bool = False) -> list[str]:
    """What :func:`analyze` gives, computed every time by the general rule (no shortcut, nothing kept): the
    definition the faster path is tested against."""
    return _analyze_words(match_text(text).split(), stem=stem, join_runs=join_runs)


def _analyze_words(words: list[str], *, stem: bool, join_runs: bool) -> list[str]:
    terms: list[str] = []
    previous_cjk = ""
    for word in words:
        for index, match in enumerate(_RUNS.finditer(word)):
            cjk, other = match.group(1), match.group(2)
            if other:
                terms.append(minimal_english_stem(other) if stem else other)
                continue
            if join_runs and index == 0 and previous_cjk:
                terms.append(previous_cjk + cjk[0])
            for position, char in enumerate(cjk):
                terms.append(char)
                if position + 1 < len(cjk):
                    terms.append(char + cjk[position + 1])
        previous_cjk = word[-1] if _BIGRAM_CHAR.fullmatch(word[-1]) else ""
    return terms


def analyze_text(text: str, *, join_runs: bool = False) -> list[str]:
    """The terms of a title, subject heading or publisher: stemmed."""
    return analyze(text, stem=True, join_runs=join_runs)


def analyze_name(text: str, *, join_runs: bool = False) -> list[str]:
    """The terms of a personal or corporate name: not stemmed (``Adams`` stays ``adams``)."""
    return analyze(text, stem=False, join_runs=join_runs)
