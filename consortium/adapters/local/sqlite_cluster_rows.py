"""The rows a cluster change writes into the SQLite cluster store, and how a large change writes them.

:class:`~consortium.adapters.local.sqlite_clusters.SqliteClusterStore` applies a change in two halves: the rows
are made first (:func:`make_rows`: plain tuples, each table's in its primary key order, made before the write
lock is taken, or in another process by the bulk path), then written in one transaction (:func:`write`). A large
change is written with a larger page cache (:func:`bulk_cache`); a bulk load makes some indexes again after its
inserts instead of taking rows into them one at a time (:func:`indexes_made_after`). The tables are described in
:mod:`~consortium.adapters.local.sqlite_clusters`.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from consortium.adapters.local import sqlite_changes
from consortium.adapters.timestamps import Stamps
from consortium.dedup.state import RecordPlacement
from consortium.models import Cluster

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator, Sequence

__all__ = [
    "BULK_LOAD",
    "BULK_ROWS",
    "DELETE_KEYS",
    "DELETE_PLACEMENT",
    "HOLDS_ANYTHING",
    "INDEXES_MADE_AT",
    "LARGE_LOAD",
    "MADE_AFTER",
    "MADE_AFTER_FRESH",
    "ClusterRows",
    "bulk_cache",
    "indexes_made_after",
    "make_rows",
    "without_indexes",
    "write",
]

BULK_ROWS = 10_000
"""A change of at least this many placements and clusters is written with a larger page cache."""
_BULK_CACHE_KIB = 256 * 1024
"""The page cache of such a write (SQLite's default is 2 MiB): a first load or a rebuild writes several B-trees
of millions of rows each, in no order common to all, and with a small cache each insert reads its pages again."""


LARGE_LOAD = 250_000
"""A load by parts (``apply_rows``) of at least this many placements (a rebuild of a large collection) is written
with a page cache of :data:`_LOAD_CACHE_KIB`: once its indexes are made again before its last rows
(:data:`INDEXES_MADE_AT`), each of those rows goes into six more B-trees at random places, a page read from the
file each time the cache holds too little of them (one of the last sixteenths of 1,000,000 generated records took
3.7-4.0 s of CPU at 256 MiB, 2.7-3.3 s at 512 MiB, 2.2-2.3 s at 1 GiB; 1.1-1.2 s into the tables alone)."""
_LOAD_CACHE_KIB = 1024 * 1024
INDEXES_MADE_AT = 0.75
"""The share of a bulk load's expected placements written (``apply_rows``), after which the indexes it makes
again are made: while the last parts are still being clustered, instead of after them with nothing else to do."""


BULK_LOAD = 50_000
"""A change placing at least this many records, more than the store holds, is a bulk load (see
:func:`indexes_made_after`)."""
MADE_AFTER = ("dedup_placements_cluster", "clusters_first_seen", "cluster_changes_time")
"""The indexes a bulk load makes again after its inserts: those no statement of the store's ``apply``
reads after its deletes (dropping one that a later delete looks rows up by would make each delete a scan)."""
MADE_AFTER_FRESH = ("cluster_change_members_cluster", "dedup_holders_cluster")
"""Made again after the inserts too when the store held nothing (a first load): the deletes that read them are left
out then (there is nothing to delete)."""


@contextmanager
def indexes_made_after(conn: sqlite3.Connection, placed: int, *, fresh: bool = False) -> Iterator[None]:
    """Around the inserts of a bulk load (a first load, or a rebuild, whose store was just emptied): the indexes of
    :data:`MADE_AFTER` (and :data:`MADE_AFTER_FRESH` when the store held nothing, ``fresh``) dropped and made
    again afterwards, in the same transaction (SQLite builds an index from sorted rows far faster than it takes
    rows one at a time at random places: a third less time storing 200,000 generated records). Any other change
    leaves them as they are."""
    if placed < BULK_LOAD or conn.execute("SELECT COUNT(*) FROM dedup_placements").fetchone()[0] >= placed:
        yield
        return
    with without_indexes(conn, MADE_AFTER + (MADE_AFTER_FRESH if fresh else ())):
        yield


@contextmanager
def without_indexes(conn: sqlite3.Connection, names: tuple[str, ...]) -> Iterator[Callable[[], None]]:
    """The indexes named dropped, and made again after the block (in its transaction), or sooner when the block
    calls what it is given (the rows written after are then taken into them)."""
    marks = ", ".join("?" * len(names))
    found = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})", names)
    made = sorted(found.fetchall())
    for name, _ in made:
        conn.execute(f'DROP INDEX "{name}"')

    def make_again() -> None:
        while made:
            conn.execute(made.pop(0)[1])

    yield make_again
    make_again()


@contextmanager
def bulk_cache(conn: sqlite3.Connection, rows: int, loaded: int = 0) -> Iterator[None]:
    """A page cache of :data:`_BULK_CACHE_KIB` while a change of at least :data:`BULK_ROWS` rows is written, of
    :data:`_LOAD_CACHE_KIB` for a load by parts of ``loaded`` placements, :data:`LARGE_LOAD` or more (only what is
    used is allocated; the connection's own size is restored after)."""
    if rows < BULK_ROWS:
        yield
        return
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{_LOAD_CACHE_KIB if loaded >= LARGE_LOAD else _BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(before)}")


DELETE_PLACEMENT = "DELETE FROM dedup_placements WHERE member = ? AND local_id = ?"
DELETE_KEYS = (
    "DELETE FROM dedup_keys WHERE member = ?1 AND local_id = ?2 AND key IN (SELECT value FROM json_each("
    "(SELECT body FROM dedup_placements WHERE member = ?1 AND local_id = ?2), '$.keys'))"
)
"""A record's blocking keys deleted by the keys its placement lists (each found by ``dedup_keys``' primary key, so
the table needs no index by record, whose upkeep cost a first load of 1,000,000 records 4.1 s): run before the
placement is deleted."""
_INSERT_PLACEMENT = "INSERT INTO dedup_placements (member, local_id, cluster_id, body) VALUES (?, ?, ?, ?)"
_INSERT_KEY = "INSERT OR IGNORE INTO dedup_keys (key, member, local_id) VALUES (?, ?, ?)"
_DELETE_CLUSTER = "DELETE FROM clusters WHERE cluster_id = ?"
_INSERT_HOLDER = "INSERT OR IGNORE INTO dedup_holders (member, members, cluster_id) VALUES (?, ?, ?)"
_UPSERT_CLUSTER = (
    "INSERT INTO clusters (cluster_id, first_seen, body, first_seen_key) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (cluster_id) DO UPDATE SET "
    "first_seen = excluded.first_seen, body = excluded.body, first_seen_key = excluded.first_seen_key"
)


HOLDS_ANYTHING = (
    "SELECT EXISTS (SELECT 1 FROM dedup_placements) OR EXISTS (SELECT 1 FROM dedup_keys) "
    "OR EXISTS (SELECT 1 FROM clusters) OR EXISTS (SELECT 1 FROM cluster_changes) "
    "OR EXISTS (SELECT 1 FROM cluster_change_members) OR EXISTS (SELECT 1 FROM dedup_holders)"
)
"""Whether the store holds any row (not: a first load, whose deletes would find nothing)."""


@dataclass(frozen=True)
class ClusterRows:
    """The rows a change's placements and saved clusters write, each table's in its primary key order (each row
    then goes next to the one before in the table's B-tree)."""

    placements: list[tuple[str, str, str, str]]
    """``dedup_placements``: member, local id, cluster id, the placement as JSON."""
    keys: list[tuple[str, str, str]]
    """``dedup_keys``: key, member, local id."""
    clusters: list[tuple[str, str, str, str]]
    """``clusters``: cluster id, ``first_seen`` (ISO 8601), the cluster as JSON, ``first_seen_key``."""
    changes: sqlite_changes.ChangeRows
    """The change index's rows of the saved clusters."""
    holders: list[tuple[str, int, str]]
    """``dedup_holders``: member, how many members, cluster id."""


def _members(records: list[tuple[str, str]]) -> list[str]:
    """:attr:`Cluster.members` of a cluster holding these records (one record's without a set)."""
    return [records[0][0]] if len(records) == 1 else sorted({member for member, _ in records})


def make_rows(placed: Sequence[RecordPlacement], saved: Sequence[Cluster]) -> ClusterRows:
    """The rows of these placements and saved clusters (each record and each cluster id once)."""
    placement_json = RecordPlacement.__pydantic_serializer__.to_json  # model_dump_json without its arguments' walk
    cluster_json = Cluster.__pydantic_serializer__.to_json
    placements = sorted([(p.member, p.local_id, p.cluster_id, placement_json(p).decode()) for p in placed])
    keys = sorted([(key, p.member, p.local_id) for p in placed for key in p.keys])
    stamps = Stamps()
    members = {c.cluster_id: _members(c.records) for c in saved}
    clusters = []
    for cluster in saved:
        text, key = stamps(cluster.first_seen)
        clusters.append((cluster.cluster_id, text, cluster_json(cluster).decode(), key))
    clusters.sort()
    holders = sorted((member, len(held), cluster_id) for cluster_id, held in members.items() for member in held)
    changes = sqlite_changes.saved_rows(saved, members, stamps)
    return ClusterRows(placements, keys, clusters, changes, holders)


def write(
    conn: sqlite3.Connection,
    rows: ClusterRows,
    *,
    fresh: bool,
    deleted: Sequence[str] = (),
    at: datetime | None = None,
) -> None:
    """Write a change's rows, its records' earlier placements and keys already deleted: clusters ``deleted``
    (tombstones dated ``at``), then the placements, keys, saved clusters, their change index and holders rows
    (``fresh``: the store held nothing, there is nothing to delete or replace). Each statement only when it has
    rows: a table an old database lacks until it is migrated is not named by a change that writes nothing to it."""
    if rows.placements:
        conn.executemany(_INSERT_PLACEMENT, rows.placements)
        conn.executemany(_INSERT_KEY, rows.keys)
    if deleted and not fresh:
        sqlite_changes.tombstone(conn, deleted, at or datetime.now(UTC))
        conn.executemany(_DELETE_CLUSTER, [(cluster_id,) for cluster_id in deleted])
    if rows.clusters:
        conn.executemany(_UPSERT_CLUSTER, rows.clusters)
        sqlite_changes.write_rows(conn, rows.changes, fresh=fresh)
    touched = dict.fromkeys([*deleted, *(row[0] for row in rows.clusters)])
    if touched and not fresh:
        conn.executemany("DELETE FROM dedup_holders WHERE cluster_id = ?", [(c,) for c in touched])
    if rows.holders:
        conn.executemany(_INSERT_HOLDER, rows.holders)
