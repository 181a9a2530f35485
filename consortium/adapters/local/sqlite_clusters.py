"""The cluster store in SQLite: placements, the blocking index and clusters in three tables.

The tables are named apart from the record store's, so both stores can live in the same database file (each
on its own connection, or on one shared connection). A :class:`~consortium.dedup.state.ClusterChange` is
applied in one transaction: a process killed at any moment leaves it either fully applied or not at all.

=====================  ==================================================================================
table                  holds
=====================  ==================================================================================
``dedup_placements``   one row per clustered record: ``(member, local_id)``, its ``cluster_id`` and the
                       placement as JSON; indexed on ``(cluster_id, member, local_id)`` for ``members_of``
``dedup_keys``         the blocking index: one row per ``(key, member, local_id)`` (the primary key, so
                       ``lookup`` reads it in order; a record's keys are dropped by the keys its placement
                       lists, through the same key)
``clusters``           one row per cluster: ``cluster_id``, ``first_seen`` (ISO 8601 as given),
                       ``first_seen_key`` (``first_seen`` in UTC, fixed-width ISO 8601 without offset, so
                       text order is time order) and the cluster as JSON; indexed on
                       ``(first_seen_key, cluster_id)`` for ``new_since``
``dedup_holders``      one row per (member, cluster) the member holds records of: ``member``, ``members`` (how
                       many members the cluster's records come from) and ``cluster_id``; its primary key
                       ``(member, members, cluster_id)`` answers ``sharing_counts`` from the index alone, and
                       it is indexed on ``cluster_id`` to replace a cluster's rows when it is saved
=====================  ==================================================================================

The change index (``changed``, ``count_changed``, ``version``: clusters by the time they last changed, deleted
ones as tombstones, and the same per member) is in two more tables, described in
:mod:`~consortium.adapters.local.sqlite_changes`.

Migrations (schema ``clusters``, run by :func:`~consortium.adapters.local.sqlite_common.migrate`): step 1 makes
the three tables as they first were; step 2, for ``new_since``, adds ``first_seen_key``, fills it from
``first_seen`` and makes its index; step 3, for ``sharing_counts``, makes ``dedup_holders`` and fills it from the
clusters; step 4 makes the change index and fills it from the stored clusters; step 5 drops ``dedup_keys_record``,
the blocking keys' index by record (a record's keys are deleted by the keys its placement lists). A database made
before migrations were recorded is at step 2 when its ``clusters`` table has ``first_seen_key``, else at step 1 when
it has the table.

Text columns compare with SQLite's ``BINARY`` collation, which on UTF-8 is code-point order: the order
Python sorts strings in, so results come out as the in-memory store sorts them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from consortium.adapters.local import sqlite_changes, sqlite_cluster_rows
from consortium.adapters.local.sqlite_cluster_rows import (
    BULK_ROWS,
    DELETE_KEYS,
    DELETE_PLACEMENT,
    HOLDS_ANYTHING,
    INDEXES_MADE_AT,
    LARGE_LOAD,
    MADE_AFTER,
    MADE_AFTER_FRESH,
    ClusterRows,
    bulk_cache,
    indexes_made_after,
    make_rows,
    without_indexes,
    write,
)
from consortium.adapters.local.sqlite_common import (
    Schema,
    SqliteAdapter,
    has_column,
    has_table,
)
from consortium.adapters.timestamps import utc_sort_key
from consortium.dedup.state import RecordPlacement
from consortium.gc_tuning import fewer_collections
from consortium.models import Cluster

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Iterator

    from consortium.dedup.state import ChangeCursor, ClusterChange, ClusterVersion, RecordKey

__all__ = ["ClusterRows", "SqliteClusterStore"]

_CHUNK = 500
"""Rows per page when iterating clusters."""


def _add_first_seen_key(conn: sqlite3.Connection) -> None:
    """Step 2: ``first_seen_key`` (filled from ``first_seen``) and its index, for ``new_since``."""
    conn.execute("ALTER TABLE clusters ADD COLUMN first_seen_key TEXT")
    rows = conn.execute("SELECT cluster_id, first_seen FROM clusters").fetchall()
    conn.executemany(
        "UPDATE clusters SET first_seen_key = ? WHERE cluster_id = ?",
        [(utc_sort_key(datetime.fromisoformat(first_seen)), cluster_id) for cluster_id, first_seen in rows],
    )
    conn.execute("CREATE INDEX clusters_first_seen ON clusters (first_seen_key, cluster_id)")


def _legacy(conn: sqlite3.Connection) -> int:
    """The step a database made before migrations were recorded is at (see the module)."""
    if has_column(conn, "clusters", "first_seen_key"):
        return 2
    return 1 if has_table(conn, "clusters") else 0


_MEMBER_COUNT = (
    "(SELECT COUNT(DISTINCT json_extract(record.value, '$[0]')) FROM json_each(clusters.body, '$.records') AS record)"
)
"""How many members a cluster's records come from, worked out from its JSON (``records`` holds
``[member, local_id]`` pairs)."""

_HOLDERS_OF = (
    f"SELECT DISTINCT json_extract(holder.value, '$[0]'), {_MEMBER_COUNT}, clusters.cluster_id "
    "FROM clusters, json_each(clusters.body, '$.records') AS holder"
)
"""Every (member, its cluster's member count, cluster) of the clusters selected (add a WHERE)."""

_SCHEMA = Schema(
    "clusters",
    steps=(
        (
            """CREATE TABLE dedup_placements (
                member     TEXT NOT NULL,
                local_id   TEXT NOT NULL,
                cluster_id TEXT NOT NULL,
                body       TEXT NOT NULL,
                PRIMARY KEY (member, local_id)
            )""",
            "CREATE INDEX dedup_placements_cluster ON dedup_placements (cluster_id, member, local_id)",
            """CREATE TABLE dedup_keys (
                key      TEXT NOT NULL,
                member   TEXT NOT NULL,
                local_id TEXT NOT NULL,
                PRIMARY KEY (key, member, local_id)
            ) WITHOUT ROWID""",
            "CREATE INDEX dedup_keys_record ON dedup_keys (member, local_id)",
            """CREATE TABLE clusters (
                cluster_id TEXT PRIMARY KEY,
                first_seen TEXT NOT NULL,
                body       TEXT NOT NULL
            )""",
        ),
        _add_first_seen_key,
        (
            """CREATE TABLE dedup_holders (
                member     TEXT NOT NULL,
                members    INTEGER NOT NULL,
                cluster_id TEXT NOT NULL,
                PRIMARY KEY (member, members, cluster_id)
            ) WITHOUT ROWID""",
            "CREATE INDEX dedup_holders_cluster ON dedup_holders (cluster_id)",
            f"INSERT OR IGNORE INTO dedup_holders (member, members, cluster_id) {_HOLDERS_OF}",
        ),
        sqlite_changes.add_change_index,
        ("DROP INDEX IF EXISTS dedup_keys_record",),
    ),
    legacy=_legacy,
)


class SqliteClusterStore(SqliteAdapter):
    """A :class:`~consortium.dedup.ports.ClusterStore` on a SQLite connection.

    Made as :class:`~consortium.adapters.local.sqlite_common.SqliteAdapter` is, from a ``connection``; prefer
    :meth:`open`.

    Example
    -------
    >>> store = SqliteClusterStore.open(settings.sqlite_path)
    >>> store.apply(ClusterChange(placements=[placement], saved=[cluster]))
    """

    _schema = _SCHEMA
    _what = "cluster database"

    # -- reads ---------------------------------------------------------------------------------------------

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        """The record's cluster, keys and first-seen time, or ``None`` for a record never clustered."""
        with self._errors():
            row = self._conn.execute(
                "SELECT body FROM dedup_placements WHERE member = ? AND local_id = ?", key
            ).fetchone()
        return RecordPlacement.model_validate_json(row[0]) if row else None

    def placements(self, keys: Iterable[RecordKey]) -> dict[RecordKey, RecordPlacement]:
        """The placements of these records that exist: one statement per member and 500 ids."""
        by_member: dict[str, list[str]] = {}
        for member, local_id in dict.fromkeys(keys):
            by_member.setdefault(member, []).append(local_id)
        found: dict[RecordKey, RecordPlacement] = {}
        with self._errors():
            for member, ids in by_member.items():
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start : start + _CHUNK]
                    marks = ", ".join("?" * len(chunk))
                    rows = self._conn.execute(
                        f"SELECT local_id, body FROM dedup_placements WHERE member = ? AND local_id IN ({marks})",
                        (member, *chunk),
                    )
                    for local_id, body in rows:
                        found[(member, local_id)] = RecordPlacement.model_validate_json(body)
        return found

    def lookup(self, keys: Iterable[str], limit: int = 100) -> dict[str, list[RecordKey]]:
        """For each blocking key, the records that have it (at most ``limit`` each, in key order).

        Keys no record has are left out.
        """
        fetch = limit if limit > 0 else (1 if limit == 0 else -1)  # -1: no LIMIT; then sliced as a list is
        sql = "SELECT member, local_id FROM dedup_keys WHERE key = ? ORDER BY member, local_id LIMIT ?"
        found: dict[str, list[RecordKey]] = {}
        with self._errors():
            for key in dict.fromkeys(keys):
                rows = self._conn.execute(sql, (key, fetch)).fetchall()
                if rows:
                    found[key] = [(member, local_id) for member, local_id in rows][:limit]
        return found

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        """The records placed in the cluster, sorted."""
        sql = "SELECT member, local_id FROM dedup_placements WHERE cluster_id = ? ORDER BY member, local_id"
        with self._errors():
            rows = self._conn.execute(sql, (cluster_id,)).fetchall()
        return [(member, local_id) for member, local_id in rows]

    def get(self, cluster_id: str) -> Cluster | None:
        """The cluster, or ``None``."""
        with self._errors():
            row = self._conn.execute("SELECT body FROM clusters WHERE cluster_id = ?", (cluster_id,)).fetchone()
        return Cluster.model_validate_json(row[0]) if row else None

    def clusters(self) -> Iterator[Cluster]:
        """Every cluster, by id, read in pages so no statement stays open between the clusters yielded."""
        after: str | None = None
        while True:
            where, params = ("", ()) if after is None else ("WHERE cluster_id > ?", (after,))
            sql = f"SELECT cluster_id, body FROM clusters {where} ORDER BY cluster_id LIMIT {_CHUNK}"
            with self._errors():
                rows = self._conn.execute(sql, params).fetchall()
            for row in rows:
                yield Cluster.model_validate_json(row[1])
            if len(rows) < _CHUNK:
                return
            after = rows[-1][0]

    def new_since(self, since: datetime, until: datetime | None = None) -> Iterator[Cluster]:
        """Clusters whose ``first_seen`` is in ``[since, until)`` (``until=None``: no upper bound), oldest
        first, ties by id; read from the ``first_seen`` index in pages, as :meth:`clusters` reads."""
        bounds = ["first_seen_key >= ?"]
        params: list[str] = [utc_sort_key(since)]
        if until is not None:
            bounds.append("first_seen_key < ?")
            params.append(utc_sort_key(until))
        after: tuple[str, str] | None = None
        while True:
            where = " AND ".join(bounds if after is None else [*bounds, "(first_seen_key, cluster_id) > (?, ?)"])
            sql = (
                f"SELECT first_seen_key, cluster_id, body FROM clusters WHERE {where} "
                f"ORDER BY first_seen_key, cluster_id LIMIT {_CHUNK}"
            )
            with self._errors():
                rows = self._conn.execute(sql, params if after is None else [*params, *after]).fetchall()
            for row in rows:
                yield Cluster.model_validate_json(row[2])
            if len(rows) < _CHUNK:
                return
            after = (rows[-1][0], rows[-1][1])

    def changed(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        member: str | None = None,
        after: ChangeCursor | None = None,
        limit: int = 100,
    ) -> list[ClusterVersion]:
        """One page of the change index, read from its index on the change time (the member's, with
        ``member``)."""
        with self._errors():
            return sqlite_changes.read_changed(self._conn, since, until, member=member, after=after, limit=limit)

    def count_changed(
        self, since: datetime | None = None, until: datetime | None = None, *, member: str | None = None
    ) -> int:
        """How many entries :meth:`changed` would list over the window (one COUNT on the index)."""
        with self._errors():
            return sqlite_changes.count_changed(self._conn, since, until, member)

    def version(self, cluster_id: str) -> ClusterVersion | None:
        """The cluster's entry in the change index: the stored cluster, its tombstone, or ``None``."""
        with self._errors():
            return sqlite_changes.read_version(self._conn, cluster_id)

    def count(self) -> int:
        """How many clusters are stored."""
        with self._errors():
            row = self._conn.execute("SELECT COUNT(*) FROM clusters").fetchone()
        return int(row[0])

    def count_shared(self) -> int:
        """How many clusters hold records of more than one member (their JSON read by SQLite, not Python)."""
        with self._errors():
            row = self._conn.execute(f"SELECT COUNT(*) FROM clusters WHERE {_MEMBER_COUNT} > 1").fetchone()
        return int(row[0])

    def sharing_counts(self, member: str) -> dict[int, int]:
        """For the clusters holding the member's records, how many are held by how many members (the
        ``dedup_holders`` primary key's index alone)."""
        sql = "SELECT members, COUNT(*) FROM dedup_holders WHERE member = ? GROUP BY members"
        with self._errors():
            rows = self._conn.execute(sql, (member,)).fetchall()
        return {int(members): int(count) for members, count in rows}

    def most_shared(self, limit: int) -> list[Cluster]:
        """At most ``limit`` clusters holding records of more than one member: most members first, then by
        title, then by id (ordered by SQLite; only those returned are decoded)."""
        sql = (
            f"SELECT body FROM (SELECT cluster_id, body, {_MEMBER_COUNT} AS members FROM clusters) "
            "WHERE members > 1 ORDER BY members DESC, json_extract(body, '$.title'), cluster_id LIMIT ?"
        )
        with self._errors():
            rows = self._conn.execute(sql, (max(limit, 0),)).fetchall()
        return [Cluster.model_validate_json(row[0]) for row in rows]

    # -- writes --------------------------------------------------------------------------------------------

    def apply(self, change: ClusterChange) -> None:
        """Apply the whole change in one transaction, or nothing of it.

        As the in-memory store does: records removed, then placements (each replacing the record's previous
        placement and its blocking keys; of two placements of one record the last wins), then clusters
        deleted (each stored one leaving a tombstone dated ``change.at``), then clusters saved (so a cluster both
        deleted and saved is kept, without a tombstone).

        The rows are made before the transaction begins (the write lock is held only to write them), each table's
        in its primary key order; a bulk load into a store holding nothing (a first load) leaves out the deletes,
        which would find nothing.
        """
        with fewer_collections():  # millions of rows, nearly all freed by reference counting
            final: dict[RecordKey, RecordPlacement | None] = dict.fromkeys(change.removed)
            for placement in change.placements:
                final[(placement.member, placement.local_id)] = placement
            placed = [p for p in final.values() if p is not None]
            saved = list({c.cluster_id: c for c in change.saved}.values())  # of two saves of one id the last counts
            rows = make_rows(placed, saved)
            with self._transaction() as conn, bulk_cache(conn, len(placed) + len(saved)):
                fresh = len(placed) >= sqlite_cluster_rows.BULK_LOAD and not conn.execute(HOLDS_ANYTHING).fetchone()[0]
                if final and not fresh:
                    conn.executemany(DELETE_KEYS, list(final))  # by the keys the placement lists: first
                    conn.executemany(DELETE_PLACEMENT, list(final))
                with indexes_made_after(conn, len(placed), fresh=fresh):
                    write(conn, rows, fresh=fresh, deleted=change.deleted, at=change.at)

    @staticmethod
    def encode(change: ClusterChange) -> ClusterRows:
        """The rows of a change that only places records and saves clusters (as the bulk path makes), of two
        placements of one record or two saves of one cluster the last (as :meth:`apply` keeps), for
        :meth:`apply_rows`: plain tuples, which another process can make and send back cheaply.

        Raises
        ------
        ValueError
            For a change that removes records or deletes clusters (:meth:`apply` writes those).
        """
        if change.removed or change.deleted:
            raise ValueError("rows are made of placements and saved clusters only: apply a change removing records "
                             "or deleting clusters")  # fmt: skip
        with fewer_collections():
            final = {(p.member, p.local_id): p for p in change.placements}
            return make_rows(list(final.values()), list({c.cluster_id: c for c in change.saved}.values()))

    def apply_rows(self, parts: Iterable[ClusterRows], expected: int | None = None) -> int:
        """Write the rows of several changes (:meth:`encode`), each as :meth:`apply` writes its change, all in one
        transaction, or nothing of them; ``parts`` is read inside the transaction, so it may still be making them
        (the bulk path in worker processes: :func:`~consortium.dedup.processes.cluster_in_processes`). How many
        parts were written.

        A store holding nothing at the start (a first load) is loaded without the indexes of :data:`MADE_AFTER`
        and :data:`MADE_AFTER_FRESH`, made again at the end, and without deletes; there a record placed by two
        parts fails the write (the placements' primary key) instead of the second replacing the first. With
        ``expected``, how many placements the parts hold in all, at least :data:`LARGE_LOAD`, the indexes are made
        again once :data:`INDEXES_MADE_AT` of them are written (the rest of the parts may still be in the making:
        the last rows go into the indexes as they come, and the commit has little left to do after the last part;
        a smaller load leaves little to do at the end anyway, and its rows cost more to write into the indexes
        than the indexes to make: storing 200,000 generated records, 6.0-6.2 s of CPU against 5.7)."""
        count = written = 0
        early = expected * INDEXES_MADE_AT if expected is not None and expected >= LARGE_LOAD else None
        with fewer_collections(), self._transaction() as conn, bulk_cache(conn, BULK_ROWS, expected or 0):
            fresh = not conn.execute(HOLDS_ANYTHING).fetchone()[0]
            with without_indexes(conn, MADE_AFTER + MADE_AFTER_FRESH if fresh else ()) as make_indexes:
                for part in parts:
                    if not fresh and part.placements:
                        records = [(member, local_id) for member, local_id, _, _ in part.placements]
                        conn.executemany(DELETE_KEYS, records)
                        conn.executemany(DELETE_PLACEMENT, records)
                    write(conn, part, fresh=fresh)
                    count += 1
                    written += len(part.placements)
                    if early is not None and written >= early:
                        make_indexes()
        return count

    # -- helpers -------------------------------------------------------------------------------------------
