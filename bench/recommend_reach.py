"""What co-borrowing under the ten-reader rule could reach: a diagnosis on the validation split, before building.

For the readers of ``bench/recommend_quality.py --validation`` (the loans before the split, cut again at their own
80% point), the *all* setting (new works have no loans before the split, so no loan-based signal reaches them),
the project's top 10 as the comparison makes it, and for each signal the works it reaches from the reader's loans
before the split (their own loans left out). Every pair counts only from
:data:`~consortium.push.coborrow.MIN_READERS` distinct readers on, as the hub stores pairs:

* ``work → work``: the works co-borrowed with a loan of the reader (what the evidence's ``neighbours`` hold);
* ``key → work``: the works borrowed by at least ten distinct readers who also borrowed a work under one of the
  reader's keys (a key of a loan: its subjects, their levels' own keys, author), each key's
  :data:`~consortium.push.coborrow.MAX_NEIGHBOURS` strongest by cosine over distinct readers
  (``n(K, W) / sqrt(n(K) n(W))``), and the same without that bound; and only the works that do not post under
  the key themselves (what content cannot reach from it);
* ``key → key → work``: the works posting under a key co-borrowed with one of the reader's keys (the evidence's
  ``related``), that post under none of the reader's own keys (what the stored key pairs add to content).

Printed per signal: the candidates reached, the hidden loans among them (and their share: compare with the
project's P@10), those the project's top 10 misses, and the signal alone as a ranking (each reached work scored
by the sum of its cosines over the reader's keys or loans): its P@10 and MAP@10.

Usage::

    PYTHONPATH=$PWD python bench/recommend_reach.py [--interactions CSV --items CSV] [--split ISO]
"""

from __future__ import annotations

import argparse
import heapq
import math
from collections import Counter, defaultdict
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from recommend_compare import evidence_for, per_reader, settings_of
from recommend_data import _time, split_dataset
from recommend_loans import DEFAULT_ITEMS, DEFAULT_LOANS, before, load_any
from recommend_methods import ProjectRanker, rank_project

from consortium.push.coborrow import MAX_NEIGHBOURS, MAX_PER_READER, MIN_READERS
from consortium.push.evidence import COBORROW_WEIGHT, OVERLAP_WEIGHT
from consortium.push.index import expanded_keys

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = ["key_work_pairs", "main", "reach"]

Reached = dict[str, float]
"""Work reached → its strength for the reader (sum of cosines)."""


def key_work_pairs(
    loans: Mapping[str, list[str]], keys_of: Callable[[str], Iterable[str]], *, min_readers: int = MIN_READERS
) -> dict[str, dict[str, float]]:
    """Key → work → cosine over distinct readers, ``n(K, W) / sqrt(n(K) n(W))``, for the pairs of at least
    ``min_readers`` readers who borrowed ``W`` and a work under ``K`` (each reader's latest
    :data:`~consortium.push.coborrow.MAX_PER_READER` works, as :func:`~consortium.push.coborrow.coborrowing`)."""
    per_key: Counter[str] = Counter()
    per_work: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for works in loans.values():
        kept = sorted(set(works[-MAX_PER_READER:]))
        keys = sorted({key for work in kept for key in keys_of(work)})
        per_key.update(keys)
        per_work.update(kept)
        pairs.update((key, work) for key in keys for work in kept)
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for (key, work), together in pairs.items():
        if together >= min_readers:
            table[key][work] = together / math.sqrt(per_key[key] * per_work[work])
    return dict(table)


def _bounded(table: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {k: dict(heapq.nlargest(MAX_NEIGHBOURS, v.items(), key=itemgetter(1))) for k, v in table.items()}


def reach(sources: Iterable[str], table: Mapping[str, Mapping[str, float]], own: set[str]) -> Reached:
    """The works ``table`` leads to from ``sources`` (the reader's keys or loans), ``own`` left out, each with the
    sum of its strengths."""
    found: Reached = defaultdict(float)
    for source in sources:
        for work, strength in table.get(source, {}).items():
            if work not in own:
                found[work] += strength
    return found


def _unmet(found: Reached, keys: Mapping[str, list[str]], own: set[str]) -> Reached:
    """The works of ``found`` that meet none of the reader's keys (``own``), their broader levels included."""
    mine = expanded_keys(own)
    return {work: strength for work, strength in found.items() if not expanded_keys(keys[work]) & mine}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--interactions", type=Path, help="loans CSV (with --items)")
    parser.add_argument("--items", type=Path, help="items CSV (with --interactions)")
    parser.add_argument("--split", type=_time, help="the test split time (ISO 8601); validation is cut before it")
    args = parser.parse_args(argv)
    if (args.interactions is None) != (args.items is None):
        parser.error("--interactions and --items go together")
    dataset = load_any(args.interactions or DEFAULT_LOANS, args.items or DEFAULT_ITEMS, args.split)
    dataset = before(dataset, split_dataset(dataset, args.split).at)
    split = split_dataset(dataset)
    base = ProjectRanker(dataset, split, [])
    evidence = evidence_for(base, split, overlap=OVERLAP_WEIGHT, coborrow=COBORROW_WEIGHT)
    loans = {reader: [row.item for row in rows] for reader, rows in split.train.items()}
    keys = {item: base.keys_of(item) for item in dataset.items}
    own_keys = {reader: {k for item in items[-MAX_PER_READER:] for k in keys[item]} for reader, items in loans.items()}
    everything = key_work_pairs(loans, keys.__getitem__)
    bounded = _bounded(everything)
    foreign = _bounded({k: {w: c for w, c in v.items() if k not in keys[w]} for k, v in everything.items()})
    posting: dict[str, set[str]] = defaultdict(set)
    for item, its in keys.items():
        for key in its:
            posting[key].add(item)
    related = {k: {w: c for o, c in v.items() for w in posting[o]} for k, v in evidence.related.items()}
    print(f"validation: {dataset.description}; split at {split.at.isoformat()}")
    print(
        f"pairs from {MIN_READERS} readers: work-work {sum(map(len, evidence.neighbours.values())) // 2:,}; "
        f"key-work {sum(map(len, everything.values())):,} over {len(everything):,} keys "
        f"({sum(map(len, bounded.values())):,} kept at {MAX_NEIGHBOURS} a key); key-key "
        f"{sum(map(len, evidence.related.values())):,} over {len(evidence.related):,} keys"
    )
    candidates, hidden = settings_of(dataset, split)["all"]
    readers = sorted(hidden)
    ranker = ProjectRanker(dataset, split, candidates, evidence=evidence, exclude_borrowed=True)
    top = rank_project(dataset, split, ranker=ranker, readers=readers)[0][0.0]
    total = sum(len(wanted) for wanted in hidden.values())
    got = sum(len(set(top.get(r, [])) & hidden[r]) for r in readers)
    print(
        f"\nsetting all: {len(readers):,} readers, {total:,} hidden loans; the project's top 10 finds {got:,} "
        f"(P@10 {got / (10 * len(readers)):.4f}), MAP@10 "
        f"{sum(per_reader(top.get(r, []), hidden[r])['map'] for r in readers) / len(readers):.4f}"
    )
    signals: dict[str, Callable[[str], Reached]] = {
        "work -> work": lambda r: reach(loans[r], evidence.neighbours, set(loans[r])),
        f"key -> work (top {MAX_NEIGHBOURS})": lambda r: reach(own_keys[r], bounded, set(loans[r])),
        "key -> work (unbounded)": lambda r: reach(own_keys[r], everything, set(loans[r])),
        "key -> work, not under key": lambda r: reach(own_keys[r], foreign, set(loans[r])),
        "key -> key -> work, new keys": lambda r: _unmet(reach(own_keys[r], related, set(loans[r])), keys, own_keys[r]),
    }
    popular = {item for item, count in evidence.loans.items() if count >= MIN_READERS}
    wanted_popular = sum(len(hidden[r] & popular) for r in readers)
    missed_popular = sum(len((hidden[r] & popular) - set(top.get(r, []))) for r in readers)
    print(
        f"ceiling of any loan-based signal under the rule: {len(popular):,} works have {MIN_READERS} readers or more; "
        f"{wanted_popular:,} hidden loans are of them, {missed_popular:,} missed by the project's top 10"
    )
    print(f"{'signal':<30}{'reached':>10}{'hidden':>8}{'share':>9}{'missed':>8}{'alone P@10':>12}{'MAP@10':>8}")
    for name, signal in signals.items():
        reached = hits = missed = 0
        alone_p = alone_ap = 0.0
        for reader in readers:
            found = signal(reader)
            wanted, listed = hidden[reader], set(top.get(reader, []))
            reached += len(found)
            hits += len(found.keys() & wanted)
            missed += len((found.keys() & wanted) - listed)
            ranked = [w for w, _ in sorted(found.items(), key=lambda pair: (-pair[1], pair[0]))[:10]]
            m = per_reader(ranked, wanted)
            alone_p += m["precision"]
            alone_ap += m["map"]
        share = f"{hits / reached:.4f}" if reached else "-"
        print(
            f"{name:<30}{reached:>10,}{hits:>8,}{share:>9}{missed:>8,}"
            f"{alone_p / len(readers):>12.4f}{alone_ap / len(readers):>8.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
