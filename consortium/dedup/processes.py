"""The bulk path (:func:`~consortium.dedup.bulk.cluster_bulk`) on several cores: the records split into parts
that share no blocking key, each part clustered in a worker process, the parts handed back in order as they are
done, so that the caller stores one part while the workers cluster the next ones.

Records that share no blocking key, directly or through other records, are never compared, so a set of records
closed under "shares a key with" (a connected component, found by union-find over the records: :class:`Components`)
clusters the same alone as among all the others: each key's block holds the same records in the same order, so the
same first :data:`~consortium.dedup.bulk.CANDIDATES_PER_KEY` are compared. The components are packed into parts
(:meth:`Components.split`), each part keeping the records' order: even parts, then a few smaller ones
(:func:`part_weights`), so that the workers finish together and the caller, which can only finish storing after
the last part, has little left to write once it comes.

The workers are forked (``fork`` start method, where the system has it): they inherit the records from the
parent and work out their blocking keys and title words, a share each, which the parent joins into components as
the shares come in (while the workers make the next ones); forked again, they inherit the keys, the words and the
parts and get only a part's number. What they send back is ``encode(change)``, meant to be plain rows a store
writes as they are (a pickled :class:`~consortium.dedup.state.ClusterChange` of pydantic models costs as much to
unpickle as to cluster), pickled without the pickler's memo into a file of their own in a private temporary
folder (:func:`_handed_over`), which this process maps, reads and deletes (:func:`_taken`): through the pool's
result pipe a part of a million-record load (about 56 MB) was copied some six times into fresh pages. While
making a part a worker runs no cyclic collection, then one (:func:`~consortium.gc_tuning.collected_after`).
Without ``fork``, or with one worker, the parts are clustered in this process, one after the other.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
import pickle
import shutil
import tempfile
from collections import Counter
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from consortium.dedup.bulk import cluster_bulk
from consortium.dedup.keys import record_keys
from consortium.dedup.model import PRIOR_MODEL, MatchModel
from consortium.gc_tuning import collected_after, fewer_collections
from consortium.text import title_tokens

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from datetime import datetime

    from consortium.dedup.state import ClusterChange, RecordKey
    from consortium.models import Record

__all__ = ["Components", "cluster_in_processes", "part_weights", "split_components"]

T = TypeVar("T")

PARTS_PER_WORKER = 8
"""Even parts a worker clusters, one after the other: the caller stores each as it comes."""
SMALL_PARTS = (0.5, 0.25)
"""After the even parts, each worker clusters one part of each of these sizes (of an even part's): the last parts
to come are small, so little is left to store once the workers are done."""
_BIG_SHARE = 50
"""A component of more than 1/50th of a part's records is packed first, into the part with the most room left."""


def part_weights(workers: int) -> list[float]:
    """Each part's share of the records, relative to an even part's, in the order they are clustered."""
    return [1.0] * (workers * PARTS_PER_WORKER) + [size for size in SMALL_PARTS for _ in range(workers)]


class Components:
    """The records, numbered in the order their keys are added, joined by the blocking keys they share (union-find:
    each record points at a record of its component with a smaller number, the smallest being its root)."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.first: dict[str, int] = {}
        """Each key's first record."""

    def add(self, keys: Iterable[Sequence[str]]) -> None:
        """The next records, given by their blocking keys."""
        parent, first = self.parent, self.first

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for record_keys_ in keys:
            i = len(parent)
            parent.append(i)
            for key in record_keys_:
                j = first.setdefault(key, i)
                if j != i and (a := root(j)) != (b := root(i)):
                    if a < b:
                        parent[b] = a
                    else:
                        parent[a] = b

    def split(self, weights: Sequence[float]) -> list[list[int]]:
        """The records in parts of about these relative sizes, records sharing a key in the same part, each part in
        the records' order; empty parts left out. Components larger than 1/:data:`_BIG_SHARE` of the smallest
        part go first, each into the part with the most room left; the others fill the parts in order."""
        roots: list[int] = []
        for i, up in enumerate(self.parent):  # a record's parent has a smaller number: its root is known already
            roots.append(i if up == i else roots[up])
        count = len(roots)
        total = sum(weights)
        room = [count * weight / total for weight in weights]
        sizes = Counter(roots)  # in the order of the roots
        big = max(1.0, min(room, default=1.0) / _BIG_SHARE)
        part_of: dict[int, int] = {}
        for root, size in sorted(((r, s) for r, s in sizes.items() if s > big), key=lambda item: (-item[1], item[0])):
            index = max(range(len(room)), key=lambda n: (room[n], -n))
            part_of[root] = index
            room[index] -= size
        index = 0
        for root, size in sizes.items():
            if size > big:
                continue
            while room[index] < size and index < len(room) - 1:
                index += 1
            part_of[root] = index
            room[index] -= size
        split: list[list[int]] = [[] for _ in weights]
        for i, root in enumerate(roots):
            split[part_of[root]].append(i)
        return [part for part in split if part]


def split_components(keys: list[list[str]], parts: int) -> list[list[int]]:
    """The records (by their index in ``keys``, each record's blocking keys) in at most ``parts`` parts of even
    size, records sharing a key in the same part, each part in the records' order; empty parts left out."""
    components = Components()
    components.add(keys)
    return components.split([1.0] * max(parts, 1))


def _handed_over(value: object, folder: str) -> str:
    """``value`` pickled into a new file in ``folder``, whose path is returned; without the memo
    (``Pickler.fast``): twice as fast for a part's millions of small rows, a quarter larger (a string two rows
    share is written twice); only for values without cycles."""
    descriptor, path = tempfile.mkstemp(suffix=".pickle", dir=folder)
    with os.fdopen(descriptor, "wb") as out:
        pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True
        pickler.dump(value)
    return path


def _taken(path: str) -> object:
    """What :func:`_handed_over` wrote at ``path``, read from the file mapped into memory (the kernel's cached
    pages, not a copy), then the file deleted."""
    try:
        with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return pickle.loads(mapped)
    finally:
        os.unlink(path)


class _Work(Generic[T]):
    """What the forked workers inherit: the records, their keys and title words (once known), the parts, and how
    to cluster and encode one."""

    def __init__(
        self,
        items: list[Record],
        run: Callable[[list[Record], list[list[str]], list[list[str]]], ClusterChange],
        encode: Callable[[ClusterChange], T],
    ) -> None:
        self.items, self.run, self.encode = items, run, encode
        self.keys: list[list[str]] = []
        self.words: list[str] = []
        """Each record's title words, joined by spaces (one string to pickle; no word holds a space)."""
        self.parts: list[list[int]] = []
        self.folder = ""
        """Where the workers hand back what they made (:func:`_handed_over`)."""

    def keys_of(self, start: int, stop: int) -> tuple[list[list[str]], list[str]]:
        """The blocking keys and the title words of the records from ``start`` to ``stop``."""
        keys, words = [], []
        for record in self.items[start:stop]:
            tokens = title_tokens(record.title)
            keys.append(record_keys(record, tokens))
            words.append(" ".join(tokens))
        return keys, words

    def part(self, index: int) -> T:
        chosen = self.parts[index]
        with fewer_collections():
            records = [self.items[i] for i in chosen]
            change = self.run(records, [self.keys[i] for i in chosen], [self.words[i].split() for i in chosen])
            return self.encode(change)


_INHERITED: list[_Work[object]] = []
"""The work of the running :func:`cluster_in_processes`, set before its workers are forked."""


def _keys_of(bounds: tuple[int, int]) -> str:
    work = _INHERITED[-1]
    with collected_after():
        return _handed_over(work.keys_of(*bounds), work.folder)


def _part(index: int) -> str:
    work = _INHERITED[-1]
    with collected_after():
        return _handed_over(work.part(index), work.folder)


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

    ``encode`` runs in the workers and must return something picklable without cycles (a worker's exception is
    raised here)."""

    def run(chosen: list[Record], chosen_keys: list[list[str]], chosen_words: list[list[str]]) -> ClusterChange:
        return cluster_bulk(chosen, now, first_seen, model, keys=chosen_keys, tokens=chosen_words)

    work = _Work(list(records), run, encode)
    count = len(work.items)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        work.keys, work.words = work.keys_of(0, count)
        work.parts = [list(range(count))] if count else []
        for index in range(len(work.parts)):
            yield work.part(index)
        return
    components = Components()
    shares = workers * PARTS_PER_WORKER
    work.folder = tempfile.mkdtemp(prefix="consortium-parts-")
    _INHERITED.append(work)  # type: ignore[arg-type]
    # The objects alive now left out of the cyclic collector's passes, here and in the workers: a pass in a worker
    # writes to every object it visits, which copies the pages the workers share with this process.
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool, fewer_collections():  # forked now: the records, not yet their keys
            bounds = [(count * n // shares, count * (n + 1) // shares) for n in range(shares)]
            for path in pool.imap(_keys_of, bounds):  # joined into components while the next shares are made
                keys, words = cast("tuple[list[list[str]], list[str]]", _taken(path))
                components.add(keys)
                work.keys += keys
                work.words += words
        work.parts = components.split(part_weights(workers))
        del components
        gc.freeze()  # the keys, words and parts too
        with context.Pool(workers) as pool:  # forked again: these have the keys and the parts
            for path in pool.imap(_part, range(len(work.parts))):
                yield cast("T", _taken(path))
    finally:  # the pools' workers are gone: what they handed back and was not taken goes too
        gc.unfreeze()
        _INHERITED.remove(work)  # type: ignore[arg-type]
        shutil.rmtree(work.folder, ignore_errors=True)
