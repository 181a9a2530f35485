"""Spelling help from the index's own terms: which terms are close enough to a word to be what the reader meant.

The rule every adapter applies to the terms it holds, so they agree: a candidate starts with the word's first
letter (:data:`PREFIX_LENGTH`, as OpenSearch's term suggester has it by default) and lies within
:data:`MAX_EDITS` edits of it (insertions, deletions, substitutions, and transpositions of two neighbouring
letters: the optimal string alignment distance). Only words of :data:`MIN_WORD_LENGTH` letters or more, in the
Latin alphabet, are corrected: a Chinese query is cut into characters and pairs, where an edit means another
word.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from rapidfuzz.distance import OSA

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MAX_EDITS", "MIN_WORD_LENGTH", "PREFIX_LENGTH", "best_correction", "correctable", "within_reach"]

MAX_EDITS: Final = 2
"""The most edits between a word and a suggested term."""
PREFIX_LENGTH: Final = 1
"""How many leading letters a suggested term shares with the word."""
MIN_WORD_LENGTH: Final = 4
"""Shorter words are not corrected (too many terms are two edits from a three-letter word)."""

_LATIN_WORD = re.compile(r"[a-z]+")


def correctable(term: str) -> bool:
    """Whether an analyzed query term (lower case) is a word spelling help applies to."""
    return len(term) >= MIN_WORD_LENGTH and bool(_LATIN_WORD.fullmatch(term))


def within_reach(word: str, term: str) -> bool:
    """Whether ``term`` is a candidate for ``word``: another term, sharing its first letter, within
    :data:`MAX_EDITS` edits."""
    if term == word or term[:PREFIX_LENGTH] != word[:PREFIX_LENGTH] or abs(len(term) - len(word)) > MAX_EDITS:
        return False
    return OSA.distance(word, term, score_cutoff=MAX_EDITS) <= MAX_EDITS


def best_correction(word: str, candidates: Mapping[str, int]) -> str | None:
    """The candidate (term → how many works hold it) to suggest for ``word``: the fewest edits away, then the
    most held, then the first alphabetically; ``None`` when no candidate is within reach.

    Example
    -------
    >>> best_correction("algoritm", {"algorithm": 3, "algorism": 1, "logarithm": 9})
    'algorithm'
    """
    ranked = sorted(
        (OSA.distance(word, term), -count, term)
        for term, count in candidates.items()
        if count > 0 and within_reach(word, term)
    )
    return ranked[0][2] if ranked else None
