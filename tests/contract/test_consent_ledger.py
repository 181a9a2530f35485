"""The ConsentLedger contract: the memory, SQLite and DynamoDB (on moto) ledgers behave the same, and stay
append-only."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from typing import TYPE_CHECKING

import pytest
from backings import dynamodb_table

from consortium.adapters.local.sqlite_consent import SqliteConsentLedger
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.errors import ConsortiumError
from consortium.profiles.consent import ConsentError, ConsentEvent, Purpose, require

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.profiles.ports import ConsentLedger

VERSION = "2026-11-25"
T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
NONE_GRANTED = dict.fromkeys(Purpose, False)


def reader() -> str:
    return f"reader-{uuid.uuid4().hex[:12]}"


def event(reader_id: str, purpose: Purpose, granted: bool, minutes: int, version: str = VERSION) -> ConsentEvent:
    return ConsentEvent(
        reader_id=reader_id,
        purpose=purpose,
        granted=granted,
        policy_version=version,
        at=T0 + dt.timedelta(minutes=minutes),
    )


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConsentLedger]:
    if request.param == "memory":
        yield InMemoryConsentLedger()
    elif request.param == "sqlite":
        store = SqliteConsentLedger.open(tmp_path / "data" / "hub.sqlite3")
        yield store
        store.close()
    else:
        from consortium.adapters.aws import DynamoDbConsentLedger

        with dynamodb_table(request, "consent") as (make_client, table):
            yield DynamoDbConsentLedger(table, client=make_client("dynamodb"))


def test_no_events_means_nothing_granted(ledger: ConsentLedger) -> None:
    rid = reader()
    assert ledger.history(rid) == []
    assert ledger.current(rid) == NONE_GRANTED


def test_grant_withdraw_grant(ledger: ConsentLedger) -> None:
    rid = reader()
    ledger.append(event(rid, Purpose.PUSH, True, 0))
    assert ledger.current(rid)[Purpose.PUSH] is True
    ledger.append(event(rid, Purpose.PUSH, False, 1))
    assert ledger.current(rid)[Purpose.PUSH] is False
    ledger.append(event(rid, Purpose.PUSH, True, 2))
    assert ledger.current(rid)[Purpose.PUSH] is True
    assert [e.granted for e in ledger.history(rid)] == [True, False, True]


def test_current_is_per_purpose(ledger: ConsentLedger) -> None:
    rid = reader()
    ledger.append(event(rid, Purpose.PERSONALIZATION, True, 0))
    ledger.append(event(rid, Purpose.ANALYTICS, True, 1))
    ledger.append(event(rid, Purpose.ANALYTICS, False, 2))
    ledger.append(event(rid, Purpose.CONSORTIUM_SHARING, False, 3))
    assert ledger.current(rid) == {
        Purpose.PERSONALIZATION: True,
        Purpose.PUSH: False,
        Purpose.CONSORTIUM_SHARING: False,
        Purpose.ANALYTICS: False,
    }


def test_readers_are_kept_apart(ledger: ConsentLedger) -> None:
    alice, bob = reader(), reader()
    ledger.append(event(alice, Purpose.PUSH, True, 0))
    assert ledger.current(bob) == NONE_GRANTED
    assert [e.reader_id for e in ledger.history(alice)] == [alice]


def test_history_is_in_time_order(ledger: ConsentLedger) -> None:
    rid = reader()
    late = event(rid, Purpose.PUSH, False, 30, version="2026-12-01")
    early = event(rid, Purpose.PUSH, True, 10)
    middle = event(rid, Purpose.ANALYTICS, True, 20)
    for e in (late, early, middle):
        ledger.append(e)
    assert ledger.history(rid) == [early, middle, late]
    # the latest event decides, whatever order the events arrived in
    assert ledger.current(rid)[Purpose.PUSH] is False


def test_same_moment_keeps_append_order(ledger: ConsentLedger) -> None:
    rid = reader()
    ledger.append(event(rid, Purpose.PUSH, True, 5))
    ledger.append(event(rid, Purpose.PUSH, False, 5))
    assert [e.granted for e in ledger.history(rid)] == [True, False]
    assert ledger.current(rid)[Purpose.PUSH] is False


def test_history_round_trips_every_field(ledger: ConsentLedger) -> None:
    rid = reader()
    shanghai = dt.timezone(dt.timedelta(hours=8))
    original = ConsentEvent(
        reader_id=rid,
        purpose=Purpose.CONSORTIUM_SHARING,
        granted=True,
        policy_version=VERSION,
        at=dt.datetime(2026, 11, 25, 17, 30, 15, 123456, tzinfo=shanghai),
    )
    ledger.append(original)
    (stored,) = ledger.history(rid)
    assert stored == original
    assert stored.at.utcoffset() is not None


def test_withdrawing_is_the_same_call_as_granting(ledger: ConsentLedger) -> None:
    rid = reader()
    for granted in (True, False):
        ledger.append(event(rid, Purpose.PERSONALIZATION, granted, 0 if granted else 1))
        assert ledger.current(rid)[Purpose.PERSONALIZATION] is granted


def test_erase_removes_the_whole_history(ledger: ConsentLedger) -> None:
    rid, other = reader(), reader()
    for minutes, purpose in enumerate(Purpose):
        ledger.append(event(rid, purpose, True, minutes))
    ledger.append(event(other, Purpose.PUSH, True, 0))
    ledger.erase(rid)
    assert ledger.history(rid) == []
    assert ledger.current(rid) == NONE_GRANTED
    assert len(ledger.history(other)) == 1
    ledger.erase(rid)  # erasing again is harmless
    ledger.append(event(rid, Purpose.PUSH, True, 9))  # an erased id starts afresh
    assert ledger.current(rid)[Purpose.PUSH] is True


def test_require(ledger: ConsentLedger) -> None:
    rid = reader()
    with pytest.raises(ConsentError, match="'push'") as info:
        require(ledger, rid, Purpose.PUSH)
    assert isinstance(info.value, ConsortiumError)
    assert info.value.details["purpose"] == "push"
    assert rid not in str(info.value)
    ledger.append(event(rid, Purpose.PUSH, True, 0))
    require(ledger, rid, Purpose.PUSH)
    require(ledger, rid, "push")
    with pytest.raises(ConsentError, match="'analytics'"):
        require(ledger, rid, Purpose.ANALYTICS)
    ledger.append(event(rid, Purpose.PUSH, False, 1))
    with pytest.raises(ConsentError, match="'push'"):
        require(ledger, rid, Purpose.PUSH)


def test_ledger_has_no_way_to_change_one_event(ledger: ConsentLedger) -> None:
    public = {name for name in dir(ledger) if not name.startswith("_")}
    assert public <= {"append", "history", "current", "erase", "open", "close", "table_name"}  # table_name: read-only


def test_sqlite_refuses_update(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    ledger = SqliteConsentLedger.open(path)
    rid = reader()
    ledger.append(event(rid, Purpose.PUSH, False, 0))
    ledger.close()

    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE consent_events SET granted = 1 WHERE reader_id = ?", (rid,))
        conn.rollback()
    finally:
        conn.close()

    ledger = SqliteConsentLedger.open(path)  # reopening keeps the events and the trigger
    try:
        assert ledger.current(rid)[Purpose.PUSH] is False
        assert len(ledger.history(rid)) == 1
    finally:
        ledger.close()


def test_events_are_validated() -> None:
    with pytest.raises(ValueError, match="timezone"):
        ConsentEvent(
            reader_id="r", purpose=Purpose.PUSH, granted=True, policy_version=VERSION, at=dt.datetime(2026, 11, 25)
        )
    with pytest.raises(ValueError, match="purpose"):
        ConsentEvent.model_validate(
            {"reader_id": "r", "purpose": "marketing", "granted": True, "policy_version": VERSION, "at": T0}
        )
    with pytest.raises(ValueError, match="frozen"):
        event("r", Purpose.PUSH, True, 0).granted = False  # type: ignore[misc]
