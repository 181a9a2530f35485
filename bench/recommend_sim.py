"""The recommendation benchmark's simulation: a reader population borrowing the goodbooks-10k books.

The rule (classes, old and new books, holdings, readers, borrowing) is written out in the usage docstring of
``bench/recommend_quality.py``; :func:`simulate` follows it, deterministically for one seed.
"""

from __future__ import annotations

import csv
import math
import random
import re
import zlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from recommend_data import Dataset, Interaction, Item

from consortium.text import name_words

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["CLASSES", "DEFAULT_BOOKS", "HOLDING_STEPS", "MEMBERS", "NEW_FROM_YEAR", "SPLIT_AT", "simulate"]

DEFAULT_BOOKS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "goodbooks-10k" / "books.csv"
MEMBERS = ("riverside", "lakeside", "eastlake", "westfield")
"""The four sample members (samples/)."""
SPLIT_AT = datetime(2024, 1, 1, tzinfo=UTC)
"""The simulation's split time."""
NEW_FROM_YEAR = 2010
HOLDING_STEPS = (15_000, 40_000, 150_000)

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
    """Readers borrowing goodbooks-10k books by the rule in the usage docstring of ``bench/recommend_quality.py``."""
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
