"""Offline evaluation of the "interested new books" ranking against popularity and random baselines.

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
   author (as :func:`~consortium.profiles.interests.author_key` normalizes it) modulo the 40 classes of
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
import csv
import json
import math
import multiprocessing
import os
import random
import re
import sys
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consortium.models import Classification, ClassScheme, Cluster, Holding, ResourceFormat
from consortium.profiles.interest_keys import keys_for_cluster
from consortium.profiles.interests import InterestProfile, apply_event
from consortium.push.index import NewWorks
from consortium.push.ranking import RELEVANCE_THRESHOLD, Borrowed, Taste, rank
from consortium.text import name_words

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

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

DEFAULT_BOOKS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "goodbooks-10k" / "books.csv"
K = 10
MEMBERS = ("riverside", "lakeside", "eastlake", "westfield")
"""The four sample members (samples/)."""
SPLIT_AT = datetime(2024, 1, 1, tzinfo=UTC)
"""The simulation's split time."""
NEW_FROM_YEAR = 2010
HOLDING_STEPS = (15_000, 40_000, 150_000)
BORROWED_KEPT = 20
"""How many of a reader's latest borrowings before the split become :class:`Borrowed` works for the ranking."""
DEFAULT_SPLIT_SHARE = 0.8

CLASSES: tuple[tuple[str, tuple[str, str]], ...] = (
    ("I561.45", ("English fiction -- 20th century", "Novels -- Great Britain")),
    ("I561.44", ("English fiction -- 19th century", "Classic literature")),
    ("I561.84", ("Children's stories, English", "Fantasy fiction")),
    ("I561.25", ("English poetry", "Poetry -- Collections")),
    ("I712.45", ("American fiction -- 20th century", "Novels -- United States")),
    ("I712.44", ("American fiction -- 19th century", "Classic literature")),
    ("I712.84", ("Children's stories, American", "Picture books for children")),
    ("I712.25", ("American poetry", "Poetry -- Collections")),
    ("I711.45", ("Canadian fiction", "Novels -- Canada")),
    ("I611.45", ("Australian fiction", "Novels -- Australia")),
    ("I565.45", ("French fiction", "Novels -- France")),
    ("I516.45", ("German fiction", "Novels -- Germany")),
    ("I512.45", ("Russian fiction", "Novels -- Russia")),
    ("I313.45", ("Japanese fiction", "Novels -- Japan")),
    ("I247.55", ("Chinese fiction -- 20th century", "Science fiction")),
    ("I775.45", ("Colombian fiction", "Magic realism (Literature)")),
    ("I546.45", ("Italian fiction", "Novels -- Italy")),
    ("I551.45", ("Spanish fiction", "Novels -- Spain")),
    ("I106.4", ("Fiction -- Collections", "Short stories")),
    ("I561.065", ("English literature -- History and criticism", "Books and reading")),
    ("K825.6", ("Authors -- Biography", "Biography")),
    ("K837.127", ("United States -- Biography", "Biography")),
    ("K712", ("United States -- History", "History")),
    ("K561", ("Great Britain -- History", "History")),
    ("K02", ("World history", "Civilization")),
    ("K248.3", ("China -- History -- Ming dynasty", "History")),
    ("B84", ("Psychology", "Mind and body")),
    ("B821", ("Conduct of life", "Self-help techniques")),
    ("B502", ("Philosophy, Ancient", "Ethics")),
    ("O13", ("Mathematics", "Mathematics -- Popular works")),
    ("P159", ("Cosmology", "Astronomy -- Popular works")),
    ("Q98", ("Human evolution", "Anthropology")),
    ("N49", ("Science -- Popular works", "Science -- History")),
    ("F830.59", ("Investments", "Finance, Personal")),
    ("F272", ("Management", "Leadership")),
    ("D771.2", ("United States -- Politics and government", "Political science")),
    ("C91", ("Sociology", "Social problems")),
    ("TS972.1", ("Cooking", "Food habits")),
    ("R161", ("Health", "Diet")),
    ("TP311.5", ("Software engineering", "Computer programming")),
)
"""The simulation's classes (CLC) and each one's two subject headings, written for this benchmark."""


# --- data -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interaction:
    """One reader took one item (a loan) at one time, optionally at one member library."""

    reader: str
    item: str
    at: datetime
    member: str | None = None


@dataclass(frozen=True)
class Item:
    """An item's metadata: what a cluster needs for the ranking, and its arrival time (``first_seen``)."""

    item_id: str
    title: str
    authors: tuple[str, ...]
    year: int | None
    subjects: tuple[str, ...]
    classes: tuple[tuple[str, str], ...]
    """``(scheme, code)``, e.g. ``("clc", "TP312")``."""
    members: tuple[str, ...]
    arrived: datetime
    series: str | None = None
    language: str | None = None
    popularity: float | None = None

    def cluster(self) -> Cluster:
        return Cluster(
            cluster_id=self.item_id,
            records=sorted((m, f"{self.item_id}-{m}") for m in self.members),
            format=ResourceFormat.BOOK,
            title=self.title,
            authors=list(self.authors),
            year=self.year,
            language=self.language,
            series=self.series,
            subjects=list(self.subjects),
            classifications=[Classification(scheme=ClassScheme(s), code=c) for s, c in self.classes],
            holdings=[Holding(member=m) for m in self.members],
            first_seen=self.arrived,
            updated_at=self.arrived,
        )


@dataclass
class Dataset:
    items: dict[str, Item]
    interactions: list[Interaction]
    split_at: datetime | None = None
    description: str = ""


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _list(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(";") if part.strip())


def load_csv(interactions_path: Path, items_path: Path, split_at: datetime | None = None) -> Dataset:
    """A data set from the two CSV files described in the module docstring."""
    items: dict[str, Item] = {}
    with items_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            year = (row.get("year") or "").strip()
            popularity = (row.get("popularity") or "").strip()
            items[row["item_id"]] = Item(
                item_id=row["item_id"],
                title=row.get("title") or row["item_id"],
                authors=_list(row.get("authors")),
                year=int(float(year)) if year else None,
                subjects=_list(row.get("subjects")),
                classes=tuple(
                    (c.partition(":")[0], c.partition(":")[2]) for c in _list(row.get("classes")) if ":" in c
                ),
                members=_list(row.get("members")),
                arrived=_time(row["arrived"]),
                series=(row.get("series") or "").strip() or None,
                language=(row.get("language") or "").strip() or None,
                popularity=float(popularity) if popularity else None,
            )
    interactions: list[Interaction] = []
    with interactions_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["item"] not in items:
                continue  # a loan of an item with no metadata says nothing the ranking could use
            member = (row.get("member") or "").strip() or None
            interactions.append(Interaction(row["reader"], row["item"], _time(row["at"]), member))
    return Dataset(items, interactions, split_at, f"{interactions_path.name} + {items_path.name}")


def write_csv(dataset: Dataset, folder: Path) -> tuple[Path, Path]:
    """The data set as ``interactions.csv`` and ``items.csv`` in ``folder`` (what :func:`load_csv` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    interactions_path, items_path = folder / "interactions.csv", folder / "items.csv"
    with interactions_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["reader", "item", "at", "member"])
        for row in dataset.interactions:
            writer.writerow([row.reader, row.item, row.at.isoformat(), row.member or ""])
    columns = ["item_id", "title", "authors", "year", "subjects", "classes", "members", "arrived", "series"]
    with items_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, "language", "popularity"])
        for item in dataset.items.values():
            writer.writerow(
                [
                    item.item_id,
                    item.title,
                    ";".join(item.authors),
                    "" if item.year is None else item.year,
                    ";".join(item.subjects),
                    ";".join(f"{s}:{c}" for s, c in item.classes),
                    ";".join(item.members),
                    item.arrived.isoformat(),
                    item.series or "",
                    item.language or "",
                    "" if item.popularity is None else repr(item.popularity),
                ]
            )
    return interactions_path, items_path


# --- the simulation -------------------------------------------------------------------------------------------


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


_SERIES = re.compile(r"\s*\(([^()]*?),?\s*#[0-9.\-]+\)\s*$")


def _goodbooks_items(books: Path) -> dict[str, Item]:
    items: dict[str, Item] = {}
    with books.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            book_id = row["book_id"]
            authors = tuple(a.strip() for a in row["authors"].split(",") if a.strip())
            first = " ".join(name_words(authors[0])) if authors else ""
            code, headings = CLASSES[_crc(first) % len(CLASSES)]
            subjects = headings if _crc(book_id) % 2 else headings[:1]
            ratings = int(float(row["ratings_count"] or 0))
            holders = 1 + sum(ratings >= step for step in HOLDING_STEPS)
            start = _crc(book_id) % len(MEMBERS)
            members = tuple(MEMBERS[(start + i) % len(MEMBERS)] for i in range(holders))
            year_text = row["original_publication_year"].strip()
            year = int(float(year_text)) if year_text else None
            if year is not None and year >= NEW_FROM_YEAR:
                arrived = SPLIT_AT + timedelta(days=_crc(book_id) % 120)
            else:
                arrived = SPLIT_AT - timedelta(days=1095 + _crc(book_id) % 365)
            title = row["title"].strip()
            series_match = _SERIES.search(title)
            items[book_id] = Item(
                item_id=book_id,
                title=_SERIES.sub("", title) or title,
                authors=authors,
                year=year,
                subjects=subjects,
                classes=(("clc", code),),
                members=members,
                arrived=arrived,
                series=series_match[1].strip() if series_match else None,
                language=(row.get("language_code") or "").strip() or None,
                popularity=float(ratings),
            )
    return items


class _Pool:
    """Items to draw from, with cumulative weights per home library (for ``random.choices``)."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.items = list(items)
        base = [math.sqrt(item.popularity or 1.0) for item in self.items]
        self.weights = {
            m: [w * (2.0 if m in item.members else 1.0) for w, item in zip(base, self.items, strict=True)]
            for m in MEMBERS
        }

    def draw(self, rng: random.Random, home: str, taken: set[str]) -> Item | None:
        weights = self.weights[home]
        for _ in range(20):  # rejection of items already taken; pools are much larger than a reader's borrowing
            item = rng.choices(self.items, weights=weights)[0]
            if item.item_id not in taken:
                return item
        free = [(i, w) for i, w in zip(self.items, weights, strict=True) if i.item_id not in taken]
        return rng.choices([i for i, _ in free], weights=[w for _, w in free])[0] if free else None


def simulate(books: Path = DEFAULT_BOOKS, readers: int = 2000, seed: int = 7) -> Dataset:
    """Readers borrowing goodbooks-10k books by the rule in the module docstring."""
    items = _goodbooks_items(books)
    rng = random.Random(seed)
    old = [i for i in items.values() if i.arrived < SPLIT_AT]
    new = [i for i in items.values() if i.arrived >= SPLIT_AT]
    pools: dict[tuple[str, str], _Pool] = {}
    by_class: dict[tuple[str, str], list[Item]] = defaultdict(list)
    by_author: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for era, group in (("old", old), ("new", new)):
        for item in group:
            by_class[(era, item.classes[0][1])].append(item)
            if item.authors:
                by_author[(era, item.authors[0])].append(item)
    for key, group in [*by_class.items(), *by_author.items()]:
        pools[key] = _Pool(group)
    everything = {"old": _Pool(old), "new": _Pool(new)}
    codes = [code for code, _ in CLASSES]
    authors_of_class: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (era, author), group in by_author.items():
        if era == "old" and ("new", author) in by_author:
            authors_of_class[group[0].classes[0][1]].append((author, sum(i.popularity or 0.0 for i in group)))
    interactions: list[Interaction] = []
    span = 730 * 86400
    for number in range(readers):
        reader = f"r{number:05d}"
        home = rng.choice(MEMBERS)
        interests = rng.sample(codes, rng.randint(1, 3))
        candidates = [a for code in interests for a in authors_of_class[code]]
        favourite = None
        if candidates and rng.random() < 0.3:
            favourite = rng.choices([a for a, _ in candidates], weights=[math.sqrt(w) for _, w in candidates])[0]
        taken: set[str] = set()
        for era, count in (("old", rng.randint(5, 30)), ("new", rng.randint(1, 5))):
            for _ in range(count):
                draw = rng.random()
                if favourite is not None and draw < 0.15:
                    pool = pools[(era, favourite)]
                elif draw < 0.30:
                    pool = everything[era]
                else:
                    pool = pools.get((era, rng.choice(interests))) or everything[era]
                drawn = pool.draw(rng, home, taken) or everything[era].draw(rng, home, taken)
                if drawn is None:
                    continue
                taken.add(drawn.item_id)
                if era == "old":
                    at = SPLIT_AT - timedelta(seconds=rng.randrange(1, span))
                else:
                    at = drawn.arrived + timedelta(days=rng.randint(1, 60))
                interactions.append(Interaction(reader, drawn.item_id, at, home))
    interactions.sort(key=lambda row: (row.at, row.reader, row.item))
    description = f"simulated: {readers:,} readers over {len(items):,} goodbooks-10k books (seed {seed})"
    return Dataset(items, interactions, SPLIT_AT, description)


# --- split and methods ----------------------------------------------------------------------------------------


@dataclass
class Split:
    at: datetime
    train: dict[str, list[Interaction]]
    """Each reader's interactions before the split, oldest first."""
    hidden: dict[str, set[str]]
    """Each reader's later interactions with new items (readers with none are left out)."""
    new_items: list[str]
    home: dict[str, str] = field(default_factory=dict)


def split_dataset(dataset: Dataset, at: datetime | None = None) -> Split:
    """Train = interactions before the split; hidden = interactions at or after it with items that arrived at or
    after it (the new items)."""
    rows = sorted(dataset.interactions, key=lambda row: row.at)
    if at is None:
        at = dataset.split_at
    if at is None:
        if not rows:
            raise SystemExit("no interactions")
        at = rows[min(len(rows) - 1, int(len(rows) * DEFAULT_SPLIT_SHARE))].at
    new_items = sorted(i for i, item in dataset.items.items() if item.arrived >= at)
    new = set(new_items)
    train: dict[str, list[Interaction]] = defaultdict(list)
    hidden: dict[str, set[str]] = defaultdict(set)
    places: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row.at < at:
            train[row.reader].append(row)
            if row.member:
                places[row.reader][row.member] += 1
        elif row.item in new:
            hidden[row.reader].add(row.item)
    home = {reader: counts.most_common(1)[0][0] for reader, counts in places.items()}
    return Split(at, dict(train), dict(hidden), new_items, home)


def _members_of(dataset: Dataset) -> list[str]:
    return sorted({m for item in dataset.items.values() for m in item.members})


class _ProjectRanker:
    """The project's ranking for one split: the new works' index, and each reader's taste built from their
    interactions before the split."""

    def __init__(self, dataset: Dataset, split: Split) -> None:
        self.dataset, self.split = dataset, split
        self.clusters: dict[str, Cluster] = {}
        self.keys: dict[str, list[str]] = {}
        self.works = NewWorks.build(self.cluster_of(i) for i in split.new_items)
        self.members_total = max(1, len(_members_of(dataset)))

    def cluster_of(self, item_id: str) -> Cluster:
        if item_id not in self.clusters:
            self.clusters[item_id] = self.dataset.items[item_id].cluster()
            self.keys[item_id] = keys_for_cluster(self.clusters[item_id])
        return self.clusters[item_id]

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
            items = rank(
                self.taste(reader), self.works, member=member, members_total=self.members_total, cap=K, threshold=0.0
            )
            out.append((reader, [(item.cluster_id, item.score) for item in items]))
        return out


_RANKER: _ProjectRanker | None = None
"""The ranker forked worker processes inherit."""


def _rank_chunk(readers: list[str]) -> tuple[list[tuple[str, list[tuple[str, float]]]], float]:
    """One worker's rankings of ``readers`` and the CPU seconds they took."""
    assert _RANKER is not None
    started = time.process_time()
    ranked = _RANKER.rank(readers)
    return ranked, time.process_time() - started


def rank_project(
    dataset: Dataset, split: Split, thresholds: Iterable[float] = (0.0,), workers: int = 1
) -> tuple[dict[float, dict[str, list[str]]], float]:
    """The project's ranking for every reader with hidden items, once per threshold.

    :func:`~consortium.push.ranking.rank` runs once per reader, at threshold 0: its greedy diversification
    chooses works in non-increasing order of their (penalized) scores, and works under a threshold never change
    which works above it are chosen, so the list at a threshold is the prefix of the threshold-0 list scoring at
    least that much (the digest's scores are rounded to 6 decimals). ``workers`` > 1 splits the readers among
    forked processes. Also returns the CPU seconds the rankings took, in all processes.
    """
    global _RANKER  # noqa: PLW0603 - handed to forked workers without pickling the data set
    ranker = _ProjectRanker(dataset, split)
    readers = sorted(split.hidden)
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
    ranker: _ProjectRanker, readers: list[str]
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
    rng = random.Random(seed)
    size = min(K, len(split.new_items))
    return {reader: rng.sample(split.new_items, size) for reader in sorted(split.hidden)}


def metrics_at(ranked: dict[str, list[str]], hidden: dict[str, set[str]], k: int = K) -> dict[str, float]:
    """Mean precision@k, recall@k and NDCG@k (binary relevance) over the readers in ``hidden``, and coverage
    (the share of them with a non-empty list)."""
    precision = recall = ndcg = covered = 0.0
    for reader, relevant in hidden.items():
        top = ranked.get(reader, [])[:k]
        hits = [1.0 if item in relevant else 0.0 for item in top]
        precision += sum(hits) / k
        recall += sum(hits) / len(relevant)
        dcg = sum(hit / math.log2(position + 2) for position, hit in enumerate(hits))
        ideal = sum(1.0 / math.log2(position + 2) for position in range(min(k, len(relevant))))
        ndcg += dcg / ideal
        covered += 1.0 if top else 0.0
    readers = max(1, len(hidden))
    return {
        "precision": precision / readers,
        "recall": recall / readers,
        "ndcg": ndcg / readers,
        "coverage": covered / readers,
    }


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--readers", type=int, default=2000, help="simulated readers (default 2000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--books", type=Path, default=DEFAULT_BOOKS, help="goodbooks-10k books.csv")
    parser.add_argument("--interactions", type=Path, help="a real data set: interactions CSV (with --items)")
    parser.add_argument("--items", type=Path, help="a real data set: items CSV (with --interactions)")
    parser.add_argument("--split", type=_time, help="split time (ISO 8601)")
    parser.add_argument("--write-csv", type=Path, help="write the data set as CSV files to this folder and stop")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes ranking readers")
    parser.add_argument("--json", action="store_true", help="print only the JSON report")
    args = parser.parse_args(argv)
    if (args.interactions is None) != (args.items is None):
        parser.error("--interactions and --items go together")
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
