"""The SQLite cluster store beyond the contract: sharing a file, transactions, paging through the index."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from cluster_data import ids, place, seen_at
from factories import T0, make_page, make_record, make_test_cluster

from consortium.adapters.local import SqliteClusterStore, SqliteRecordStore
from consortium.dedup.state import ClusterChange
from consortium.errors import StorageError

if TYPE_CHECKING:
    from pathlib import Path


def test_sqlite_shares_a_database_file_with_the_record_store(tmp_path: Path) -> None:
    path = tmp_path / "consortium.sqlite3"
    records = SqliteRecordStore.open(path)
    clusters = SqliteClusterStore.open(path)
    records.commit(make_page(make_record()))
    clusters.apply(ClusterChange(placements=[place("m", "1", "c1", ["k"])], saved=[make_test_cluster("c1")]))
    records.close()
    clusters.close()

    records, clusters = SqliteRecordStore.open(path), SqliteClusterStore.open(path)
    assert records.count() == 1
    assert clusters.count() == 1 and clusters.members_of("c1") == [("m", "1")]
    records.close()
    clusters.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("table", "when"),
    [("dedup_keys", "NEW.key = 'boom'"), ("dedup_placements", "NEW.local_id = 'boom'"), ("clusters", "1")],
)
def test_sqlite_failed_apply_applies_nothing(tmp_path: Path, table: str, when: str) -> None:
    path = tmp_path / "db.sqlite3"
    store = SqliteClusterStore.open(path)
    first = place("m", "1", "c1", ["a"])
    store.apply(ClusterChange(placements=[first], saved=[make_test_cluster("c1")]))

    # Another connection adds a trigger that fails one insert part-way through the next change.
    with sqlite3.connect(path) as other:
        other.execute(
            f"CREATE TRIGGER fail BEFORE INSERT ON {table} WHEN {when} BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    second = ClusterChange(
        placements=[place("m", "1", "c2", ["b"]), place("m", "boom", "c2", ["boom"])],
        removed=[("m", "1")],
        saved=[make_test_cluster("c2")],
        deleted=["c1"],
    )
    with pytest.raises(StorageError, match="disk on fire") as caught:
        store.apply(second)
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    assert store.placement(("m", "1")) == first
    assert store.placement(("m", "boom")) is None
    assert store.lookup(["a", "b", "boom"]) == {"a": [("m", "1")]}
    assert store.members_of("c1") == [("m", "1")]
    assert [c.cluster_id for c in store.clusters()] == ["c1"]

    with sqlite3.connect(path) as other:
        other.execute("DROP TRIGGER fail")
    store.apply(second)
    assert store.lookup(["a", "b", "boom"]) == {"b": [("m", "1")], "boom": [("m", "boom")]}
    assert [c.cluster_id for c in store.clusters()] == ["c2"]
    store.close()


def test_sqlite_errors_are_storage_errors(tmp_path: Path) -> None:
    store = SqliteClusterStore.open(tmp_path / "db.sqlite3")
    store.close()
    with pytest.raises(StorageError):
        store.placement(("m", "1"))
    with pytest.raises(StorageError):
        store.apply(ClusterChange(deleted=["c1"]))


def test_sqlite_clusters_are_read_in_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consortium.adapters.local import sqlite_clusters

    monkeypatch.setattr(sqlite_clusters, "_CHUNK", 4)
    store = SqliteClusterStore.open(tmp_path / "db.sqlite3")
    ids = [f"c{n:02d}" for n in range(9)]
    store.apply(ClusterChange(saved=[make_test_cluster(c) for c in reversed(ids)]))
    assert [c.cluster_id for c in store.clusters()] == ids
    store.close()


def test_sqlite_new_since_reads_the_index_in_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consortium.adapters.local import sqlite_clusters

    monkeypatch.setattr(sqlite_clusters, "_CHUNK", 4)
    store = SqliteClusterStore.open(tmp_path / "db.sqlite3")
    # Ties on one instant across page boundaries: pages continue after (first_seen, cluster_id).
    clusters = [seen_at(f"c{n:02d}", T0 + timedelta(seconds=n // 3)) for n in range(11)]
    store.apply(ClusterChange(saved=clusters[::-1]))
    assert list(store.new_since(T0)) == clusters
    assert ids(store.new_since(T0 + timedelta(seconds=1), T0 + timedelta(seconds=3))) == [
        f"c{n:02d}" for n in range(3, 9)
    ]
    plan = " ".join(
        str(row[-1])
        for row in store._conn.execute(
            "EXPLAIN QUERY PLAN SELECT body FROM clusters WHERE first_seen_key >= ? AND first_seen_key < ? "
            "AND (first_seen_key, cluster_id) > (?, ?) ORDER BY first_seen_key, cluster_id LIMIT 4",
            ("a", "b", "a", "c"),
        )
    )
    assert "clusters_first_seen" in plan and "TEMP B-TREE" not in plan
    store.close()
