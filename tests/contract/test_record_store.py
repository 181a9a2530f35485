"""The RecordStore contract: every adapter (memory, SQLite, DynamoDB on moto) behaves the same."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from backings import Backing, dynamodb_table, reopening
from factories import (
    T0,
    HalfDoneDynamoDb,
    NoScan,
    WatchedQueries,
    delete,
    make_checkpoint,
    make_page,
    make_quarantined,
    make_record,
    make_rich_record,
)

from consortium.adapters.local import SqliteRecordStore
from consortium.adapters.memory import InMemoryRecordStore
from consortium.errors import StorageError
from consortium.harvest.state import HarvestCounts, RecordChange
from consortium.models import ResourceFormat

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from consortium.harvest.ports import RecordStore

BIG = 1030
"""Records in the big page: over DynamoDB's 25 writes and 100 reads per batch, and SQLite's 500 per chunk."""


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backing[RecordStore]]:
    if request.param == "memory":
        yield Backing.same(InMemoryRecordStore())
    elif request.param == "sqlite":
        yield from reopening(lambda: SqliteRecordStore.open(tmp_path / "var" / "consortium.sqlite3"))
    else:
        from consortium.adapters.aws import DynamoDbRecordStore

        with dynamodb_table(request, "records") as (make_client, table):
            yield Backing.fresh(lambda: DynamoDbRecordStore(table, make_client("dynamodb")))


@pytest.fixture
def store(backing: Backing[RecordStore]) -> RecordStore:
    return backing.store


# -- records ---------------------------------------------------------------------------------------


def test_upsert_then_get(store: RecordStore) -> None:
    record = make_record("m", "1", "Moby Dick", authors=["Melville, Herman"], year=1851)
    assert store.get("m", "1") is None
    store.commit(make_page(record))
    assert store.get("m", "1") == record
    assert store.get("m", "2") is None
    assert store.get("other", "1") is None


def test_chinese_text_round_trips(store: RecordStore) -> None:
    record = make_rich_record("北大", "善本-001")
    store.commit(make_page(record))
    got = store.get("北大", "善本-001")
    assert got == record
    assert got is not None and got.datestamp is not None
    assert got.datestamp.utcoffset() == timedelta(hours=8)
    assert list(store.records("北大")) == [record]
    assert store.digests("北大", ["善本-001"]) == {"善本-001": record.raw.digest}


def test_stored_records_are_copies(store: RecordStore) -> None:
    record = make_record(authors=["A"])
    store.commit(make_page(record))
    record.authors.append("changed after commit")
    got = store.get("m", "1")
    assert got is not None and got.authors == ["A"]
    got.authors.append("changed after get")
    assert store.get("m", "1") == make_record(authors=["A"])


def test_upsert_replaces(store: RecordStore) -> None:
    store.commit(make_page(make_record(title="Old")))
    new = make_record(title="New")
    store.commit(make_page(new))
    assert store.get("m", "1") == new
    assert store.digests("m", ["1"]) == {"1": new.raw.digest}
    assert store.count() == 1


def test_recommitting_a_page_is_idempotent(store: RecordStore) -> None:
    page = make_page(
        make_record("m", "1"),
        make_record("m", "2"),
        delete("m", "3"),
        quarantined=[make_quarantined("m", "oai:m:9")],
        checkpoint=make_checkpoint(cursor={"token": "t1"}, counts=HarvestCounts(added=2, quarantined=1)),
    )
    store.commit(page)
    before = (list(store.records()), store.quarantined(), store.checkpoint("m-oai"))
    store.commit(page)
    assert (list(store.records()), store.quarantined(), store.checkpoint("m-oai")) == before
    assert store.count() == 2


def test_delete_removes(store: RecordStore) -> None:
    store.commit(make_page(make_record("m", "1"), make_record("m", "2")))
    store.commit(make_page(delete("m", "1"), delete("m", "never-stored")))
    assert store.get("m", "1") is None
    assert [r.local_id for r in store.records()] == ["2"]
    assert store.digests("m", ["1", "2"]).keys() == {"2"}
    assert store.count("m") == 1


@pytest.mark.parametrize("last_is_delete", [True, False])
def test_last_change_of_a_key_in_a_page_wins(store: RecordStore, last_is_delete: bool) -> None:
    record = make_record(title="Kept")
    changes = [make_record(title="First"), delete("m", "1"), record]
    if last_is_delete:
        changes.append(delete("m", "1"))
    store.commit(make_page(*changes))
    assert store.get("m", "1") == (None if last_is_delete else record)


def test_digests_returns_only_present_ids(store: RecordStore) -> None:
    one, two = make_record("m", "1"), make_record("m", "2")
    store.commit(make_page(one, two, make_record("other", "3")))
    asked = iter(["1", "2", "3", "2", "nope"])
    assert store.digests("m", asked) == {"1": one.raw.digest, "2": two.raw.digest}
    assert store.digests("m", []) == {}
    assert store.digests("unknown", ["1"]) == {}


def test_get_many_returns_only_stored_records(store: RecordStore) -> None:
    one, two, three = make_record("m", "1"), make_record("m", "2", "两"), make_record("other", "1")
    store.commit(make_page(one, two, three))
    asked = [("m", "2"), ("other", "1"), ("m", "nope"), ("m", "2"), ("nobody", "1")]
    assert store.get_many(iter(asked)) == {("m", "2"): two, ("other", "1"): three}
    assert store.get_many([]) == {}
    many = [make_record("big", f"{n:04d}") for n in range(250)]  # past one BatchGetItem and one SQL chunk
    store.commit(make_page(*many))
    found = store.get_many((r.member, r.local_id) for r in reversed(many))
    assert found == {(r.member, r.local_id): r for r in many}


def test_records_in_member_then_id_order(store: RecordStore) -> None:
    keys = [("b", "2"), ("a", "10"), ("B", "1"), ("a", "9"), ("ab", "1"), ("a", "2")]
    keys += [("中", "乙"), ("中", "甲")]
    store.commit(make_page(*(make_record(m, i) for m, i in keys)))
    assert [r.key for r in store.records()] == sorted(keys)
    assert [r.key for r in store.records("a")] == [("a", "10"), ("a", "2"), ("a", "9")]
    assert list(store.records("nobody")) == []


def test_count(store: RecordStore) -> None:
    assert store.count() == 0
    store.commit(make_page(make_record("a", "1"), make_record("a", "2"), make_record("b", "1")))
    assert (store.count(), store.count("a"), store.count("b"), store.count("c")) == (3, 2, 1, 0)


def test_count_by_format_follows_adds_format_changes_and_deletes(backing: Backing[RecordStore]) -> None:
    store = backing.store
    assert store.count_by_format() == {}
    store.commit(
        make_page(
            make_record("a", "1"),
            make_record("a", "2", format=ResourceFormat.EBOOK),
            make_record("a", "3", format=ResourceFormat.EBOOK),
            make_record("b", "1", format=ResourceFormat.MAP),
        )
    )
    assert store.count_by_format() == {ResourceFormat.BOOK: 1, ResourceFormat.EBOOK: 2, ResourceFormat.MAP: 1}
    assert store.count_by_format("a") == {ResourceFormat.BOOK: 1, ResourceFormat.EBOOK: 2}
    assert store.count_by_format("nobody") == {}

    # A record changes format, one is deleted, one is re-sent unchanged; a page applied twice counts once.
    page = make_page(
        make_record("a", "1", title="Now an ebook", format=ResourceFormat.EBOOK),
        delete("a", "3"),
        make_record("b", "1", format=ResourceFormat.MAP),
        make_record("b", "2", format=ResourceFormat.SCORE),
    )
    store.commit(page)
    store.commit(page)
    expected = {ResourceFormat.EBOOK: 2, ResourceFormat.MAP: 1, ResourceFormat.SCORE: 1}
    assert store.count_by_format() == expected
    assert store.count_by_format("b") == {ResourceFormat.MAP: 1, ResourceFormat.SCORE: 1}

    store.commit(make_page(delete("b", "1")))
    assert backing.reopen().count_by_format() == {ResourceFormat.EBOOK: 2, ResourceFormat.SCORE: 1}


def test_count_quarantined(store: RecordStore) -> None:
    assert store.count_quarantined() == 0
    items = [make_quarantined("a", "oai:a:1"), make_quarantined("a", "oai:a:2"), make_quarantined("b", "oai:b:1")]
    store.commit(make_page(quarantined=items))
    store.commit(make_page(quarantined=items[:1]))  # the same record quarantined again is kept once
    assert (store.count_quarantined(), store.count_quarantined("a"), store.count_quarantined("c")) == (3, 2, 0)


def test_two_members_quarantining_the_same_bytes_of_same_named_sources_keep_both(
    backing: Backing[RecordStore],
) -> None:
    # One vendor's file loaded by two members under the same source id: the same bad record at the same place.
    mine, theirs = (make_quarantined(member, "record 7", source_id="ebooks") for member in ("a", "b"))
    backing.store.commit(make_page(quarantined=[mine]))
    backing.store.commit(make_page(quarantined=[theirs]))
    again = backing.reopen()
    assert again.quarantined() == [mine, theirs]
    assert (again.quarantine_page("a"), again.quarantine_page("b")) == ([mine], [theirs])
    key = ("ebooks", "record 7", mine.raw.digest)
    assert (again.quarantined_record("a", key), again.quarantined_record("b", key)) == (mine, theirs)


def test_big_page_crosses_batch_limits(store: RecordStore) -> None:
    records = [make_record("big", f"{n:05d}", f"Title {n}") for n in range(BIG)]
    store.commit(make_page(*records, make_record("small", "1")))
    assert store.count("big") == BIG
    assert store.count() == BIG + 1
    assert store.count_by_format() == {ResourceFormat.BOOK: BIG + 1}
    assert list(store.records("big")) == records
    assert [r.key for r in store.records()] == [r.key for r in records] + [("small", "1")]
    asked = [r.local_id for r in records] + ["missing-1", "missing-2"]
    assert store.digests("big", asked) == {r.local_id: r.raw.digest for r in records}

    store.commit(make_page(*(delete("big", r.local_id) for r in records)))
    assert store.count() == 1
    assert store.count_by_format() == {ResourceFormat.BOOK: 1}
    assert store.digests("big", asked) == {}


def test_empty_page_saves_only_the_checkpoint(store: RecordStore) -> None:
    checkpoint = make_checkpoint(cursor={"offset": 0})
    store.commit(make_page(checkpoint=checkpoint))
    assert store.checkpoint("m-oai") == checkpoint
    assert store.count() == 0
    assert store.quarantined() == []


def test_data_visible_from_a_new_store_on_the_same_backing(backing: Backing[RecordStore]) -> None:
    records = [make_record("b", "1"), make_record("a", "1"), make_rich_record()]
    quarantined = [make_quarantined("q-only", "oai:q:1")]
    checkpoint = make_checkpoint(cursor={"token": "x"})
    backing.store.commit(make_page(*records, quarantined=quarantined, checkpoint=checkpoint))

    again = backing.reopen()
    assert list(again.records()) == sorted(records, key=lambda r: r.key)
    assert again.quarantined() == quarantined
    assert again.checkpoint("m-oai") == checkpoint
    assert again.count() == 3


# -- quarantine ------------------------------------------------------------------------------------


def test_quarantine_listing_is_sorted_and_filtered(store: RecordStore) -> None:
    items = [
        make_quarantined("b", "oai:b:1"),
        make_quarantined("a", "file.mrc#2", source_id="a-file"),
        make_quarantined("a", "oai:a:7"),
        make_quarantined("a", "oai:a:10"),
        make_quarantined(
            "上图",
            "中文书目.iso#12@40960",
            reason="字段 245 缺失",
            local_id="CN-0012",
            quarantined_at=datetime(2025, 1, 2, 3, 4, 5, 678, tzinfo=timezone(timedelta(hours=8))),
        ),
    ]
    store.commit(make_page(quarantined=items))
    expected = sorted(items, key=lambda q: (q.member, q.source_id, q.position))
    assert store.quarantined() == expected
    assert store.quarantined("a") == [q for q in expected if q.member == "a"]
    assert store.quarantined("c") == []
    assert store.count() == 0
    assert list(store.records()) == []


def test_quarantine_deduplicates_on_source_position_and_raw(store: RecordStore) -> None:
    first = make_quarantined(position="oai:m:1", reason="first reason", raw="junk")
    again = make_quarantined(position="oai:m:1", reason="second reason", raw="junk")
    changed_raw = make_quarantined(position="oai:m:1", reason="other bytes", raw="other junk")
    store.commit(make_page(quarantined=[first, again]))
    store.commit(make_page(quarantined=[again]))
    assert store.quarantined() == [again]
    store.commit(make_page(quarantined=[changed_raw]))
    listed = store.quarantined("m")
    assert len(listed) == 2
    assert {q.raw.digest for q in listed} == {again.raw.digest, changed_raw.raw.digest}


def test_a_members_quarantine_in_pages(store: RecordStore) -> None:
    mine = [
        make_quarantined("a", f"file.mrc#{n}", source_id="a-file", raw=f"bad {n}", reason=f"reason {n}")
        for n in range(1, 13)
    ]
    mine += [
        make_quarantined("a", "oai:a:1", raw="one"),
        make_quarantined("a", "oai:a:1", raw="one, changed"),  # quarantined again with other bytes: both kept
        make_quarantined("a", "中文 书目#3 x", source_id="a-file", raw="cn"),
        make_quarantined("a", "file.mrc#1 ", source_id="a-file", raw="a space after"),
    ]
    theirs = [make_quarantined("b", "oai:b:1"), make_quarantined("ab", "oai:ab:1")]
    store.commit(make_page(quarantined=[*theirs, *mine]))
    pages: list[list[str]] = []
    after = None
    while page := store.quarantine_page("a", after=after, limit=5):
        assert len(page) <= 5
        pages.append([q.position for q in page])
        after = page[-1].key
    seen = [position for page in pages for position in page]
    assert len(seen) == len(mine) and len(pages) == 4
    assert sorted(q.key for q in store.quarantine_page("a", limit=100)) == sorted(q.key for q in mine)
    by_source = [q.source_id for q in store.quarantine_page("a", limit=100)]
    assert by_source == sorted(by_source)  # by source, then position
    assert store.quarantine_page("a", limit=0) == []
    assert store.quarantine_page("c") == []
    assert [q.member for q in store.quarantine_page("b")] == ["b"]


def test_one_quarantined_record_by_key_only_for_its_member(store: RecordStore) -> None:
    item = make_quarantined("a", "oai:a:1", raw="bad bytes", reason="leader is not MARC21", local_id="x1")
    store.commit(make_page(quarantined=[item, make_quarantined("b", "oai:b:1")]))
    assert store.quarantined_record("a", item.key) == item
    assert store.quarantined_record("b", item.key) is None
    assert store.quarantined_record("a", ("a-oai", "oai:a:1", "0" * 64)) is None


def test_a_good_version_supersedes_the_quarantined_records_of_its_member_source_and_id(
    backing: Backing[RecordStore],
) -> None:
    store = backing.store
    bad_x = make_quarantined("m", "books.mrc@0", raw="bad x", local_id="x")
    bad_x_again = make_quarantined("m", "books.mrc@900", raw="bad x, other bytes", local_id="x")
    bad_y = make_quarantined("m", "books.mrc@1800", raw="bad y", local_id="y")
    bad_z = make_quarantined("m", "books.mrc@2700", raw="bad z", local_id="z")
    unreadable = make_quarantined("m", "books.mrc@3600", raw="no id at all")  # no local_id: nothing supersedes it
    other_source = make_quarantined("m", "list.txt:2", source_id="m-kbart", raw="bad x in kbart", local_id="x")
    other_member = make_quarantined("o", "books.mrc@0", source_id="m-oai", raw="bad x", local_id="x")
    items = [bad_x, bad_x_again, bad_y, bad_z, unreadable, other_source, other_member]
    store.commit(make_page(make_record("m", "y"), quarantined=items))
    assert store.count_quarantined() == 7  # a page does not supersede what it quarantines itself

    fixed = make_page(
        make_record("m", "x", "Fixed"),  # from m-oai (make_record's source)
        RecordChange(member="m", local_id="y", source_id="m-oai"),  # a deletion
        checkpoint=make_checkpoint(counts=HarvestCounts(added=1, deleted=1)),
    )
    fixed.settled.append(("m", "m-oai", "z"))  # deleted at the source, never stored
    assert store.commit(fixed) == 4

    again = backing.reopen()
    assert again.quarantined() == [other_source, unreadable, other_member]
    assert (again.count_quarantined("m"), again.count_quarantined("o")) == (2, 1)
    assert again.quarantine_page("m", limit=10) == [other_source, unreadable]
    assert again.quarantined_record("m", bad_x.key) is None
    saved = again.checkpoint("m-oai")
    assert saved is not None and saved.counts == HarvestCounts(added=1, deleted=1, superseded=4)
    assert again.get("m", "x") is not None and again.get("m", "y") is None

    # Committed again (a resumed run), nothing is left to supersede; quarantined again, it is listed again.
    assert again.commit(fixed) == 0
    again.commit(make_page(quarantined=[bad_x]))
    assert again.quarantined("m") == [other_source, bad_x, unreadable]


def test_a_page_keeps_the_quarantined_records_it_quarantines_itself(store: RecordStore) -> None:
    # A file giving id x twice: the first is stored, the later quarantined, on the same page, harvest after harvest.
    later = make_quarantined("m", "books.mrc@1824", raw="the second x", local_id="x")
    older = make_quarantined("m", "books.mrc@3648", raw="a third x, since removed", local_id="x")
    store.commit(make_page(quarantined=[later, older]))
    assert store.commit(make_page(make_record("m", "x", "Changed"), quarantined=[later])) == 1
    assert store.quarantined() == [later]
    assert store.commit(make_page(make_record("m", "x", "Changed again"), quarantined=[later])) == 0
    assert store.quarantined() == [later]
    # Then the file is fixed: x read once, and stored.
    assert store.commit(make_page(make_record("m", "x", "Fixed"))) == 1
    assert store.quarantined() == []


def test_a_change_handed_on_without_its_source_supersedes_nothing(store: RecordStore) -> None:
    item = make_quarantined("m", "oai:m:1", local_id="1")
    store.commit(make_page(make_record("m", "1"), quarantined=[item]))
    assert store.commit(make_page(delete("m", "1"))) == 0  # a delete with no source (a change being followed)
    assert store.quarantined() == [item]


# -- records by source, and the quarantine a complete file clears ----------------------------------


def test_source_ids_follow_adds_moves_and_deletes(backing: Backing[RecordStore]) -> None:
    store = backing.store
    store.commit(
        make_page(
            make_record("m", "1"),
            make_record("m", "2"),
            make_record("m", "3", source_id="m-file"),
            make_record("o", "1", source_id="m-oai"),  # another member's source of the same name
        )
    )
    assert list(store.source_ids("m", "m-oai")) == ["1", "2"]
    assert list(store.source_ids("m", "m-file")) == ["3"]
    # One record moves to the member's other source (the same id in both files); one is deleted by its source.
    store.commit(
        make_page(
            make_record("m", "2", "Moved", source_id="m-file"),
            RecordChange(member="m", local_id="1", source_id="m-oai"),
        )
    )
    again = backing.reopen()
    assert list(again.source_ids("m", "m-oai")) == []
    assert list(again.source_ids("m", "m-file")) == ["2", "3"]
    assert list(again.source_ids("o", "m-oai")) == ["1"]
    assert list(again.source_ids("m", "nothing")) == []
    again.commit(make_page(delete("m", "3")))  # a delete handed on without its source
    assert list(again.source_ids("m", "m-file")) == ["2"]


def test_source_ids_of_a_big_source_come_in_id_order(store: RecordStore) -> None:
    records = [make_record("m", f"{n:05}", source_id="big") for n in reversed(range(BIG))]
    store.commit(make_page(*records, make_record("m", "zz-other")))
    assert list(store.source_ids("m", "big")) == [f"{n:05}" for n in range(BIG)]


def test_cleared_quarantined_records_leave_and_are_counted_once(backing: Backing[RecordStore]) -> None:
    store = backing.store
    mine = [
        make_quarantined("m", f"books.mrc@{n}", source_id="m-file", raw=f"bad {n}", local_id=f"x{n}") for n in range(3)
    ]
    unreadable = make_quarantined("m", "books.mrc@9", source_id="m-file", raw="no id")
    other_source = make_quarantined("m", "books.mrc@0", source_id="m-file2", raw="bad 0", local_id="x0")
    other_member = make_quarantined("o", "books.mrc@0", source_id="m-file", raw="bad 0", local_id="x0")
    store.commit(make_page(quarantined=[*mine, unreadable, other_source, other_member]))
    assert list(store.source_quarantine("m", "m-file")) == [mine[0], mine[1], mine[2], unreadable]
    assert list(store.source_quarantine("o", "m-file")) == [other_member]

    page = make_page(quarantined=[mine[1]], checkpoint=make_checkpoint("m/m-file", counts=HarvestCounts(withdrawn=1)))
    page.cleared = [mine[0], mine[1], unreadable]  # mine[1] the page quarantines again itself: it stays
    assert store.commit(page) == 2
    again = backing.reopen()
    assert list(again.source_quarantine("m", "m-file")) == [mine[1], mine[2]]
    assert again.quarantined() == [mine[1], mine[2], other_source, other_member]
    saved = again.checkpoint("m/m-file")
    assert saved is not None and saved.counts == HarvestCounts(withdrawn=1, superseded=2)
    assert again.commit(page) == 0  # applied again (a resumed run): nothing is left to clear, nothing counted

    # A cleared record is no longer found by its id: a good version of it supersedes only what is left.
    assert (
        again.commit(make_page(make_record("m", "x0", source_id="m-file"), make_record("m", "x2", source_id="m-file")))
        == 1
    )
    assert list(again.source_quarantine("m", "m-file")) == [mine[1]]


# -- checkpoints -----------------------------------------------------------------------------------


def test_checkpoint_round_trips(store: RecordStore) -> None:
    assert store.checkpoint("m-oai") is None
    running = make_checkpoint(
        cursor={"resumptionToken": "abc|1200|2025-03-01", "page": 12, "nested": {"ids": [1, 2], "ok": True}},
        run_from="2025-02-01T00:00:00Z",
        high_water="2025-01-31T23:59:59Z",
        run_high_water="2025-02-28T12:00:00Z",
        counts=HarvestCounts(added=500, changed=7, unchanged=3, deleted=2, quarantined=1),
        started_at=datetime(2025, 3, 1, 9, 0, 0, 1, tzinfo=timezone(timedelta(hours=8))),
    )
    store.commit(make_page(checkpoint=running))
    got = store.checkpoint("m-oai")
    assert got == running
    assert got is not None and got.in_progress
    assert got.started_at.utcoffset() == timedelta(hours=8)
    assert got.counts.seen == 513

    finished = running.model_copy(update={"cursor": None, "finished_at": T0 + timedelta(hours=1)})
    store.commit(make_page(checkpoint=finished))
    got = store.checkpoint("m-oai")
    assert got == finished
    assert got is not None and not got.in_progress

    other = make_checkpoint("other-oai", cursor={"n": 2})
    store.commit(make_page(checkpoint=other))
    assert store.checkpoint("other-oai") == other
    assert store.checkpoint("m-oai") == finished
    assert store.checkpoints() == [finished, other]


# -- SQLite only -----------------------------------------------------------------------------------


def test_sqlite_open_creates_folders_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.sqlite3"
    store = SqliteRecordStore.open(path)
    store.commit(make_page(make_record()))
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("table", "when"), [("records", "NEW.local_id = 'boom'"), ("checkpoints", "1"), ("quarantine", "1")]
)
def test_sqlite_failed_commit_applies_nothing(tmp_path: Path, table: str, when: str) -> None:
    path = tmp_path / "db.sqlite3"
    store = SqliteRecordStore.open(path)
    first = make_page(make_record("m", "0"), checkpoint=make_checkpoint(cursor={"n": 1}))
    store.commit(first)

    # Another connection adds a trigger that fails one insert part-way through the next page.
    with sqlite3.connect(path) as other:
        other.execute(
            f"CREATE TRIGGER fail BEFORE INSERT ON {table} WHEN {when} BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    second = make_page(
        delete("m", "0"),
        *(make_record("m", i) for i in ["1", "2", "boom", "3"]),
        quarantined=[make_quarantined()],
        checkpoint=make_checkpoint(cursor={"n": 2}),
    )
    with pytest.raises(StorageError, match="disk on fire") as caught:
        store.commit(second)
    assert isinstance(caught.value.__cause__, sqlite3.Error)

    assert [r.local_id for r in store.records()] == ["0"]
    assert store.quarantined() == []
    assert store.checkpoint("m-oai") == first.checkpoint

    with sqlite3.connect(path) as other:
        other.execute("DROP TRIGGER fail")
    store.commit(second)
    assert [r.local_id for r in store.records()] == ["1", "2", "3", "boom"]
    assert store.checkpoint("m-oai") == second.checkpoint
    store.close()


def test_sqlite_errors_are_storage_errors(tmp_path: Path) -> None:
    store = SqliteRecordStore.open(tmp_path / "db.sqlite3")
    store.close()
    with pytest.raises(StorageError):
        store.get("m", "1")
    with pytest.raises(StorageError):
        store.commit(make_page(make_record()))


# -- DynamoDB only ---------------------------------------------------------------------------------


def test_dynamodb_default_client_create_table_twice_and_missing_table(
    aws_client: Callable[[str], object], moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from consortium.adapters.aws import DynamoDbRecordStore, create_table

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    table = f"records-{uuid.uuid4().hex[:12]}"
    create_table(aws_client("dynamodb"), table)
    create_table(aws_client("dynamodb"), table)
    store = DynamoDbRecordStore(table)
    store.commit(make_page(make_record()))
    assert store.count() == 1

    with pytest.raises(StorageError, match=f"could not get record in table missing-{table}") as caught:
        DynamoDbRecordStore(f"missing-{table}").get("m", "1")
    assert isinstance(caught.value.__cause__, ClientError)
    assert caught.value.details == {"table": f"missing-{table}", "code": "ResourceNotFoundException"}


def test_dynamodb_retries_unprocessed_items(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbRecordStore, create_table

    table = f"records-{uuid.uuid4().hex[:12]}"
    create_table(aws_client("dynamodb"), table)
    records = [make_record("m", f"{n:03d}") for n in range(130)]
    slept: list[float] = []
    store = DynamoDbRecordStore(table, HalfDoneDynamoDb(aws_client("dynamodb")), sleep=slept.append)
    store.commit(make_page(*records))
    assert list(store.records()) == records
    assert store.digests("m", [r.local_id for r in records]) == {r.local_id: r.raw.digest for r in records}
    assert slept and slept[:3] == [0.05, 0.1, 0.2]

    stuck = HalfDoneDynamoDb(aws_client("dynamodb"), never=True)
    slept.clear()
    with pytest.raises(StorageError, match="unprocessed") as caught:
        DynamoDbRecordStore(table, stuck, sleep=slept.append).commit(make_page(make_record("m", "new")))
    assert table in str(caught.value) and "unprocessed after 8 retries" in str(caught.value)
    assert stuck.batches == 9
    assert slept == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]  # doubled each time, at most two seconds


def test_dynamodb_index_formats_counts_records_stored_before_the_format_index(
    aws_client: Callable[[str], Any],
) -> None:
    from consortium.adapters.aws import DynamoDbRecordStore, create_table

    client = aws_client("dynamodb")
    table = f"records-{uuid.uuid4().hex[:12]}"
    create_table(client, table)
    store = DynamoDbRecordStore(table, NoScan(client))
    legacy = [make_record("a", "1"), make_record("a", "2", format=ResourceFormat.MAP), make_record("b", "1")]
    for record in legacy:  # record items as the store wrote them before the format index
        key = {"pk": {"S": f"REC#{record.member}"}, "sk": {"S": record.local_id}}
        body = {"digest": {"S": record.raw.digest}, "body": {"S": record.model_dump_json()}}
        client.put_item(TableName=table, Item=key | body)
        client.put_item(TableName=table, Item={"pk": {"S": "MEMBERS"}, "sk": {"S": record.member}})
    assert store.count_by_format() == {}
    assert store.index_formats() == 3
    assert store.index_formats() == 3
    assert store.count_by_format() == {ResourceFormat.BOOK: 2, ResourceFormat.MAP: 1}
    assert list(store.records()) == legacy

    # An indexed legacy record that changes format leaves its old format's count.
    store.commit(make_page(make_record("a", "2", format=ResourceFormat.SCORE)))
    assert store.count_by_format("a") == {ResourceFormat.BOOK: 1, ResourceFormat.SCORE: 1}


def test_dynamodb_supersedes_through_its_index_and_index_quarantine_fills_it_for_older_items(
    aws_client: Callable[[str], Any],
) -> None:
    from consortium.adapters.aws import DynamoDbRecordStore, create_table

    client = aws_client("dynamodb")
    table = f"records-{uuid.uuid4().hex[:12]}"
    create_table(client, table)
    watched = WatchedQueries(client)
    queried = watched.queried
    store = DynamoDbRecordStore(table, watched)
    legacy = [make_quarantined("a", f"file.mrc@{n}", raw=f"bad {n}", local_id=str(n)) for n in range(3)]
    for q in legacy:  # quarantined items as the store wrote them before the index by id
        key = {"pk": {"S": "QUAR#a"}, "sk": {"S": "#".join(q.key)}}
        client.put_item(TableName=table, Item=key | {"body": {"S": q.model_dump_json()}})
    client.put_item(TableName=table, Item={"pk": {"S": "MEMBERS"}, "sk": {"S": "a"}})
    assert store.commit(make_page(make_record("a", "0"))) == 0  # not indexed yet: not found
    assert store.index_quarantine() == 3
    assert store.index_quarantine() == 3

    queried.clear()
    assert store.commit(make_page(make_record("a", "0"), make_record("a", "1"))) == 2
    assert not [pk for pk in queried if pk.startswith("QUAR#")]  # the member's quarantine is never read whole
    assert store.quarantined() == legacy[2:]


def test_dynamodb_withdraws_through_its_source_index_and_index_sources_fills_it_for_older_records(
    aws_client: Callable[[str], Any], tmp_path: Path
) -> None:
    from marc_builders import book

    from consortium.adapters.aws import DynamoDbRecordStore, create_table
    from consortium.adapters.memory import InMemoryBlobStore
    from consortium.harvest.service import HarvestService
    from consortium.members import Member, Source

    client = aws_client("dynamodb")
    table = f"records-{uuid.uuid4().hex[:12]}"
    create_table(client, table)
    watched = WatchedQueries(client)
    queried = watched.queried
    store = DynamoDbRecordStore(table, watched)
    legacy = [make_record("a", "1", source_id="cat"), make_record("a", "2", source_id="cat"), make_record("a", "3")]
    for record in legacy:  # record items as the store wrote them before the source index
        key = {"pk": {"S": f"REC#{record.member}"}, "sk": {"S": record.local_id}}
        body = {"digest": {"S": record.raw.digest}, "format": {"S": "book"}, "body": {"S": record.model_dump_json()}}
        client.put_item(TableName=table, Item=key | body)
    client.put_item(TableName=table, Item={"pk": {"S": "MEMBERS"}, "sk": {"S": "a"}})
    assert list(store.source_ids("a", "cat")) == []  # not indexed yet: not found, so never withdrawn
    assert store.index_sources() == 3
    assert store.index_sources() == 3
    assert list(store.source_ids("a", "cat")) == ["1", "2"]
    assert list(store.source_ids("a", "a-oai")) == ["3"]

    # A harvest of a complete file withdraws what it no longer gives, reading the source's entries and its part of
    # the quarantine, never the member's records or whole quarantine.
    path = tmp_path / "books.mrc"
    path.write_bytes(b"".join(book(f"b{n}", f"Book {n}").as_marc() for n in range(6)))
    source = Source.model_validate({"id": "file", "protocol": "marc-file", "path": path, "format": "marc21"})
    member = Member(id="a", name="A")
    harvester = HarvestService(store, InMemoryBlobStore(), page_size=2)
    assert harvester.harvest_source(member, source).counts.added == 6
    path.write_bytes(b"".join(book(f"b{n}", f"Book {n}").as_marc() for n in (0, 1, 3, 4, 5)))
    queried.clear()
    assert harvester.harvest_source(member, source).counts.withdrawn == 1
    assert set(queried) == {"RSRC#a#file", "QUAR#a file#*"}, queried
    assert list(store.source_ids("a", "file")) == ["b0", "b1", "b3", "b4", "b5"]
    assert [r.local_id for r in store.records("a")] == ["1", "2", "3", "b0", "b1", "b3", "b4", "b5"]
