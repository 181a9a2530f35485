"""Author names compared across the forms catalogues write them in: ``"Halevy, Alon Y."``, ``"A. Y. Halevy"``,
``"Halevy AY"``, ``"AY Halevy"``, ``"Alon Halevy"`` are one person; the order of a list does not matter."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz

__all__ = ["author_similarity", "same_person"]

_SURNAME_RATIO = 88
"""Edit similarity (percent) for two spellings of one family name (a letter dropped or doubled)."""


def _initials(words: tuple[str, ...]) -> str:
    """Given-name initials; a short word without vowels (``"jr"``, ``"ay"``) is initials glued together."""
    letters = ""
    for word in words:
        glued = len(word) <= 3 and not any(c in "aeiouy" for c in word[1:])
        letters += word if glued and word.isalpha() and len(word) > 1 else word[:1]
    return letters


@lru_cache(maxsize=65536)
def same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two names of one person: the same words (spelling a little apart, any order), or one family name in
    both with compatible given names (the first initials agree, or one side gives none)."""
    if not a or not b:
        return False
    joined_a, joined_b = "".join(a), "".join(b)
    if joined_a == joined_b or fuzz.ratio(joined_a, joined_b) >= 85:
        return True
    if len(a) == 1 or len(b) == 1:  # a corporate or Chinese name, or a lone family name
        return len(a) + len(b) > 2 and (a[0] in b or b[0] in a) and len(max(a[0], b[0], key=len)) > 3
    for i, family_a in enumerate(a):
        if len(family_a) < 2:
            continue
        for j, family_b in enumerate(b):
            if len(family_b) < 2 or fuzz.ratio(family_a, family_b) < _SURNAME_RATIO:
                continue
            given_a = _initials(a[:i] + a[i + 1 :])
            given_b = _initials(b[:j] + b[j + 1 :])
            if not given_a or not given_b or given_a[0] == given_b[0]:
                return True
    return fuzz.token_set_ratio(" ".join(a), " ".join(b)) >= 90


def author_similarity(a: tuple[tuple[str, ...], ...], b: tuple[tuple[str, ...], ...]) -> tuple[float, bool]:
    """The share of the shorter list's authors found in the other list, and whether the lists are the same
    (every author of each in the other)."""
    shorter, longer = sorted((a, b), key=len)
    shared = sum(1 for name in shorter if any(same_person(name, other) for other in longer))
    containment = shared / len(shorter)
    return containment, containment == 1.0 and len(shorter) == len(longer)
