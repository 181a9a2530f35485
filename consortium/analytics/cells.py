"""Counting readers' activity into cells, and suppressing every cell (and every difference of cells) that fewer
than :data:`MIN_READERS` distinct readers are behind.

A :class:`Fact` is one thing one reader did (a search, a view, a loan, what they did with a pushed work), with
the values it has on each dimension (its reader's member library and group, its work's class and subject...).
Facts are counted into cells ``(table, metric, period, parent, value) → events, distinct readers``.

The tables form one fixed hierarchy (:data:`PARENT`): every table below ``total`` partitions its parent cell (each
fact of the parent has exactly one value in the child table), so the children's events add up to the parent's.
That is what makes differencing attacks possible, and what lets them be blocked:

1. **primary suppression**: a cell with fewer than ``min_readers`` distinct readers is not published;
2. **top-down**: a cell whose parent is not published is not published either (its siblings could add up to it);
3. **complementary suppression**: when some children of a published parent are suppressed, the parent minus the
   published children is the sum over the suppressed ones; so the readers behind the suppressed children,
   together, must be at least ``min_readers``, or more children are suppressed (the smallest first) until they
   are. That residual is then published as one ``(other)`` row: it is k-anonymous by construction.

The rules run until nothing changes (a suppression in one partition can open a gap in another). Only one-way
breakdowns of a parent are published, never cross tables of two dimensions and never arbitrary filters, so no
two published cells are nested except a parent and its own children. Tables without a parent (the zero-result
queries) are disjoint families: primary suppression only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from consortium.push.coborrow import MIN_READERS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "MIN_READERS",
    "OTHER",
    "PARENT",
    "TOP",
    "Cell",
    "CellKey",
    "Fact",
    "PublishedCell",
    "count",
    "publish",
    "suppressed",
]

TOP: Final = "*"
"""The value of the ``total`` table, and the parent value of its children."""
OTHER: Final = "(other)"
"""The value of the row that sums a partition's suppressed children (published only when k-anonymous)."""

PARENT: Final[dict[str, str | None]] = {
    "total": None,
    "member": "total",
    "discipline": "total",
    "degree_level": "total",
    "class": "total",
    "subclass": "class",
    "subject": "total",
    "reach": "total",
    "holder": "reach",
    "borrower": "holder",
    "zero_result": None,
}
"""Each table's parent table (``None``: a root). A fact with a value in a child table has one in its parent."""


@dataclass(frozen=True)
class Fact:
    """One thing one reader did, with its value on each table that applies (``total`` is always ``*``)."""

    reader: str
    """The reader's pseudonym (never leaves :func:`count`)."""
    metric: str
    period: str
    dims: Mapping[str, str]


@dataclass(frozen=True, order=True)
class CellKey:
    """Where a fact is counted: a table's value under its parent's value, for a metric and a period."""

    table: str
    metric: str
    period: str
    parent: str
    value: str


@dataclass
class Cell:
    """The events counted in a cell and the distinct readers behind them."""

    events: int = 0
    readers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class PublishedCell:
    """A cell as it may be shown: its key and counts (the readers themselves stay behind)."""

    key: CellKey
    events: int
    readers: int


def count(facts: Iterable[Fact]) -> dict[CellKey, Cell]:
    """Count ``facts`` into cells: each fact once in every table it has a value in."""
    raw: dict[tuple[str, str, str, str, str], Cell] = {}
    for fact in facts:
        dims = fact.dims
        for table, value in dims.items():
            parent_table = PARENT[table]
            place = (table, fact.metric, fact.period, TOP if parent_table is None else dims[parent_table], value)
            cell = raw.get(place)
            if cell is None:
                cell = raw[place] = Cell()
            cell.events += 1
            cell.readers.add(fact.reader)
    return {CellKey(*place): cell for place, cell in raw.items()}


def _parents(cells: Mapping[CellKey, Cell]) -> dict[CellKey, CellKey | None]:
    """Each cell's parent cell (among ``cells``; every child's parent is there, since a fact counts in both)."""
    parent_tables = {table for table in PARENT.values() if table is not None}
    by_value: dict[tuple[str, str, str, str], CellKey] = {}
    for key in cells:
        if key.table in parent_tables:
            place = (key.table, key.metric, key.period, key.value)
            if by_value.setdefault(place, key) != key:  # a parent table's values are unique under its own parent
                raise AssertionError(f"{key.table} value {key.value!r} under two parents")
    found: dict[CellKey, CellKey | None] = {}
    for key in cells:
        table = PARENT[key.table]
        found[key] = None if table is None else by_value[(table, key.metric, key.period, key.parent)]
    return found


def suppressed(cells: Mapping[CellKey, Cell], min_readers: int = MIN_READERS) -> set[CellKey]:
    """The cells that may not be published: primary, top-down and complementary suppression (module notes),
    repeated until nothing changes."""
    parents = _parents(cells)
    families: dict[tuple[CellKey, str], list[CellKey]] = defaultdict(list)
    for key, parent in parents.items():
        if parent is not None:
            families[(parent, key.table)].append(key)  # one partition per child table
    hidden = {key for key, cell in cells.items() if len(cell.readers) < min_readers}
    changed = True
    while changed:
        changed = False
        for key, parent in parents.items():
            if parent is not None and parent in hidden and key not in hidden:
                hidden.add(key)
                changed = True
        for (parent, _), children in families.items():
            if parent in hidden:
                continue
            residual: set[str] = set()
            for child in children:
                if child in hidden:
                    residual |= cells[child].readers
            shown = sorted(
                (child for child in children if child not in hidden),
                key=lambda child: (len(cells[child].readers), cells[child].events, child),
            )
            while residual and len(residual) < min_readers and shown:
                smallest = shown.pop(0)
                hidden.add(smallest)
                residual |= cells[smallest].readers
                changed = True
    return hidden


def publish(cells: Mapping[CellKey, Cell], min_readers: int = MIN_READERS) -> list[PublishedCell]:
    """The cells that may be shown, and for each partition of a shown parent with suppressed children one
    :data:`OTHER` row summing them (k-anonymous by :func:`suppressed`); sorted by key."""
    hidden = suppressed(cells, min_readers)
    parents = _parents(cells)
    rows = [PublishedCell(key, cell.events, len(cell.readers)) for key, cell in cells.items() if key not in hidden]
    others: dict[CellKey, Cell] = defaultdict(Cell)
    for key in hidden:
        parent = parents[key]
        if parent is None or parent in hidden:
            continue
        other = others[CellKey(key.table, key.metric, key.period, key.parent, OTHER)]
        other.events += cells[key].events
        other.readers |= cells[key].readers
    for key, cell in others.items():
        if len(cell.readers) < min_readers:  # cannot happen after suppressed(); never publish it if it did
            raise AssertionError(f"the residual of {key} has fewer than {min_readers} readers")
        rows.append(PublishedCell(key, cell.events, len(cell.readers)))
    return sorted(rows, key=lambda row: row.key)
