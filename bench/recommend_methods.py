"""The recommendation benchmark's methods, each a top :data:`~recommend_metrics.K` per reader with hidden items.

* :func:`rank_project`: the project's ranking (:func:`~consortium.push.ranking.rank`) over each reader's
  interest profile and recent borrowings before the split, at several thresholds at once, optionally in forked
  worker processes;
* :func:`rank_popularity`: one list for every reader, the new items held by the most members;
* :func:`rank_random`: random new items for each reader (seeded).
"""

from __future__ import annotations

import math
import multiprocessing
import random
import time
from typing import TYPE_CHECKING

from recommend_metrics import K

from consortium.profiles.interest_keys import keys_for_cluster
from consortium.profiles.interests import InterestProfile, apply_event
from consortium.push.index import NewWorks
from consortium.push.ranking import Borrowed, Taste, rank

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from recommend_data import Dataset, Split

    from consortium.models import Cluster
    from consortium.push.evidence import Evidence

__all__ = ["BORROWED_KEPT", "ProjectRanker", "rank_popularity", "rank_project", "rank_random"]

BORROWED_KEPT = 20
"""How many of a reader's latest borrowings before the split become :class:`Borrowed` works for the ranking."""


def _members_of(dataset: Dataset) -> list[str]:
    return sorted({m for item in dataset.items.values() for m in item.members})


class ProjectRanker:
    """The project's ranking for one split: the new works' index, and each reader's taste built from their
    interactions before the split."""

    def __init__(
        self,
        dataset: Dataset,
        split: Split,
        candidates: Sequence[str] | None = None,
        *,
        evidence: Evidence | None = None,
        exclude_borrowed: bool = False,
    ) -> None:
        self.dataset, self.split = dataset, split
        self.clusters: dict[str, Cluster] = {}
        self.keys: dict[str, list[str]] = {}
        self.works = NewWorks.build(self.cluster_of(i) for i in (split.new_items if candidates is None else candidates))
        self.members_total = max(1, len(_members_of(dataset)))
        self.evidence = evidence
        self.exclude_borrowed = exclude_borrowed

    def cluster_of(self, item_id: str) -> Cluster:
        if item_id not in self.clusters:
            self.clusters[item_id] = self.dataset.items[item_id].cluster()
            self.keys[item_id] = keys_for_cluster(self.clusters[item_id])
        return self.clusters[item_id]

    def keys_of(self, item_id: str) -> list[str]:
        """The item's interest keys (:func:`~consortium.profiles.interest_keys.keys_for_cluster`)."""
        self.cluster_of(item_id)
        return self.keys[item_id]

    def taste(self, reader: str) -> Taste:
        profile = InterestProfile()
        history = self.split.train.get(reader, [])
        for row in history:
            self.cluster_of(row.item)
            profile = apply_event(profile, "borrow", self.keys[row.item], row.at)
        borrowed = [Borrowed.of(self.clusters[row.item], self.keys[row.item]) for row in history[-BORROWED_KEPT:]]
        return Taste.of(profile, self.split.at, borrowed)

    def rank(self, readers: Sequence[str]) -> list[tuple[str, list[tuple[str, float]]]]:
        """Each reader's top :data:`K` at threshold 0: ``(item, score)``, best first."""
        out = []
        for reader in readers:
            member = self.split.home.get(reader, "")
            history = self.split.train.get(reader, [])
            items = rank(
                self.taste(reader),
                self.works,
                member=member,
                members_total=self.members_total,
                cap=K,
                threshold=0.0,
                exclude=frozenset(row.item for row in history) if self.exclude_borrowed else frozenset(),
                evidence=self.evidence,
            )
            out.append((reader, [(item.cluster_id, item.score) for item in items]))
        return out


_RANKER: ProjectRanker | None = None
"""The ranker forked worker processes inherit."""


def _rank_chunk(readers: list[str]) -> tuple[list[tuple[str, list[tuple[str, float]]]], float]:
    """One worker's rankings of ``readers`` and the CPU seconds they took."""
    assert _RANKER is not None
    started = time.process_time()
    ranked = _RANKER.rank(readers)
    return ranked, time.process_time() - started


def rank_project(
    dataset: Dataset,
    split: Split,
    thresholds: Iterable[float] = (0.0,),
    workers: int = 1,
    *,
    ranker: ProjectRanker | None = None,
    readers: Sequence[str] | None = None,
) -> tuple[dict[float, dict[str, list[str]]], float]:
    """The project's ranking for every reader with hidden items, once per threshold.

    :func:`~consortium.push.ranking.rank` runs once per reader, at threshold 0: its greedy diversification
    chooses works in non-increasing order of their (penalized) scores, and works under a threshold never change
    which works above it are chosen, so the list at a threshold is the prefix of the threshold-0 list scoring at
    least that much (the digest's scores are rounded to 6 decimals). ``workers`` > 1 splits the readers among
    forked processes. Also returns the CPU seconds the rankings took, in all processes.
    """
    global _RANKER  # noqa: PLW0603 - handed to forked workers without pickling the data set
    ranker = ranker if ranker is not None else ProjectRanker(dataset, split)
    readers = sorted(split.hidden) if readers is None else list(readers)
    if workers > 1 and len(readers) > 1 and "fork" in multiprocessing.get_all_start_methods():
        _RANKER = ranker
        try:
            size = max(1, math.ceil(len(readers) / (workers * 8)))
            chunks = [readers[i : i + size] for i in range(0, len(readers), size)]
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_rank_chunk, chunks)
        finally:
            _RANKER = None
        ranked = [row for part, _ in parts for row in part]
        cpu = sum(seconds for _, seconds in parts)
    else:
        ranked, cpu = _rank_chunk_here(ranker, readers)
    lists = {
        threshold: {reader: [item for item, score in items if score >= threshold] for reader, items in ranked}
        for threshold in thresholds
    }
    return lists, cpu


def _rank_chunk_here(
    ranker: ProjectRanker, readers: list[str]
) -> tuple[list[tuple[str, list[tuple[str, float]]]], float]:
    started = time.process_time()
    ranked = ranker.rank(readers)
    return ranked, time.process_time() - started


def rank_popularity(dataset: Dataset, split: Split) -> tuple[dict[str, list[str]], str]:
    """One list for all: new items by members holding, then the ``popularity`` column when the data has it."""
    has_popularity = any(dataset.items[i].popularity is not None for i in split.new_items)
    top = sorted(
        split.new_items,
        key=lambda i: (-len(dataset.items[i].members), -(dataset.items[i].popularity or 0.0), i),
    )[:K]
    how = "members holding, then popularity column" if has_popularity else "members holding"
    return {reader: top for reader in split.hidden}, how


def rank_random(split: Split, seed: int) -> dict[str, list[str]]:
    """:data:`K` new items drawn at random for each reader (seeded)."""
    rng = random.Random(seed)
    size = min(K, len(split.new_items))
    return {reader: rng.sample(split.new_items, size) for reader in sorted(split.hidden)}
