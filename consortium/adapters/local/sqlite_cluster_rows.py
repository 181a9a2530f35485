"""The rows a :class:`~consortium.dedup.state.ClusterChange` writes in the SQLite cluster store's tables
(:mod:`~consortium.adapters.local.sqlite_clusters`), made apart from the writing: plain tuples of text and numbers,
which another process can make (:func:`encode_change`) and send back cheaply, and
:meth:`~consortium.adapters.local.sqlite_clusters.SqliteClusterStore.apply_rows` writes as they are.
:meth:`~consortium.adapters.local.sqlite_clusters.SqliteClusterStore.apply` writes through the same functions, so
both write the same rows.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from consortium.adapters.local import sqlite_changes
from consortium.adapters.timestamps import utc_sort_key

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Iterator

    from consortium.dedup.state import ClusterChange, RecordKey, RecordPlacement
    from consortium.models import Cluster

__all__ = [
    "BULK_ROWS",
    "MADE_AFTER",
    "ClusterRows",
    "bulk_cache",
    "encode_change",
    "encode_rows",
    "without_indexes",
    "write_clusters",
    "write_holders",
    "write_placements",
]

_INSERT_PLACEMENT = "INSERT INTO dedup_placements (member, local_id, cluster_id, body) VALUES (?, ?, ?, ?)"
_INSERT_KEY = "INSERT OR IGNORE INTO dedup_keys (key, member, local_id) VALUES (?, ?, ?)"
_INSERT_HOLDER = "INSERT OR IGNORE INTO dedup_holders (member, members, cluster_id) VALUES (?, ?, ?)"
_UPSERT_CLUSTER = (
    "INSERT INTO clusters (cluster_id, first_seen, body, first_seen_key) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (cluster_id) DO UPDATE SET "
    "first_seen = excluded.first_seen, body = excluded.body, first_seen_key = excluded.first_seen_key"
)

BULK_ROWS = 10_000
"""A change of at least this many placements and clusters is written with a larger page cache."""
BULK_CACHE_KIB = 256 * 1024
"""The page cache of such a write (SQLite's default is 2 MiB): a first load or a rebuild writes several B-trees
of millions of rows each, in no order common to all, and with a small cache each insert reads its pages again."""
MADE_AFTER = ("dedup_placements_cluster", "dedup_keys_record", "clusters_first_seen", "cluster_changes_time")
"""The indexes a bulk load makes again after its inserts: those no statement of
:meth:`~consortium.adapters.local.sqlite_clusters.SqliteClusterStore.apply` reads after its deletes (dropping one
that a later delete looks rows up by would make each delete a scan)."""


@contextmanager
def without_indexes(conn: sqlite3.Connection) -> Iterator[None]:
    """The indexes of :data:`MADE_AFTER` dropped, and made again after the block (in its transaction)."""
    marks = ", ".join("?" * len(MADE_AFTER))
    found = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})", MADE_AFTER)
    made = sorted(found.fetchall())
    for name, _ in made:
        conn.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in made:
        conn.execute(sql)


@contextmanager
def bulk_cache(conn: sqlite3.Connection, rows: int) -> Iterator[None]:
    """A page cache of :data:`BULK_CACHE_KIB` while a change of at least :data:`BULK_ROWS` rows is written
    (only what is used is allocated; the connection's own size is restored after)."""
    if rows < BULK_ROWS:
        yield
        return
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(before)}")


@dataclass(frozen=True)
class ClusterRows:
    """The rows of some placements and saved clusters, in each table's column order."""

    placements: list[tuple[str, str, str, str]]
    """``dedup_placements``: member, local id, cluster id, the placement as JSON."""
    keys: list[tuple[str, str, str]]
    """``dedup_keys``: key, member, local id; sorted (the table's primary key order)."""
    clusters: list[tuple[str, str, str, str]]
    """``clusters``: cluster id, ``first_seen`` (ISO 8601), the cluster as JSON, ``first_seen_key``."""
    changes: sqlite_changes.ChangeRows
    """The change index's rows of the saved clusters."""
    holders: list[tuple[str, int, str]]
    """``dedup_holders``: member, how many members, cluster id; sorted."""
    saved: list[str]
    """The saved clusters' ids, in order."""


def encode_rows(placed: list[RecordPlacement], saved: list[Cluster]) -> ClusterRows:
    """The rows of these placements and saved clusters (each record and cluster id once: the caller keeps the
    last of each)."""
    placements = [(p.member, p.local_id, p.cluster_id, p.model_dump_json()) for p in placed]
    keys = sorted((key, p.member, p.local_id) for p in placed for key in p.keys)
    members = {c.cluster_id: c.members for c in saved}
    return ClusterRows(
        placements=placements,
        keys=keys,
        clusters=[
            (c.cluster_id, c.first_seen.isoformat(), c.model_dump_json(), utc_sort_key(c.first_seen)) for c in saved
        ],
        changes=sqlite_changes.encode_saved(saved, members),
        holders=sorted((member, len(held), cluster_id) for cluster_id, held in members.items() for member in held),
        saved=list(members),
    )


def encode_change(change: ClusterChange) -> ClusterRows:
    """The rows of a change that only places records and saves clusters (as the bulk path makes), of two
    placements of one record or two saves of one cluster the last (as ``apply`` keeps).

    Raises
    ------
    ValueError
        For a change that removes records or deletes clusters (``apply`` writes those).
    """
    if change.removed or change.deleted:
        raise ValueError("rows are made of placements and saved clusters only: apply a change removing records or "
                         "deleting clusters")  # fmt: skip
    final: dict[RecordKey, RecordPlacement] = {(p.member, p.local_id): p for p in change.placements}
    return encode_rows(list(final.values()), list({c.cluster_id: c for c in change.saved}.values()))


def write_placements(conn: sqlite3.Connection, rows: ClusterRows) -> None:
    """Insert the placements and their blocking keys (the records' earlier rows already deleted)."""
    conn.executemany(_INSERT_PLACEMENT, rows.placements)
    conn.executemany(_INSERT_KEY, rows.keys)


def write_clusters(conn: sqlite3.Connection, rows: ClusterRows) -> None:
    """Insert or replace the saved clusters and their change index rows."""
    conn.executemany(_UPSERT_CLUSTER, rows.clusters)
    sqlite_changes.write(conn, rows.changes)


def write_holders(conn: sqlite3.Connection, rows: ClusterRows, deleted: Iterable[str] = ()) -> None:
    """Replace the ``dedup_holders`` rows of the saved clusters and of the ``deleted`` ones."""
    touched = [(cluster_id,) for cluster_id in dict.fromkeys([*deleted, *rows.saved])]
    conn.executemany("DELETE FROM dedup_holders WHERE cluster_id = ?", touched)
    conn.executemany(_INSERT_HOLDER, rows.holders)
