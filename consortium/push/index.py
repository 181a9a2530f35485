"""The works that are new in a push run, indexed by interest key.

Matching readers to new works goes through an inverted index: each new work posts under its interest keys
(:func:`~consortium.profiles.interests.keys_for_cluster`), a class key also under its broader classes at
decreasing factors (CLC TP312 posts under TP312 at 1, TP31 at 0.5, TP3 at 0.25...), a subject heading also
under its broader headings and its subdivisions (``horse -- war`` under ``horse`` and ``war`` at 0.5).
A reader's candidates are
the union of the postings of the reader's own keys, so the cost of planning grows with the matches, not with
readers times works.
"""

from __future__ import annotations

import functools
import heapq
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime  # noqa: TC003 (a dataclass field)
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from consortium.classification import InvalidClassCodeError, class_ancestors
from consortium.dedup.parts import part_numbers
from consortium.models import Availability
from consortium.profiles.interest_keys import ANCESTOR_FACTOR, keys_for_cluster, subject_levels
from consortium.text import match_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from consortium.models import Cluster

__all__ = ["TOP_LEVELS_IGNORED", "NewWork", "NewWorks", "expanded_keys"]

_SLOTS = {"c": 0, "s": 2, "a": 4}
"""Where :meth:`NewWorks.best` keeps each kind of key (by the key's first letter: class, subject, author)."""

TOP_LEVELS_IGNORED = 1
"""How many of a scheme's broadest levels post nothing (CLC ``T``): a match there says nothing about a reader."""


@dataclass(frozen=True, slots=True)
class NewWork:
    """A new work as the planner sees it."""

    cluster: Cluster
    keys: frozenset[str]
    """Its own interest keys (classes as catalogued, subjects, authors), not the broader classes."""
    series: str | None
    """The series (normalized), else, when the title names a part, the title without its volume designation:
    what "one series" means when a digest is diversified (none: a work of its own)."""
    authors: tuple[str, ...]
    """Its ``author:`` keys, in order."""
    expanded: frozenset[str]
    """Its keys with each class's broader classes (not the broadest level): what overlaps are measured on."""
    topic: str | None
    """Its first class key as catalogued: what "the same class" means when a digest is diversified."""
    cluster_id: str
    first_seen: datetime
    members: frozenset[str]
    """The member libraries that hold it."""
    number: int
    """Its place in :attr:`NewWorks.works`."""
    factors: dict[str, float]
    """Every key it posts under, with its factor (1 for its own keys, less for broader classes)."""
    classes: list[str]
    """Its own class keys, sorted."""
    member_list: list[str]
    """:attr:`members`, sorted."""
    author_list: list[str]
    """The cluster's authors as catalogued. This, :attr:`classes` and :attr:`member_list` are the lists of every
    digest line of the work in a run (:func:`~consortium.push.ranking.digest_item`): made once, shared, read only
    (a frozen line is never changed, and a copy each would be three more objects for every line a run keeps)."""
    available_at: frozenset[str]
    """The members with a copy on the shelf now, or online (holdings that say so)."""
    seen_at: float
    """``first_seen`` as a POSIX timestamp."""


_VOLUME = re.compile(
    r"(?:\s+(?:v|vol|volume|part|pt|book|bk|band|tome|no)\.?\s*[0-9ivxlc]+\b.*"
    r"|\s*第\s*[0-9一二三四五六七八九十百]+\s*[卷册辑部集].*"
    r"|[\s:;,]+[0-9]+)$",
    re.IGNORECASE,
)


def _series_of(cluster: Cluster) -> str | None:
    """The normalized series, or, when the title names a part (:func:`~consortium.dedup.parts.part_numbers`), the
    title with its volume designation cut off ("Art of computer programming, vol. 3" → "art of computer
    programming"); else none: a title that names no part is a work of its own, so two works sharing a title proper
    ("Droit pénal" by two authors, two "Suisse" guides) are not one series to a digest."""
    if cluster.series:
        return match_text(cluster.series) or None
    if not part_numbers(cluster.title):
        return None
    stem = _VOLUME.sub("", cluster.title.strip())
    return match_text(stem) or match_text(cluster.title) or None


@functools.lru_cache(maxsize=65536)
def _posting_keys(key: str) -> list[tuple[str, float]]:
    """A work's key with factor 1 and, for a class, its broader classes at decreasing factors, leaving out the
    scheme's broadest level; for a subject heading, its broader headings and subdivisions
    (:func:`~consortium.profiles.interest_keys.subject_levels`). Each key is interned (:func:`sys.intern`), as the
    evidence's and a reader's levels are: looking one up in another's map finds the same object."""
    if not key.startswith("class:"):
        return [(sys.intern(level), factor) for level, factor in subject_levels(key)]
    _, scheme, code = key.split(":", 2)
    try:
        ancestors = class_ancestors(scheme, code)
    except InvalidClassCodeError:
        return [(sys.intern(key), 1.0)]
    chain = [code, *ancestors]
    kept = chain[: max(1, len(chain) - TOP_LEVELS_IGNORED)]
    return [(sys.intern(f"class:{scheme}:{c}"), ANCESTOR_FACTOR**level) for level, c in enumerate(kept)]


def expanded_keys(keys: Iterable[str]) -> frozenset[str]:
    """Keys with each class's broader classes added (not the scheme's broadest level): what a work posts
    under, and what two works' overlap is measured on."""
    return frozenset(posting for key in keys for posting, _ in _posting_keys(key))


@dataclass
class NewWorks:
    """New works and their inverted index from interest key to ``(work index, factor)``.

    Example
    -------
    >>> works = NewWorks.build(cluster_store.new_since(since))
    >>> works.postings["class:clc:TP31"]
    [(0, 0.5), (7, 1.0)]
    """

    works: list[NewWork] = field(default_factory=list)
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    by_id: dict[str, int] = field(default_factory=dict)
    _groups: dict[str, list[tuple[float, list[int]]]] = field(default_factory=dict, repr=False)
    own_evidence: Any = field(default=None, repr=False)
    """Key rarity over these works, made when first needed (:meth:`~consortium.push.evidence.Evidence.of_index`)."""
    scoring: dict[int, Any] = field(default_factory=dict, repr=False)
    """What scoring works out once per work and evidence (:func:`~consortium.push.scoring.evidence_scores`)."""
    leads: list[tuple[str | None, str | None, str | None]] = field(default_factory=list, repr=False)
    """Work number → (series, first author, first class), each ``None`` when it has none: what diversifying a
    digest reads of a work (:func:`~consortium.push.diversity.diversify`), in one place."""

    @classmethod
    def build(cls, clusters: Iterable[Cluster]) -> NewWorks:
        index = cls()
        for cluster in clusters:
            index.add(cluster)
        return index

    def add(self, cluster: Cluster) -> None:
        if cluster.cluster_id in self.by_id:
            return
        number = len(self.works)
        keys = [sys.intern(key) for key in keys_for_cluster(cluster)]
        members = frozenset(cluster.members) | {h.member for h in cluster.holdings}
        factors: dict[str, float] = {}
        for key in keys:
            for posting, factor in _posting_keys(key):
                factors[posting] = max(factor, factors.get(posting, 0.0))
        work = NewWork(
            cluster=cluster,
            keys=frozenset(keys),
            series=_series_of(cluster),
            authors=tuple(key for key in keys if key.startswith("author:")),
            expanded=frozenset(factors),
            topic=next((key for key in keys if key.startswith("class:")), None),
            cluster_id=cluster.cluster_id,
            first_seen=cluster.first_seen,
            members=members,
            number=number,
            factors=factors,
            classes=sorted(key for key in keys if key.startswith("class:")),
            member_list=sorted(members),
            author_list=list(cluster.authors),
            available_at=frozenset(
                h.member for h in cluster.holdings if h.availability in (Availability.AVAILABLE, Availability.ONLINE)
            ),
            seen_at=cluster.first_seen.timestamp(),
        )
        self.works.append(work)
        self.leads.append((work.series or None, work.authors[0] if work.authors else None, work.topic or None))
        self.own_evidence = None
        self.scoring.clear()
        self.by_id[cluster.cluster_id] = number
        for posting, factor in factors.items():
            self.postings.setdefault(posting, []).append((number, factor))
            self._groups.pop(posting, None)

    def __len__(self) -> int:
        return len(self.works)

    def groups(self, key: str) -> list[tuple[float, list[int]]]:
        """The postings of ``key`` grouped by factor, largest factor first: ``[(factor, [work index...])]``."""
        grouped = self._groups.get(key)
        if grouped is None:
            by_factor: dict[float, list[int]] = {}
            for number, factor in self.postings.get(key, ()):
                by_factor.setdefault(factor, []).append(number)
            grouped = sorted(by_factor.items(), reverse=True)
            self._groups[key] = grouped
        return grouped

    def evaluate(
        self, work: NewWork, weights: Mapping[str, float], kind_weights: Mapping[str, float]
    ) -> tuple[float, list[Any]]:
        """The work's match with a reader's keys: ``(sum over kinds of kind weight × best value, best)``, with
        ``best`` as in :meth:`best`."""
        entry: list[Any] = [0.0, "", 0.0, "", 0.0, ""]
        for key, factor in work.factors.items():
            weight = weights.get(key)
            if weight is None:
                continue
            slot = _SLOTS[key[0]]
            value = weight * factor
            if value > entry[slot]:
                entry[slot] = value
                entry[slot + 1] = key
        total = kind_weights.get("c", 0.0) * entry[0] + kind_weights.get("s", 0.0) * entry[2]
        return total + kind_weights.get("a", 0.0) * entry[4], entry

    def first_met(
        self,
        weights: Mapping[str, float],
        k: int,
        *,
        floor: float = float("-inf"),
        exclude: frozenset[str] = frozenset(),
        reject: Callable[[NewWork], bool] | None = None,
    ) -> list[int]:
        """Up to ``k`` works, by their best single match with the reader's keys (reader weight × factor),
        best first: only works first seen at or after ``floor``, not in ``exclude``, not refused by ``reject``.
        Posting groups are read in order of that value, so the cost is the groups read, not the works."""
        groups = self._groups_by_value(weights)
        found: list[int] = []
        seen: set[int] = set()
        works = self.works
        for _, numbers, _ in groups:
            for number in numbers:
                if number in seen:
                    continue
                seen.add(number)
                work = works[number]
                if work.seen_at < floor or work.cluster_id in exclude or (reject is not None and reject(work)):
                    continue
                found.append(number)
                if len(found) >= k:
                    return found
        return found

    def _groups_by_value(self, weights: Mapping[str, float]) -> list[tuple[float, list[int], str]]:
        """Every posting group of the keys of ``weights`` as ``(weight × factor, work numbers, key)``, largest
        value first, equals in the order of ``weights`` and of the key's groups (a stable sort)."""
        grouped, group = self._groups, self.groups
        groups = [
            (weight * factor, numbers, key)
            for key, weight in weights.items()
            for factor, numbers in (grouped[key] if key in grouped else group(key))
        ]
        groups.sort(key=itemgetter(0), reverse=True)
        return groups

    def top_keys(
        self,
        weights: Mapping[str, float],
        k: int,
        *,
        floor: float = float("-inf"),
        exclude: frozenset[str] = frozenset(),
        reject: Callable[[NewWork], bool] | None = None,
    ) -> list[tuple[float, int, str]]:
        """:meth:`top` with keys of one kind, weighing 1 (``weights`` not negative): the ``k`` best works as
        ``(value, work number, the key it is met by at that value)``, best first, with nothing made for the
        works not kept. Each group's works have its value, in increasing numbers: once a work cannot take the
        k-th place, neither can the rest of its group, nor any later group."""
        heap: list[tuple[float, int, str]] = []
        seen: set[int] = set()
        works = self.works
        for value, numbers, key in self._groups_by_value(weights):
            if len(heap) >= k and value < heap[0][0]:
                break
            for number in numbers:
                if len(heap) >= k and (value < heap[0][0] or (value == heap[0][0] and -number <= heap[0][1])):
                    break
                if number in seen:
                    continue
                seen.add(number)
                work = works[number]
                if work.seen_at < floor or work.cluster_id in exclude or (reject is not None and reject(work)):
                    continue
                if len(heap) < k:
                    heapq.heappush(heap, (value, -number, key))
                else:  # it beats the k-th place (checked above)
                    heapq.heapreplace(heap, (value, -number, key))
        heap.sort(reverse=True)
        return [(value, -negative, key) for value, negative, key in heap]

    def top(
        self,
        weights: Mapping[str, float],
        kind_weights: Mapping[str, float],
        k: int,
        *,
        floor: float = float("-inf"),
        exclude: frozenset[str] = frozenset(),
        reject: Callable[[NewWork], bool] | None = None,
        slack: float = 0.0,
    ) -> list[tuple[float, int, list[Any]]]:
        """The ``k`` works matching a reader's keys best, by :meth:`evaluate`, best first: only works first
        seen at or after ``floor`` (a POSIX time), not in ``exclude`` and not refused by ``reject``.

        The threshold algorithm: posting groups are read in order of their value (kind weight × reader weight
        × factor), each work met is evaluated whole, and reading stops once no unread work can beat the k-th
        best: its score is at most the sum, over kinds, of the best value still unread of that kind. ``slack``
        is added to that bound for callers that add a small tie-break to the score.
        """
        groups = sorted(
            (
                (kind_weights.get(key[0], 0.0) * weight * factor, key[0], numbers, key)
                for key, weight in weights.items()
                for factor, numbers in self.groups(key)
            ),
            key=lambda group: -group[0],
        )
        # What each kind can still add, from group i on (the groups are in decreasing value).
        remaining = [0.0] * (len(groups) + 1)
        best_left = {"c": 0.0, "s": 0.0, "a": 0.0}
        for i in range(len(groups) - 1, -1, -1):
            value, kind, _, _ = groups[i]
            best_left[kind] = max(best_left[kind], value)
            remaining[i] = best_left["c"] + best_left["s"] + best_left["a"]
        # (total, -number, entry): with one kind of key, the entry is made for the k kept only, from (kind, key).
        heap: list[tuple[float, int, Any]] = []
        seen: set[int] = set()
        single = len([w for w in kind_weights.values() if w]) == 1
        all_works = self.works
        for i, (value, kind, numbers, key) in enumerate(groups):
            if len(heap) >= k and remaining[i] + slack < heap[0][0]:
                break
            for number in numbers:
                if single and len(heap) >= k and (value, -number) <= heap[0][:2]:
                    # Every work of a group has the group's value, in increasing numbers: neither this one nor the
                    # rest can take the k-th place (nor later, met again in a group of no greater value).
                    break
                if number in seen:
                    continue
                seen.add(number)
                work = all_works[number]
                if work.seen_at < floor or work.cluster_id in exclude or (reject is not None and reject(work)):
                    continue
                entry: Any
                if single:  # one kind of key: the first group a work is met in holds its best value
                    total, entry = value, (kind, key)
                else:
                    total, entry = self.evaluate(work, weights, kind_weights)
                if len(heap) < k:
                    heapq.heappush(heap, (total, -number, entry))
                else:
                    least = heap[0]
                    if total > least[0] or (total == least[0] and -number > least[1]):
                        heapq.heapreplace(heap, (total, -number, entry))
        kept = sorted(heap, key=lambda c: c[:2], reverse=True)
        if single:
            return [
                (total, -negative, _single_entry(total, met[0], met[1], kind_weights)) for total, negative, met in kept
            ]
        return [(total, -negative, entry) for total, negative, entry in kept]


def _single_entry(value: float, kind: str, key: str, kind_weights: Mapping[str, float]) -> list[Any]:
    """The :meth:`NewWorks.evaluate` entry of a work met first in a group of ``kind`` (the only kind weighed)."""
    entry: list[Any] = [0.0, "", 0.0, "", 0.0, ""]
    slot = _SLOTS[kind]
    entry[slot], entry[slot + 1] = value / kind_weights[kind], key
    return entry
