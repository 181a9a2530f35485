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
import math
from typing import TYPE_CHECKING

from consortium.profiles.interest_keys import subject_levels

if TYPE_CHECKING:
    from collections.abc import Mapping

    from consortium.push.evidence import Evidence
    from consortium.push.index import NewWork
    from consortium.push.ranking import Taste

__all__ = ["POPULARITY_WEIGHT", "RELATED_FLOOR", "Values", "borrowed_similarity", "evidence_score", "reader_values"]

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
    base: dict[str, float] = {}
    told: set[str] = set()
    declared = taste.declared
    for key, weight in (lookup if lookup is not None else taste.weights).items():
        levels = _levels(key)
        for level, factor in levels:
            value = weight * factor
            known = base.get(level)
            if known is None:
                base[level] = value if value > 0.0 else 0.0  # max(0.0, value), as when none was known
            elif value > known:
                base[level] = value
        if key in declared:
            told.update(level for level, _ in levels)
    rarities = evidence.rarities
    values: Values = {key: (weight * (1.0 if key in told else rarities[key]), key) for key, weight in base.items()}
    coborrow_weight = evidence.coborrow_weight
    if evidence.related and coborrow_weight > 0:
        best = {key: value for key, (value, _) in values.items()}
        known_value = best.get
        related_values = evidence.related_values
        for key, weight in base.items():
            scale = coborrow_weight * weight
            if scale < RELATED_FLOOR:
                continue
            why = "related:" + key
            for strength, other in related_values(key):
                value = scale * strength
                if value < RELATED_FLOOR:
                    break  # the rest, weaker still, would add less than the floor to any score
                if value > known_value(other, 0.0):
                    best[other] = value
                    values[other] = (value, why)
    return values


_levels = functools.lru_cache(maxsize=65536)(subject_levels)
"""A key's subject levels, worked out once per key for every reader (read only)."""


@functools.lru_cache(maxsize=256)
def _length_norm(keys: int) -> float:
    norm: float = max(1, keys) ** -LENGTH_EXPONENT
    return norm


def borrowed_similarity(work: NewWork, taste: Taste, evidence: Evidence) -> tuple[float, float, str]:
    """``(sum of cosines, the largest, its borrowed work's cluster id)``: the work's cosine with each work the reader
    borrowed lately, over their expanded keys with each key's rarity as its weight (a TF-IDF cosine, rarity as the
    IDF), summed as a TF-IDF profile sums the vectors of a reader's loans. Sums over a set of keys are exact
    (``math.fsum``), so a score does not depend on the order a set gives its keys in."""
    total, best, closest = 0.0, 0.0, ""
    norm = evidence.norm(work.expanded)
    for borrowed in taste.borrowed:
        shared = work.expanded & borrowed.keys
        if not shared or borrowed.cluster_id == work.cluster_id:
            continue
        cosine = math.fsum(evidence.rarity(key) ** 2 for key in shared) / (norm * evidence.norm(borrowed.keys))
        total += cosine
        if cosine > best:
            best, closest = cosine, borrowed.cluster_id
    return total, best, closest


def evidence_score(work: NewWork, values: Values, taste: Taste, evidence: Evidence) -> tuple[float, float, str]:
    """``(noisy-OR score, tie-break, why)`` of the work for the reader; ``why`` is the strongest piece: a key,
    ``related:<key>``, ``borrowed:<cluster id>`` (the closest work borrowed lately) or
    ``coborrowed:<cluster id>``."""
    miss = 1.0
    best, why = 0.0, ""
    norm = _length_norm(len(work.keys))
    declared = taste.declared if evidence.catalogue else None
    value_of = values.get
    rarities = evidence.rarities
    for key, factor in work.factors.items():
        entry = value_of(key)
        if entry is None:
            continue
        # Rarity on the work's side too, as a TF-IDF cosine counts IDF in both vectors (not for a declared key).
        p = min(1.0, entry[0] * factor * (1.0 if declared is None or key in declared else rarities[key]) * norm)
        miss *= 1.0 - p
        if p > best:
            best, why = p, entry[1]
    if taste.borrowed and work.expanded and evidence.overlap_weight > 0:
        similarity, closest, closest_id = borrowed_similarity(work, taste, evidence)
        miss *= 1.0 - evidence.overlap_weight * (1.0 - math.exp(-similarity))
        p = evidence.overlap_weight * (1.0 - math.exp(-closest))  # what the one work a reason names weighs
        if p > best:
            best, why = p, f"borrowed:{closest_id}"
    if evidence.neighbours and evidence.coborrow_weight > 0 and work.cluster_id in evidence.coborrowed:
        for borrowed in taste.borrowed:
            cosine = evidence.neighbours.get(borrowed.cluster_id, {}).get(work.cluster_id)
            if cosine:
                p = evidence.coborrow_weight * cosine
                miss *= 1.0 - p
                if p > best:
                    best, why = p, f"coborrowed:{borrowed.cluster_id}"
    tie = POPULARITY_WEIGHT * evidence.popularity(work.cluster_id) + HOLDINGS_WEIGHT * math.tanh(len(work.members) / 4)
    return 1.0 - miss, tie, why
