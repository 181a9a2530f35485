"""A bulk load into the SQLite cluster store (a first load, a rebuild) drops four indexes and makes them again
after its inserts, in its own transaction: the store answers as the memory store does, and a load that fails
leaves the indexes and the rows as they were."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING

import pytest
from factories import make_record

from consortium.adapters.local import SqliteClusterStore, sqlite_changes, sqlite_cluster_rows
from consortium.adapters.memory import InMemoryClusterStore
from consortium.dedup.bulk import cluster_bulk
from consortium.errors import StorageError

if TYPE_CHECKING:
    from pathlib import Path

NOW = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)


def _indexes(store: SqliteClusterStore) -> list[tuple[str, str]]:
    rows = store._conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    return sorted(rows.fetchall())


def _records(count: int):  # type: ignore[no-untyped-def]
    return [
        make_record(
            member, str(n), f"Collected essays volume {n % 7}", authors=[f"Author{n % 5}, A."], year=1990 + n % 3
        )
        for n in range(count)
        for member in ("riverside", "lakeside")
    ]


def test_a_bulk_load_answers_as_the_memory_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_cluster_rows, "BULK_LOAD", 5)
    store = SqliteClusterStore.open(tmp_path / "c.sqlite3")
    before = _indexes(store)
    change = cluster_bulk(_records(30), NOW)
    memory = InMemoryClusterStore()
    memory.apply(change)
    store.apply(change)
    assert _indexes(store) == before
    assert store.count() == memory.count()
    for cluster in memory.clusters():
        assert store.get(cluster.cluster_id) == cluster
        assert store.members_of(cluster.cluster_id) == memory.members_of(cluster.cluster_id)
    keys = [k for p in change.placements for k in p.keys]
    assert store.lookup(keys, 100) == memory.lookup(keys, 100)
    assert [c.cluster_id for c in store.new_since(NOW - dt.timedelta(days=1))] == [
        c.cluster_id for c in memory.new_since(NOW - dt.timedelta(days=1))
    ]
    again = cluster_bulk(_records(30), NOW)  # a second load over a full store: indexes left in place
    store.apply(again)
    assert _indexes(store) == before


def test_a_bulk_load_that_fails_leaves_the_store_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_cluster_rows, "BULK_LOAD", 5)
    store = SqliteClusterStore.open(tmp_path / "c.sqlite3")
    before = _indexes(store)
    change = cluster_bulk(_records(30), NOW)

    def disk_full(*args: object, **kwargs: object) -> None:  # the change index's write fails after the inserts
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite_changes, "write_rows", disk_full)
    with pytest.raises(StorageError, match="disk is full"):
        store.apply(change)
    assert _indexes(store) == before
    assert store.count() == 0 and store.placement(("riverside", "1")) is None
