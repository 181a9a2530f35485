"""The bulk path (:func:`~consortium.dedup.bulk.cluster_bulk`) on several cores: the records split into parts
that share no blocking key, each part clustered in a worker process, the parts handed back in order as they are
done, so that the caller stores one part while the workers cluster the next ones.

Records that share no blocking key, directly or through other records, are never compared, so a set of records
closed under "shares a key with" (a connected component: found by union-find over the records' keys, as
:mod:`~consortium.dedup.components` does for the partitioned rebuild) clusters the same alone as among all the
others: each key's block holds the same records in the same order, so the same first
:data:`~consortium.dedup.bulk.CANDIDATES_PER_KEY` are compared. The components are packed into parts of even size
(:func:`~consortium.dedup.components.pack`), each part keeping the records' order.

The workers are forked (``fork`` start method, where the system has it): they inherit the records, their keys and
the ``encode`` function from the parent and get only a part's number; what they send back is ``encode(change)``,
meant to be plain rows a store writes as they are (a pickled :class:`~consortium.dedup.state.ClusterChange` of
pydantic models costs as much to unpickle as to cluster). Without ``fork``, or with one worker, the parts are
clustered in this process, one after the other.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import Counter
from typing import TYPE_CHECKING, Generic, TypeVar

from consortium.dedup.bulk import cluster_bulk
from consortium.dedup.components import Forest, pack
from consortium.dedup.keys import record_keys
from consortium.dedup.model import PRIOR_MODEL, MatchModel
from consortium.gc_tuning import fewer_collections

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from consortium.dedup.state import ClusterChange, RecordKey
    from consortium.models import Record

__all__ = ["cluster_in_processes", "split_components"]

T = TypeVar("T")

PARTS_PER_WORKER = 8
"""Parts a worker clusters, one after the other: the caller stores each as it comes, so only the last part's
storing is not overlapped with clustering."""


def split_components(keys: list[list[str]], parts: int) -> list[list[int]]:
    """The records (by their index in ``keys``, each record's blocking keys) in at most ``parts`` parts of even
    size, records sharing a key in the same part, each part in the records' order; empty parts left out."""
    forest = Forest()  # over the records' numbers: the smallest of a component is its root
    for _ in keys:
        forest.add()
    first: dict[str, int] = {}
    for i, record_keys_ in enumerate(keys):
        for key in record_keys_:
            j = first.setdefault(key, i)
            if j != i:
                forest.union(i, j)
    roots = [forest.find(i) for i in range(len(keys))]
    part_of, _ = pack(Counter(roots), max(parts, 1))
    split: list[list[int]] = [[] for _ in range(max(parts, 1))]
    for i, root in enumerate(roots):
        split[part_of[root]].append(i)
    return [part for part in split if part]


class _Work(Generic[T]):
    """What the forked workers inherit: the records, their keys (once known), the parts, and how to cluster and
    encode one."""

    def __init__(
        self,
        items: list[Record],
        run: Callable[[list[Record], list[list[str]]], ClusterChange],
        encode: Callable[[ClusterChange], T],
    ) -> None:
        self.items, self.run, self.encode = items, run, encode
        self.keys: list[list[str]] = []
        self.parts: list[list[int]] = []

    def keys_of(self, start: int, stop: int) -> list[list[str]]:
        return [record_keys(r) for r in self.items[start:stop]]

    def part(self, index: int) -> T:
        chosen = self.parts[index]
        change = self.run([self.items[i] for i in chosen], [self.keys[i] for i in chosen])
        with fewer_collections():
            return self.encode(change)


_INHERITED: list[_Work[object]] = []
"""The work of the running :func:`cluster_in_processes`, set before its workers are forked."""


def _keys_of(bounds: tuple[int, int]) -> list[list[str]]:
    return _INHERITED[-1].keys_of(*bounds)


def _part(index: int) -> object:
    return _INHERITED[-1].part(index)


def cluster_in_processes(
    records: Iterable[Record],
    now: datetime,
    encode: Callable[[ClusterChange], T],
    *,
    first_seen: dict[RecordKey, datetime] | None = None,
    model: MatchModel = PRIOR_MODEL,
    workers: int = 2,
) -> Iterator[T]:
    """``encode`` of each part's :func:`~consortium.dedup.bulk.cluster_bulk` change, part after part, clustered by
    ``workers`` processes: together the parts place every record once and hold the clusters one call of
    ``cluster_bulk`` would make (with other random ids). The records' blocking keys are worked out by the workers
    too (their share of the records each), before the records are split.

    ``encode`` runs in the workers and must return something picklable (a worker's exception is raised here)."""

    def run(chosen: list[Record], chosen_keys: list[list[str]]) -> ClusterChange:
        return cluster_bulk(chosen, now, first_seen, model, chosen_keys)

    work = _Work(list(records), run, encode)
    count = len(work.items)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        work.keys = work.keys_of(0, count)
        work.parts = split_components(work.keys, 1)
        for index in range(len(work.parts)):
            yield work.part(index)
        return
    parts = workers * PARTS_PER_WORKER
    _INHERITED.append(work)  # type: ignore[arg-type]
    # The objects alive now left out of the cyclic collector's passes, here and in the workers: a pass in a worker
    # writes to every object it visits, which copies the pages the workers share with this process.
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:  # forked now: the workers have the records, not yet their keys
            bounds = [(count * n // parts, count * (n + 1) // parts) for n in range(parts)]
            work.keys = [keys for share in pool.imap(_keys_of, bounds) for keys in share]
        work.parts = split_components(work.keys, parts)
        with context.Pool(workers) as pool:  # forked again: these have the keys and the parts
            yield from pool.imap(_part, range(len(work.parts)))
    finally:
        gc.unfreeze()
        _INHERITED.remove(work)  # type: ignore[arg-type]
