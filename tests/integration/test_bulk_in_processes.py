"""The bulk path in worker processes (``consortium.dedup.processes``) stored a part at a time
(``SqliteClusterStore.apply_rows``): the same clusters, placements, keys and indexes as one ``cluster_bulk`` stored
by ``apply``; one transaction, so a failure midway leaves the store as it was. The workers hand the parts back
through files that are gone once the run is, however it ends."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from typing import TYPE_CHECKING

import pytest
from factories import make_record

from consortium.adapters.local import SqliteClusterStore, sqlite_clusters
from consortium.dedup.bulk import cluster_bulk
from consortium.dedup.keys import record_keys
from consortium.dedup.processes import cluster_in_processes, split_components
from consortium.dedup.state import ClusterChange
from consortium.errors import StorageError
from consortium.models import Identifier, IdentifierScheme, Record

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.adapters.local.sqlite_cluster_rows import ClusterRows

NOW = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)


def _records(count: int) -> list[Record]:
    """Records in several components: editions held by two members, some with an ISBN, some alone."""
    made = []
    for n in range(count):
        for member in ("riverside", "lakeside"):
            isbn = [Identifier(scheme=IdentifierScheme.ISBN, value=f"978000000{n % 9:03d}")] if n % 4 == 0 else []
            made.append(
                make_record(
                    member,
                    str(n),
                    f"{('Collected', 'Selected', 'Early', 'Late')[n % 4]} essays volume {n % 7}",
                    authors=[f"Author{n % 5}, A."],
                    year=1990 + n % 3,
                    identifiers=isbn,
                )
            )
    return made


def _dump(store: SqliteClusterStore) -> tuple[list[str], list[str], list[tuple[str, str]], dict[int, int]]:
    """What is stored, without the random cluster ids: each cluster, each record's keys and mates, the indexes."""
    clusters, placements = [], []
    for cluster in store.clusters():
        clusters.append(json.dumps(cluster.model_dump(mode="json", exclude={"cluster_id"}), sort_keys=True))
        mates = sorted("/".join(k) for k in store.members_of(cluster.cluster_id))
        for key in cluster.records:
            placement = store.placement(key)
            assert placement is not None and placement.cluster_id == cluster.cluster_id
            placements.append(json.dumps(["/".join(key), sorted(placement.keys), mates]))
    indexes = store._conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    return sorted(clusters), sorted(placements), sorted(indexes.fetchall()), store.sharing_counts("riverside")


@pytest.mark.parametrize(("workers", "expected"), [(1, False), (2, False), (2, True)])
def test_parts_stored_as_they_come_equal_one_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, expected: bool
) -> None:
    """With ``expected`` (here counted large), the indexes made again after a bulk load are made after its first
    parts, before its last ones, which go into them as they come: the same store."""
    monkeypatch.setattr(sqlite_clusters, "LARGE_LOAD", 1)
    records = _records(60)
    one = SqliteClusterStore.open(tmp_path / "one.sqlite3")
    one.apply(cluster_bulk(records, NOW))
    parts = SqliteClusterStore.open(tmp_path / "parts.sqlite3")
    made = cluster_in_processes(records, NOW, parts.encode, workers=workers)
    written = parts.apply_rows(made, expected=len(records) if expected else None)
    assert written >= 1 if workers == 1 else written > 1
    assert _dump(parts) == _dump(one)
    assert parts.count_changed() == one.count_changed() == one.count()
    keys = sorted({k for r in records for k in record_keys(r)})
    found, expected = parts.lookup(keys), one.lookup(keys)
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in expected.items()}


def test_parts_come_back_through_files_gone_after_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    records = _records(60)
    made = cluster_in_processes(records, NOW, SqliteClusterStore.encode, workers=2)
    first = next(made)
    (folder,) = scratch.iterdir()  # the run's own folder, while it is under way
    assert folder.name.startswith("consortium-parts-")
    store = SqliteClusterStore.open(tmp_path / "c.sqlite3")
    store.apply_rows([first, *made])
    assert store.count() == len(cluster_bulk(records, NOW).saved)
    assert all(store.placement(r.key) is not None for r in records)
    assert list(scratch.iterdir()) == []

    stopped = cluster_in_processes(records, NOW, SqliteClusterStore.encode, workers=2)
    next(stopped)
    stopped.close()  # a caller that stops early: the workers are stopped and what they made is deleted
    assert list(scratch.iterdir()) == []


def test_rows_over_a_full_store_replace_the_records_placements(tmp_path: Path) -> None:
    records = _records(20)
    store = SqliteClusterStore.open(tmp_path / "c.sqlite3")
    store.apply(cluster_bulk(records, NOW))
    again = cluster_bulk(records, NOW + dt.timedelta(days=1))
    store.apply_rows([store.encode(again)])
    for placement in again.placements:
        assert store.placement((placement.member, placement.local_id)) == placement
    assert {m for c in again.saved for m in store.members_of(c.cluster_id)} == {r.key for r in records}


def test_a_failure_midway_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    records = _records(40)
    store = SqliteClusterStore.open(tmp_path / "c.sqlite3")
    before = _dump(store)

    def broken() -> Iterator[ClusterRows]:
        parts = cluster_in_processes(records, NOW, store.encode, workers=2)
        yield next(parts)
        raise RuntimeError("the worker's machine went away")

    with pytest.raises(RuntimeError, match="went away"):
        store.apply_rows(broken())
    assert _dump(store) == before and store.count() == 0


def test_a_record_placed_twice_fails_the_load(tmp_path: Path) -> None:
    store = SqliteClusterStore.open(tmp_path / "c.sqlite3")
    rows = store.encode(cluster_bulk(_records(5), NOW))
    with pytest.raises(StorageError, match="UNIQUE"):
        store.apply_rows([rows, rows])
    assert store.count() == 0


def test_rows_are_made_of_placements_and_saved_clusters_only() -> None:
    with pytest.raises(ValueError, match="removing records"):
        SqliteClusterStore.encode(ClusterChange(removed=[("riverside", "1")], at=NOW))


def test_split_keeps_records_sharing_a_key_together_in_order() -> None:
    records = _records(50)
    keys = [record_keys(r) for r in records]
    parts = split_components(keys, 4)
    assert sorted(i for part in parts for i in part) == list(range(len(records)))
    assert all(part == sorted(part) for part in parts)
    part_of = {i: n for n, part in enumerate(parts) for i in part}
    first: dict[str, int] = {}
    for i, ks in enumerate(keys):
        for key in ks:
            assert part_of[first.setdefault(key, i)] == part_of[i], key
    assert len(parts) > 1
