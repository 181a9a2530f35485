"""Co-borrowing: which works, and which interest keys, the same readers borrow, counted so that no reader shows.

A pair (of works, or of keys) counts only when at least :data:`MIN_READERS` distinct readers borrowed both; its
strength is the cosine ``n(a, b) / sqrt(n(a) n(b))`` over distinct readers, and each work or key keeps its
:data:`MAX_NEIGHBOURS` strongest. Only loans that may be aggregated go
in (:func:`shared_loans`): the loan's member shares circulation (``share_circulation = "aggregate"`` in
``members.toml``) and the reader granted :data:`COBORROW_PURPOSE` (``analytics``: "count your loans, together with
those of other readers, in statistics ... only ever reported in aggregate"). Readers are pseudonymous tokens
here; nothing but counts leaves :func:`coborrowing`.

Work pairs say "readers who borrowed X also borrowed this"; key pairs carry the same signal to works no one has
borrowed yet (a new work is reached through its subjects and authors: its content neighbours).
The tables are rebuilt from scratch by the scheduler (one pass over the loans kept for the purpose, linear in the
loans and quadratic only in each reader's :data:`MAX_PER_READER` latest works).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from itertools import combinations
from operator import itemgetter
from typing import TYPE_CHECKING

from consortium.profiles.consent import Purpose

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from consortium.members import MemberRegistry

__all__ = [
    "COBORROW_PURPOSE",
    "MAX_NEIGHBOURS",
    "MAX_PER_READER",
    "MIN_READERS",
    "Coborrowing",
    "coborrowing",
    "shared_loans",
]

MIN_READERS = 10
"""The fewest distinct readers behind a pair for it to count (k-anonymity)."""
MAX_PER_READER = 100
"""A reader's latest works (and keys) that enter pairs: bounds the cost of a very active reader."""
MAX_NEIGHBOURS = 20
"""Each work, and each key, keeps its this many strongest co-borrowed ones (as item-kNN keeps its k nearest):
bounds the stored evidence and what a push run follows for each reader, whatever the consortium's size."""
COBORROW_PURPOSE = Purpose.ANALYTICS
"""The consent a reader's loans need to be counted with other readers'."""

Coborrowing = tuple[dict[str, int], dict[str, dict[str, float]], dict[str, dict[str, float]]]
"""Loans per work (distinct readers), work neighbours, related keys."""


def shared_loans(
    loans: Iterable[tuple[str, str, str]], registry: MemberRegistry, granted: Callable[[str], bool]
) -> list[tuple[str, str]]:
    """``(reader, cluster id)`` of the loans ``(reader, cluster id, member)`` that may be aggregated: the member
    shares circulation and the reader granted :data:`COBORROW_PURPOSE` (``granted(reader)``)."""
    sharing = {m.id for m in registry.members if m.sharing.share_circulation == "aggregate"}
    allowed: dict[str, bool] = {}
    kept = []
    for reader, cluster_id, member in loans:
        if member not in sharing:
            continue
        if reader not in allowed:
            allowed[reader] = granted(reader)
        if allowed[reader]:
            kept.append((reader, cluster_id))
    return kept


def _pairs(sets: Iterable[list[str]], min_readers: int) -> tuple[Counter[str], dict[str, dict[str, float]]]:
    single: Counter[str] = Counter()
    pair: Counter[tuple[str, str]] = Counter()
    for items in sets:
        kept = sorted(set(items[-MAX_PER_READER:]))
        single.update(kept)
        pair.update(combinations(kept, 2))
    table: dict[str, dict[str, float]] = {}
    for (a, b), together in pair.items():
        if together >= min_readers:
            strength = together / math.sqrt(single[a] * single[b])
            table.setdefault(a, {})[b] = strength
            table.setdefault(b, {})[a] = strength
    for item, others in table.items():
        if len(others) > MAX_NEIGHBOURS:
            table[item] = dict(heapq.nlargest(MAX_NEIGHBOURS, others.items(), key=itemgetter(1)))
    return single, table


def coborrowing(
    loans: Iterable[tuple[str, str]], keys_of: Callable[[str], Iterable[str]], *, min_readers: int = MIN_READERS
) -> Coborrowing:
    """Loans per work, work neighbours and related keys from ``(reader, cluster id)`` loans (oldest first),
    every pair backed by at least ``min_readers`` distinct readers.

    Example
    -------
    >>> loans_per_work, neighbours, related = coborrowing(shared_loans(rows, registry, granted), keys_of)
    """
    by_reader: dict[str, list[str]] = {}
    for reader, cluster_id in loans:
        by_reader.setdefault(reader, []).append(cluster_id)
    counts, neighbours = _pairs(by_reader.values(), min_readers)
    key_sets = []
    for works in by_reader.values():
        keys: dict[str, None] = {}
        for cluster_id in works[-MAX_PER_READER:]:
            keys.update(dict.fromkeys(keys_of(cluster_id)))
        key_sets.append(list(keys)[-MAX_PER_READER:])
    _, related = _pairs(key_sets, min_readers)
    return dict(counts), neighbours, related
