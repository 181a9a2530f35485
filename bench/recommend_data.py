"""The recommendation benchmark's data: interactions and items, the two CSV files, and the split.

A data set is (reader, item, time) rows plus item metadata (:class:`Dataset`); :func:`load_csv` reads the two
CSV files described in ``bench/recommend_quality.py`` and :func:`write_csv` writes them. :func:`split_dataset`
cuts a data set at a time into each reader's training history and hidden later borrowings of new items.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from consortium.models import Classification, ClassScheme, Cluster, Holding, ResourceFormat

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "DEFAULT_SPLIT_SHARE",
    "Dataset",
    "Interaction",
    "Item",
    "Split",
    "cut_at",
    "load_csv",
    "split_dataset",
    "write_csv",
]

DEFAULT_SPLIT_SHARE = 0.8
"""With no split time given or simulated, the split is the time by which this share of interactions happened."""


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
    subtitle: str | None = None
    """The other title information, as a record's 245 $b gives it apart from the title proper."""

    def cluster(self) -> Cluster:
        """The item as the cluster the ranking reads (one record and one holding per member that holds it)."""
        return Cluster(
            cluster_id=self.item_id,
            records=sorted((m, f"{self.item_id}-{m}") for m in self.members),
            format=ResourceFormat.BOOK,
            title=self.title,
            subtitle=self.subtitle,
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
    """Items by id, the interactions, the split time the data brings (if any) and a line saying what it is."""

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
    """A data set from the two CSV files described in the usage docstring of ``bench/recommend_quality.py``."""
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


@dataclass
class Split:
    """A data set cut at one time (:func:`split_dataset`)."""

    at: datetime
    train: dict[str, list[Interaction]]
    """Each reader's interactions before the split, oldest first."""
    hidden: dict[str, set[str]]
    """Each reader's later interactions with new items (readers with none are left out)."""
    new_items: list[str]
    home: dict[str, str] = field(default_factory=dict)


def cut_at(dataset: Dataset, share: float) -> datetime:
    """The time by which ``share`` of the interactions had happened: the time of the interaction at that place in
    time order (the default split at :data:`DEFAULT_SPLIT_SHARE`; ``--splits``' cuts at theirs)."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"a cut's share of the loans must be between 0 and 1 (both excluded), not {share}")
    times = sorted(row.at for row in dataset.interactions)
    if not times:
        raise SystemExit("no interactions")
    return times[min(len(times) - 1, int(len(times) * share))]


def split_dataset(dataset: Dataset, at: datetime | None = None) -> Split:
    """Train = interactions before the split; hidden = interactions at or after it with items that arrived at or
    after it (the new items)."""
    rows = sorted(dataset.interactions, key=lambda row: row.at)
    if at is None:
        at = dataset.split_at
    if at is None:
        at = cut_at(dataset, DEFAULT_SPLIT_SHARE)
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
