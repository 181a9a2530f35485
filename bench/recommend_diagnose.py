"""Where TF-IDF and item-kNN win against the push ranking, reader by reader, on the validation split: a diagnosis.

On ``bench/recommend_quality.py --validation``'s split, with the peers' lists and the project's as the comparison
makes them (:class:`recommend_tries.Validation`), printed per setting (*new*, *all*):

1. the readers whose AP@10 is higher with the peer (TF-IDF; item-kNN in *all*), lower, or equal, and the sum of
   the differences each way;
2. the peer's hits the project's top 10 misses: how many the project's shortlist held (the works scored fully,
   ``SHORTLIST_PER_ITEM`` a slot, by their strongest single match), their place when every candidate is scored,
   and what they share with the reader's loans in the TF-IDF peer's terms (``s`` a whole heading, ``p`` a part,
   ``a`` an author); for item-kNN, how many are works under ten readers (out of the hub's reach: a work's loans and
   a pair count only from ten) and how many share a term at all;
3. the project's top 10 by the kind of its reason (the piece that weighed most): items, hits, hit rate;
4. MAP@10 of the project and each peer by the reader's loans before the split;
5. the readers whose top 10 holds equal scores (where the order of ties decides).

``--equal-rank`` adds, for *all*, every candidate scored for every reader (several minutes): the hit rate at equal
places of that full ranking, split by an author the reader reads, a loan count of the work's own (the prior),
the shortlist, and whether the key pieces or the content similarity weigh more.

Usage::

    PYTHONPATH=$PWD python bench/recommend_diagnose.py [--equal-rank] [--seed 7]
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from recommend_compare import SETTINGS, per_reader
from recommend_loans import DEFAULT_ITEMS, DEFAULT_LOANS, load_any
from recommend_methods import ProjectRanker
from recommend_tries import Validation

from consortium.push import ranking, scoring
from consortium.push.coborrow import MIN_READERS
from consortium.push.ranking import HOME_WEIGHT, MAX_LOOKUP, SHORTLIST_PER_ITEM, rank
from consortium.push.scoring import ReaderValues, evidence_scores

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["every_candidate", "main", "reason_kind"]

LOAN_BUCKETS = ((1, 2), (2, 3), (3, 5), (5, 10), (10, 20), (20, 10**6))
RANK_BANDS = ((0, 5), (5, 10), (10, 20), (20, 40))


def reason_kind(reason: str) -> str:
    """The kind of a digest line's reason: its first words, or ``by author``."""
    return "by author" if reason.startswith("by ") else " ".join(reason.split(" ")[:3])


def every_candidate(ranker: ProjectRanker, reader: str, member: str) -> list[tuple[str, float, dict[str, Any]]]:
    """Every candidate the reader did not borrow, scored as :func:`~consortium.push.ranking.rank` scores the
    shortlist, best first: ``(cluster id, score, what it is made of)``."""
    evidence, works = ranker.evidence, ranker.works
    assert evidence is not None
    taste = ranker.taste(reader)
    own = frozenset(row.item for row in ranker.split.train[reader])
    values = ReaderValues(taste, evidence)
    lookup = dict(values.strongest(MAX_LOOKUP, taste.weights.keys() - taste.lookup.keys()))
    lookup = {key: value * evidence.rarities[key] for key, value in lookup.items()}
    filters = ranking._filters(None, own, ())
    shortlist = set(works.first_met(lookup, max(10 * SHORTLIST_PER_ITEM, 12), **filters))
    candidates = [work for work in works.works if work.cluster_id not in own]
    values.complete(set().union(*[work.expanded for work in candidates]))
    loans = scoring._loans(taste, evidence)
    read = {key for key in taste.weights if key.startswith("author:")}
    out = []
    scores = evidence_scores(candidates, values.values, values.whys, taste, evidence, index=works)
    for work, (score, tie, _) in zip(candidates, scores, strict=True):
        keys, norm, content_norm, _ = scoring._terms(work, evidence)
        miss = 1.0
        for key, factor, rarity in keys:
            value = values.values.get(key)
            if value is not None:
                miss *= 1.0 - min(1.0, value * factor * rarity * norm)
        similarity = scoring._similarity(work, work.expanded, content_norm, loans, evidence.squares)[0]
        parts = {
            "shortlisted": work.number in shortlist,
            "keys": 1.0 - miss,
            "similarity": 1.0 - math.exp(-similarity),
            "author": any(author in read for author in work.authors),
            "prior": work.cluster_id in evidence.loans,
        }
        home = HOME_WEIGHT if member in work.members else 0.0
        out.append((work.cluster_id, score + tie + home, parts))
    out.sort(key=lambda entry: -entry[1])
    return out


def _versus(v: Validation, setting: str, peer: str) -> None:
    from recommend_peers import content_features  # numpy and scipy: the bench extra

    candidates, hidden = v.settings[setting]
    ranker = ProjectRanker(v.dataset, v.split, candidates, evidence=v.evidence, exclude_borrowed=True)
    mine, theirs = v.unchanged[setting], v.peers[setting][peer]
    wins = Counter[str]()
    sums: dict[str, float] = defaultdict(float)
    places: list[int] = []
    held = shares = 0
    kinds = Counter[str]()
    few = 0
    readers_of = Counter(item for rows in v.split.train.values() for item in {row.item for row in rows})
    for reader in sorted(hidden):
        a, b = (
            per_reader(mine.get(reader, []), hidden[reader])["map"],
            per_reader(theirs[reader], hidden[reader])["map"],
        )
        side = peer if b > a else "project" if a > b else "equal"
        wins[side] += 1
        sums[side] += abs(a - b)
        missed = [item for item in theirs[reader] if item in hidden[reader] and item not in mine.get(reader, [])]
        if not missed:
            continue
        scored = every_candidate(ranker, reader, v.split.home.get(reader, ""))
        place = {item: n for n, (item, _, _) in enumerate(scored)}
        terms = Counter(t for row in v.split.train[reader] for t in set(content_features(v.dataset, row.item)))
        for item in missed:
            places.append(place.get(item, len(place)))
            held += scored[place[item]][2]["shortlisted"] if item in place else 0
            shared = {t[0] for t in content_features(v.dataset, item) if t in terms}
            kinds["+".join(sorted(shared)) or "nothing"] += 1
            shares += bool(shared)
            few += readers_of[item] < MIN_READERS
    print(
        f"  vs {peer}: readers {dict(wins)}; sum of AP differences where the peer wins {sums[peer]:.3f}, where the "
        f"project wins {sums['project']:.3f}"
    )
    if places:
        quartiles = statistics.quantiles(places, n=4) if len(places) > 1 else places
        print(
            f"  {peer}'s hits the project misses: {len(places)}; in its shortlist {held}; their place when every "
            f"candidate is scored: quartiles {[round(q, 1) for q in quartiles]}; shared terms {dict(kinds)}; "
            f"share a term {shares}; works under {MIN_READERS} readers {few}"
        )


def _reasons(v: Validation, setting: str) -> None:
    candidates, hidden = v.settings[setting]
    ranker = ProjectRanker(v.dataset, v.split, candidates, evidence=v.evidence, exclude_borrowed=True)
    items = Counter[str]()
    hits = Counter[str]()
    tied = 0
    for reader in sorted(hidden):
        own = frozenset(row.item for row in v.split.train[reader])
        digest = rank(
            ranker.taste(reader),
            ranker.works,
            member=v.split.home.get(reader, ""),
            members_total=1,
            cap=10,
            threshold=0.0,
            exclude=own,
            evidence=v.evidence,
        )
        for line in digest:
            kind = reason_kind(line.reason)
            items[kind] += 1
            hits[kind] += line.cluster_id in hidden[reader]
        scores = [line.score for line in digest]
        tied += len(set(scores)) < len(scores)
    print("  the project's top 10 by reason: " + "; ".join(f"{k} {n} ({hits[k]} hits)" for k, n in items.most_common()))
    print(f"  readers with equal scores in their top 10: {tied} of {len(hidden)}")


def _by_loans(v: Validation, setting: str) -> None:
    hidden = v.settings[setting][1]
    systems: dict[str, Mapping[str, list[str]]] = {"project": v.unchanged[setting], **v.peers[setting]}
    for low, high in LOAN_BUCKETS:
        readers = [r for r in hidden if low <= len(v.split.train[r]) < high]
        if readers:
            cells = [
                f"{name} {sum(per_reader(lists.get(r, []), hidden[r])['map'] for r in readers) / len(readers):.4f}"
                for name, lists in systems.items()
            ]
            print(f"  loans {low}-{min(high - 1, 999)}: {len(readers)} readers; " + ", ".join(cells))


def _equal_rank(v: Validation) -> None:
    candidates, hidden = v.settings["all"]
    ranker = ProjectRanker(v.dataset, v.split, candidates, evidence=v.evidence, exclude_borrowed=True)
    rows: Counter[tuple[int, str, bool]] = Counter()
    found: Counter[tuple[int, str, bool]] = Counter()
    for reader in sorted(hidden):
        for place, (item, _, parts) in enumerate(every_candidate(ranker, reader, v.split.home.get(reader, ""))[:40]):
            band = next(n for n, (low, high) in enumerate(RANK_BANDS) if low <= place < high)
            split = {**parts, "keys": parts["keys"] > parts["similarity"]}
            for name in ("author", "prior", "shortlisted", "keys"):
                rows[band, name, split[name]] += 1
                found[band, name, split[name]] += item in hidden[reader]
    print("\nall: hit rate at equal places of the full ranking (every candidate scored), yes / no")
    for name in ("author", "prior", "shortlisted", "keys"):
        cells = []
        for band, (low, high) in enumerate(RANK_BANDS):
            yes, no = (found[band, name, flag] / max(1, rows[band, name, flag]) for flag in (True, False))
            cells.append(f"{low}-{high - 1}: {yes:.4f} ({rows[band, name, True]}) / {no:.4f}")
        print(f"  {name}: " + "; ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--equal-rank", action="store_true", help="also score every candidate for every reader")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    v = Validation.of(load_any(DEFAULT_LOANS, DEFAULT_ITEMS), args.seed)
    print(f"validation: {v.dataset.description}; split at {v.split.at.isoformat()}")
    for setting in SETTINGS:
        print(f"\n{setting}: {len(v.settings[setting][1]):,} readers")
        for peer in ("tfidf", "item_knn") if setting == "all" else ("tfidf",):
            _versus(v, setting, peer)
        _reasons(v, setting)
        _by_loans(v, setting)
    if args.equal_rank:
        _equal_rank(v)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
