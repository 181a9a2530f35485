"""Precision, recall and F1 of the project's matcher on labelled pair sets, beside Splink and recordlinkage on
the same candidate pairs. No method sees a label: each is fitted, unsupervised, on the set's records and pairs.

Usage::

    python bench/dedup_quality.py                     # every shared set under ../shared/data
    python bench/dedup_quality.py DIR_OR_FILE         # Ditto/DeepMatcher text pairs (a directory of
                                                      # train/valid/test.txt, scored on test.txt, or one file)
    python bench/dedup_quality.py PAIRS.csv --columns title=Name,authors=Author,publisher=Publisher \\
        [--label match] [--level work]                # a Magellan labelled-pair CSV

Levels: ``edition`` (one manifestation: the DBLP-ACM papers) or ``work`` (print and e-book, sometimes other
editions, as one: what the book sets label); a work-level pair is decided on title and authors, with the
rejects that concern the work (format family, parts, years in titles). Beside it, for work-level sets, the hub's
own work groups (one manifestation, or an equal work key: :mod:`consortium.dedup.work_groups`) are scored on the
same pairs (``work_groups`` in the set's JSON): the stricter FRBR level, every edition of a work one group.

The shared sets are scored on ``test.txt`` (DBLP-ACM, the other splits given unlabelled to fit on) and on
``labeled_G.csv`` (the book sets: all their labelled pairs, none used for fitting but as unlabelled pairs).
With no PATH, the DBLP-ACM source tables are clustered whole too (blocking's pair completeness, and the bulk
path's clusters scored pairwise against the complete gold mapping), and the MARC records of ../shared/data/marc
by both paths (cluster counts, and the labels the records' own ISBN and OCLC numbers give). One JSON object a
set is printed, the worst set's last: ``{"set", "level", "precision", "recall", "f1", "peers": {"splink": ...,
"recordlinkage": ...}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from dedup_marc import evaluate_marc
from dedup_peers import run_peers
from dedup_sets import LabelledSet, read_ditto, read_magellan
from dedup_tables import evaluate_tables

from consortium.dedup.features import match_view
from consortium.dedup.fit import fit_model
from consortium.dedup.matcher import decide
from consortium.dedup.work_groups import work_key

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BOOK_COLUMNS = {
    "amazon-goodreads": "title=Name,authors=Author,publisher=Publisher,format=Format,pages=Pages",
    "amazon-bn": "title=Title,authors=Author,publisher=Publisher,year=Time",
}


def scores(predicted: list[bool], actual: list[bool]) -> dict[str, Any]:
    tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
    fp = sum(p and not a for p, a in zip(predicted, actual, strict=True))
    fn = sum(a and not p for p, a in zip(predicted, actual, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}  # fmt: skip


def evaluate(data: LabelledSet, level: str, peers: bool) -> dict[str, Any]:
    views = [match_view(r) for r in data.records]
    pairs = [(i, j) for i, j, _ in data.labelled] + data.unlabelled
    model = fit_model(views, pairs)
    predicted = [decide(views[i], views[j], model, level=level).match for i, j, _ in data.labelled]  # type: ignore[arg-type]
    actual = [label for _, _, label in data.labelled]
    result: dict[str, Any] = {"set": data.name, "level": level, "pairs": len(actual), "positives": sum(actual)}
    result |= scores(predicted, actual)
    if level == "work":
        # The hub's own work groups (consortium/dedup/work_groups.py): one manifestation, or an equal work key
        # (title proper without subtitle or qualifiers, first author's family name). Printed beside the pairwise
        # work-level decision the labels are scored by: these labels call some other editions two works.
        keys = [work_key(r.title, r.authors, r.uniform_title) for r in data.records]
        grouped = [
            decide(views[i], views[j], model).match or (keys[i] is not None and keys[i] == keys[j])
            for i, j, _ in data.labelled
        ]
        result["work_groups"] = scores(grouped, actual)
    if peers:
        result["peers"] = {name: scores(found, actual) for name, found in run_peers(data, pairs, level).items()}
    return result


def shared_sets() -> list[tuple[LabelledSet, str]]:
    sets: list[tuple[LabelledSet, str]] = []
    for kind in ("structured", "dirty"):
        folder = DATA / "dblp-acm" / kind
        if folder.exists():
            sets.append((read_ditto(f"dblp-acm/{kind}", folder / "test.txt", _others(folder)), "edition"))
    for name, columns in BOOK_COLUMNS.items():
        path = DATA / "book-matching" / name / "labeled_G.csv"
        if path.exists():
            sets.append((read_magellan(f"book-matching/{name}", path, _columns(columns), None), "work"))
    return sets


def _others(folder: Path) -> list[Path]:
    return [folder / f"{split}.txt" for split in ("train", "valid") if (folder / f"{split}.txt").exists()]


def _columns(text: str) -> dict[str, str]:
    mapping = {}
    for item in text.split(","):
        target, sep, column = item.partition("=")
        if not sep:
            raise SystemExit(f"--columns: {item!r} is not FIELD=COLUMN")
        mapping[target.strip()] = column.strip()
    return mapping


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path)
    parser.add_argument("--columns", help="FIELD=COLUMN,... for a Magellan CSV")
    parser.add_argument("--label", help="the 0/1 column of a Magellan CSV (default: the last)")
    parser.add_argument("--level", choices=("edition", "work"), help="what a label means (default: edition "
                        "for text pairs, work for CSVs)")  # fmt: skip
    parser.add_argument("--no-peers", action="store_true", help="skip Splink and recordlinkage")
    args = parser.parse_args()
    if args.path is None:
        sets = shared_sets()
        if not sets:
            print(f"no labelled sets under {DATA}")
            return 0
    elif args.path.suffix == ".csv":
        if not args.columns:
            raise SystemExit("a Magellan CSV needs --columns FIELD=COLUMN,...")
        sets = [(read_magellan(args.path.name, args.path, _columns(args.columns), args.label), args.level or "work")]
    elif args.path.is_dir():
        sets = [(read_ditto(args.path.name, args.path / "test.txt", _others(args.path)), args.level or "edition")]
    else:
        sets = [(read_ditto(args.path.name, args.path, []), args.level or "edition")]
    results = [evaluate(data, level, not args.no_peers) for data, level in sets]
    tables = DATA / "dblp-acm" / "tables"
    if args.path is None and tables.exists():
        whole = evaluate_tables(tables)
        blocking, before = whole["blocking"], whole["blocking_first_words_only"]
        print(
            f"{whole['set']}: {whole['records']:,} records, {whole['gold_pairs']:,} gold pairs; blocking finds "
            f"{blocking['pair_completeness']:.2%} of them in {blocking['candidate_pairs']:,} candidate pairs "
            f"(the first title words alone: {before['pair_completeness']:.2%}); bulk clusters (weights fitted "
            f"to the tables) P {whole['precision']:.4f} R {whole['recall']:.4f} F1 {whole['f1']:.4f}"
        )
        print(json.dumps(whole))
    if args.path is None and (DATA / "marc").exists():
        warnings.filterwarnings("ignore")  # pymarc's on the deliberately broken sample files
        marc = evaluate_marc(DATA / "marc")
        print(
            f"{marc['set']}: {marc['records']} records of {marc['members']} members: {marc['clusters_bulk']} "
            f"clusters by the bulk path, {marc['clusters_incremental']} by the incremental one in three shuffled "
            f"orders (the same clusters every time: {marc['same_clusters_every_order']}); "
            f"{marc['identifier_pairs_together']} of {marc['identifier_pairs']} pairs sharing an ISBN or OCLC "
            f"number in one cluster, {marc['pairs_together_without_shared_identifier']} pairs in one cluster "
            "without a shared identifier"
        )
        print(json.dumps(marc))
    keys = ("set", "level", "precision", "recall", "f1", "peers", "work_groups")
    for r in results:
        line = (
            f"{r['set']:32} {r['level']:8} {r['pairs']:5} pairs {r['positives']:4} pos   "
            f"matcher P {r['precision']:.4f} R {r['recall']:.4f} F1 {r['f1']:.4f}"
        )
        for name, peer in r.get("peers", {}).items():
            line += f"   {name} F1 {peer['f1']:.4f} (P {peer['precision']:.4f} R {peer['recall']:.4f})"
        if "work_groups" in r:
            groups = r["work_groups"]
            line += f"   hub's work groups F1 {groups['f1']:.4f} (P {groups['precision']:.4f} R {groups['recall']:.4f})"
        print(line)
    worst, best = min(results, key=lambda r: r["f1"]), max(results, key=lambda r: r["f1"])
    if len(results) > 1:
        print(f"worst set {worst['set']} F1 {worst['f1']:.4f}; best set {best['set']} F1 {best['f1']:.4f}")
    for r in [r for r in results if r is not worst] + [worst]:  # the worst set's line last
        print(json.dumps({k: r.get(k, {}) for k in keys if k != "work_groups" or k in r}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
