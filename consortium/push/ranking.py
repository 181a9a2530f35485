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
own library         0.10    1 when the reader's own library holds it
disliked keys       -0.40   the worst matched key the reader marked "not interested" (negative learned weight)
==================  ======  ==================================================================================

Reader weights are the reader's declared weights plus the learned slow accumulator now, divided by the largest,
so that every reader's scores are on one scale and one threshold (:data:`RELEVANCE_THRESHOLD`) fits all.

The reason is the feature that contributed most ("you follow TP31", "because you borrowed Design Patterns").
Diversification is greedy: a work's score is halved for every work of the same series, and for every work by
the same first author, already chosen; a series gives at most :data:`MAX_PER_SERIES` works to one digest.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consortium.dedup.text import match_text
from consortium.profiles.interests import class_ancestors, key_kind
from consortium.push.index import TOP_LEVELS_IGNORED, NewWork, NewWorks
from consortium.push.models import DigestItem, Mute, MuteKind

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

WEIGHTS = {"class": 0.40, "subject": 0.20, "author": 0.25, "borrowed": 0.25, "popularity": 0.05, "home": 0.10}
DISLIKE_WEIGHT = 0.40
RELEVANCE_THRESHOLD = 0.12
"""Works scoring below this are not pushed, however few the others."""
MAX_PER_SERIES = 2
DIVERSITY_DECAY = 0.5
MIN_WEIGHT = 0.02
"""Reader keys weighing less than this (of the strongest) are not looked up: noise, and cost."""
MAX_KEYS = 60
"""The most reader keys looked up in the index."""
FOLLOWED_CLASSES = 8
"""For "new books in my classes": the reader's declared classes and this many strongest learned ones."""


def expanded_keys(keys: Iterable[str]) -> frozenset[str]:
    """Keys with each class's broader classes added (not the scheme's broadest level): what two works'
    overlap is measured on."""
    out: set[str] = set()
    for key in keys:
        out.add(key)
        if key.startswith("class:"):
            _, scheme, code = key.split(":", 2)
            try:
                chain = class_ancestors(scheme, code)
            except ValueError:
                continue
            out.update(f"class:{scheme}:{c}" for c in chain[: max(0, len(chain) - TOP_LEVELS_IGNORED)])
    return frozenset(out)


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

    @classmethod
    def of(cls, profile: InterestProfile, at: datetime, borrowed: Iterable[Borrowed] = ()) -> Taste:
        scores = {key: interest.slow_at(at) for key, interest in profile.learned.items()}
        for key, weight in profile.declared.items():
            scores[key] = scores.get(key, 0.0) + weight
        top = max((score for score in scores.values() if score > 0), default=0.0)
        if top <= 0:
            return cls(weights={}, declared=frozenset(profile.declared), borrowed=tuple(borrowed))
        ranked = sorted(((s / top, k) for k, s in scores.items() if s / top >= MIN_WEIGHT), reverse=True)
        weights = {key: share for share, key in ranked[:MAX_KEYS]}
        disliked = {key: min(1.0, -score / top) for key, score in scores.items() if score < 0}
        declared_classes = {k: weights.get(k, 1.0) for k in profile.declared if key_kind(k) == "class"}
        classes = dict(declared_classes)
        covered = {broader for key in classes for broader in expanded_keys([key])}
        for share, key in ranked:  # the strongest learned classes, not the broader ones learning added
            if len(classes) >= len(declared_classes) + FOLLOWED_CLASSES:
                break
            if key.startswith("class:") and key not in covered and _depth(key) >= 2:
                classes[key] = share
                covered |= expanded_keys([key])
        return cls(
            weights=weights,
            declared=frozenset(profile.declared),
            disliked=disliked,
            borrowed=tuple(borrowed),
            classes=classes,
        )


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
        if mute.kind is MuteKind.CLASS and mute.key in expanded_keys(k for k in work.keys if k.startswith("class:")):
            return True
        if mute.kind is MuteKind.CLASS and mute.key in work.keys:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Scored:
    """A work (by its number in :class:`NewWorks`) with its score and reason."""

    number: int
    score: float
    reason: str


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


def _score(
    work: NewWork,
    matched: Mapping[str, float],
    taste: Taste,
    *,
    member: str,
    members_total: int,
    expanded: frozenset[str],
) -> Scored | None:
    best: dict[str, tuple[float, str]] = {}
    for key, value in matched.items():
        kind = key_kind(key)
        if value > best.get(kind, (0.0, ""))[0]:
            best[kind] = (value, key)
    borrowed_value, borrowed_title = 0.0, ""
    for borrowed in taste.borrowed:
        union = len(expanded | borrowed.keys)
        if union and borrowed.cluster_id != work.cluster_id:
            overlap = len(expanded & borrowed.keys) / union
            if overlap > borrowed_value:
                borrowed_value, borrowed_title = overlap, borrowed.title
    cluster = work.cluster
    parts = {
        "class": WEIGHTS["class"] * best.get("class", (0.0, ""))[0],
        "subject": WEIGHTS["subject"] * best.get("subject", (0.0, ""))[0],
        "author": WEIGHTS["author"] * best.get("author", (0.0, ""))[0],
        "borrowed": WEIGHTS["borrowed"] * borrowed_value,
    }
    relevance = sum(parts.values())
    if relevance <= 0:
        return None
    holders = len({h.member for h in cluster.holdings} | set(cluster.members))
    popularity = math.log1p(holders) / math.log1p(max(members_total, 1))
    at_home = member in cluster.members
    dislike = max((taste.disliked.get(key, 0.0) for key in expanded), default=0.0)
    score = (
        relevance
        + WEIGHTS["popularity"] * min(1.0, popularity)
        + (WEIGHTS["home"] if at_home else 0.0)
        - DISLIKE_WEIGHT * dislike
    )
    top = max(parts, key=lambda name: parts[name])
    if top == "borrowed":
        reason = f"because you borrowed {borrowed_title}"
    else:
        key = best[top][1]
        verb = "follow" if key in taste.declared else {"author": "read", "class": "read in"}.get(top, "read about")
        label = _label(cluster, key)
        reason = f"you {verb} {label}" if top != "author" else f"by {label}, whom you {verb}"
    if at_home:
        reason += " · at your library"
    return Scored(number=-1, score=score, reason=reason)


def digest_item(work: NewWork, scored: Scored, member: str) -> DigestItem:
    cluster = work.cluster
    return DigestItem(
        cluster_id=cluster.cluster_id,
        title=cluster.title,
        authors=list(cluster.authors),
        year=cluster.year,
        classes=sorted(k for k in work.keys if k.startswith("class:")),
        series=cluster.series,
        members=list(cluster.members),
        at_home=member in cluster.members,
        score=round(scored.score, 6),
        reason=scored.reason,
    )


def diversified(works: NewWorks, scored: list[Scored], cap: int, threshold: float) -> list[Scored]:
    """Greedy selection with lazily applied penalties (a penalty only grows, so a popped entry whose score is
    still current is the best left)."""
    heap = [(-s.score, s.number, 0, s) for s in scored if s.score >= threshold]
    heapq.heapify(heap)
    per_series: dict[str, int] = {}
    per_author: dict[str, int] = {}
    chosen: list[Scored] = []
    while heap and len(chosen) < cap:
        _, number, seen, entry = heapq.heappop(heap)
        work = works.works[number]
        in_series = per_series.get(work.series, 0) if work.series else 0
        first_author = work.authors[0] if work.authors else None
        by_author = per_author.get(first_author, 0) if first_author else 0
        if in_series >= MAX_PER_SERIES:
            continue
        penalties = in_series + by_author
        if penalties != seen:
            adjusted = entry.score * DIVERSITY_DECAY ** (penalties - seen)
            if adjusted >= threshold:
                entry = Scored(entry.number, adjusted, entry.reason)
                heapq.heappush(heap, (-adjusted, number, penalties, entry))
            continue
        chosen.append(entry)
        if work.series:
            per_series[work.series] = in_series + 1
        if first_author:
            per_author[first_author] = by_author + 1
    return chosen


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
    ``since``, not in ``exclude`` (sent before) and not muted, scored, explained, diversified, then capped."""
    scored: list[Scored] = []
    for number, matched in works.matches(dict(taste.weights)).items():
        work = works.works[number]
        if (since is not None and work.first_seen < since) or work.cluster_id in exclude or muted(work, mutes):
            continue
        expanded = expanded_keys(work.keys)
        found = _score(work, matched, taste, member=member, members_total=members_total, expanded=expanded)
        if found is not None:
            scored.append(Scored(number, found.score, found.reason))
    chosen = diversified(works, scored, cap, threshold)
    return [digest_item(works.works[s.number], s, member) for s in chosen]


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
    scored: list[Scored] = []
    for number, matched in works.matches(dict(taste.classes)).items():
        work = works.works[number]
        if (since is not None and work.first_seen < since) or work.cluster_id in exclude or muted(work, mutes):
            continue
        key, value = max(matched.items(), key=lambda kv: (kv[1], kv[0]))
        reason = f"new in {_code(key)}, which you follow"
        if member in work.cluster.members:
            reason += " · at your library"
        score = value + (0.01 if member in work.cluster.members else 0.0)
        scored.append(Scored(number, score, reason))
    scored.sort(key=lambda s: (-s.score, -works.works[s.number].first_seen.timestamp(), s.number))
    chosen = diversified(works, scored, cap, threshold=0.0)
    return [digest_item(works.works[s.number], s, member) for s in chosen]
