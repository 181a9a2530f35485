"""Term-frequency adjustment: agreeing on a value many different records carry is weaker evidence than agreeing on
a rare one (*Introduction* or the corporate author *Princeton Review* against *Gödel, Escher, Bach* or three
named authors).

A Fellegi–Sunter level has one ``u``, the chance that two unrelated records agree, averaged over every value. For
the exact-agreement levels of the title and the author list the chance depends on the value: two unrelated
records agree on value ``v`` about as often as a record carries ``v``. How many *different* records carry ``v``
is counted within each member (one library rarely holds two records of one edition, so repeats inside one
catalogue are different books) and the largest count of any member kept, ``k(v)`` (1 for a value seen once or
never). The adjustment, in bits, added to the level's weight is ``log2(k̄ / k(v))``, where ``k̄`` is the mean of
``k`` over the records the counts were made on: zero for a value as common as the average, negative for a more
common one (a value on 8 records of one member where the average is 1.2: −2.7 bits), and at most ``log2(k̄)`` for
a value seen once. It is the ratio of the level's average ``u`` to the value's own, both read from the same
counts, so the adjustment keeps the level's mean weight where the fit put it.

The counts are made when the model is fitted (:mod:`consortium.dedup.fit`) and kept in it: the values on two or
more records of one member (the most common :data:`MAX_VALUES` of each comparison), and ``k̄``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from consortium.dedup.features import MatchView

__all__ = ["ADJUSTED_LEVEL", "MAX_VALUES", "TermFrequencies", "adjustment", "count_values", "value_of"]

MAX_VALUES: Final = 5_000
"""The most values of one comparison kept in a fitted model (the most common first)."""


def _title(view: MatchView) -> str:
    return view.core


def _family(name: tuple[str, ...]) -> str:
    """A name's family name: its last word (names are given names first), or its longest when the last is
    initials (``Halevy AY``)."""
    return name[-1] if len(name[-1]) > 2 else max(name, key=len)


def _authors(view: MatchView) -> str:
    """The author list as its family names in order of the alphabet: the forms of one list (``Halevy, Alon Y.``,
    ``A. Y. Halevy``) give one value."""
    return " ; ".join(sorted(_family(name) for name in view.names))


_VALUES: Final[dict[str, Callable[[MatchView], str]]] = {"title": _title, "authors": _authors}
ADJUSTED_LEVEL: Final = {"title": 0, "authors": 0}
"""The level of each comparison whose weight is adjusted: exact agreement (the same title, the same list)."""

TermFrequencies = dict[str, tuple[float, dict[str, int]]]
"""Per comparison: ``k̄`` and ``k(v)`` of the values with ``k(v) >= 2``."""


def value_of(comparison: str, view: MatchView) -> str:
    """The value of ``view`` whose frequency adjusts ``comparison`` (empty: none)."""
    function = _VALUES.get(comparison)
    return function(view) if function and view.title else ""


def count_values(views: Iterable[MatchView]) -> TermFrequencies:
    """``k̄`` and the counts ``k(v) >= 2`` of each adjusted comparison over these records (see the module)."""
    views = list(views)
    result: TermFrequencies = {}
    for comparison in _VALUES:
        per_member: Counter[tuple[str, str]] = Counter()
        for view in views:
            if value := value_of(comparison, view):
                per_member[(view.key[0], value)] += 1
        largest: dict[str, int] = {}
        for (_, value), count in per_member.items():
            largest[value] = max(largest.get(value, 0), count)
        total = sum(per_member.values())
        if not total:
            continue
        mean = sum(largest[value] * count for (_, value), count in per_member.items()) / total
        common = sorted(((k, v) for v, k in largest.items() if k >= 2), key=lambda kv: (-kv[0], kv[1]))
        result[comparison] = (mean, {v: k for k, v in common[:MAX_VALUES]})
    return result


def adjustment(frequencies: TermFrequencies, comparison: str, a: MatchView, b: MatchView) -> tuple[float, int]:
    """The bits added to ``comparison``'s exact-agreement weight for this pair, and ``k`` of its value (the
    larger of the two records' values, when their forms differ); ``(0.0, 0)`` without counts."""
    if comparison not in frequencies:
        return 0.0, 0
    mean, counts = frequencies[comparison]
    k = max(counts.get(value_of(comparison, a), 1), counts.get(value_of(comparison, b), 1))
    return math.log2(mean / k), k
