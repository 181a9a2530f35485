"""The comparisons the matcher weighs: each reads a pair of match views as one level of agreement, or ``None``
when a record lacks the value (no evidence either way, never disagreement).

A value missing from its field but present in another field of the same record (the "dirty" exports, where an
author list or a year was put into the title) still counts: the other record's value is looked for among every
word the record says (:attr:`~consortium.dedup.features.MatchView.words`).
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Final

from rapidfuzz import fuzz

from consortium.dedup.names import author_similarity
from consortium.dedup.parts import number_value
from consortium.text import is_cjk

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.dedup.features import MatchView

__all__ = [
    "COMPARISONS",
    "LEVELS",
    "compare",
    "differing_words",
    "differs_in_numbering_only",
    "title_similarity",
    "venue_level",
]

LEVELS: Final[dict[str, tuple[str, ...]]] = {
    "title": (
        "exact",
        "one begins or holds the other",
        "similar >= 0.92",
        "the same first words, other fields after",
        "similar >= 0.8",
        "a word of each differs",
        "differ",
    ),
    "authors": ("same list", "shorter list within the other", "half shared", "differ"),
    "year": ("equal", "one apart", "two or three apart", "further apart"),
    "venue": ("same or abbreviated", "partly shared", "differ"),
    "pages": ("within 5%", "within 15%", "differ"),
    "isbn": ("shared", "differ, print and electronic", "differ, one medium"),
    "parts": ("same numbers", "numbered on one side only"),
}
"""Each comparison's levels, the most agreeing first."""

LEADING_WORDS: Final = 4
"""Titles that begin with the same four words, the rest being other fields run into them (the "dirty"
exports)."""
_STOP = frozenset("a an and at de der des die for in of on the to und".split())
REPLACED_WORDS: Final = 3
"""The most words put in place of each other that read as a different title rather than other fields (an
author list, a venue) run into one of them."""
_ORDINALS: Final = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth".split())
SPELLING_RATIO: Final = 80
"""Edit similarity (percent) at which two words are one word spelt differently (``colour``, ``color``)."""


def _is_prefix(short: str, long: str) -> bool:
    """``short`` begins ``long`` at a word boundary and has at least two words (or three Chinese characters)."""
    if len(short) >= len(long) or not long.startswith(short) or long[len(short)] != " ":
        return False
    return len(short.split()) >= 2 or (len(short) >= 3 and any(is_cjk(c) for c in short))


def _within_other_fields(short: MatchView, long: MatchView) -> bool:
    """The shorter title (three words or more) stands whole in the longer one, whose other words the shorter
    record says in other fields: an author's name or a publisher run into the title (*John Howe Fantasy Drawing
    Workshop* by John Howe against *Fantasy Drawing Workshop*)."""
    title = short.core
    if len(title.split()) < 3:
        return False
    at = f" {long.core} ".find(f" {title} ")
    if at < 0:
        return False
    rest = (long.core[:at] + " " + long.core[at + len(title) :]).split()
    return bool(rest) and all(w in short.words and w not in short.full_title.split() for w in rest)


def title_similarity(a: MatchView, b: MatchView) -> float:
    """1 for the same title, 0.95 when one begins the other (a subtitle left out, or other fields written
    after it), else the best of the edit and word-order ratios (main titles alone only when one record gives
    no subtitle: two different subtitles make two titles)."""
    if not a.title or not b.title:
        return 0.0
    if a.full_title == b.full_title or (a.core and a.core == b.core):
        return 1.0
    one_without_subtitle = a.full_title == a.title or b.full_title == b.title
    shorter, longer = sorted((a.full_title, b.full_title), key=len)
    if (one_without_subtitle and a.title == b.title) or _is_prefix(shorter, longer):
        return 0.95
    ratios = [fuzz.ratio(a.full_title, b.full_title), fuzz.ratio(a.core, b.core), fuzz.token_sort_ratio(a.core, b.core)]
    if one_without_subtitle:
        ratios.append(fuzz.ratio(a.title, b.title))
    return max(ratios) / 100.0


NUMBERING_WORDS: Final = frozenset(
    "magazine journal newsletter bulletin issue number no volume vol v part pt book bk tome edition ed".split()
)
"""Words that name what kind of publication or numbered part a title is, not which one: *Fantasy Magazine,
Issue 60* and *Fantasy Issue 60* are one issue."""


def differs_in_numbering_only(a: MatchView, b: MatchView) -> bool:
    """Every word one title has and the other lacks is a number or a word of :data:`NUMBERING_WORDS`."""
    only = set(a.full_title.split()) ^ set(b.full_title.split())
    return all(w in NUMBERING_WORDS or number_value(w) for w in only)


def _said_by(word: str, words: frozenset[str]) -> bool:
    """``word`` is among ``words``, or one of them is a spelling of it (a letter dropped, doubled or changed)."""
    if word in words:
        return True
    return any(abs(len(w) - len(word)) <= 2 and fuzz.ratio(word, w) >= SPELLING_RATIO for w in words)


def differing_words(a: MatchView, b: MatchView) -> tuple[list[str], list[str]]:
    """Words put in place of each other inside two titles (the words before and after them the same): two
    titles of one pattern naming different things (*Cracking the AP World History Exam* and *… U.S. History
    Exam*, *Sweet Life 2: Erotic fantasies* and *Sweet Love: Erotic fantasies*); else two empty lists.

    Only content words count (not numbers, left to the parts, nor little words), and not a word the other
    record says anywhere (a subtitle, an author's name) or spells a little differently, nor an abbreviation
    of the other's words (``vldb``). Words added at the end (other fields run into a title, a subtitle left
    out) are not put in place of anything. Chinese titles are compared otherwise."""
    if not a.core.isascii() or not b.core.isascii() or a.core == b.core:
        return [], []
    words_a, words_b = _join_initials(a.core.split()), _join_initials(b.core.split())
    only_a: list[str] = []
    only_b: list[str] = []
    opcodes = SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes()
    for (tag, i1, i2, j1, j2), following in zip(opcodes, [*opcodes[1:], None], strict=True):
        if tag != "replace" or following is None or following[0] != "equal":
            continue
        left = [w for w in words_a[i1:i2] if _content(w) and not _said_by(w, b.words)]
        right = [w for w in words_b[j1:j2] if _content(w) and not _said_by(w, a.words)]
        if (
            0 < len(left) <= REPLACED_WORDS
            and 0 < len(right) <= REPLACED_WORDS
            and not _abbreviates(left, words_b[j1:j2])
            and not _abbreviates(right, words_a[i1:i2])
        ):
            only_a += left
            only_b += right
    return only_a, only_b


def _join_initials(words: list[str]) -> list[str]:
    """Letters standing alone in a row as one word (``u s`` from *U.S.*, ``ai`` from *A.I.*)."""
    joined: list[str] = []
    run = ""
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            joined.append(run.upper() if len(run) > 1 else run)
            run = ""
        if word:
            joined.append(word)
    return joined


def _content(word: str) -> bool:
    """A word that names something: not a number (``4th``, ``fourth``, ``ii``: parts and editions are weighed
    elsewhere), not a little word, not a letter or two (an initial, a stray piece of a broken name)."""
    if word.isupper():  # letters joined (``US``)
        return True
    return len(word) > 2 and word.isalpha() and word not in _STOP and not number_value(word) and word not in _ORDINALS


def _abbreviates(words: list[str], others: list[str]) -> bool:
    """One of ``words`` is an abbreviation of the ``others``: their initials (``vldb``), the beginning of one
    of them (``syst``, ``systems``), or a word without vowels beginning as one of them does (``dbms``,
    ``database``)."""
    initials = _acronym(" ".join(others))
    for word in (w.lower() for w in words):
        if word in initials or any(o.startswith(word) for o in others):
            return True
        if not any(c in "aeiouy" for c in word) and any(o[0] == word[0] for o in others):
            return True
    return False


def _same_start_rest_elsewhere(a: MatchView, b: MatchView) -> bool:
    """The titles begin with the same four words or more, and what follows them is mostly words the other
    record says too, or their abbreviation (authors, venue or year run into the title: a "dirty" export)."""
    words_a, words_b = a.full_title.split(), b.full_title.split()
    shared = 0
    for x, y in zip(words_a, words_b, strict=False):
        if x != y:
            break
        shared += 1
    if shared < LEADING_WORDS:
        return False
    rest_a = [w for w in words_a[shared:] if w not in _STOP]
    rest_b = [w for w in words_b[shared:] if w not in _STOP]
    found_a, covered_b = _initialisms(rest_a, rest_b)
    found_b, covered_a = _initialisms(rest_b, rest_a)
    found = sum(n in found_a or n in covered_a or w in b.words for n, w in enumerate(rest_a))
    found += sum(n in found_b or n in covered_b or w in a.words for n, w in enumerate(rest_b))
    return found * 2 >= len(rest_a) + len(rest_b)


def _initialisms(words: list[str], others: list[str]) -> tuple[set[int], set[int]]:
    """The positions of ``words`` that are the initials of words in a row of ``others`` (``vldb``: *very large
    data bases*), and the positions of the words they abbreviate."""
    found: set[int] = set()
    covered: set[int] = set()
    initials = "".join(w[0] if w.isalpha() else " " for w in others)
    for n, word in enumerate(words):
        if len(word) >= 2 and word.isalpha() and (at := initials.find(word)) >= 0:
            found.add(n)
            covered.update(range(at, at + len(word)))
    return found, covered


def _title(a: MatchView, b: MatchView) -> int | None:
    if not a.title or not b.title:
        return None
    similarity = title_similarity(a, b)
    if similarity == 1.0:
        return 0
    if similarity >= 0.95:
        return 1
    # The shorter title's words all said by the other record (its title with other fields run into it).
    short, long = sorted((a, b), key=lambda v: len(v.full_title))
    words = short.full_title.split()
    head = long.core[: len(short.core)]
    if len(words) >= 3 and all(w in long.words for w in words) and fuzz.ratio(short.core, head) >= 95:
        return 1
    if _within_other_fields(short, long):
        return 1
    if similarity >= 0.92:
        return 5 if differing_words(a, b)[0] else 2
    if _same_start_rest_elsewhere(a, b):
        return 3
    if similarity >= 0.8:
        return 5 if differing_words(a, b)[0] else 4
    return 6


def _found_in(names: tuple[tuple[str, ...], ...], words: frozenset[str]) -> bool:
    """Every name's family name (its longest word) is among ``words``."""
    return all(max(name, key=len) in words for name in names)


def _authors(a: MatchView, b: MatchView) -> int | None:
    if not a.names or not b.names:
        # An author list in the other record's title (or another field) still agrees.
        listed, other = (a, b) if a.names else (b, a)
        return 1 if listed.names and _found_in(listed.names, other.words) else None
    containment, both_ways = author_similarity(a.names, b.names)
    if both_ways:
        return 0
    if containment == 1.0:
        return 1
    return 2 if containment >= 0.5 else 3


def _years(view: MatchView) -> frozenset[int]:
    """The record's year, or the years its title names when the year field is empty."""
    return frozenset((view.year,)) if view.year is not None else view.years_in_title


def _year(a: MatchView, b: MatchView) -> int | None:
    years_a, years_b = _years(a), _years(b)
    if not years_a or not years_b:
        return None
    gap = min(abs(x - y) for x in years_a for y in years_b)
    return 0 if gap == 0 else 1 if gap == 1 else 2 if gap <= 3 else 3


def _acronym(text: str) -> str:
    return "".join(w[0] for w in text.split() if w not in _STOP)


def venue_level(left: str, right: str) -> int:
    """Publishers or venues: the same (or one the other's abbreviation, ``vldb``), partly shared, or not."""
    if fuzz.token_set_ratio(left, right) >= 90:
        return 0
    short, long = sorted((left, right), key=len)
    acronym = _acronym(long)
    if len(acronym) >= 2 and any(len(w) >= 2 and (w == acronym or w in acronym.split()) for w in short.split()):
        return 0
    shared = set(short.split()) & set(long.split()) - _STOP
    return 1 if shared or fuzz.partial_ratio(short, long) >= 80 else 2


def _venue(a: MatchView, b: MatchView) -> int | None:
    if not a.publisher or not b.publisher:
        named, other = (a, b) if a.publisher else (b, a)
        words = [w for w in named.publisher.split() if w not in _STOP]
        return 0 if words and all(w in other.words for w in words) else None
    return venue_level(a.publisher, b.publisher)


def _pages(a: MatchView, b: MatchView) -> int | None:
    if not a.pages or not b.pages:
        return None
    gap = abs(a.pages - b.pages) / max(a.pages, b.pages)
    return 0 if gap <= 0.05 else 1 if gap <= 0.15 else 2


def _isbn(a: MatchView, b: MatchView) -> int | None:
    if not a.isbns or not b.isbns:
        return None
    if a.isbns & b.isbns:
        return 0
    return 1 if a.electronic != b.electronic else 2


def _parts(a: MatchView, b: MatchView) -> int | None:
    if not a.parts and not b.parts:
        return None
    return 0 if a.parts == b.parts else 1


COMPARISONS: Final[dict[str, Callable[[MatchView, MatchView], int | None]]] = {
    "title": _title,
    "authors": _authors,
    "year": _year,
    "venue": _venue,
    "pages": _pages,
    "isbn": _isbn,
    "parts": _parts,
}


def compare(a: MatchView, b: MatchView) -> dict[str, int | None]:
    """The level of every comparison for this pair (``None``: no evidence)."""
    return {name: function(a, b) for name, function in COMPARISONS.items()}
