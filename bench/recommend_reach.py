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

``--try`` then builds key-to-work pairs into the ranking in the running process (:func:`key_work_ranking`: the
works they reach from the reader's looked-up keys added to the works scored, and a piece as a co-borrowed key
weighs, ``weight × the reader's value of the key × cosine``) and compares, on the same readers, MAP@10 and the
paired interval of (with − without) for each variant.

Usage::

    PYTHONPATH=$PWD python bench/recommend_reach.py [--interactions CSV --items CSV] [--split ISO] [--try]
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import math
from collections import Counter, defaultdict
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recommend_compare import SETTINGS, bootstrap, compare, evidence_for, per_reader, settings_of
from recommend_data import _time, split_dataset
from recommend_loans import DEFAULT_ITEMS, DEFAULT_LOANS, before, load_any
from recommend_methods import ProjectRanker, rank_project

from consortium.push import ranking, scoring
from consortium.push.coborrow import MAX_NEIGHBOURS, MAX_PER_READER, MIN_READERS
from consortium.push.evidence import COBORROW_WEIGHT, OVERLAP_WEIGHT
from consortium.push.index import NewWorks, expanded_keys

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from recommend_data import Dataset

    from consortium.push.evidence import Evidence
    from consortium.push.index import NewWork
    from consortium.push.ranking import Taste

__all__ = ["key_work_pairs", "key_work_ranking", "main", "reach"]

VARIANTS: tuple[tuple[str, float, str], ...] = (
    ("shortlist only", 0.0, "max"),
    ("max", 0.5, "max"),
    ("noisy-or", 0.5, "noisy-or"),
    ("max", 1.0, "max"),
    ("max", 0.25, "max"),
)
"""``--try``'s variants: (name, weight of the piece, how the reader's keys combine: the best, or a noisy-OR)."""

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


@contextlib.contextmanager
def key_work_ranking(table: Mapping[str, Mapping[str, float]], weight: float, combine: str) -> Iterator[None]:
    """The ranking with key-to-work pairs (``table``: key → work → cosine), restored on exit: the works the
    reader's looked-up keys lead to are scored too, and each gets ``weight × value of the key × cosine``, the best
    of the reader's keys (``combine="max"``) or each key its own noisy-OR piece."""
    into: dict[str, dict[str, float]] = defaultdict(dict)
    for key, works in table.items():
        for work, cosine in works.items():
            into[work][key] = cosine
    first_met, scores = NewWorks.first_met, scoring.evidence_scores

    def reached(self: NewWorks, weights: Mapping[str, float], k: int, **filters: Any) -> list[int]:
        found = first_met(self, weights, k, **filters)
        seen, floor, exclude, reject = set(found), filters["floor"], filters["exclude"], filters["reject"]
        for key in weights:
            for cluster_id in table.get(key, ()):
                number = self.by_id.get(cluster_id)
                if number is None or number in seen or cluster_id in exclude:
                    continue
                work = self.works[number]
                if work.seen_at >= floor and not (reject is not None and reject(work)):
                    found.append(number)
                    seen.add(number)
        return found

    def scored(
        works: Sequence[NewWork],
        values: Mapping[str, float],
        whys: Mapping[str, str],
        taste: Taste,
        evidence: Evidence,
        *,
        index: NewWorks | None = None,
    ) -> list[tuple[float, float, str]]:
        out = []
        for work, (score, tie, why) in zip(
            works, scores(works, values, whys, taste, evidence, index=index), strict=True
        ):
            pieces = [min(1.0, weight * values[k] * c) for k, c in into.get(work.cluster_id, {}).items() if k in values]
            miss = 1.0 - score
            for p in pieces if combine != "max" else [max(pieces, default=0.0)]:
                miss *= 1.0 - p
            out.append((1.0 - miss, tie, why))
        return out

    setattr(NewWorks, "first_met", reached)  # noqa: B010 - a patch for the run, undone below
    setattr(ranking, "evidence_scores", scored)  # noqa: B010
    try:
        yield
    finally:
        setattr(NewWorks, "first_met", first_met)  # noqa: B010
        setattr(ranking, "evidence_scores", scores)  # noqa: B010


def tried(dataset: Dataset, table: Mapping[str, Mapping[str, float]]) -> None:
    """Each of :data:`VARIANTS` against the unchanged ranking, on the same readers (``--try``)."""
    unchanged = compare(dataset, peers=False)
    print("\nkey -> work built into the ranking (MAP@10, P@10; with - without, 95% CI):")
    for name, weight, combine in VARIANTS:
        with key_work_ranking(table, weight, combine):
            found = compare(dataset, peers=False)
        cells = []
        for setting in SETTINGS:
            a, b = found["settings"][setting]["ap"]["project"], unchanged["settings"][setting]["ap"]["project"]
            low, high = bootstrap(a, b, 7)
            precision = found["settings"][setting]["metrics"]["project"]["precision"]
            cells.append(f"{setting} {sum(a) / len(a):.4f} P@10 {precision:.4f} [{low:+.4f}, {high:+.4f}]")
        print(f"{name} (weight {weight}): " + "; ".join(cells), flush=True)


def _unmet(found: Reached, keys: Mapping[str, list[str]], own: set[str]) -> Reached:
    """The works of ``found`` that meet none of the reader's keys (``own``), their broader levels included."""
    mine = expanded_keys(own)
    return {work: strength for work, strength in found.items() if not expanded_keys(keys[work]) & mine}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--interactions", type=Path, help="loans CSV (with --items)")
    parser.add_argument("--items", type=Path, help="items CSV (with --interactions)")
    parser.add_argument("--split", type=_time, help="the test split time (ISO 8601); validation is cut before it")
    parser.add_argument("--try", dest="tried", action="store_true", help="then build key-to-work pairs in and compare")
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
    if args.tried:
        tried(dataset, bounded)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
