"""The change index of the SQLite cluster store: every cluster by the time it last changed, deleted ones as
tombstones, and the same per member, for the OAI-PMH provider's incremental, set-by-member listings.

==========================  ===========================================================================
table                       holds
==========================  ===========================================================================
``cluster_changes``         one row per cluster ever stored: ``cluster_id`` (primary key), ``changed_key``
                            (the change time in UTC as fixed-width ISO 8601 without offset, so text order
                            is time order), ``changed_at`` (ISO 8601 as given), ``members`` (a JSON list)
                            and ``deleted`` (1 for a tombstone); indexed on ``(changed_key, cluster_id)``
``cluster_change_members``  one row per ``(member, changed_key, cluster_id)`` of each cluster or tombstone
                            holding that member's records (the primary key, so a member's list is read in
                            order), also indexed on ``cluster_id`` to drop a cluster's rows
==========================  ===========================================================================

A stored cluster's change time is its ``updated_at``; a tombstone's the ``at`` of the change that deleted it.
The rows are written in the cluster store's own transaction (:meth:`SqliteClusterStore.apply`): the tombstones
before the deleted clusters' rows go (their members are read from them), the saved clusters' rows after.
Migration step 3 of the ``clusters`` schema (:func:`add_change_index`) makes both tables and fills them from
the clusters a database already holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from consortium.adapters.timestamps import Stamps, utc_sort_key
from consortium.dedup.state import ClusterVersion
from consortium.models import Cluster

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Sequence

    from consortium.dedup.state import ChangeCursor

__all__ = [
    "ChangeRows",
    "add_change_index",
    "change_rows",
    "count_changed",
    "index_saved",
    "read_changed",
    "read_version",
    "saved_rows",
    "tombstone",
    "write_rows",
]

_TABLES = (
    """CREATE TABLE cluster_changes (
        cluster_id  TEXT PRIMARY KEY,
        changed_key TEXT NOT NULL,
        changed_at  TEXT NOT NULL,
        members     TEXT NOT NULL,
        deleted     INTEGER NOT NULL
    )""",
    "CREATE INDEX cluster_changes_time ON cluster_changes (changed_key, cluster_id)",
    """CREATE TABLE cluster_change_members (
        member      TEXT NOT NULL,
        changed_key TEXT NOT NULL,
        cluster_id  TEXT NOT NULL,
        PRIMARY KEY (member, changed_key, cluster_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX cluster_change_members_cluster ON cluster_change_members (cluster_id)",
)
_UPSERT = (
    "INSERT INTO cluster_changes (cluster_id, changed_key, changed_at, members, deleted) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (cluster_id) DO UPDATE SET changed_key = excluded.changed_key, changed_at = excluded.changed_at, "
    "members = excluded.members, deleted = excluded.deleted"
)
_DROP_MEMBERS = "DELETE FROM cluster_change_members WHERE cluster_id = ?"
_ADD_MEMBER = "INSERT OR IGNORE INTO cluster_change_members (member, changed_key, cluster_id) VALUES (?, ?, ?)"
_COLUMNS = "ch.cluster_id, ch.changed_at, ch.members, c.body"


def _members_of(body: str) -> list[str]:
    """The members a cluster's JSON holds records of, sorted (read without validating the whole cluster)."""
    return sorted({str(pair[0]) for pair in json.loads(body)["records"]})


@dataclass(frozen=True)
class ChangeRows:
    """The change index's rows of some clusters or tombstones (each cluster once), made apart from the writing."""

    changes: list[tuple[str, str, str, str, int]]
    """``cluster_changes``: cluster id, change key, change time (ISO 8601), members (JSON), deleted; by id."""
    members: list[tuple[str, str, str]]
    """``cluster_change_members``: member, change key, cluster id; sorted (the table's primary key order)."""


def change_rows(entries: Iterable[tuple[str, datetime, list[str], bool]], stamps: Stamps | None = None) -> ChangeRows:
    """The rows of ``(cluster_id, changed_at, members, deleted)`` entries (each cluster once); ``stamps``: the
    times' text, shared with the caller's other rows."""
    stamp = stamps or Stamps()
    as_json: dict[tuple[str, ...], str] = {}  # a few member lists recur over and over: each written once
    changes: list[tuple[str, str, str, str, int]] = []
    members: list[tuple[str, str, str]] = []
    for cluster_id, at, held, deleted in entries:
        text, key = stamp(at)
        group = tuple(held)
        listed = as_json.get(group)
        if listed is None:
            listed = as_json[group] = json.dumps(held, ensure_ascii=False)
        changes.append((cluster_id, key, text, listed, int(deleted)))
        members += [(member, key, cluster_id) for member in held]
    changes.sort()  # in primary key order: each row goes next to the one before
    members.sort()
    return ChangeRows(changes, members)


def write_rows(conn: sqlite3.Connection, rows: ChangeRows, *, fresh: bool = False) -> None:
    """Write change index rows, replacing the clusters' earlier rows (``fresh``: the index is empty, nothing to
    replace)."""
    conn.executemany(_UPSERT, rows.changes)
    if not fresh:
        conn.executemany(_DROP_MEMBERS, [(row[0],) for row in rows.changes])
    conn.executemany(_ADD_MEMBER, rows.members)


def _write(conn: sqlite3.Connection, rows: Sequence[tuple[str, datetime, list[str], bool]]) -> None:
    """Index ``(cluster_id, changed_at, members, deleted)`` rows, replacing the clusters' earlier rows."""
    write_rows(conn, change_rows(rows))


def add_change_index(conn: sqlite3.Connection) -> None:
    """Migration step 3: the change index's tables, filled from the stored clusters (each at its
    ``updated_at``)."""
    for statement in _TABLES:
        conn.execute(statement)
    rows = []
    for cluster_id, body in conn.execute("SELECT cluster_id, body FROM clusters").fetchall():
        updated = datetime.fromisoformat(json.loads(body)["updated_at"])
        rows.append((cluster_id, updated, _members_of(body), False))
    _write(conn, rows)


def tombstone(conn: sqlite3.Connection, cluster_ids: Sequence[str], at: datetime) -> None:
    """Tombstones dated ``at`` for those of these clusters that are stored (call before deleting their rows)."""
    rows = []
    for cluster_id in dict.fromkeys(cluster_ids):
        found = conn.execute("SELECT body FROM clusters WHERE cluster_id = ?", (cluster_id,)).fetchone()
        if found is not None:
            rows.append((cluster_id, at, _members_of(found[0]), True))
    _write(conn, rows)


def saved_rows(
    clusters: Sequence[Cluster], members: dict[str, list[str]] | None = None, stamps: Stamps | None = None
) -> ChangeRows:
    """The rows indexing saved clusters at their ``updated_at`` (the last save of an id counts, as in the clusters
    table); ``members``: each cluster's :attr:`~consortium.models.Cluster.members` when the caller has them
    already."""
    last = {cluster.cluster_id: cluster for cluster in clusters}
    held = members or {}
    entries = ((c.cluster_id, c.updated_at, held.get(c.cluster_id) or c.members, False) for c in last.values())
    return change_rows(entries, stamps)


def index_saved(
    conn: sqlite3.Connection, clusters: Sequence[Cluster], members: dict[str, list[str]] | None = None
) -> None:
    """Index saved clusters at their ``updated_at`` (see :func:`saved_rows`)."""
    write_rows(conn, saved_rows(clusters, members))


def _bounds(
    column: str, since: datetime | None, until: datetime | None, after: ChangeCursor | None
) -> tuple[list[str], list[str]]:
    """The WHERE conditions and parameters of a window on ``column`` (``<alias>.changed_key``) after a cursor."""
    conditions: list[str] = []
    params: list[str] = []
    if since is not None:
        conditions.append(f"{column} >= ?")
        params.append(utc_sort_key(since))
    if until is not None:
        conditions.append(f"{column} < ?")
        params.append(utc_sort_key(until))
    if after is not None:
        alias = column.partition(".")[0]
        conditions.append(f"({column}, {alias}.cluster_id) > (?, ?)")
        params.extend((utc_sort_key(after[0]), after[1]))
    return conditions, params


def _version(row: tuple[str, str, str, str | None]) -> ClusterVersion:
    cluster_id, changed, members, body = row
    if body is not None:
        return ClusterVersion.of(Cluster.model_validate_json(body))
    return ClusterVersion(
        cluster_id=cluster_id, changed_at=datetime.fromisoformat(changed), members=json.loads(members)
    )


def read_changed(
    conn: sqlite3.Connection,
    since: datetime | None,
    until: datetime | None,
    *,
    member: str | None,
    after: ChangeCursor | None,
    limit: int,
) -> list[ClusterVersion]:
    """One page of the change index (see :meth:`~consortium.dedup.ports.ClusterStore.changed`)."""
    if limit <= 0:
        return []
    if member is None:
        conditions, params = _bounds("ch.changed_key", since, until, after)
        source, order = "cluster_changes AS ch", "ch.changed_key, ch.cluster_id"
    else:
        conditions, params = _bounds("cm.changed_key", since, until, after)
        conditions.insert(0, "cm.member = ?")
        params.insert(0, member)
        source = "cluster_change_members AS cm JOIN cluster_changes AS ch ON ch.cluster_id = cm.cluster_id"
        order = "cm.changed_key, cm.cluster_id"
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = (
        f"SELECT {_COLUMNS} FROM {source} LEFT JOIN clusters AS c ON c.cluster_id = ch.cluster_id "
        f"{where} ORDER BY {order} LIMIT ?"
    )
    return [_version(row) for row in conn.execute(sql, [*params, limit]).fetchall()]


def count_changed(conn: sqlite3.Connection, since: datetime | None, until: datetime | None, member: str | None) -> int:
    """How many entries :func:`read_changed` would list over the whole window."""
    if member is None:
        conditions, params = _bounds("ch.changed_key", since, until, None)
        source = "cluster_changes AS ch"
    else:
        conditions, params = _bounds("cm.changed_key", since, until, None)
        conditions.insert(0, "cm.member = ?")
        params.insert(0, member)
        source = "cluster_change_members AS cm"
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return int(conn.execute(f"SELECT COUNT(*) FROM {source} {where}", params).fetchone()[0])


def read_version(conn: sqlite3.Connection, cluster_id: str) -> ClusterVersion | None:
    """The cluster's entry in the change index, or ``None``."""
    sql = (
        f"SELECT {_COLUMNS} FROM cluster_changes AS ch LEFT JOIN clusters AS c USING (cluster_id) "
        "WHERE ch.cluster_id = ?"
    )
    row = conn.execute(sql, (cluster_id,)).fetchone()
    return _version(row) if row is not None else None
