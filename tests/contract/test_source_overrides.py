"""The SourceOverrideStore contract: memory, SQLite and DynamoDB (moto's server) keep members' changes to their
sources the same way: saved over the version before, in (member, source) order, kept across reopening."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from backings import Backing, dynamodb_table, reopening

from consortium.adapters.local import SqliteSourceOverrideStore
from consortium.adapters.memory import InMemorySourceOverrideStore
from consortium.errors import ConflictError
from consortium.registry.models import SourceOverride

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.registry.ports import SourceOverrideStore

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backing[SourceOverrideStore]]:
    if request.param == "memory":
        yield Backing.same(InMemorySourceOverrideStore())
    elif request.param == "sqlite":
        yield from reopening(lambda: SqliteSourceOverrideStore.open(tmp_path / "var" / "consortium.sqlite3"))
    else:
        from consortium.adapters.aws import DynamoDbSourceOverrideStore

        with dynamodb_table(request, "registry") as (make_client, table):
            yield Backing.fresh(lambda: DynamoDbSourceOverrideStore(table, make_client("dynamodb")))


@pytest.fixture
def store(backing: Backing[SourceOverrideStore]) -> SourceOverrideStore:
    return backing.store


def override(member: str = "riverside", source_id: str = "oai", version: int = 1, **fields: object) -> SourceOverride:
    return SourceOverride(
        member=member,
        source_id=source_id,
        fields=fields or {"set": "books"},
        added=False,
        version=version,
        updated_at=T0,
        updated_by="key-1",
    )


def test_save_then_get(store: SourceOverrideStore) -> None:
    assert store.get("riverside", "oai") is None
    first = override(url="https://lib.example.edu/oai", location="河滨总馆", paused=True, paused_reason=None)
    store.save(first)
    assert store.get("riverside", "oai") == first
    assert store.get("riverside", "other") is None
    assert store.get("lakeside", "oai") is None


def test_each_save_goes_over_the_version_before(store: SourceOverrideStore) -> None:
    store.save(override(version=1))
    with pytest.raises(ConflictError, match="at version 1, not 0"):
        store.save(override(version=1, set="serials"))
    with pytest.raises(ConflictError, match="at version 1, not 2"):
        store.save(override(version=3))
    second = override(version=2, set="serials")
    store.save(second)
    assert store.get("riverside", "oai") == second
    with pytest.raises(ConflictError):
        store.save(override("lakeside", "oai", version=2))  # nothing stored: version 0
    assert store.get("lakeside", "oai") is None


def test_overrides_in_member_and_source_order(store: SourceOverrideStore) -> None:
    for member, source_id in [
        ("westfield", "b"),
        ("lakeside", "z"),
        ("lakeside", "a-b"),
        ("lakeside", "a"),
        ("l", "x"),
    ]:
        store.save(override(member, source_id))
    assert [(o.member, o.source_id) for o in store.overrides()] == [
        ("l", "x"),
        ("lakeside", "a"),
        ("lakeside", "a-b"),
        ("lakeside", "z"),
        ("westfield", "b"),
    ]
    assert [o.source_id for o in store.overrides("lakeside")] == ["a", "a-b", "z"]
    assert store.overrides("l") == [override("l", "x")]
    assert store.overrides("nobody") == []


def test_delete_forgets_and_a_new_save_starts_again(store: SourceOverrideStore) -> None:
    store.save(override())
    store.delete("riverside", "oai")
    store.delete("riverside", "oai")  # nothing there: no harm
    assert store.get("riverside", "oai") is None and store.overrides() == []
    store.save(override(version=1, set="again"))
    assert store.get("riverside", "oai") == override(version=1, set="again")


def test_kept_when_reopened(backing: Backing[SourceOverrideStore]) -> None:
    backing.store.save(override())
    backing.store.save(override(version=2, schedule="rate(2 days)"))
    assert backing.reopen().get("riverside", "oai") == override(version=2, schedule="rate(2 days)")


def test_of_racing_saves_of_one_version_one_wins(store: SourceOverrideStore) -> None:
    won: list[int] = []
    lost: list[int] = []
    barrier = threading.Barrier(6)

    def save(n: int) -> None:
        barrier.wait()
        try:
            store.save(override(version=1, set=f"set-{n}"))
            won.append(n)
        except ConflictError:
            lost.append(n)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == 5
    stored = store.get("riverside", "oai")
    assert stored is not None and stored.fields == {"set": f"set-{won[0]}"}


def test_sqlite_two_connections_on_one_file_see_each_others_versions(tmp_path: Path) -> None:
    path = tmp_path / "consortium.sqlite3"
    one, two = SqliteSourceOverrideStore.open(path), SqliteSourceOverrideStore.open(path)
    try:
        one.save(override())
        with pytest.raises(ConflictError):
            two.save(override(set="late"))
        two.save(override(version=2, set="next"))
        assert one.get("riverside", "oai") == override(version=2, set="next")
    finally:
        one.close()
        two.close()
