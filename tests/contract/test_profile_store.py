"""The ProfileStore contract: the memory, SQLite and DynamoDB (on moto) profile stores behave the same."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

import pytest
from backings import dynamodb_table

from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.profiles.consent import Purpose
from consortium.profiles.models import ActorRole, AuditAction, AuditEntry, Processing, StoredItem

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.profiles.ports import ProfileStore

T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
MINUTE, HOUR = dt.timedelta(minutes=1), dt.timedelta(hours=1)


def reader() -> str:
    return f"reader-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    if request.param == "memory":
        yield InMemoryProfileStore()
    elif request.param == "sqlite":
        sqlite = SqliteProfileStore.open(tmp_path / "data" / "hub.sqlite3")
        yield sqlite
        sqlite.close()
    else:
        from consortium.adapters.aws import DynamoDbProfileStore

        with dynamodb_table(request, "profiles") as (make_client, table):
            yield DynamoDbProfileStore(table, client=make_client("dynamodb"))


def test_keys_put_get_replace_delete(store: ProfileStore) -> None:
    rid = reader()
    assert store.get_key(rid) is None
    store.put_key(rid, b"wrapped-1")
    assert store.get_key(rid) == b"wrapped-1"
    store.put_key(rid, b"wrapped-2")
    assert store.get_key(rid) == b"wrapped-2"
    store.delete_key(rid)
    assert store.get_key(rid) is None
    store.delete_key(rid)  # no error when absent


def test_items_put_get_replace(store: ProfileStore) -> None:
    rid = reader()
    assert store.get(rid, "profile", "1") is None
    store.put(rid, "profile", "1", b"\x00sealed\xff", 1)
    assert store.get(rid, "profile", "1") == StoredItem(
        reader_id=rid, kind="profile", item_id="1", ciphertext=b"\x00sealed\xff", version=1
    )
    store.put(rid, "profile", "1", b"sealed-2", 2)
    item = store.get(rid, "profile", "1")
    assert item is not None
    assert (item.ciphertext, item.version) == (b"sealed-2", 2)


def test_items_by_kind_in_order_and_per_reader(store: ProfileStore) -> None:
    rid, other = reader(), reader()
    store.put(rid, "event", "e2", b"b", 1)
    store.put(rid, "event", "e1", b"a", 1)
    store.put(rid, "profile", "1", b"p", 1)
    store.put(rid, "eventual", "x", b"x", 1)  # a kind that starts like another must not leak into it
    store.put(other, "event", "e9", b"z", 1)
    assert [(i.kind, i.item_id) for i in store.items(rid)] == [
        ("event", "e1"),
        ("event", "e2"),
        ("eventual", "x"),
        ("profile", "1"),
    ]
    assert [i.item_id for i in store.items(rid, "event")] == ["e1", "e2"]
    assert store.items(rid, "interests") == []
    assert [i.item_id for i in store.items(other)] == ["e9"]


def test_delete_item_and_reader(store: ProfileStore) -> None:
    rid, other = reader(), reader()
    store.put_key(rid, b"k")
    for n in range(30):  # more than one DynamoDB batch
        store.put(rid, "event", f"e{n:02d}", b"c", 1)
    store.put(other, "event", "e1", b"c", 1)
    store.delete(rid, "event", "e00")
    store.delete(rid, "event", "absent")
    assert len(store.items(rid, "event")) == 29
    store.delete_reader(rid)
    assert store.items(rid) == []
    assert store.get_key(rid) == b"k"  # the key is deleted on its own (erase deletes it first)
    assert [i.item_id for i in store.items(other)] == ["e1"]


def test_readers_lists_readers_with_a_key_or_items(store: ProfileStore) -> None:
    with_key, with_items = reader(), reader()
    store.put_key(with_key, b"k")
    store.put(with_items, "event", "e1", b"c", 1)
    assert {with_key, with_items} <= set(store.readers())
    assert store.readers() == sorted(store.readers())
    store.delete_key(with_key)
    store.delete_reader(with_items)
    assert not {with_key, with_items} & set(store.readers())


def test_audit_log_per_reader_in_time_order(store: ProfileStore) -> None:
    rid, other = reader(), reader()
    later = AuditEntry(
        reader_id=rid,
        actor_id="job-purge",
        actor_role="job",
        kind="event",
        action="erase",
        purpose=Processing.RETENTION,
        at=T0 + dt.timedelta(minutes=5),
    )
    earlier = AuditEntry(
        reader_id=rid,
        actor_id="staff-7",
        actor_role="member_staff",
        kind="profile",
        action="read",
        purpose=Purpose.CONSORTIUM_SHARING,
        at=T0,
    )
    store.audit(later)
    store.audit(earlier)
    store.audit(earlier.model_copy(update={"reader_id": other}))
    assert store.audit_log(rid) == [earlier, later]
    assert store.audit_log(reader()) == []
    store.delete_reader(rid)
    store.delete_key(rid)
    assert store.audit_log(rid) == [earlier, later]  # the audit log outlives the data it describes


def test_a_detached_audit_log_moves_under_a_pseudonym_and_the_id_starts_afresh(store: ProfileStore) -> None:
    rid, other = reader(), reader()
    by_reader = AuditEntry(
        reader_id=rid,
        actor_id=rid,
        actor_role="reader",
        kind="profile",
        action="read",
        purpose=Processing.READER_REQUEST,
        at=T0,
    )
    staff = {"actor_id": "staff-7", "actor_role": ActorRole.MEMBER_STAFF}
    by_staff = by_reader.model_copy(update=staff | {"at": T0 + MINUTE})
    erased = by_reader.model_copy(update={"kind": "*", "action": AuditAction.ERASE, "at": T0 + 2 * MINUTE})
    for entry in (by_reader, by_staff, erased):
        store.audit(entry)
    store.audit(by_staff.model_copy(update={"reader_id": other}))

    alias = f"erased-{uuid.uuid4().hex[:16]}"
    store.detach_audit(rid, alias)
    assert store.audit_log(rid) == []
    kept = store.audit_log(alias)
    assert [(e.kind, e.action.value, e.actor_id) for e in kept] == [
        ("profile", "read", alias),  # where the reader acted, the actor is the pseudonym too
        ("profile", "read", "staff-7"),
        ("*", "erase", alias),
    ]
    assert all(e.reader_id == alias for e in kept) and [e.at for e in kept] == [
        e.at for e in (by_reader, by_staff, erased)
    ]
    store.detach_audit(rid, alias)  # again: nothing is left to move
    assert len(store.audit_log(alias)) == 3

    fresh = by_reader.model_copy(update={"at": T0 + HOUR})  # a new reader given the same id
    store.audit(fresh)
    assert store.audit_log(rid) == [fresh]
    assert [e.actor_id for e in store.audit_log(other)] == ["staff-7"]


def test_writes_in_a_transaction_are_seen_inside_and_kept_after(store: ProfileStore) -> None:
    rid = reader()
    entry = AuditEntry(
        reader_id=rid, actor_id="k", actor_role="member_staff", kind="event", action="write",
        purpose=Purpose.PERSONALIZATION, at=T0,
    )  # fmt: skip
    with store.transaction():
        store.put(rid, "event", "e1", b"one", 1)
        assert store.get(rid, "event", "e1") is not None  # a read inside sees the block's write
        with store.transaction():  # a block inside another joins it
            store.put(rid, "interests", "1", b"profile", 1)
            store.audit(entry)
        assert [i.item_id for i in store.items(rid)] == ["e1", "1"]
    assert [(i.kind, i.item_id) for i in store.items(rid)] == [("event", "e1"), ("interests", "1")]
    assert store.audit_log(rid) == [entry]


def test_sqlite_a_transaction_that_fails_keeps_none_of_its_writes(tmp_path: Path) -> None:
    store = SqliteProfileStore.open(tmp_path / "profiles.sqlite3")
    rid = reader()
    store.put(rid, "event", "e0", b"before", 1)
    with pytest.raises(RuntimeError, match="half way"), store.transaction():
        store.put(rid, "event", "e1", b"one", 1)
        store.delete(rid, "event", "e0")
        raise RuntimeError("half way")
    assert [(i.item_id, i.ciphertext) for i in store.items(rid)] == [("e0", b"before")]
    store.close()
