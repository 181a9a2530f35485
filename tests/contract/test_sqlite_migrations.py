"""The SQLite migration runner (``consortium.adapters.local.sqlite_common``): every SQLite adapter opens and
migrates through it, and data folders made by earlier releases keep opening."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
from cluster_data import CST, SINCE, ids, seen_at
from factories import T0, make_page, make_quarantined, make_record, make_test_cluster

from consortium.adapters.local import SqliteBlobStore, SqliteClusterStore, SqliteConsentLedger, SqliteRecordStore
from consortium.adapters.local.sqlite_common import Schema, migrate, schema_version
from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.dedup.state import ClusterChange, RecordPlacement
from consortium.errors import StorageError
from consortium.models import ResourceFormat
from consortium.profiles.consent import ConsentEvent, Purpose

if TYPE_CHECKING:
    from pathlib import Path

STORES = {"records": SqliteRecordStore, "clusters": SqliteClusterStore, "profiles": SqliteProfileStore}


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# -- the runner ------------------------------------------------------------------------------------


def test_steps_run_once_in_order(tmp_path: Path) -> None:
    ran: list[int] = []

    def third(conn: sqlite3.Connection) -> None:
        ran.append(3)
        conn.execute("INSERT INTO notes (id, body) VALUES ('n1', 'made by step 3')")

    schema = Schema(
        "notes",
        steps=(
            ("CREATE TABLE notes (id TEXT PRIMARY KEY)",),
            ("ALTER TABLE notes ADD COLUMN body TEXT", "CREATE INDEX notes_body ON notes (body)"),
            third,
        ),
    )
    conn = connect(tmp_path / "db.sqlite3")
    assert migrate(conn, schema, "notes database") == 3
    assert migrate(conn, schema, "notes database") == 3
    assert ran == [3]
    assert schema_version(conn, "notes") == 3
    assert conn.execute("SELECT id, body FROM notes").fetchall() == [("n1", "made by step 3")]
    conn.close()


def test_a_failed_step_is_undone_and_the_steps_before_it_stay(tmp_path: Path) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (id TEXT)")
        raise ValueError("bad first_seen in row c7")

    first = ("CREATE TABLE notes (id TEXT PRIMARY KEY)",)
    conn = connect(tmp_path / "db.sqlite3")
    with pytest.raises(StorageError, match=r"notes database: migration step 2 of schema 'notes' failed: .*row c7"):
        migrate(conn, Schema("notes", steps=(first, broken)), "notes database")
    assert schema_version(conn, "notes") == 1
    assert "half_done" not in tables(conn) and "notes" in tables(conn)

    fixed = ("CREATE TABLE half_done (id TEXT)",)
    assert migrate(conn, Schema("notes", steps=(first, fixed)), "notes database") == 2
    assert "half_done" in tables(conn)
    conn.close()


def test_schemas_sharing_a_file_keep_their_own_versions(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    for store in STORES.values():
        store.open(path).close()
    SqliteConsentLedger.open(path).close()
    conn = connect(path)
    versions = dict(conn.execute("SELECT schema, version FROM schema_migrations").fetchall())
    assert versions == {"records": 5, "clusters": 5, "profiles": 1, "consent": 1}
    conn.close()


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    SqliteRecordStore.open(path).close()
    conn = connect(path)
    conn.execute("UPDATE schema_migrations SET version = 7 WHERE schema = 'records'")
    conn.close()
    with pytest.raises(StorageError, match="schema 'records' is at version 7, newer than this code knows"):
        SqliteRecordStore.open(path)


# -- data folders made before migrations were recorded ---------------------------------------------

_RELEASED = (
    # The statements the stores ran on every open before the runner: tables as they were, no schema_migrations.
    "CREATE TABLE records (member TEXT NOT NULL, local_id TEXT NOT NULL, digest TEXT NOT NULL, body TEXT NOT NULL,"
    " PRIMARY KEY (member, local_id))",
    "CREATE TABLE quarantine (seq INTEGER PRIMARY KEY, source_id TEXT NOT NULL, position TEXT NOT NULL,"
    " digest TEXT NOT NULL, member TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (source_id, position, digest))",
    "CREATE INDEX quarantine_member ON quarantine (member, source_id, position, seq)",
    "CREATE TABLE checkpoints (source_id TEXT PRIMARY KEY, body TEXT NOT NULL)",
    "PRAGMA user_version = 1",
    "CREATE TABLE dedup_placements (member TEXT NOT NULL, local_id TEXT NOT NULL, cluster_id TEXT NOT NULL,"
    " body TEXT NOT NULL, PRIMARY KEY (member, local_id))",
    "CREATE INDEX dedup_placements_cluster ON dedup_placements (cluster_id, member, local_id)",
    "CREATE TABLE dedup_keys (key TEXT NOT NULL, member TEXT NOT NULL, local_id TEXT NOT NULL,"
    " PRIMARY KEY (key, member, local_id)) WITHOUT ROWID",
    "CREATE INDEX dedup_keys_record ON dedup_keys (member, local_id)",
    "CREATE TABLE clusters (cluster_id TEXT PRIMARY KEY, first_seen TEXT NOT NULL, body TEXT NOT NULL,"
    " first_seen_key TEXT)",
    "CREATE INDEX clusters_first_seen ON clusters (first_seen_key, cluster_id)",
    "CREATE TABLE reader_keys (reader_id TEXT PRIMARY KEY, wrapped_key BLOB NOT NULL)",
    "CREATE TABLE reader_items (reader_id TEXT NOT NULL, kind TEXT NOT NULL, item_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, ciphertext BLOB NOT NULL, PRIMARY KEY (reader_id, kind, item_id))",
    "CREATE TABLE reader_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, reader_id TEXT NOT NULL,"
    " actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL,"
    " purpose TEXT NOT NULL, at TEXT NOT NULL)",
    "CREATE INDEX reader_audit_reader ON reader_audit (reader_id, at, seq)",
    "CREATE TABLE consent_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, reader_id TEXT NOT NULL,"
    " purpose TEXT NOT NULL, granted INTEGER NOT NULL CHECK (granted IN (0, 1)), policy_version TEXT NOT NULL,"
    " at TEXT NOT NULL)",
    "CREATE INDEX consent_events_reader ON consent_events (reader_id, at, seq)",
    "CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events"
    " BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END",
)


def test_a_data_folder_of_the_previous_release_opens_with_its_data(tmp_path: Path) -> None:
    hub, raw = tmp_path / "var" / "consortium.sqlite3", tmp_path / "var" / "raw.sqlite3"
    hub.parent.mkdir()
    record, cluster = make_record("m", "1", "Moby Dick"), make_test_cluster("c1", [("m", "1")], first_seen=T0)
    event = ConsentEvent(reader_id="r1", purpose=Purpose.PUSH, granted=True, policy_version="v1", at=T0)
    conn = connect(hub)
    for statement in _RELEASED:
        conn.execute(statement)
    conn.execute("INSERT INTO records VALUES ('m', '1', ?, ?)", (record.raw.digest, record.model_dump_json()))
    bad = make_quarantined("m", "rec 3", source_id="marc", local_id="3")
    conn.execute(
        "INSERT INTO quarantine (source_id, position, digest, member, body) VALUES ('marc', 'rec 3', ?, 'm', ?)",
        (bad.raw.digest, bad.model_dump_json()),
    )
    conn.execute(
        "INSERT INTO clusters VALUES ('c1', ?, ?, ?)",
        (T0.isoformat(), cluster.model_dump_json(), T0.replace(tzinfo=None).isoformat(timespec="microseconds")),
    )
    conn.execute("INSERT INTO reader_keys VALUES ('r1', x'00ff')")
    conn.execute(
        "INSERT INTO consent_events (reader_id, purpose, granted, policy_version, at) "
        "VALUES ('r1', 'push', 1, 'v1', ?)",
        (T0.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),),
    )
    conn.close()
    digest = hashlib.sha256(b"MARC!").hexdigest()
    conn = connect(raw)
    conn.execute("CREATE TABLE raw (digest TEXT PRIMARY KEY, data BLOB NOT NULL)")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO raw VALUES (?, ?)", (digest, b"MARC!"))
    conn.close()

    for _ in range(2):  # the first open records the versions; the second finds them
        records, clusters = SqliteRecordStore.open(hub), SqliteClusterStore.open(hub)
        profiles, consent = SqliteProfileStore.open(hub), SqliteConsentLedger.open(hub)
        archive = SqliteBlobStore.open(raw)
        assert records.get("m", "1") == record
        assert records.quarantined("m") == [bad]  # step 3 keyed it by member too, and kept it
        assert list(clusters.new_since(T0 - dt.timedelta(days=1))) == [cluster]
        assert clusters.sharing_counts("m") == {1: 1}  # step 3 indexed the clusters it found
        assert profiles.get_key("r1") == b"\x00\xff"
        assert consent.history("r1") == [event]
        assert archive.get(digest) == b"MARC!"
        records.commit(make_page(make_record("m", "2")))
        assert records.count() == 2
        assert records.count_by_format() == {ResourceFormat.BOOK: 2}  # through the index step 2 made
        for store in (records, clusters, profiles, consent, archive):
            store.close()

    records = SqliteRecordStore.open(hub)
    assert records.commit(make_page(make_record("m", "3", source_id="marc"))) == 1  # found through step 4's index
    assert records.quarantined() == []
    assert list(records.source_ids("m", "m-oai")) == ["1", "2"]  # the record stored before, through step 5's
    records.close()
    conn = connect(hub)
    plan = " ".join(
        row[3]
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT local_id FROM records WHERE member = ? AND json_extract(body, '$.source_id') "
            "= ? AND local_id > ? ORDER BY local_id LIMIT 500",
            ("m", "m-oai", ""),
        )
    )
    # The source's rows alone, found and ordered by the index (SQLite 3.40 reads each row the index finds: an index
    # on an expression of a column is not covering before 3.41).
    assert "USING INDEX records_source (member=? AND <expr>=? AND local_id>?)" in plan and "TEMP B-TREE" not in plan
    versions = dict(conn.execute("SELECT schema, version FROM schema_migrations").fetchall())
    assert versions == {"records": 5, "clusters": 5, "profiles": 1, "consent": 1}
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE consent_events SET granted = 0")
    conn.close()
    conn = connect(raw)
    assert schema_version(conn, "raw_archive") == 1
    conn.close()


def test_processes_opening_a_new_file_at_once_run_each_step_once(tmp_path: Path) -> None:
    path, ran = tmp_path / "db.sqlite3", []

    def counted(conn: sqlite3.Connection) -> None:
        ran.append(1)
        conn.execute("CREATE TABLE notes (id TEXT PRIMARY KEY)")

    def open_and_migrate(_: int) -> int:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            return migrate(conn, Schema("notes", steps=(counted, ("CREATE INDEX notes_id ON notes (id)",))), "db")
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(open_and_migrate, range(8))) == [2] * 8
    assert ran == [1]


def test_opening_an_up_to_date_database_waits_for_no_writer(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    SqliteRecordStore.open(path).close()
    writer = connect(path)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    writer.execute("INSERT INTO checkpoints VALUES ('s', '{}')")
    try:
        store = SqliteRecordStore.open(path)
        assert store.count() == 0
        store.close()
    finally:
        writer.rollback()
        writer.close()


_OLD_CLUSTERS_TABLE = """CREATE TABLE clusters (
    cluster_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    body       TEXT NOT NULL
)"""
"""The ``clusters`` table as it was before ``new_since``."""


def test_sqlite_database_made_before_new_since_opens_and_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "consortium.sqlite3"
    records = SqliteRecordStore.open(path)  # another store's schema in the same file
    records.close()
    old = [
        seen_at("old-b", (T0 + dt.timedelta(hours=1)).astimezone(CST)),
        seen_at("old-a", T0 + dt.timedelta(hours=1)),
        seen_at("old-before", T0 - dt.timedelta(days=1)),
    ]
    with sqlite3.connect(path) as conn:
        conn.execute(_OLD_CLUSTERS_TABLE)
        conn.executemany(
            "INSERT INTO clusters (cluster_id, first_seen, body) VALUES (?, ?, ?)",
            [(c.cluster_id, c.first_seen.isoformat(), c.model_dump_json()) for c in old],
        )
    conn.close()

    store = SqliteClusterStore.open(path)
    assert ids(store.new_since(SINCE)) == ["old-a", "old-b"]
    assert store.count() == 3 and store.get("old-b") == old[0]
    store.apply(ClusterChange(saved=[seen_at("new", T0)], deleted=["old-a"]))
    assert ids(store.new_since(SINCE)) == ["new", "old-b"]
    store.close()

    again = SqliteClusterStore.open(path)  # opening a migrated database migrates nothing again
    assert ids(again.new_since(T0 - dt.timedelta(days=2))) == ["old-before", "new", "old-b"]
    indexes = {row[1] for row in again._conn.execute("PRAGMA index_list(clusters)")}
    assert "clusters_first_seen" in indexes
    # Step 4 indexed the old clusters by their change time (updated_at); the deleted one left a tombstone.
    assert [(v.cluster_id, v.deleted) for v in again.changed()] == [
        ("new", False),
        ("old-b", False),
        ("old-before", False),
        ("old-a", True),
    ]
    assert [v.cluster_id for v in again.changed(member="m")] == ["new", "old-b", "old-before", "old-a"]
    assert again.count_changed(until=T0 + dt.timedelta(seconds=1)) == 3
    assert schema_version(again._conn, "clusters") == 5
    again.close()
    records = SqliteRecordStore.open(path)
    assert records.count() == 0
    records.close()


def placed(local_id: str, *keys: str) -> RecordPlacement:
    return RecordPlacement(member="m", local_id=local_id, cluster_id=f"c{local_id}", keys=list(keys), first_seen=T0)


def test_a_database_with_the_blocking_keys_by_record_index_drops_it_and_still_replaces_keys(tmp_path: Path) -> None:
    path = tmp_path / "consortium.sqlite3"
    store = SqliteClusterStore.open(path)
    store.apply(ClusterChange(placements=[placed("1", "k:a", "k:b"), placed("2", "k:a")]))
    store._conn.execute("CREATE INDEX dedup_keys_record ON dedup_keys (member, local_id)")  # as step 4 left it
    store._conn.execute("UPDATE schema_migrations SET version = 4 WHERE schema = 'clusters'")
    store.close()

    store = SqliteClusterStore.open(path)
    assert schema_version(store._conn, "clusters") == 5
    assert {row[1] for row in store._conn.execute("PRAGMA index_list(dedup_keys)")} == {"sqlite_autoindex_dedup_keys_1"}
    store.apply(ClusterChange(placements=[placed("1", "k:c")], removed=[("m", "2")]))
    assert store.lookup(["k:a", "k:b", "k:c"]) == {"k:c": [("m", "1")]}
    assert store._conn.execute("SELECT key, member, local_id FROM dedup_keys").fetchall() == [("k:c", "m", "1")]
    store.close()
