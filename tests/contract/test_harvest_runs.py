"""The HarvestRunStore contract: memory, SQLite and DynamoDB (moto's server) keep members' harvest runs the same
way: by (member, run id), one member's apart from another's, listed newest first in pages."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from backings import Backing, dynamodb_table, reopening

from consortium.adapters.local import SqliteHarvestRunStore
from consortium.adapters.memory import InMemoryHarvestRunStore
from consortium.errors import ConflictError
from consortium.harvest.runs import HarvestRun, RunState, RunTrigger, SourceRun, SourceRunState, new_run_id
from consortium.harvest.state import HarvestCounts

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.harvest.ports import HarvestRunStore

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backing[HarvestRunStore]]:
    if request.param == "memory":
        yield Backing.same(InMemoryHarvestRunStore())
    elif request.param == "sqlite":
        yield from reopening(lambda: SqliteHarvestRunStore.open(tmp_path / "var" / "consortium.sqlite3"))
    else:
        from consortium.adapters.aws import DynamoDbHarvestRunStore

        with dynamodb_table(request, "runs") as (make_client, table):
            yield Backing.fresh(lambda: DynamoDbHarvestRunStore(table, make_client("dynamodb")))


@pytest.fixture
def store(backing: Backing[HarvestRunStore]) -> HarvestRunStore:
    return backing.store


def make_run(member: str = "riverside", minutes: int = 0, **kw: object) -> HarvestRun:
    at = T0 + dt.timedelta(minutes=minutes)
    fields: dict[str, object] = {
        "run_id": new_run_id(at),
        "member": member,
        "trigger": RunTrigger.API,
        "requested_by": "key-1",
        "requested_at": at,
        "updated_at": at,
        "sources": [SourceRun(source="catalogue"), SourceRun(source="东湖")],
    }
    return HarvestRun.model_validate(fields | kw)


def test_add_get_and_save(store: HarvestRunStore) -> None:
    run = make_run()
    store.add(run)
    assert store.get("riverside", run.run_id) == run
    assert store.get("lakeside", run.run_id) is None  # another member's run is not the member's
    assert store.get("riverside", "nope") is None
    with pytest.raises(ConflictError, match="has a run"):
        store.add(run)
    done = run.model_copy(
        update={
            "state": RunState.SUCCEEDED,
            "finished_at": T0,
            "sources": [SourceRun(source="catalogue", state=SourceRunState.SUCCEEDED, pages=3,
                                  counts=HarvestCounts(added=7, quarantined=1))],
        }
    )  # fmt: skip
    store.save(done)
    assert store.get("riverside", run.run_id) == done
    assert store.runs("riverside") == [done]


def test_runs_newest_first_in_pages(store: HarvestRunStore) -> None:
    runs = [make_run(minutes=n) for n in range(7)]
    for run in [*runs[3:], *runs[:3]]:
        store.add(run)
    store.add(make_run("lakeside", minutes=100))
    newest = list(reversed(runs))
    assert store.runs("riverside", limit=3) == newest[:3]
    assert store.runs("riverside", limit=3, before=newest[2].run_id) == newest[3:6]
    assert store.runs("riverside", limit=3, before=newest[5].run_id) == newest[6:]
    assert store.runs("riverside", limit=50) == newest
    assert store.runs("riverside", limit=0) == []
    assert store.runs("riverside", before="0") == []
    assert [r.member for r in store.runs("lakeside")] == ["lakeside"]
    assert store.runs("nobody") == []


def test_kept_when_reopened(backing: Backing[HarvestRunStore]) -> None:
    run = make_run()
    backing.store.add(run)
    assert backing.reopen().runs("riverside") == [run]


def test_delete_forgets_only_the_members_runs_named(backing: Backing[HarvestRunStore]) -> None:
    mine = [make_run("riverside", minutes) for minutes in range(4)]
    theirs = make_run("lakeside", 1)
    for run in [*mine, theirs]:
        backing.store.add(run)
    backing.store.delete("riverside", [mine[0].run_id, mine[2].run_id, theirs.run_id, "no-such-run"])
    again = backing.reopen()
    assert [r.run_id for r in again.runs("riverside")] == [mine[3].run_id, mine[1].run_id]
    assert again.get("lakeside", theirs.run_id) == theirs  # another member's run of that id is not touched
