"""Scoring one new work for one reader: every interest it meets, weighed by rarity, combined with saturation.

Each piece of evidence is a probability-like value in [0, 1], and the score is their noisy-OR,
``1 - prod(1 - p)``: a work meeting more of the reader's interests scores higher, but never past 1, and a
hundred weak matches do not beat one strong one by a hundred times. The pieces:

* every interest key the work posts under (its own keys, a class's broader classes, a heading's broader headings
  and subdivisions, :mod:`consortium.push.index`) that the reader has (a key the reader declared counts at
  rarity 1: rarity discounts what learning inferred from catch-all headings, not what the reader asked for):
  ``reader weight × rarity × factor × rarity / sqrt(the work's own keys)``: rarity counts on both sides, as a
  TF-IDF cosine counts IDF in the reader's vector and in the work's (a key the reader declared at 1 on both;
  on the work's side only with rarity over the catalogue, not over a run's own new works)
  (:meth:`~consortium.push.evidence.Evidence.rarity`; the reader weight is 1 for their strongest key; the
  square root normalizes the work's length as a cosine does, so a record with twelve headings does not win by
  having them);
* keys co-borrowed with the reader's keys (:mod:`consortium.push.coborrow`):
  ``coborrow weight × cosine × reader weight × rarity`` (× the key's rarity on the work's side), the best of
  the reader's keys leading to it (those worth under :data:`RELATED_FLOOR` are not followed);
* its content similarity with the works the reader borrowed lately (:func:`borrowed_similarity`): ``s``, the
  sum of its TF-IDF cosines with each of them (expanded keys, rarity as the IDF: what the TF-IDF peer scores
  with a reader's loans), made a probability as a Poisson count of ``s`` expected events is at least one,
  ``overlap weight × (1 - exp(-s))`` (the noisy-OR of many small pieces tends to the same form): this reaches
  works that meet many of the reader's lesser keys at once, as their recent loans do, and not only one strong key
  (as the reason names one borrowed work, the closest, it weighs as that one work's part, ``1 - exp(-cosine)``,
  against the other pieces);
* works co-borrowed with one the reader borrowed lately: ``coborrow weight × cosine``.

Then a prior, what the work is for every reader: its loans over the consortium (distinct readers, counted only
from ten on), log-scaled, at :data:`POPULARITY_WEIGHT`, as much as the reader's own library holding it weighs
(:data:`~consortium.push.ranking.HOME_WEIGHT`); and the number of members holding it, a tie-break
(:data:`HOLDINGS_WEIGHT`).
"""

from __future__ import annotations

import functools
import heapq
import math
import sys
from operator import itemgetter
from typing import TYPE_CHECKING

from consortium.profiles.interest_keys import subject_levels

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from consortium.push.evidence import Evidence
    from consortium.push.index import NewWork, NewWorks
    from consortium.push.ranking import Taste

__all__ = [
    "POPULARITY_WEIGHT",
    "RELATED_FLOOR",
    "Values",
    "borrowed_similarity",
    "evidence_score",
    "evidence_scores",
    "reader_values",
]

POPULARITY_WEIGHT = 0.10
"""At most this much is added to a score for the work's loans over the consortium: the weight of the reader's own
library holding it (:data:`~consortium.push.ranking.HOME_WEIGHT`), the one prior the ranking had, for the other
thing a work is to every reader (among works meeting the same interests, the one many readers borrowed is the
likelier loan; 0.01 before, a tie-break: README "Push", ``bench/recommend_quality.py --validation``)."""
HOLDINGS_WEIGHT = 0.001
"""How many members hold the work breaks ties: at most this much is added to a score."""

LENGTH_EXPONENT = 0.5
"""A key match is divided by the work's own keys to this power: 0.5, a cosine's square root, so that a record
with twelve headings does not win by having them."""

RELATED_FLOOR = 0.01
"""A co-borrowed key worth less than this (a hundredth of a full match) is not followed: it could add at most
that much to a score, and following every weak pair of a large consortium costs each reader thousands of steps."""

Values = dict[str, tuple[float, str]]
"""Key → (value, why): what meeting the key is worth for the reader, and what a reason names for it (the key
itself, or ``"related:" + the reader's key`` it is co-borrowed with)."""


def reader_values(taste: Taste, evidence: Evidence, lookup: Mapping[str, float] | None = None) -> Values:
    """What each key is worth for the reader: their weight × the key's rarity, for their keys with their
    subject headings' broader headings and subdivisions (at :data:`ANCESTOR_FACTOR` a level), then keys
    co-borrowed with those. ``lookup`` restricts the reader keys that are expanded and followed."""
    values = ReaderValues(taste, evidence, lookup)
    values.follow(RELATED_FLOOR)
    whys = values.whys
    return {key: (value, "related:" + whys[key] if key in whys else key) for key, value in values.values.items()}


class ReaderValues:
    """:func:`reader_values` worked out as far as a caller needs it: :meth:`strongest` gives the strongest keys
    (what a run looks up) following only the co-borrowed keys that can be among them, :meth:`complete` the
    values of the keys a run's candidates post under; both exactly what the whole map gives."""

    def __init__(self, taste: Taste, evidence: Evidence, lookup: Mapping[str, float] | None = None) -> None:
        base: dict[str, float] = {}
        told: set[str] = set()
        declared = taste.declared
        known_base = base.get
        for key, weight in (lookup if lookup is not None else taste.weights).items():
            levels = _levels(key)
            for level, factor in levels:
                value = weight * factor
                known = known_base(level)
                if known is None:
                    base[level] = value if value > 0.0 else 0.0  # max(0.0, value), as when none was known
                elif value > known:
                    base[level] = value
            if key in declared:
                told.update(level for level, _ in levels)
        rarities = evidence.rarities
        self.base = base
        self.values = {key: weight * (1.0 if key in told else rarities[key]) for key, weight in base.items()}
        """Key → what meeting it is worth (its value in :func:`reader_values`)."""
        self.whys: dict[str, str] = {}
        """Key → the reader's key it is co-borrowed with, for the keys whose value is a co-borrowed one."""
        self.evidence = evidence
        self._followed = bool(evidence.related) and evidence.coborrow_weight > 0

    def follow(self, limit: float) -> None:
        """Follow the co-borrowed keys worth at least ``limit`` (at least :data:`RELATED_FLOOR`), in the order
        :func:`reader_values` does."""
        if not self._followed:
            return
        coborrow_weight, related, values, whys = (
            self.evidence.coborrow_weight,
            self.evidence.related_lists,
            self.values,
            self.whys,
        )
        known_value = values.get
        for key, weight in self.base.items():
            scale = coborrow_weight * weight
            if scale < RELATED_FLOOR:
                continue
            for strength, other in related.get(key, ()):
                value = scale * strength
                if value < limit:
                    break  # the rest, weaker still, would add less than the floor to any score
                if value > known_value(other, 0.0):
                    values[other] = value
                    whys[other] = key

    def strongest(self, count: int, skipped: set[str]) -> list[tuple[str, float]]:
        """The ``count`` keys worth most (not in ``skipped``), strongest first, the first met of equals first: the
        first ``count`` of the whole map sorted by value (a stable sort). Co-borrowed keys are followed strongest
        first, only until none left can be among them (the threshold algorithm), unless two of those tie, when
        the order they were first met in over the whole map decides: then every one is followed."""
        if not self._followed:
            return self._ranked(count, skipped)
        snapshot = dict(self.values)
        self._follow_strongest(count, skipped)
        kept = self._ranked(count, skipped)
        if kept:
            last, values = kept[-1][1], self.values
            met = [value for value in map(values.__getitem__, values.keys() - self.base.keys()) if value >= last]
            if len(met) != len(set(met)):  # co-borrowed keys of equal value: their order over the whole map
                self.values, self.whys = snapshot, {}
                self.follow(RELATED_FLOOR)
                kept = self._ranked(count, skipped)
        return kept

    def _unskipped(self, skipped: set[str]) -> dict[str, float]:
        values = dict(self.values)
        for key in skipped:
            values.pop(key, None)
        return values

    def _ranked(self, count: int, skipped: set[str]) -> list[tuple[str, float]]:
        return sorted(self._unskipped(skipped).items(), key=itemgetter(1), reverse=True)[:count]

    def _bound(self, count: int, skipped: set[str]) -> float:
        """The ``count``-th value now (the whole map's is at least that), or the floor."""
        own = sorted(self._unskipped(skipped).values(), reverse=True)
        return max(RELATED_FLOOR, own[count - 1]) if len(own) >= count else RELATED_FLOOR

    def _follow_strongest(self, count: int, skipped: set[str]) -> None:
        """Follow co-borrowed keys strongest first (equals in the order of the reader's keys, so that the first
        of equals is the one :meth:`follow` keeps) while they can still be among the ``count`` strongest."""
        coborrow_weight, related, values, whys = (
            self.evidence.coborrow_weight,
            self.evidence.related_lists,
            self.values,
            self.whys,
        )
        heap = []
        limit = self._bound(count, skipped)
        strongest = self.evidence.related_strongest.get
        for index, (key, weight) in enumerate(self.base.items()):
            top = strongest(key)
            if top is not None:
                scale = coborrow_weight * weight
                value = scale * top
                if value >= limit and scale >= RELATED_FLOOR:
                    heap.append((-value, index, 0, scale, key, related[key]))
        heapq.heapify(heap)
        known_value, steps = values.get, 0
        while heap:
            negative, index, at, scale, key, followed = heap[0]
            if -negative < limit:
                break  # every one left is weaker, so none can be among the strongest
            other = followed[at][1]
            if -negative > known_value(other, 0.0):
                values[other] = -negative
                whys[other] = key
            at += 1
            value = scale * followed[at][0] if at < len(followed) else 0.0
            if value >= RELATED_FLOOR:
                heapq.heapreplace(heap, (-value, index, at, scale, key, followed))
            else:
                heapq.heappop(heap)
            steps += 1
            if steps % 16 == 0:
                limit = self._bound(count, skipped)

    def complete(self, keys: set[str]) -> None:
        """Make the values of ``keys`` what the whole map gives them: every co-borrowed key among them followed
        (in the order :func:`reader_values` follows them: each key once per reader key, so that order is kept)."""
        if not self._followed:
            return
        coborrow_weight, related, values, whys = (
            self.evidence.coborrow_weight,
            self.evidence.related_maps,
            self.values,
            self.whys,
        )
        known_value = values.get
        for key, weight in self.base.items():
            scale = coborrow_weight * weight
            if scale < RELATED_FLOOR:
                continue
            others = related.get(key)
            if others is None:
                continue
            for other in keys.intersection(others):
                value = scale * others[other]
                if value >= RELATED_FLOOR and value > known_value(other, 0.0):
                    values[other] = value
                    whys[other] = key


@functools.lru_cache(maxsize=65536)
def _levels(key: str) -> list[tuple[str, float]]:
    """A key's subject levels, worked out once per key for every reader (read only), each level's key interned
    (:func:`sys.intern`), as the index's and the evidence's are: a lookup of one in their maps finds the same
    object, and compares no characters."""
    return [(sys.intern(level), factor) for level, factor in subject_levels(key)]


@functools.lru_cache(maxsize=256)
def _length_norm(keys: int) -> float:
    norm: float = max(1, keys) ** -LENGTH_EXPONENT
    return norm


def borrowed_similarity(work: NewWork, taste: Taste, evidence: Evidence) -> tuple[float, float, str]:
    """``(sum of cosines, the largest, its borrowed work's cluster id)``: the work's cosine with each work the reader
    borrowed lately, over their expanded keys with each key's rarity as its weight (a TF-IDF cosine, rarity as the
    IDF), summed as a TF-IDF profile sums the vectors of a reader's loans. Sums over a set of keys are exact
    (``math.fsum``), so a score does not depend on the order a set gives its keys in."""
    return _similarity(work, work.expanded, evidence.norm(work.expanded), _loans(taste, evidence), evidence.squares)


def _loans(taste: Taste, evidence: Evidence) -> list[tuple[frozenset[str], float, str]]:
    """The works borrowed lately as the similarity reads them: ``(expanded keys, norm, cluster id)``."""
    return [(borrowed.keys, evidence.norm(borrowed.keys), borrowed.cluster_id) for borrowed in taste.borrowed]


def _similarity(
    work: NewWork,
    expanded: frozenset[str],
    norm: float,
    loans: list[tuple[frozenset[str], float, str]],
    squares: Mapping[str, float],
) -> tuple[float, float, str]:
    """:func:`borrowed_similarity`, given the work's keys any loan has (``expanded``: all of them will do)."""
    total, best, closest = 0.0, 0.0, ""
    cluster_id, square = work.cluster_id, squares.__getitem__
    for keys, loan_norm, loan_id in loans:
        shared = expanded & keys
        if not shared or loan_id == cluster_id:
            continue
        cosine = math.fsum(map(square, shared)) / (norm * loan_norm)
        total += cosine
        if cosine > best:
            best, closest = cosine, loan_id
    return total, best, closest


Terms = tuple[tuple[tuple[str, float, float], ...], float, float, float]
"""What scoring needs of a work, worked out once per work and evidence: ``((key, factor, rarity on the work's
side), ...)`` in the work's order, the length norm, the norm of its rarity vector, the tie-break."""


def _terms(work: NewWork, evidence: Evidence) -> Terms:
    rarities, squares = evidence.rarities, evidence.squares
    catalogue = evidence.catalogue
    keys = tuple((key, factor, rarities[key] if catalogue else 1.0) for key, factor in work.factors.items())
    for key in work.expanded:
        squares[key]  # worked out now, read by subscript later
    tie = POPULARITY_WEIGHT * evidence.popularity(work.cluster_id) + HOLDINGS_WEIGHT * math.tanh(len(work.members) / 4)
    return keys, _length_norm(len(work.keys)), evidence.norm(work.expanded), tie


def _kept_terms(works: NewWorks, evidence: Evidence) -> list[Terms | None]:
    """The works' :data:`Terms` under ``evidence``, kept on the index (filled as works are scored)."""
    kept = works.scoring.get(id(evidence))
    if kept is None or kept[0] is not evidence:
        if len(works.scoring) >= 4:
            works.scoring.clear()
        terms: list[Terms | None] = [None] * len(works.works)
        kept = works.scoring[id(evidence)] = (evidence, terms)
    found: list[Terms | None] = kept[1]
    return found


def evidence_score(work: NewWork, values: Values, taste: Taste, evidence: Evidence) -> tuple[float, float, str]:
    """``(noisy-OR score, tie-break, why)`` of the work for the reader; ``why`` is the strongest piece: a key,
    ``related:<key>``, ``borrowed:<cluster id>`` (the closest work borrowed lately) or
    ``coborrowed:<cluster id>``."""
    whys = {key: why.removeprefix("related:") for key, (_, why) in values.items() if why != key}
    return evidence_scores([work], {key: value for key, (value, _) in values.items()}, whys, taste, evidence)[0]


def evidence_scores(
    works: Sequence[NewWork],
    values: Mapping[str, float],
    whys: Mapping[str, str],
    taste: Taste,
    evidence: Evidence,
    *,
    index: NewWorks | None = None,
) -> list[tuple[float, float, str]]:
    """:func:`evidence_score` of each work, in order, from the values of :class:`ReaderValues` (``whys``: the
    reader's key a co-borrowed key's value comes from); ``index``: the works' :class:`NewWorks`, where what is
    worked out once per work is kept."""
    kept = _kept_terms(index, evidence) if index is not None else None
    value_of = values.get
    declared = taste.declared if evidence.catalogue and taste.declared else None
    loans = _loans(taste, evidence) if taste.borrowed and evidence.overlap_weight > 0 else None
    loaned = frozenset().union(*(keys for keys, _, _ in loans)) if loans else frozenset()
    overlap, exp, fsum, square = evidence.overlap_weight, math.exp, math.fsum, evidence.squares.__getitem__
    neighbours = evidence.neighbours if evidence.neighbours and evidence.coborrow_weight > 0 else None
    coborrowed = evidence.coborrowed if neighbours else frozenset()
    scored = []
    for work in works:
        terms = kept[work.number] if kept is not None else None
        if terms is None:
            terms = _terms(work, evidence)
            if kept is not None:
                kept[work.number] = terms
        keys, norm, content_norm, tie = terms
        miss = 1.0
        best, why = 0.0, ""
        for key, factor, rarity in keys:
            value = value_of(key)
            if value is None:
                continue
            # Rarity on the work's side too, as a TF-IDF cosine counts IDF in both vectors (not for a declared key).
            p = value * factor * (1.0 if declared is not None and key in declared else rarity) * norm
            p = 1.0 if p > 1.0 else p
            miss *= 1.0 - p
            if p > best:
                best, why = p, ("related:" + whys[key] if key in whys else key)
        common = work.expanded & loaned  # no key in common with any loan: no similarity (a factor of 1)
        if common:
            assert loans is not None
            similarity, closest, closest_id, cluster_id = 0.0, 0.0, "", work.cluster_id
            for loan_keys, loan_norm, loan_id in loans:  # borrowed_similarity, inline
                shared = common & loan_keys
                if not shared or loan_id == cluster_id:
                    continue
                cosine = fsum(map(square, shared)) / (content_norm * loan_norm)
                similarity += cosine
                if cosine > closest:
                    closest, closest_id = cosine, loan_id
            miss *= 1.0 - overlap * (1.0 - exp(-similarity))
            p = overlap * (1.0 - exp(-closest))  # what the one work a reason names weighs
            if p > best:
                best, why = p, f"borrowed:{closest_id}"
        if neighbours is not None and work.cluster_id in coborrowed:
            coborrow_weight = evidence.coborrow_weight
            for borrowed in taste.borrowed:
                together = neighbours.get(borrowed.cluster_id, {}).get(work.cluster_id)
                if together:
                    p = coborrow_weight * together
                    miss *= 1.0 - p
                    if p > best:
                        best, why = p, f"coborrowed:{borrowed.cluster_id}"
        scored.append((1.0 - miss, tie, why))
    return scored
