"""The works that are new in a push run, indexed by interest key.

Matching readers to new works goes through an inverted index: each new work posts under its interest keys
(:func:`~consortium.profiles.interests.keys_for_cluster`), a class key also under its broader classes at
decreasing factors (CLC TP312 posts under TP312 at 1, TP31 at 0.5, TP3 at 0.25...). A reader's candidates are
the union of the postings of the reader's own keys, so the cost of planning grows with the matches, not with
readers times works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consortium.dedup.text import match_text
from consortium.profiles.interests import ANCESTOR_FACTOR, InvalidInterestKeyError, class_ancestors, keys_for_cluster

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from consortium.models import Cluster

__all__ = ["TOP_LEVELS_IGNORED", "NewWork", "NewWorks"]

TOP_LEVELS_IGNORED = 1
"""How many of a scheme's broadest levels post nothing (CLC ``T``): a match there says nothing about a reader."""


@dataclass(frozen=True, slots=True)
class NewWork:
    """A new work as the planner sees it."""

    cluster: Cluster
    keys: frozenset[str]
    """Its own interest keys (classes as catalogued, subjects, authors), not the broader classes."""
    series: str | None
    """The series (normalized), else the title without its volume designation: what "one series" means when a
    digest is diversified."""
    authors: tuple[str, ...]
    """Its ``author:`` keys, in order."""

    @property
    def cluster_id(self) -> str:
        return self.cluster.cluster_id

    @property
    def first_seen(self) -> datetime:
        return self.cluster.first_seen


_VOLUME = re.compile(
    r"(?:\s+(?:v|vol|volume|part|pt|book|bk|band|tome|no)\.?\s*[0-9ivxlc]+\b.*"
    r"|\s*第\s*[0-9一二三四五六七八九十百]+\s*[卷册辑部集].*"
    r"|[\s:;,]+[0-9]+)$",
    re.IGNORECASE,
)


def _series_of(cluster: Cluster) -> str | None:
    """The normalized series, or the title with its volume designation cut off ("Art of computer programming,
    vol. 3" → "art of computer programming")."""
    if cluster.series:
        return match_text(cluster.series) or None
    stem = _VOLUME.sub("", cluster.title.strip())
    return match_text(stem) or match_text(cluster.title) or None


def _posting_keys(key: str) -> list[tuple[str, float]]:
    """A work's key with factor 1 and, for a class, its broader classes at decreasing factors, leaving out the
    scheme's broadest level."""
    if not key.startswith("class:"):
        return [(key, 1.0)]
    _, scheme, code = key.split(":", 2)
    try:
        ancestors = class_ancestors(scheme, code)
    except InvalidInterestKeyError:
        return [(key, 1.0)]
    chain = [code, *ancestors]
    kept = chain[: max(1, len(chain) - TOP_LEVELS_IGNORED)]
    return [(f"class:{scheme}:{c}", ANCESTOR_FACTOR**level) for level, c in enumerate(kept)]


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
        keys = keys_for_cluster(cluster)
        work = NewWork(
            cluster=cluster,
            keys=frozenset(keys),
            series=_series_of(cluster),
            authors=tuple(key for key in keys if key.startswith("author:")),
        )
        self.works.append(work)
        self.by_id[cluster.cluster_id] = number
        factors: dict[str, float] = {}
        for key in keys:
            for posting, factor in _posting_keys(key):
                factors[posting] = max(factor, factors.get(posting, 0.0))
        for posting, factor in factors.items():
            self.postings.setdefault(posting, []).append((number, factor))

    def __len__(self) -> int:
        return len(self.works)

    def matches(self, weights: dict[str, float]) -> dict[int, dict[str, float]]:
        """For a reader's key weights, every work reached: work index → {reader key: weight × factor}."""
        found: dict[int, dict[str, float]] = {}
        for key, weight in weights.items():
            for number, factor in self.postings.get(key, ()):
                found.setdefault(number, {})[key] = weight * factor
        return found
