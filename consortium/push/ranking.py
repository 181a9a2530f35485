"""Ranking new works for one reader: scored, explained, diversified, thresholded, capped.

The score of a work reached through the reader's keys (:meth:`NewWorks.matches`) is a weighted sum of:

==================  ======  ==================================================================================
feature             weight  value in [0, 1]
==================  ======  ==================================================================================
classification      0.40    the best reader class weight × how close the work's class is (1 for the class
                            itself, 0.5 per broader level)
subjects            0.20    the best matched subject weight
authors             0.25    the best matched author weight
borrowed            0.25    the best overlap (Jaccard over classes with their broader levels, subjects and
                            authors) with one of the works the reader borrowed lately
popularity          0.05    how many member libraries hold it (log-scaled over the consortium's size)
own library         0.10    1 when the reader's own library holds it, 1.5 when it says a copy is on the shelf
                            (or online) now
disliked keys       -0.40   the worst matched key the reader marked "not interested" (negative learned weight)
==================  ======  ==================================================================================

Reader weights are the reader's declared weights plus the learned slow accumulator now, divided by the largest,
so that every reader's scores are on one scale and one threshold (:data:`RELEVANCE_THRESHOLD`) fits all.

The reason is the feature that contributed most ("you follow TP31", "because you borrowed Design Patterns").
Diversification is greedy: a work's score is halved for every work of the same series, and for every work by
the same first author, already chosen; a series gives at most :data:`MAX_PER_SERIES` works to one digest.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consortium.classification import class_ancestors
from consortium.profiles.interest_keys import ANCESTOR_FACTOR, KeyKind, key_kind
from consortium.push.index import NewWork, NewWorks, expanded_keys
from consortium.push.models import DigestItem, Mute, MuteKind
from consortium.push.reasons import NO_REASON, Reason, borrowed, in_class, matched, with_home
from consortium.text import match_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
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
]

WEIGHTS = {"class": 0.40, "subject": 0.20, "author": 0.25, "borrowed": 0.25, "popularity": 0.15, "home": 0.10}
DISLIKE_WEIGHT = 0.40
RELEVANCE_THRESHOLD = 0.12
"""Works scoring below this are not pushed, however few the others."""
MAX_PER_SERIES = 2
DIVERSITY_DECAY = 0.5
"""A work's score is multiplied by this for every work of its series, and by its first author, already chosen."""
TOPIC_DECAY = 0.9
"""... and by this for every work of its class already chosen, so a reader's second interest gets room."""
MIN_WEIGHT = 0.02
"""Reader keys weighing less than this (of the strongest) are not looked up: noise, and cost."""
MAX_KEYS = 60
"""The most reader keys kept (and scored against)."""
MAX_LOOKUP = 24
"""The most reader keys looked up in the index, strongest first."""
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
    borrowed_share: Mapping[str, float] = field(default_factory=dict)
    """Expanded key → the share of :attr:`borrowed` works that carry it."""

    @classmethod
    def of(cls, profile: InterestProfile, at: datetime, borrowed: Iterable[Borrowed] = ()) -> Taste:
        borrowed = tuple(borrowed)
        share: dict[str, float] = {}
        for work in borrowed:
            for key in work.keys:
                share[key] = share.get(key, 0.0) + 1.0 / len(borrowed)
        scores = {key: interest.slow_at(at) for key, interest in profile.learned.items()}
        for key, weight in profile.declared.items():
            scores[key] = scores.get(key, 0.0) + weight
        top = max((score for score in scores.values() if score > 0), default=0.0)
        if top <= 0:
            return cls(weights={}, declared=frozenset(profile.declared), borrowed=borrowed, borrowed_share=share)
        ranked = sorted(((s / top, k) for k, s in scores.items() if s / top >= MIN_WEIGHT), reverse=True)
        weights = {key: value for value, key in ranked[:MAX_KEYS]}
        disliked = {key: min(1.0, -score / top) for key, score in scores.items() if score < 0}
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
            borrowed_share=share,
        )


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
    name, ``why``: the key or ``"borrowed"``, until the work is chosen)."""

    number: int
    score: float
    reason: Reason = NO_REASON
    why: str = ""


def _label(cluster: Cluster, key: str) -> str:
    """How a key reads in a reason: the class code, the subject or the author as catalogued."""
    kind = key_kind(key)
    if kind == "class":
        return _code(key)
    if kind == "author":
        wanted = key.partition(":")[2]
        for name in cluster.authors:
            if " ".join(sorted(match_text(name).split())) == " ".join(sorted(wanted.split())):
                return name
        return wanted.title()
    subject = key.partition(":")[2]
    for heading in cluster.subjects:
        if match_text(heading.replace("--", " ")) == match_text(subject.replace("--", " ")):
            return heading
    return subject


_KINDS: dict[str, KeyKind] = {"c": "class", "s": "subject", "a": "author"}


def _score(work: NewWork, best: list[Any], taste: Taste, *, member: str, log_total: float) -> Scored:
    """The work's score for the reader from its best matches (:meth:`NewWorks.best`); the reason is only
    noted (``why``), and written for chosen works."""
    share = taste.borrowed_share
    expanded = work.expanded
    borrowed = sum(share.get(key, 0.0) for key in expanded) / len(expanded) if share and expanded else 0.0
    parts = (
        (WEIGHTS["class"] * best[0], best[1]),
        (WEIGHTS["subject"] * best[2], best[3]),
        (WEIGHTS["author"] * best[4], best[5]),
        (WEIGHTS["borrowed"] * borrowed, "borrowed"),
    )
    score = parts[0][0] + parts[1][0] + parts[2][0] + parts[3][0]
    score += WEIGHTS["popularity"] * min(1.0, math.log1p(len(work.members)) / log_total)
    if member in work.members:
        score += WEIGHTS["home"] * (1.5 if member in work.available_at else 1.0)
    if taste.disliked:
        score -= DISLIKE_WEIGHT * max((taste.disliked.get(key, 0.0) for key in expanded), default=0.0)
    return Scored(work.number, score, why=max(parts)[1])


def _reason(work: NewWork, scored: Scored, taste: Taste, member: str) -> Reason:
    """The one line saying why the work was chosen, from the feature that weighed most."""
    if scored.why == "borrowed":
        best, title = 0.0, ""
        for borrowed_work in taste.borrowed:
            union = len(work.expanded | borrowed_work.keys)
            overlap = len(work.expanded & borrowed_work.keys) / union if union else 0.0
            if overlap > best and borrowed_work.cluster_id != work.cluster_id:
                best, title = overlap, borrowed_work.title
        reason = borrowed(title)
    else:
        key = scored.why
        reason = matched(_KINDS[key[0]], _label(work.cluster, key), declared=key in taste.declared)
    return with_home(reason, on_shelf=member in work.available_at, held=member in work.members)


def digest_item(work: NewWork, score: float, reason: Reason, member: str) -> DigestItem:
    """The digest line of a chosen work."""
    cluster = work.cluster
    return DigestItem(
        cluster_id=work.cluster_id,
        title=cluster.title,
        authors=list(cluster.authors),
        year=cluster.year,
        classes=work.classes,
        series=cluster.series,
        members=work.member_list,
        at_home=member in work.members,
        score=score,
        reason=reason.en,
        reason_zh=reason.zh,
    )


def diversified(works: NewWorks, scored: list[Scored], cap: int, threshold: float) -> list[Scored]:
    """Greedy selection: each turn takes the work whose score, multiplied by :data:`DIVERSITY_DECAY` for each
    chosen work of its series or by its first author and by :data:`TOPIC_DECAY` for each chosen work of its
    class, is highest; a series gives at most :data:`MAX_PER_SERIES`; nothing under ``threshold``. A penalty
    only lowers a score, so each turn stops reading the list (best first) at the first score that cannot win."""
    remaining = sorted((s for s in scored if s.score >= threshold), key=lambda s: (-s.score, s.number))
    per_series: dict[str, int] = {}
    per_author: dict[str, int] = {}
    per_topic: dict[str, int] = {}
    chosen: list[Scored] = []
    while remaining and len(chosen) < cap:
        best_at, best_score = -1, threshold
        for at, entry in enumerate(remaining):
            if entry.score < best_score or (best_at >= 0 and entry.score == best_score):
                break
            work = works.works[entry.number]
            series = per_series.get(work.series, 0) if work.series else 0
            if series >= MAX_PER_SERIES:
                continue
            author = per_author.get(work.authors[0], 0) if work.authors else 0
            topic = per_topic.get(work.topic, 0) if work.topic else 0
            adjusted = entry.score * DIVERSITY_DECAY ** (series + author) * TOPIC_DECAY**topic
            if adjusted > best_score or (best_at < 0 and adjusted >= best_score):
                best_at, best_score = at, adjusted
        if best_at < 0:
            break
        entry = remaining.pop(best_at)
        chosen.append(Scored(entry.number, best_score, entry.reason, entry.why))
        work = works.works[entry.number]
        if work.series:
            per_series[work.series] = per_series.get(work.series, 0) + 1
        if work.authors:
            per_author[work.authors[0]] = per_author.get(work.authors[0], 0) + 1
        if work.topic:
            per_topic[work.topic] = per_topic.get(work.topic, 0) + 1
    return chosen


def _filters(since: datetime | None, exclude: frozenset[str], mutes: tuple[Mute, ...]) -> dict[str, Any]:
    """What :meth:`NewWorks.top` keeps out: works first seen before ``since``, sent before, or muted."""
    return {
        "floor": since.timestamp() if since is not None else float("-inf"),
        "exclude": exclude,
        "reject": (lambda work: muted(work, mutes)) if mutes else None,
    }


SHORTLIST_PER_ITEM = 3
"""How many works per digest slot are scored fully: the best by key match alone (the rest of the score,
borrowings, popularity and the own library, can move a work up by at most 0.5)."""


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
) -> list[DigestItem]:
    """The reader's "interested new books": works reached by the reader's keys, first seen at or after
    ``since``, not in ``exclude`` (sent before) and not muted; the best by key match are scored fully, then
    diversified, thresholded, capped and explained."""
    kinds = {"c": WEIGHTS["class"], "s": WEIGHTS["subject"], "a": WEIGHTS["author"]}
    shortlist = works.top(taste.lookup, kinds, max(cap * SHORTLIST_PER_ITEM, 12), **_filters(since, exclude, mutes))
    log_total = math.log1p(max(members_total, 1))
    scored = [_score(works.works[n], best, taste, member=member, log_total=log_total) for _, n, best in shortlist]
    chosen = diversified(works, scored, cap, threshold)
    return [
        digest_item(works.works[s.number], s.score, _reason(works.works[s.number], s, taste, member), member)
        for s in chosen
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
    top = works.top(taste.classes, {"c": 1.0}, max(cap * SHORTLIST_PER_ITEM, 12), **_filters(since, exclude, mutes))
    shortlist = []
    for value, number, best in top:
        work = works.works[number]
        # Closest class first, then the reader's own library, then newest (a tie-break under 0.01).
        home = 0.005 if member in work.members else 0.0
        shortlist.append(Scored(number, value + home + work.seen_at / 1e12, why=best[1]))
    shortlist.sort(key=lambda s: (-s.score, s.number))
    chosen = diversified(works, shortlist, cap, threshold=0.0)
    items = []
    for s in chosen:
        work = works.works[s.number]
        reason = with_home(in_class(_code(s.why)), on_shelf=False, held=member in work.members)
        items.append(digest_item(work, s.score, reason, member))
    return items
