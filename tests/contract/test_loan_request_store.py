"""The LoanRequestStore contract: memory, SQLite and DynamoDB (moto's server) keep inter-library loan requests
the same way: saved over the version before, listed by lending and borrowing member and by reader newest first,
kept across reopening, and a reader's id replaced by a pseudonym when they are erased."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from backings import Backing, dynamodb_table, reopening

from consortium.adapters.local import SqliteLoanRequestStore
from consortium.adapters.memory import InMemoryLoanRequestStore
from consortium.cooperation.models import LoanRequest, LoanState, LoanStep, Side
from consortium.errors import ConflictError
from consortium.models import Availability

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.cooperation.ports import LoanRequestStore

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backing[LoanRequestStore]]:
    if request.param == "memory":
        yield Backing.same(InMemoryLoanRequestStore())
    elif request.param == "sqlite":
        yield from reopening(lambda: SqliteLoanRequestStore.open(tmp_path / "var" / "consortium.sqlite3"))
    else:
        from consortium.adapters.aws import DynamoDbLoanRequestStore

        with dynamodb_table(request, "loans") as (make_client, table):
            yield Backing.fresh(lambda: DynamoDbLoanRequestStore(table, make_client("dynamodb")))


@pytest.fixture
def store(backing: Backing[LoanRequestStore]) -> LoanRequestStore:
    return backing.store


def loan(
    request_id: str = "ill-1",
    *,
    lender: str = "lakeside",
    borrower: str = "riverside",
    reader_id: str = "alice",
    at: datetime = T0,
    version: int = 1,
    state: LoanState = LoanState.REQUESTED,
) -> LoanRequest:
    steps = [LoanStep(state=LoanState.REQUESTED, at=at, actor_id=reader_id, note="chapter 3")]
    if state is not LoanState.REQUESTED:
        steps.append(LoanStep(state=state, at=at + timedelta(hours=1), actor_id=f"{lender}/desk"))
    return LoanRequest(
        request_id=request_id,
        cluster_id="w1",
        title="唐诗三百首",
        reader_id=reader_id,
        borrower=borrower,
        lender=lender,
        call_number="I222/1",
        state=state,
        version=version,
        created_at=at,
        updated_at=steps[-1].at,
        history=steps,
    )


def test_save_then_get(store: LoanRequestStore) -> None:
    assert store.get("ill-1") is None
    store.save(loan())
    assert store.get("ill-1") == loan()


def test_the_copys_shelf_status_when_asked_is_kept(store: LoanRequestStore) -> None:
    unknown = loan().model_copy(update={"availability": Availability.UNKNOWN})
    store.save(unknown)
    assert store.get("ill-1") == unknown and store.for_reader("alice")[0].availability is Availability.UNKNOWN
    older = loan("ill-2").model_dump(mode="json")
    del older["availability"]  # saved before the field existed: every such request was for an available copy
    assert LoanRequest.model_validate(older).availability is Availability.AVAILABLE


def test_each_save_goes_over_the_version_before(store: LoanRequestStore) -> None:
    store.save(loan())
    with pytest.raises(ConflictError, match="at version 1, not 0"):
        store.save(loan())
    with pytest.raises(ConflictError, match="at version 1, not 2"):
        store.save(loan(version=3, state=LoanState.ACCEPTED))
    accepted = loan(version=2, state=LoanState.ACCEPTED)
    store.save(accepted)
    assert store.get("ill-1") == accepted


def test_listed_by_side_and_reader_newest_first(store: LoanRequestStore) -> None:
    east = timezone(timedelta(hours=8))
    store.save(loan("ill-a", at=T0))
    store.save(loan("ill-b", at=(T0 + timedelta(minutes=30)).astimezone(east)))  # later, in another offset
    store.save(loan("ill-c", lender="riverside", borrower="lakeside", reader_id="larry", at=T0 + timedelta(hours=1)))
    assert [r.request_id for r in store.for_member("lakeside", Side.LENDING)] == ["ill-b", "ill-a"]
    assert [r.request_id for r in store.for_member("lakeside", Side.BORROWING)] == ["ill-c"]
    assert [r.request_id for r in store.for_member("riverside", Side.BORROWING)] == ["ill-b", "ill-a"]
    assert [r.request_id for r in store.for_reader("alice")] == ["ill-b", "ill-a"]
    assert store.for_reader("nobody") == [] and store.for_member("westfield", Side.LENDING) == []


def test_an_erased_reader_is_replaced_by_a_pseudonym(store: LoanRequestStore) -> None:
    store.save(loan("ill-a"))
    store.save(loan("ill-b", reader_id="bob"))
    store.forget_reader("alice", "erased-7f3a")
    assert store.for_reader("alice") == []
    assert [r.request_id for r in store.for_reader("erased-7f3a")] == ["ill-a"]
    kept = store.get("ill-a")
    assert kept is not None and kept.reader_id == "erased-7f3a" and kept.history[0].actor_id == "erased-7f3a"
    assert kept == loan("ill-a").under_pseudonym("erased-7f3a")
    assert store.get("ill-b") == loan("ill-b", reader_id="bob")


def test_kept_when_reopened(backing: Backing[LoanRequestStore]) -> None:
    backing.store.save(loan())
    backing.store.save(loan(version=2, state=LoanState.ACCEPTED))
    assert backing.reopen().get("ill-1") == loan(version=2, state=LoanState.ACCEPTED)


def test_of_racing_saves_of_one_version_one_wins(store: LoanRequestStore) -> None:
    store.save(loan())
    won: list[LoanState] = []
    lost: list[LoanState] = []
    barrier = threading.Barrier(2)

    def answer(state: LoanState) -> None:
        barrier.wait()
        try:
            store.save(loan(version=2, state=state))
            won.append(state)
        except ConflictError:
            lost.append(state)

    threads = [threading.Thread(target=answer, args=(s,)) for s in (LoanState.ACCEPTED, LoanState.REFUSED)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == 1
    stored = store.get("ill-1")
    assert stored is not None and stored.state is won[0]
