"""Offline evaluation of the "interested new books" ranking against its peers, on real loans by default.

**By default** (no ``--simulate``) it reads ``../shared/data/library-loans`` (or ``--interactions/--items`` in that
form, ``u,i,t`` and ``Title,Author,...,Subjects,i``, or in the CSV form below), cuts it at ``--split`` (default: the
time by which 80% of its loans happened) and compares the project's ranking with popularity, popularity per
subject, TF-IDF content, item-kNN and implicit ALS in two settings (new books; all works not borrowed), with a
paired bootstrap interval of the MAP@10 difference to each (``bench/recommend_compare.py``). ``--fit`` first refits
the ranking's two weights (:data:`~consortium.push.evidence.OVERLAP_WEIGHT`,
:data:`~consortium.push.evidence.COBORROW_WEIGHT`) on a validation split cut from the training period only; the
last line is JSON: per setting, each system's MAP/P/R/NDCG@10. ``--calibrate`` fits the push threshold
(:data:`~consortium.push.ranking.RELEVANCE_THRESHOLD`) on that validation split (``bench/recommend_calibrate.py``).
``--splits 0.6,0.7,0.8,0.9`` runs the comparison at each of those cuts (where that share of the loans happened)
and prints one table (``bench/recommend_cuts.py``): a robustness check, not a split to tune to.

What follows is the older evaluation, kept for ``--simulate`` and the CSV form with the simulation's baselines:

Each reader's borrowings before a split time build their interest profile
(:func:`~consortium.profiles.interests.apply_event`) and their list of borrowed works
(:class:`~consortium.push.ranking.Borrowed`); the works that arrive at or after the split are the candidates
(:meth:`~consortium.push.index.NewWorks.build`); the reader's borrowings of those new works after the split are
hidden, and each method's top 10 is scored against them: precision@10, recall@10 and NDCG@10 (binary relevance),
averaged over the readers with at least one hidden borrowing. Methods, on the same split:

* ``project``: :func:`~consortium.push.ranking.rank` with ``since=None``, nothing excluded, threshold 0 (and
  once more at the default :data:`~consortium.push.ranking.RELEVANCE_THRESHOLD`, where coverage, the share of
  readers who get at least one work, is reported too);
* ``popularity``: one list for every reader: the new works held by the most members, ties broken by the item's
  ``popularity`` column (goodreads ``ratings_count`` in the simulation) when the data has it. New works have
  no borrowings before the split, so borrow counts cannot rank them;
* ``random``: 10 new works drawn at random for each reader (seeded).

Usage::

    python bench/recommend_quality.py [--readers 2000] [--seed 7] [--books PATH] [--json]
    python bench/recommend_quality.py --interactions loans.csv --items items.csv [--split 2024-01-01T00:00:00Z]
    python bench/recommend_quality.py --write-csv DIR     # the simulated data set, as the two CSV files

**Any data set** of (reader, item, time) rows plus item metadata goes through the same code. Two UTF-8 CSV
files with a header row; lists are separated by ``;``:

* interactions: ``reader`` (id), ``item`` (id), ``at`` (ISO 8601 time; no zone means UTC), ``member``
  (optional: the library the loan was made at; a reader's own library is their most frequent one before the
  split);
* items: ``item_id``, ``title``, ``authors`` (list, as catalogued), ``year``, ``subjects`` (list of headings),
  ``classes`` (list of ``scheme:code``, e.g. ``clc:TP312;ddc:005.13``), ``members`` (list of the libraries that
  hold it), ``arrived`` (ISO time the consortium first had it: ``first_seen``), and optionally ``series``,
  ``language`` and ``popularity`` (a number; empty when unknown).

The split time is ``--split``, else the simulation's own, else the time by which 80% of the interactions had
happened. New items are those that arrived at or after it.

**The simulation** (no public loan data set with enough readers is in ../shared/data yet) puts a reader
population over the real metadata of the 10,000 books in ../shared/data/goodbooks-10k/books.csv (zygmuntz/
goodbooks-10k, CC BY-SA 4.0). The rule, all of it deterministic for one ``--seed``:

1. *Classes.* goodbooks has no classification, so each book gets one CLC class: the CRC-32 of its first
   author (as :func:`~consortium.profiles.interest_keys.author_key` normalizes it) modulo the 40 classes of
   :data:`CLASSES`, so that one author's books share a class as in a real catalogue. *Subjects*: the class's
   first heading, and its second too when the CRC-32 of the book id is odd. *Series*: the ``(Series, #n)``
   part of the goodreads title.
2. *Old and new.* A book first published before :data:`NEW_FROM_YEAR` (2010), or with no year, is old and
   arrived before the borrowing starts; a newer book is new and arrives 0-119 days after the split time
   (:data:`SPLIT_AT`), by the CRC-32 of its id.
3. *Holdings.* Held by 1 member, plus one for each of 15,000, 40,000 and 150,000 ``ratings_count`` reached
   (so 1-4 of the four sample members riverside, lakeside, eastlake, westfield), taken in turn from the
   member the book id's CRC-32 picks.
4. *Readers* (``--readers``, default 2,000). Each has a home library (uniform), 1-3 interest classes (uniform
   over the classes), and with probability 0.3 a favourite author (drawn, weighted by ratings, from the authors
   in their interest classes who have both old and new books).
5. *Borrowing.* A reader borrows 5-30 old books (uniform) at uniform times over the 730 days before the split,
   then 1-5 new books (uniform), each at 1-60 days after the book arrived. Each borrowing picks a pool: with
   probability 0.15 the favourite author's books (if any, else an interest class), else with probability 0.15
   the whole catalogue (noise), else one of the reader's interest classes (uniform); then a book of that pool
   not borrowed yet, drawn with weight sqrt(ratings_count), doubled when the reader's home library holds it.

The evaluation hides the borrowings after the split. The last line printed is JSON (only JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recommend_compare import compare
from recommend_cuts import compare_cuts, parse_shares, print_cuts
from recommend_data import Dataset, Interaction, Item, Split, _time, load_csv, split_dataset, write_csv
from recommend_loans import DEFAULT_ITEMS, DEFAULT_LOANS, before, load_any
from recommend_methods import rank_popularity, rank_project, rank_random
from recommend_metrics import K, metrics_at
from recommend_sim import CLASSES, DEFAULT_BOOKS, MEMBERS, simulate

from consortium.push.evidence import COBORROW_WEIGHT, OVERLAP_WEIGHT
from consortium.push.ranking import RELEVANCE_THRESHOLD

FIT_GRID = {"overlap": (0.0, 0.5, 1.0), "coborrow": (0.0, 0.5, 1.0)}
"""The weights tried by ``--fit``."""

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "CLASSES",
    "MEMBERS",
    "Dataset",
    "Interaction",
    "Item",
    "Split",
    "evaluate",
    "load_csv",
    "main",
    "metrics_at",
    "simulate",
    "split_dataset",
    "write_csv",
]


def evaluate(dataset: Dataset, *, seed: int = 7, split_at: datetime | None = None, workers: int = 1) -> dict[str, Any]:
    """Every method's metrics @10 on one split, with counts and the project ranking's speed."""
    split = split_dataset(dataset, split_at)
    started = time.perf_counter()
    project, cpu = rank_project(dataset, split, thresholds=(0.0, RELEVANCE_THRESHOLD), workers=workers)
    elapsed = time.perf_counter() - started
    popular, how = rank_popularity(dataset, split)
    results = {
        "project": metrics_at(project[0.0], split.hidden),
        "project_default_threshold": metrics_at(project[RELEVANCE_THRESHOLD], split.hidden),
        "popularity": metrics_at(popular, split.hidden),
        "random": metrics_at(rank_random(split, seed), split.hidden),
    }
    return {
        "data": dataset.description,
        "split_at": split.at.isoformat(),
        "items": len(dataset.items),
        "new_items": len(split.new_items),
        "interactions": len(dataset.interactions),
        "readers_evaluated": len(split.hidden),
        "hidden": sum(len(v) for v in split.hidden.values()),
        "k": K,
        "default_threshold": RELEVANCE_THRESHOLD,
        "popularity_by": how,
        "results": results,
        "project_seconds": round(elapsed, 3),
        "workers": workers,
        "readers_per_second": round(len(split.hidden) / elapsed, 1) if elapsed else None,
        "project_cpu_seconds": round(cpu, 3),
        "readers_per_cpu_second": round(len(split.hidden) / cpu, 1) if cpu else None,
    }


def _report(report: dict[str, Any]) -> None:
    print(report["data"])
    print(
        f"split {report['split_at']}: {report['new_items']:,} new items of {report['items']:,}; "
        f"{report['readers_evaluated']:,} readers with {report['hidden']:,} hidden borrowings"
    )
    results = report["results"]
    print(f"\n{'method':<34}{'P@10':>8}{'R@10':>8}{'NDCG@10':>9}{'coverage':>10}")
    labels = {
        "project": "project ranking (threshold 0)",
        "project_default_threshold": f"project ranking (threshold {report['default_threshold']})",
        "popularity": "popularity",
        "random": "random",
    }
    for name, label in labels.items():
        m = results[name]
        print(f"{label:<34}{m['precision']:>8.4f}{m['recall']:>8.4f}{m['ndcg']:>9.4f}{m['coverage']:>10.3f}")
    print(f"\npopularity ranks new items by {report['popularity_by']}")
    for base in ("popularity", "random"):
        ratios = []
        for metric in ("precision", "recall", "ndcg"):
            below = results[base][metric]
            ratios.append(f"{metric} x{results['project'][metric] / below:.2f}" if below else f"{metric} x-")
        print(f"project / {base}: " + ", ".join(ratios))
    print(
        f"project ranking: {report['readers_per_second']:,} readers ranked/s with {report['workers']} process(es) "
        f"({report['project_seconds']:.1f} s wall); {report['readers_per_cpu_second']:,} readers per CPU second "
        f"({report['project_cpu_seconds']:.1f} CPU s); profile and taste building included"
    )


def fit(dataset: Dataset, split_at: datetime | None, workers: int) -> dict[str, float]:
    """The overlap and co-borrowing weights with the best mean MAP@10 over both settings on a validation split
    cut from the training period only: the loans before the split, cut again at their own 80% point."""
    split = split_dataset(dataset, split_at)
    train = before(dataset, split.at)
    best: tuple[float, dict[str, float]] = (-1.0, {})
    for overlap in FIT_GRID["overlap"]:
        for coborrow in FIT_GRID["coborrow"]:
            report = compare(train, workers=workers, overlap=overlap, coborrow=coborrow, peers=False)
            value = sum(s["metrics"]["project"]["map"] for s in report["settings"].values()) / 2
            print(f"validation: overlap {overlap} coborrow {coborrow}: mean MAP@10 {value:.4f}", file=sys.stderr)
            if value > best[0]:
                best = (value, {"overlap": overlap, "coborrow": coborrow})
    return best[1]


def _compare_report(report: dict[str, Any]) -> dict[str, Any]:
    for name, setting in report["settings"].items():
        print(f"\nsetting {name}: {setting['readers']:,} readers, {setting['candidates']:,} candidates")
        print(f"{'system':<26}{'MAP@10':>8}{'P@10':>8}{'R@10':>8}{'NDCG@10':>9}   project - system, MAP@10, 95% CI")
        for system, m in setting["metrics"].items():
            ci = setting["map_diff_ci95"].get(system)
            interval = f"   [{ci[0]:+.4f}, {ci[1]:+.4f}]" if ci else ""
            print(f"{system:<26}{m['map']:>8.4f}{m['precision']:>8.4f}{m['recall']:>8.4f}{m['ndcg']:>9.4f}{interval}")
    return {
        name: {system: {k: round(v, 5) for k, v in m.items()} for system, m in setting["metrics"].items()}
        for name, setting in report["settings"].items()
    }


def _calibrate(dataset: Dataset, split_at: datetime | None) -> int:
    from recommend_calibrate import calibrate

    found = calibrate(dataset, split_at)
    curve = found.pop("curve")
    print(f"validation split at {found['split_at']}: {found['readers']:,} readers, {found['items']:,} list items")
    print("isotonic hit rate by score (lowest score of each step: hit rate):")
    steps: list[tuple[float, float]] = []
    for low, _, value in curve:  # steps of one rate shown once
        if not steps or steps[-1][1] != value:
            steps.append((low, value))
    print("  " + ", ".join(f"{low:.3f}: {value:.4f}" for low, value in steps))
    print(
        f"target (popularity's P@10): {found['target_precision']:.4f}; threshold {found['threshold']:.3f}"
        f"{'' if found['reached'] else ' (no score reached the target)'}; kept above it: "
        f"{found['items_kept']:.1%} of list items, {found['hits_kept']:.1%} of hits, "
        f"precision {found['precision_kept']:.4f} (default now {RELEVANCE_THRESHOLD})"
    )
    print(json.dumps(found, sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--readers", type=int, default=2000, help="simulated readers (default 2000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--books", type=Path, default=DEFAULT_BOOKS, help="goodbooks-10k books.csv")
    parser.add_argument("--interactions", type=Path, help="a real data set: interactions CSV (with --items)")
    parser.add_argument("--items", type=Path, help="a real data set: items CSV (with --interactions)")
    parser.add_argument("--split", type=_time, help="split time (ISO 8601)")
    parser.add_argument(
        "--splits",
        type=parse_shares,
        help="compare at several cuts, each where that share of the loans happened (e.g. 0.6,0.7,0.8,0.9), in one "
        "table (bench/recommend_cuts.py)",
    )
    parser.add_argument("--write-csv", type=Path, help="write the data set as CSV files to this folder and stop")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes ranking readers")
    parser.add_argument("--json", action="store_true", help="print only the JSON report")
    parser.add_argument("--simulate", action="store_true", help="the goodbooks simulation (new books only)")
    parser.add_argument("--fit", action="store_true", help="refit the weights on a validation split first")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="compare with the peers on the validation split only (the loans before the split, cut again at their "
        "own 80%% point): for trying a change without looking at the test split",
    )
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="fit the push threshold on the validation split (bench/recommend_calibrate.py) and stop",
    )
    parser.add_argument("--overlap", type=float, default=OVERLAP_WEIGHT, help="overlap weight")
    parser.add_argument("--coborrow", type=float, default=COBORROW_WEIGHT, help="co-borrowing weight")
    args = parser.parse_args(argv)
    if (args.interactions is None) != (args.items is None):
        parser.error("--interactions and --items go together")
    if args.splits is not None:
        alone = ("split", "fit", "validation", "calibrate", "simulate", "write_csv")
        clash = [name for name in alone if vars(args)[name]]
        if clash:
            parser.error(f"--splits takes no --{clash[0].replace('_', '-')}: it makes its own cuts")
    if not args.simulate and args.write_csv is None:
        loans = args.interactions or DEFAULT_LOANS
        dataset = load_any(loans, args.items or DEFAULT_ITEMS, args.split)
        weights = {"overlap": args.overlap, "coborrow": args.coborrow}
        if args.calibrate:
            return _calibrate(dataset, args.split)
        if args.splits is not None:
            reports = compare_cuts(dataset, args.splits, seed=args.seed, workers=max(1, args.workers), **weights)
            print(f"{dataset.description}; cuts at {', '.join(map(str, args.splits))} of the loans; weights {weights}")
            print(json.dumps(print_cuts(reports), sort_keys=True))
            return 0
        if args.validation:
            dataset = before(dataset, split_dataset(dataset, args.split).at)
            report = compare(dataset, seed=args.seed, workers=max(1, args.workers), **weights)
            print(f"validation: {dataset.description}; split at {report['split_at']}; weights {weights}")
            print(json.dumps(_compare_report(report), sort_keys=True))
            return 0
        if args.fit:
            weights = fit(dataset, args.split, max(1, args.workers))
            print(f"fitted weights: {weights}")
        report = compare(dataset, split_at=args.split, seed=args.seed, workers=max(1, args.workers), **weights)
        print(f"{dataset.description}; split at {report['split_at']}; weights {weights}")
        print(json.dumps(_compare_report(report), sort_keys=True))
        return 0
    if args.interactions is not None:
        dataset = load_csv(args.interactions, args.items, args.split)
    else:
        if not args.books.exists():
            print(f"{args.books} is missing (see ../shared/data/SOURCES.md)", file=sys.stderr)
            return 2
        dataset = simulate(args.books, args.readers, args.seed)
    if args.write_csv is not None:
        paths = write_csv(dataset, args.write_csv)
        print(f"wrote {paths[0]} and {paths[1]}")
        return 0
    report = evaluate(dataset, seed=args.seed, split_at=args.split, workers=max(1, args.workers))
    if not args.json:
        _report(report)
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
