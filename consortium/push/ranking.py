"""Ranking new works for one reader: scored, explained, diversified, thresholded, capped.

The score of a work reached through the reader's keys (:meth:`NewWorks.matches`) is the noisy-OR of every piece of
evidence it has (:mod:`consortium.push.scoring`): each interest key it meets, at the reader's weight × the key's
rarity over the catalogue (:class:`~consortium.push.evidence.Evidence`; counted on the work's side too, as a TF-IDF
cosine does) × how close the key is (1 for the key itself, 0.5 per broader level of a class or heading, 0.5 for a
heading's subdivision); keys and works
co-borrowed with the reader's (:mod:`consortium.push.coborrow`); the overlap with works they borrowed lately.
Then, added:

==================  ======  ==================================================================================
feature             weight  value
==================  ======  ==================================================================================
popularity          0.10    the work's loans over the consortium (distinct readers, from ten on; log-scaled):
                            a prior, as much as the own library (0.01 before, a tie-break); and 0.001 for
                            how many members hold it, a tie-break
own library         0.10    1 when the reader's own library holds it, 1.5 when it says a copy is on the shelf
                            (or online) now
disliked keys       -0.40   the worst matched key the reader marked "not interested" (negative learned weight)
==================  ======  ==================================================================================

Reader weights are the reader's declared weights plus the learned slow accumulator now, divided by the largest,
so that every reader's scores are on one scale and one threshold (:data:`RELEVANCE_THRESHOLD`) fits all.

The reason is the piece of evidence that weighed most ("you follow TP31", "because you borrowed Design Patterns",
"readers who borrowed Design Patterns also borrowed this").
Diversification is greedy: a work's score is halved for every work of the same series, and for every work by
the same first author unless the reader reads that author (an ``author:`` key of theirs: more of an author they
read is what they came for, not a crowding out), already chosen; a series gives at most :data:`MAX_PER_SERIES`
works to one digest.

Exactly equal scores (after every piece of evidence, the prior and the tie-breaks above: 43% of the readers of
the validation split's *all* setting have some inside their top 10) are ordered by one rule, fixed before it
was measured (:func:`~consortium.push.diversity.tie_rule`), never by the order works entered the index: (1) a
work by an author the reader reads first; (2) then the one meeting more of the reader's distinct keys; (3) then
the one more readers of the consortium borrowed (the count under the ten-reader rule); (4) then a hash of the
cluster id (:func:`~consortium.push.diversity.id_order`), so lists are the same whatever order a store gives the
works in. It changes nothing in the order of works whose scores differ.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consortium.classification import class_ancestors
from consortium.construct import constructor
from consortium.profiles.interest_keys import ANCESTOR_FACTOR, key_kind
from consortium.profiles.interests import EVENT_WEIGHTS, EventKind
from consortium.push.diversity import MAX_PER_SERIES, Entry, diversify, tie_rule
from consortium.push.evidence import Evidence
from consortium.push.explain import explain
from consortium.push.index import NewWork, NewWorks, expanded_keys
from consortium.push.models import DigestItem, Mute, MuteKind
from consortium.push.reasons import NO_REASON, Reason, in_class, with_home
from consortium.push.scoring import ReaderValues, evidence_scores
from consortium.text import match_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime

    from consortium.models import Cluster
    from consortium.profiles.interests import InterestProfile

__all__ = [
    "MAX_PER_SERIES",
    "RELEVANCE_THRESHOLD",
    "Borrowed",
    "Scored",
    "Taste",
    "digest_item",
    "diversified",
    "expanded_keys",
    "muted",
    "rank",
    "rank_in_classes",
    "tie_rule",
]

HOME_WEIGHT = 0.10
DISLIKE_WEIGHT = 0.40
RELEVANCE_THRESHOLD = 0.11
"""Works scoring below this are not pushed, however few the others. Fitted on a validation split of real loans
(``bench/recommend_quality.py --calibrate``, ``bench/recommend_calibrate.py``): the lowest score at which a
pushed work is, on validation, at least as likely to be borrowed as a pick of the popularity baseline's top 10
(isotonic hit rate by score): 0.119 there, rounded down to keep every validation hit."""
MIN_WEIGHT = 0.02
"""Reader keys weighing less than this (of the strongest) are not looked up: noise, and cost."""
SATURATION = 1.2
"""How a reader's interest in a key saturates, BM25's ``k1`` (its usual value, not fitted): a key's weight is
``n (k1 + 1) / (n + k1)`` of its learned and declared score ``n`` counted in borrows, so the twentieth loan in a
class adds little and the reader's other interests keep a say (then divided by the strongest, as before)."""

MAX_KEYS = 60
"""The most reader keys kept (and scored against)."""
MAX_LOOKUP = MAX_KEYS
"""The most reader keys looked up in the index, strongest first: every key kept, so that the whole profile
reaches works, as the TF-IDF peer's does (24 before: README, ``bench/recommend_quality.py``)."""
FOLLOWED_CLASSES = 8
"""For "new books in my classes": the reader's declared classes and this many strongest learned ones."""


@dataclass(frozen=True, slots=True)
class Borrowed:
    """A work the reader borrowed lately: its id, title and expanded keys."""

    cluster_id: str
    title: str
    keys: frozenset[str]

    @classmethod
    def of(cls, cluster: Cluster, keys: Iterable[str]) -> Borrowed:
        return cls(cluster.cluster_id, cluster.title, expanded_keys(keys))


@dataclass(frozen=True)
class Taste:
    """What the planner knows of one reader's interests, ready for ranking.

    Build it with :meth:`of` from the reader's interest profile.
    """

    weights: Mapping[str, float]
    """Positive key weights, the strongest 1."""
    declared: frozenset[str] = frozenset()
    disliked: Mapping[str, float] = field(default_factory=dict)
    """Keys with a negative learned weight (works marked "not interested"), as a fraction of the strongest."""
    borrowed: tuple[Borrowed, ...] = ()
    classes: Mapping[str, float] = field(default_factory=dict)
    """The classes the reader follows (declared classes, and the strongest fine-grained learned ones)."""
    lookup: Mapping[str, float] = field(default_factory=dict)
    """The keys looked up in the index: :attr:`weights` without the broader classes that learning only added
    as echoes of a narrower one (a reader of TP312 alone does not look up TP31 and TP3; one who reads TP311 and
    TP312 does look up TP31), nor a scheme's two broadest levels."""

    @classmethod
    def of(cls, profile: InterestProfile, at: datetime, borrowed: Iterable[Borrowed] = ()) -> Taste:
        borrowed = tuple(borrowed)
        raw = {key: interest.slow_at(at) for key, interest in profile.learned.items()}
        for key, weight in profile.declared.items():
            raw[key] = raw.get(key, 0.0) + weight
        raw_top = max((score for score in raw.values() if score > 0), default=0.0)
        if raw_top <= 0:
            return cls(weights={}, declared=frozenset(profile.declared), borrowed=borrowed)
        scores = {key: _saturated(score) for key, score in raw.items() if score > 0}
        top = max(scores.values())
        ranked = sorted(((s / top, k) for k, s in scores.items() if s / top >= MIN_WEIGHT), reverse=True)
        weights = {key: value for value, key in ranked[:MAX_KEYS]}
        disliked = {key: min(1.0, -score / raw_top) for key, score in raw.items() if score < 0}
        declared_classes = {k: weights.get(k, 1.0) for k in profile.declared if key_kind(k) == "class"}
        classes = dict(declared_classes)
        covered = {broader for key in classes for broader in expanded_keys([key])}
        for value, key in ranked:  # the strongest learned classes, not the broader ones learning added
            if len(classes) >= len(declared_classes) + FOLLOWED_CLASSES:
                break
            if key.startswith("class:") and key not in covered and _depth(key) >= 2:
                classes[key] = value
                covered |= expanded_keys([key])
        return cls(
            weights=weights,
            declared=frozenset(profile.declared),
            disliked=disliked,
            borrowed=borrowed,
            classes=classes,
            lookup=_lookup(weights, frozenset(profile.declared)),
        )


def _saturated(score: float) -> float:
    """A positive interest score saturated as BM25 saturates a term's frequency (:data:`SATURATION`), counted in
    borrows (:data:`~consortium.profiles.interests.EVENT_WEIGHTS`)."""
    borrows = score / EVENT_WEIGHTS[EventKind.BORROW]
    return borrows * (SATURATION + 1.0) / (borrows + SATURATION)


ECHO_MARGIN = 1.25
"""A learned broader class is looked up only when it weighs more than this times the echo of its strongest
narrower class (:data:`~consortium.profiles.interests.ANCESTOR_FACTOR` of it): evidence of its own."""


def _lookup(weights: Mapping[str, float], declared: frozenset[str]) -> dict[str, float]:
    strongest_child: dict[str, float] = {}
    for key, weight in weights.items():
        if key.startswith("class:"):
            parent = _parent(key)
            if parent is not None and weight > strongest_child.get(parent, 0.0):
                strongest_child[parent] = weight
    lookup = {}
    for key, weight in weights.items():  # strongest first
        if key.startswith("class:") and key not in declared:
            if _depth(key) < 2 or weight <= ECHO_MARGIN * ANCESTOR_FACTOR * strongest_child.get(key, 0.0):
                continue
        lookup[key] = weight
        if len(lookup) >= MAX_LOOKUP:
            break
    return lookup


@functools.lru_cache(maxsize=65536)
def _parent(class_key: str) -> str | None:
    _, scheme, code = class_key.split(":", 2)
    try:
        ancestors = class_ancestors(scheme, code)
    except ValueError:
        return None
    return f"class:{scheme}:{ancestors[0]}" if ancestors else None


@functools.lru_cache(maxsize=65536)
def _depth(class_key: str) -> int:
    """How many levels a class key has below its scheme's root (CLC TP312: 4, T: 0)."""
    _, scheme, code = class_key.split(":", 2)
    try:
        return len(class_ancestors(scheme, code))
    except ValueError:
        return 0


def _code(class_key: str) -> str:
    return class_key.split(":", 2)[2]


def muted(work: NewWork, mutes: Iterable[Mute]) -> bool:
    """Whether any of the reader's mutes covers the work: a class (with everything under it), an author, a
    series."""
    for mute in mutes:
        if mute.kind is MuteKind.AUTHOR and mute.key in work.authors:
            return True
        if mute.kind is MuteKind.SERIES and work.series and match_text(mute.key) == work.series:
            return True
        if mute.kind is MuteKind.CLASS and mute.key in work.expanded:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Scored:
    """A work (by its number in :class:`NewWorks`) with its score and its reason (or what the reason will
    name, ``why``: the key or ``borrowed:<cluster id>``, until the work is chosen)."""

    number: int
    score: float
    reason: Reason = NO_REASON
    why: str = ""


_digest_line = constructor(DigestItem)


def digest_item(work: NewWork, score: float, reason: Reason, member: str) -> DigestItem:
    """The digest line of a chosen work (its values are already what :class:`DigestItem` holds, so they are set,
    not validated again: :func:`~consortium.construct.constructor`; its lists are the work's, shared by
    every line of it in the run: :attr:`~consortium.push.index.NewWork.author_list`)."""
    cluster = work.cluster
    return _digest_line(
        {
            "cluster_id": work.cluster_id,
            "title": cluster.title,
            "authors": work.author_list,
            "year": cluster.year,
            "classes": work.classes,
            "series": cluster.series,
            "members": work.member_list,
            "at_home": member in work.members,
            "score": score,
            "reason": reason.en,
            "reason_zh": reason.zh,
        },
    )


def diversified(
    works: NewWorks,
    scored: list[Scored],
    cap: int,
    threshold: float,
    read_authors: frozenset[str] = frozenset(),
    *,
    tie: Callable[[int], Any] | None = None,
) -> list[Scored]:
    """Greedy selection (:mod:`consortium.push.diversity`): each turn takes the work whose score, multiplied by
    :data:`~consortium.push.diversity.DIVERSITY_DECAY` for each chosen work of its series or by its first author and
    by :data:`~consortium.push.diversity.TOPIC_DECAY` for each chosen work of its class, is highest (no author
    penalty for an author the reader reads: ``read_authors``, their ``author:`` keys); a series gives at most
    :data:`MAX_PER_SERIES`; nothing under ``threshold``; exactly equal scores by ``tie``
    (:func:`~consortium.push.diversity.tie_rule`; default a hash of the cluster id)."""
    entries = [(s.score, s.number, s.reason, s.why) for s in scored]
    return [
        Scored(number, score, reason, why)
        for score, number, reason, why in diversify(works, entries, cap, threshold, read_authors, tie=tie)
    ]


_ZERO = itertools.repeat(0.0)
"""``0.0`` as often as asked: the default of ``dict.get`` mapped over keys."""


def _filters(since: datetime | None, exclude: frozenset[str], mutes: tuple[Mute, ...]) -> dict[str, Any]:
    """What :meth:`NewWorks.top` keeps out: works first seen before ``since``, sent before, or muted."""
    return {
        "floor": since.timestamp() if since is not None else float("-inf"),
        "exclude": exclude,
        "reject": (lambda work: muted(work, mutes)) if mutes else None,
    }


SHORTLIST_PER_ITEM = 4
"""How many works per digest slot are scored fully: those with the strongest single matches
(:meth:`~consortium.push.index.NewWorks.first_met`), with the works co-borrowed with the reader's."""


def _own_evidence(works: NewWorks) -> Evidence:
    if works.own_evidence is None:
        works.own_evidence = Evidence.of_index(works)
    return works.own_evidence  # type: ignore[no-any-return]


def rank(
    taste: Taste,
    works: NewWorks,
    *,
    member: str,
    members_total: int,
    cap: int,
    since: datetime | None = None,
    exclude: frozenset[str] = frozenset(),
    mutes: tuple[Mute, ...] = (),
    threshold: float = RELEVANCE_THRESHOLD,
    evidence: Evidence | None = None,
) -> list[DigestItem]:
    """The reader's "interested new books": works reached by the reader's keys (or co-borrowed with what they
    borrowed), first seen at or after ``since``, not in ``exclude`` (sent before) and not muted; the best are
    scored fully (:func:`~consortium.push.scoring.evidence_score`), then diversified, thresholded, capped and
    explained; exactly equal scores ordered by :func:`~consortium.push.diversity.tie_rule`. A work whose
    strongest evidence is an interest the reader declared gets ``threshold`` added: it passes the threshold, and
    comes before works reached by inferred interests of the same strength.
    ``evidence``: rarity, loans and co-borrowing over the consortium (default: rarity over ``works`` alone).
    ``members_total`` is kept for callers; holdings now only break ties."""
    del members_total
    evidence = evidence if evidence is not None else _own_evidence(works)
    values = ReaderValues(taste, evidence)
    # The strongest MAX_LOOKUP, the first of equals first (a stable sort: what heapq.nlargest gives, faster).
    lookup = dict(values.strongest(MAX_LOOKUP, taste.weights.keys() - taste.lookup.keys()))
    if evidence.catalogue:  # the shortlist by what a match is worth in the score: rarity on the work's side too
        rarities = evidence.rarities
        lookup = {key: v * (1.0 if key in taste.declared else rarities[key]) for key, v in lookup.items()}
    filters = _filters(since, exclude, mutes)
    size = max(cap * SHORTLIST_PER_ITEM, 12)
    numbers = set(works.first_met(lookup, size, **filters))
    if evidence.neighbours and taste.borrowed:
        for borrowed_work in taste.borrowed:
            for cluster_id in evidence.neighbours.get(borrowed_work.cluster_id, {}):
                number = works.by_id.get(cluster_id)
                if number is None or cluster_id in exclude:
                    continue
                work = works.works[number]
                if work.seen_at >= filters["floor"] and not (filters["reject"] and filters["reject"](work)):
                    numbers.add(number)
    scored: list[Entry] = []
    candidates = [works.works[number] for number in sorted(numbers)]
    values.complete(set().union(*[work.expanded for work in candidates]))  # every key the candidates post under
    declared, disliked = taste.declared, taste.disliked
    for work, (evidence_value, tie, why) in zip(
        candidates, evidence_scores(candidates, values.values, values.whys, taste, evidence, index=works), strict=True
    ):
        score = evidence_value
        if why in declared:
            # What the reader asked for comes before what was inferred of the same strength, and the threshold
            # (made for inferred evidence) never cuts it: a long record meeting a declared class scores little
            # once divided by its length, yet the reader said they want it.
            score += threshold
        if member in work.members:
            score += HOME_WEIGHT * (1.5 if member in work.available_at else 1.0)
        if disliked:
            score -= DISLIKE_WEIGHT * max(map(disliked.get, work.expanded, _ZERO), default=0.0)
        scored.append((score + tie, work.number, NO_REASON, why))
    read_authors = frozenset(k for k in taste.weights if k.startswith("author:"))
    chosen = diversify(works, scored, cap, threshold, read_authors, tie=tie_rule(works, taste, evidence))
    return [
        digest_item(works.works[number], score, explain(works.works[number], why, taste, member), member)
        for score, number, _, why in chosen
    ]


def rank_in_classes(
    taste: Taste,
    works: NewWorks,
    *,
    member: str,
    cap: int,
    since: datetime | None = None,
    exclude: frozenset[str] = frozenset(),
    mutes: tuple[Mute, ...] = (),
) -> list[DigestItem]:
    """ "New books in my classes": every new work in (or under) a class the reader follows, closest class
    first, newest first; the reason names the class. Diversified like :func:`rank`, no threshold."""
    top = works.top_keys(taste.classes, max(cap * SHORTLIST_PER_ITEM, 12), **_filters(since, exclude, mutes))
    shortlist: list[Entry] = []
    for value, number, key in top:
        work = works.works[number]
        # Closest class first, then the reader's own library, then newest (a tie-break under 0.01).
        home = 0.005 if member in work.members else 0.0
        shortlist.append((value + home + work.seen_at / 1e12, number, NO_REASON, key))
    items = []
    for score, number, _, why in diversify(works, shortlist, cap, threshold=0.0):
        work = works.works[number]
        items.append(digest_item(work, score, _class_reason(why, held=member in work.members), member))
    return items


@functools.lru_cache(maxsize=65536)
def _class_reason(class_key: str, *, held: bool) -> Reason:
    """The reason of a "new in my classes" work: the class it is new in, and whether the reader's library has it."""
    return with_home(in_class(_code(class_key)), on_shelf=False, held=held)
