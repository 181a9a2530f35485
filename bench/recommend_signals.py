"""What the titles could add to the "interested new books" ranking: a diagnosis on the validation split.

For the readers of ``bench/recommend_quality.py --validation`` (the loans before the split, cut again at their own
80% point) and both settings (*new*, *all*), the project's top 10 (:func:`~consortium.push.ranking.rank`, as the
comparison runs it) and, for each title signal, the candidates that share it with a work the reader borrowed
before the split (their own loans left out):

* ``series``: the record's series, else, only when its title names a part (the dedup part-number reader,
  :func:`~consortium.dedup.parts.part_numbers`), the title (with its subtitle) without the words naming that
  part (:func:`series_stem`);
* ``title proper``: the same title proper (the title before ISBD's `` : ``, the subtitle left out), any author;
* ``work group``: the dedup's key of a work's editions and translations
  (:func:`~consortium.dedup.work_groups.work_key`: the title proper's words and the first author's family name);
* ``title word (n <= D)``: a title word (over two letters, not a number) that at most ``D`` works of the catalogue
  have in their title, i.e. a rare one (``D`` 5, 20, 50: thresholds of a diagnosis, used by no ranking).

Printed per signal: the candidates sharing it, the hidden loans among them (and their share: compare with the
project's P@10), and how many of those the project's top 10 misses.

Usage::

    PYTHONPATH=$PWD python bench/recommend_signals.py [--interactions CSV --items CSV] [--split ISO]
"""

from __future__ import annotations

import argparse
import functools
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from recommend_compare import evidence_for, settings_of
from recommend_data import _time, split_dataset
from recommend_loans import DEFAULT_ITEMS, DEFAULT_LOANS, before, load_any
from recommend_methods import ProjectRanker, rank_project

from consortium.dedup.parts import number_value, part_numbers
from consortium.dedup.work_groups import work_key
from consortium.push.evidence import COBORROW_WEIGHT, OVERLAP_WEIGHT
from consortium.text import match_text

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from recommend_data import Dataset

__all__ = ["main", "signals"]

RARE_AT = (5, 20, 50)
"""Document frequencies under which a title word counts as rare (a diagnosis's thresholds)."""


def _title_proper(title: str) -> str:
    """The title before ISBD's `` : `` (a data set's title may hold its subtitle too)."""
    return title.split(" : ", 1)[0]


def series_stem(series: str | None, title: str) -> str | None:
    """The record's series, else, when the title names a part, the title without the words naming it
    (``"Les cahiers d'Esther : histoires de mes 11 ans"`` gives ``"les cahiers d esther histoires de mes ans"``),
    else ``None``."""
    if series:
        return match_text(series) or None
    parts = part_numbers(title)
    if not parts:
        return None
    return " ".join(word for word in match_text(title).split() if number_value(word) not in parts) or None


def signals(dataset: Dataset) -> dict[str, Callable[[str], set[str]]]:
    """Signal name → the values an item has for it (an empty set: none)."""
    items = dataset.items
    titles = {i: " : ".join(part for part in (item.title, item.subtitle) if part) for i, item in items.items()}
    series = {i: stem for i, item in items.items() if (stem := series_stem(item.series, titles[i]))}
    proper = {i: match_text(_title_proper(title)) for i, title in titles.items()}
    groups = {i: work_key(_title_proper(titles[i]), list(item.authors)) for i, item in items.items()}
    words = {i: {w for w in match_text(title).split() if len(w) > 2 and not w.isdigit()} for i, title in titles.items()}
    frequency = Counter(word for found in words.values() for word in found)
    found: dict[str, Callable[[str], set[str]]] = {
        "series (or part named)": lambda i: {series[i]} if i in series else set(),
        "title proper": lambda i: {proper[i]} if proper[i] else set(),
        "work group": lambda i: {key} if (key := groups[i]) else set(),
    }
    for most in RARE_AT:
        found[f"title word (n <= {most})"] = functools.partial(_rare, words, frequency, most)
    return found


def _rare(words: Mapping[str, set[str]], frequency: Counter[str], most: int, item: str) -> set[str]:
    """The item's title words that at most ``most`` works have."""
    return {word for word in words[item] if frequency[word] <= most}


def _measure(
    candidates: list[str],
    hidden: Mapping[str, set[str]],
    loans: Mapping[str, list[str]],
    top: Mapping[str, list[str]],
    values: Callable[[str], set[str]],
) -> tuple[int, int, int]:
    """(candidates sharing the signal with the reader's loans, hidden loans among them, those the top misses)."""
    by_value: dict[str, set[str]] = defaultdict(set)
    for item in candidates:
        for value in values(item):
            by_value[value].add(item)
    shared = hits = missed = 0
    for reader, wanted in hidden.items():
        own = set(loans[reader])
        reached = set().union(*(by_value.get(v, set()) for item in own for v in values(item))) - own
        shared += len(reached)
        hits += len(reached & wanted)
        missed += len((reached & wanted) - set(top.get(reader, [])))
    return shared, hits, missed


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
    print(f"validation: {dataset.description}; split at {split.at.isoformat()}")
    evidence = evidence_for(ProjectRanker(dataset, split, []), split, overlap=OVERLAP_WEIGHT, coborrow=COBORROW_WEIGHT)
    loans = {reader: [row.item for row in rows] for reader, rows in split.train.items()}
    found = signals(dataset)
    for name, (candidates, hidden) in settings_of(dataset, split).items():
        readers = sorted(hidden)
        ranker = ProjectRanker(dataset, split, candidates, evidence=evidence, exclude_borrowed=True)
        top = rank_project(dataset, split, ranker=ranker, readers=readers)[0][0.0]
        total = sum(len(wanted) for wanted in hidden.values())
        got = sum(len(set(top.get(r, [])) & hidden[r]) for r in readers)
        print(
            f"\nsetting {name}: {len(readers):,} readers, {total:,} hidden loans, the project's top 10 finds {got:,} "
            f"(P@10 {got / (10 * len(readers)):.4f}) and misses {total - got:,}"
        )
        print(f"{'signal shared with a loan':<28}{'candidates':>12}{'hidden':>8}{'share':>9}{'missed':>8}")
        for signal, values in found.items():
            shared, hits, missed = _measure(candidates, hidden, loans, top, values)
            share = f"{hits / shared:.4f}" if shared else "-"
            print(f"{signal:<28}{shared:>12,}{hits:>8,}{share:>9}{missed:>8,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
