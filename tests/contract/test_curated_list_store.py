"""The CuratedListStore contract: memory, SQLite and DynamoDB (moto's server) keep subject librarians' lists the
same way: saved over the version before, deleted only at the version read, listed by member and state with the
latest changed first, kept across reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from backings import Backing, dynamodb_table, reopening

from consortium.adapters.local import SqliteCuratedListStore
from consortium.adapters.memory import InMemoryCuratedListStore
from consortium.cooperation.lists import CuratedList, ListEntry, ListState
from consortium.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.cooperation.ports import CuratedListStore

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backing[CuratedListStore]]:
    if request.param == "memory":
        yield Backing.same(InMemoryCuratedListStore())
    elif request.param == "sqlite":
        yield from reopening(lambda: SqliteCuratedListStore.open(tmp_path / "var" / "consortium.sqlite3"))
    else:
        from consortium.adapters.aws import DynamoDbCuratedListStore

        with dynamodb_table(request, "lists") as (make_client, table):
            yield Backing.fresh(lambda: DynamoDbCuratedListStore(table, make_client("dynamodb")))


def curated(list_id: str = "list-1", member: str = "riverside", *, version: int = 1, minutes: int = 0,
            state: ListState = ListState.DRAFT) -> CuratedList:  # fmt: skip
    at = T0 + timedelta(minutes=minutes)
    entry = ListEntry(cluster_id="w1", title="唐诗三百首", note="the standard anthology", added_at=T0)
    return CuratedList(list_id=list_id, member=member, title="Tang poetry", class_code="clc:I222", state=state,
                       entries=[entry], created_by="riverside/li", updated_by="riverside/li", created_at=T0,
                       updated_at=at, version=version)  # fmt: skip


def test_saved_over_the_version_before_and_kept(backing: Backing[CuratedListStore]) -> None:
    store = backing.store
    assert store.get("list-1") is None
    store.save(curated())
    with pytest.raises(ConflictError, match="at version 1, not 0"):
        store.save(curated())
    store.save(curated(version=2, state=ListState.PUBLISHED))
    assert backing.reopen().get("list-1") == curated(version=2, state=ListState.PUBLISHED)


def test_listed_by_member_and_state_latest_first(backing: Backing[CuratedListStore]) -> None:
    store = backing.store
    store.save(curated("list-a", minutes=1))
    store.save(curated("list-b", minutes=5, state=ListState.PUBLISHED))
    store.save(curated("list-c", "lakeside", minutes=3, state=ListState.PUBLISHED))
    assert [c.list_id for c in store.lists()] == ["list-b", "list-c", "list-a"]
    assert [c.list_id for c in store.lists("riverside")] == ["list-b", "list-a"]
    assert [c.list_id for c in store.lists(state=ListState.PUBLISHED)] == ["list-b", "list-c"]
    assert [c.list_id for c in store.lists("lakeside", ListState.DRAFT)] == []


def test_deleted_only_at_the_version_read(backing: Backing[CuratedListStore]) -> None:
    store = backing.store
    store.save(curated())
    store.save(curated("list-2"))
    store.save(curated("list-2", version=2))
    with pytest.raises(ConflictError, match="list-2 is at version 2, not 1"):
        store.delete("list-2", 1)  # changed since it was read: kept
    store.delete("list-2", 2)
    with pytest.raises(ConflictError, match="at version 0, not 2"):
        store.delete("list-2", 2)  # gone already
    reopened = backing.reopen()
    assert reopened.get("list-2") is None and reopened.get("list-1") == curated()
    assert [c.list_id for c in reopened.lists()] == ["list-1"]
