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
   are. That residual is then published as one ``(other)`` row: it is k-anonymous by construction;
4. **nested suppression**: rows of one family (a partition's shown children and residual, or a root table's
   cells) lying wholly inside another shown cell, compared as sets of acts (what each reader did; facts of one act
   across metrics, a pushed work delivered and deleted, share it: :attr:`Fact.act`), must not leave that cell a
   difference of fewer than ``min_readers`` readers: a class whose readers are all one member's cannot be taken
   from that member's cell to find its one reader of another class.

The rules run until nothing changes (a suppression in one partition can open a gap in another). Only one-way
breakdowns of a parent are published, never cross tables of two dimensions and never arbitrary filters. Tables
without a parent (the zero-result queries; the members holding a borrowed work, whose rows overlap:
:data:`OVERLAPPING`) are families of their own: rules 1 and 4. Not audited: a cell minus a sum
of rows from several families (that needs a linear programming audit).
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
    "OVERLAPPING",
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
    "held_by": None,
    "borrowed_by": "held_by",
    "zero_result": None,
}
"""Each table's parent table (``None``: a root). A fact with a value in a child table has one in its parent."""
OVERLAPPING: Final = frozenset({"held_by"})
"""Root tables whose rows may share acts (a loan of a work several members hold counts for each of them): their
rows are not disjoint, so rule 4 takes each row as a family of its own (a cell minus one such row is a difference
anyone can take; a cell minus their sum is not one, the rows overlapping)."""


@dataclass(frozen=True)
class Fact:
    """One thing one reader did, with its value on each table that applies (``total`` is always ``*``)."""

    reader: str
    """The reader's pseudonym (never leaves :func:`count`)."""
    metric: str
    period: str
    dims: Mapping[str, str]
    act: str = ""
    """What the reader did, when several facts are one act (a pushed work delivered, then deleted: both facts
    name the sent item; a search and its zero-result row: both name the event); empty: a fact of its own."""


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
    acts: set[tuple[str, str]] = field(default_factory=set)
    """The acts counted, ``(reader, act)``: what :func:`suppressed` compares to find cells inside others."""


@dataclass(frozen=True)
class PublishedCell:
    """A cell as it may be shown: its key and counts (the readers themselves stay behind)."""

    key: CellKey
    events: int
    readers: int


def count(facts: Iterable[Fact]) -> dict[CellKey, Cell]:
    """Count ``facts`` into cells: each fact once in every table it has a value in."""
    raw: dict[tuple[str, str, str, str, str], Cell] = {}
    for number, fact in enumerate(facts):
        dims = fact.dims
        act = (fact.reader, fact.act or f"#{number}")
        for table, value in dims.items():
            parent_table = PARENT[table]
            place = (table, fact.metric, fact.period, TOP if parent_table is None else dims[parent_table], value)
            cell = raw.get(place)
            if cell is None:
                cell = raw[place] = Cell()
            cell.events += 1
            cell.readers.add(fact.reader)
            cell.acts.add(act)
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


def _partitions(parents: Mapping[CellKey, CellKey | None]) -> dict[tuple[CellKey, str], list[CellKey]]:
    """The children of each parent, one partition per child table."""
    families: dict[tuple[CellKey, str], list[CellKey]] = defaultdict(list)
    for key, parent in parents.items():
        if parent is not None:
            families[(parent, key.table)].append(key)
    return families


def _by_size(cells: Mapping[CellKey, Cell], keys: Iterable[CellKey]) -> list[CellKey]:
    return sorted(keys, key=lambda key: (len(cells[key].readers), cells[key].events, key))


def _complement(
    cells: Mapping[CellKey, Cell],
    parents: Mapping[CellKey, CellKey | None],
    families: Mapping[tuple[CellKey, str], list[CellKey]],
    hidden: set[CellKey],
    min_readers: int,
) -> bool:
    """Rules 2 and 3 once over every cell; whether anything was hidden."""
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
        shown = _by_size(cells, (child for child in children if child not in hidden))
        while residual and len(residual) < min_readers and shown:
            smallest = shown.pop(0)
            hidden.add(smallest)
            residual |= cells[smallest].readers
            changed = True
    return changed


Acts = frozenset[tuple[str, str]]


def _shown_families(
    cells: Mapping[CellKey, Cell], families: Mapping[tuple[CellKey, str], list[CellKey]], hidden: set[CellKey]
) -> list[tuple[CellKey | None, object, Acts]]:
    """Every shown row as ``(cell or None for a residual, its family, its acts)``: a family's rows are disjoint
    (one partition's shown children and its residual; one root table's cells of one metric and period)."""
    shown: list[tuple[CellKey | None, object, Acts]] = []
    for (parent, table), children in families.items():
        if parent in hidden:
            continue
        residual: set[tuple[str, str]] = set()
        for child in children:
            if child in hidden:
                residual |= cells[child].acts
            else:
                shown.append((child, (parent, table), frozenset(cells[child].acts)))
        if residual:
            shown.append((None, (parent, table), frozenset(residual)))
    for key, cell in cells.items():
        if PARENT[key.table] is None and key not in hidden:
            family: object = key if key.table in OVERLAPPING else (key.table, key.metric, key.period)
            shown.append((key, family, frozenset(cell.acts)))
    return shown


def _nested(
    cells: Mapping[CellKey, Cell],
    families: Mapping[tuple[CellKey, str], list[CellKey]],
    hidden: set[CellKey],
    min_readers: int,
) -> bool:
    """Rule 4 once: for every shown cell ``d`` and every family of shown rows lying wholly inside it (of any
    table or metric: a class whose readers are all of one member lies inside that member's cell; a pushed work
    deleted lies inside the same work delivered), ``d`` minus those rows is a group of its own; it must be empty
    or have ``min_readers`` readers, else the smallest cell inside is hidden (``d`` itself when only a residual
    is). Whether anything was hidden."""
    shown = _shown_families(cells, families, hidden)
    firsts = {number: min(acts) for number, (_, _, acts) in enumerate(shown) if acts}
    index: dict[tuple[str, str], list[int]] = {act: [] for act in firsts.values()}
    for number, (key, _, acts) in enumerate(shown):
        if key is not None:  # only a cell can be the outer one
            for act in acts & index.keys():
                index[act].append(number)
    inside: dict[int, dict[object, list[int]]] = defaultdict(lambda: defaultdict(list))
    for number, (_, family, acts) in enumerate(shown):
        for outer in index[firsts[number]] if acts else ():
            bigger = shown[outer][2]
            if outer != number and shown[outer][0] is not None and len(bigger) > len(acts) and acts < bigger:
                inside[outer][family].append(number)
    changed = False
    for outer, by_family in inside.items():
        outer_key = shown[outer][0]
        for members in by_family.values():
            if outer_key is None or outer_key in hidden:
                break
            covered: set[tuple[str, str]] = set()
            for number in members:
                covered |= shown[number][2]
            group = {reader for reader, _ in shown[outer][2] - covered}
            if group and len(group) < min_readers:
                inner = [key for key, _, _ in (shown[n] for n in members) if key is not None]
                real = [key for key in inner if key not in hidden]
                if inner and not real:
                    continue  # hidden already in this pass: the next pass looks again
                hidden.add(_by_size(cells, real)[0] if real else outer_key)
                changed = True
    return changed


def suppressed(cells: Mapping[CellKey, Cell], min_readers: int = MIN_READERS) -> set[CellKey]:
    """The cells that may not be published: primary, top-down, complementary and nested suppression (module
    notes), repeated until nothing changes."""
    parents = _parents(cells)
    families = _partitions(parents)
    hidden = {key for key, cell in cells.items() if len(cell.readers) < min_readers}
    while _complement(cells, parents, families, hidden, min_readers) or _nested(cells, families, hidden, min_readers):
        pass
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
