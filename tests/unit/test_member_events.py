"""Bulk upload of a member's readers' loans, returns and holds (JSON Lines), through the service the member API
calls: each line stored or rejected with its number and a reason naming the field, another member's readers not
leaked, size limits, the audit log, and nothing accepted lost (each is in the reader's export)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster

from consortium.adapters.memory import InMemoryConsentLedger, InMemoryKeyService, InMemoryProfileStore, ManualClock
from consortium.errors import NotFoundError, ValidationError
from consortium.members import Member
from consortium.membership import events as events_module
from consortium.membership.events import EventUpload, LineStatus, UploadTooLargeError, member_staff
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.learning import EventOutcome
from consortium.profiles.models import Actor, ActorRole
from consortium.profiles.service import ProfileService

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
WORKS = {
    c.cluster_id: c
    for c in (
        make_cluster("c1", "Moby Dick", classes=("clc:I712.44",), authors=["Melville, Herman"]),
        make_cluster("c2", "红楼梦", classes=("clc:I242.4",), authors=["曹雪芹"]),
    )
}
STAFF = member_staff("riverside", "key-7")


def member(member_id: str) -> Member:
    if member_id not in ("riverside", "lakeside"):
        raise NotFoundError(f"no member {member_id!r} in the registry")
    return Member(id=member_id, name=member_id)


def make_profiles(store: InMemoryProfileStore | None = None) -> ProfileService:
    keys = InMemoryKeyService()
    service = ProfileService(
        store if store is not None else InMemoryProfileStore(),
        EnvelopeCipher(keys),
        InMemoryConsentLedger(),
        POLICY,
        ManualClock(T0),
        keys=keys,
        cluster_lookup=WORKS.get,
    )
    service.create_reader("alice", "riverside", [Purpose.PERSONALIZATION])
    service.create_reader("ann", "riverside", [])  # no personalization consent
    service.create_reader("bob", "lakeside", [Purpose.PERSONALIZATION])
    service.create_reader("carol", "riverside", [Purpose.PERSONALIZATION])
    return service


@pytest.fixture
def profiles() -> ProfileService:
    return make_profiles()


@pytest.fixture
def uploads(profiles: ProfileService) -> EventUpload:
    return EventUpload(profiles, member)


def line(reader_id: str = "alice", event_id: str = "e1", type_: str = "borrow", **kw: object) -> str:
    fields = {"reader_id": reader_id, "event_id": event_id, "type": type_, "at": "2026-12-03T08:30:00+08:00",
              "cluster_id": "c1"} | kw  # fmt: skip
    return json.dumps({k: v for k, v in fields.items() if v is not None}, ensure_ascii=False)


def test_each_line_is_stored_or_rejected_with_its_number_and_reason(uploads: EventUpload) -> None:
    body = "\n".join(
        [
            line(event_id="loan-1"),  # 1
            line(event_id="ret-1", type_="return"),  # 2
            "",  # 3: blank, skipped but counted
            line(event_id="hold-1", type_="hold", cluster_id="c2"),  # 4
            line(event_id="loan-1"),  # 5: the same event again
            line("bob", "loan-b"),  # 6: another member's reader
            line("nobody", "loan-n"),  # 7: no such reader
            "{not json",  # 8
            "[1, 2]",  # 9
            line(event_id="s1", type_="search", query="whales"),  # 10
            line(event_id="b2", cluster_id=None),  # 11
            line(event_id="b3", cluster_id="c-404"),  # 12
            line(event_id="b4", at="2030-01-01T00:00:00Z"),  # 13: in the future
            line(event_id="b5", at="yesterday"),  # 14
            line("ann", "loan-a"),  # 15: no personalization consent
            line(event_id="b6", colour="red"),  # 16
            "[" * 4000 + "]" * 4000,  # 17: nested too deeply for Python's parser
            '{"event_id": "b7", "event_id": "b8"}',  # 18: a key given twice
        ]
    )
    report = uploads.upload("riverside", body + "\n", STAFF)
    got = {o.line: (o.status, o.event_id, o.reason) for o in report.lines}
    assert got[1] == (LineStatus.STORED, "loan-1", None)
    assert got[2][0] is got[4][0] is LineStatus.STORED
    assert 3 not in got
    assert got[5] == (LineStatus.DUPLICATE, "loan-1", None)
    assert got[6] == (LineStatus.REJECTED, "loan-b", "field 'reader_id': no reader 'bob' of this member")
    assert got[7] == (LineStatus.REJECTED, "loan-n", "field 'reader_id': no reader 'nobody' of this member")
    assert got[8][0] is LineStatus.REJECTED and got[8][2].startswith("not JSON: ")  # type: ignore[union-attr]
    assert got[9][2] == "not a JSON object"
    assert got[10][2] == "field 'type': a member uploads 'borrow', 'return' or 'hold' events"
    assert got[11][2] == "a borrow event needs the field 'cluster_id'"
    assert got[12][2] == "field 'cluster_id': no work 'c-404' in the catalogue"
    assert "field 'at': 2030-01-01T00:00:00+00:00 is in the future" in (got[13][2] or "")
    assert (got[14][1], (got[14][2] or "").startswith("field 'at': Input should be a valid datetime")) == ("b5", True)
    assert got[15][0] is LineStatus.NOT_KEPT and "has not granted personalization" in (got[15][2] or "")
    assert got[16][2] == "field 'colour': Extra inputs are not permitted"
    assert got[17][2] == "not JSON: arrays or objects nested too deeply to read"
    assert got[18][2] == "not JSON: field 'event_id': given twice in one object"
    counts = (report.events, report.accepted, report.stored, report.duplicates, report.not_kept, report.rejected)
    assert counts == (17, 4, 3, 1, 1, 12)


def test_nothing_accepted_is_lost_and_the_audit_says_the_member_acted(
    uploads: EventUpload, profiles: ProfileService
) -> None:
    body = "\n".join(line(event_id=f"loan-{n}", cluster_id=f"c{1 + n % 2}") for n in range(40))
    report = uploads.upload("riverside", body, STAFF)
    assert (report.accepted, report.rejected) == (40, 0)
    export = profiles.export("alice", Actor(actor_id="alice", role=ActorRole.READER))
    assert sorted(e["event_id"] for e in export["events"]) == sorted(f"loan-{n}" for n in range(40))
    writes = [a for a in export["audit"] if a["kind"] == "event" and a["action"] == "write"]
    assert len(writes) == 40
    assert {(a["actor_id"], a["actor_role"], a["purpose"]) for a in writes} == {
        ("riverside/key-7", "member_staff", "personalization")
    }
    assert uploads.upload("riverside", body, STAFF).duplicates == 40  # sent again: nothing doubled


def test_the_other_member_sees_its_own_reader_and_not_ours(uploads: EventUpload) -> None:
    report = uploads.upload("lakeside", line("bob", "b1") + "\n" + line("alice", "a1"), member_staff("lakeside", "k"))
    assert [o.status for o in report.lines] == [LineStatus.STORED, LineStatus.REJECTED]
    assert report.lines[1].reason == "field 'reader_id': no reader 'alice' of this member"


def test_size_limits_refuse_the_whole_upload_or_one_line(
    uploads: EventUpload, profiles: ProfileService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_module, "MAX_LINES", 3)
    body = "\n".join(line(event_id=f"e{n}") for n in range(4))
    with pytest.raises(UploadTooLargeError, match="the upload has 4 events; at most 3 are taken at once: split it"):
        uploads.upload("riverside", body, STAFF)
    assert profiles.events("alice", STAFF) == []  # nothing of it stored
    monkeypatch.setattr(events_module, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(UploadTooLargeError, match="at most 100 are taken at once"):
        uploads.upload("riverside", body, STAFF)
    monkeypatch.setattr(events_module, "MAX_UPLOAD_BYTES", 10_000)
    monkeypatch.setattr(events_module, "MAX_LINE_BYTES", 150)
    report = uploads.upload("riverside", line(event_id="ok") + "\n" + line(event_id="x" * 200), STAFF)
    assert [o.status for o in report.lines] == [LineStatus.STORED, LineStatus.REJECTED]
    assert (report.lines[1].reason or "").startswith("the line is ") and "at most 150" in (report.lines[1].reason or "")


def test_bytes_crlf_a_bom_and_bad_utf8(uploads: EventUpload) -> None:
    body = b"\xef\xbb\xbf" + line(event_id="e1").encode() + b"\r\n" + b'{"reader_id": "\xff"}\r\n'
    report = uploads.upload("riverside", body, STAFF)
    assert [(o.line, o.status) for o in report.lines] == [(1, LineStatus.STORED), (2, LineStatus.REJECTED)]
    assert report.lines[1].reason == "not UTF-8 at byte 16 of the line"


def test_refused_uploads(uploads: EventUpload) -> None:
    with pytest.raises(ValidationError, match="the upload has no events"):
        uploads.upload("riverside", "\n\n", STAFF)
    with pytest.raises(ValidationError, match="made by its staff"):
        uploads.upload("riverside", line(), Actor(actor_id="alice", role=ActorRole.READER))
    with pytest.raises(NotFoundError, match="no member 'nowhere'"):
        uploads.upload("nowhere", line(), STAFF)


class CountingProfileStore(InMemoryProfileStore):
    """The in-memory store, keeping count of its transactions and of the readers each one wrote items of."""

    def __init__(self) -> None:
        super().__init__()
        self.transactions: list[set[str]] = []
        self.interest_writes: Counter[str] = Counter()
        self.meanwhile: Callable[[], object] | None = None
        """Called once as the next transaction begins: another call's writes landing just before it."""
        self._open: set[str] | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._open is not None:  # joins the open one
            yield
            return
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        self._open = set()
        try:
            yield
        finally:
            self.transactions.append(self._open)
            self._open = None

    def put(self, reader_id: str, kind: str, item_id: str, ciphertext: bytes, version: int) -> None:
        if self._open is not None:
            self._open.add(reader_id)
        if kind == "interests":
            self.interest_writes[reader_id] += 1
        super().put(reader_id, kind, item_id, ciphertext, version)


def test_each_readers_lines_are_recorded_in_one_transaction_with_the_answers_of_one_line_at_a_time() -> None:
    lines = [
        line(event_id="a1"),  # 1
        line("carol", "c1", cluster_id="c2"),  # 2
        line(event_id="a2", type_="hold", cluster_id="c2"),  # 3
        line(event_id="a1"),  # 4: the same event again, in the same upload
        line("ann", "n1"),  # 5: no personalization consent
        line("carol", "c2", cluster_id="c-404"),  # 6: no such work
        line("bob", "b1"),  # 7: another member's reader
        line(event_id="a3", type_="return"),  # 8
        line("carol", "c3", at="2030-01-01T00:00:00Z"),  # 9: in the future
        line("carol", "c4", type_="return", cluster_id="c2"),  # 10
    ]
    store = CountingProfileStore()
    grouped = make_profiles(store)
    report = EventUpload(grouped, member).upload("riverside", "\n".join(lines), STAFF)

    alone = make_profiles()  # the same lines, each uploaded on its own (blank lines keep its number)
    one_by_one = [
        EventUpload(alone, member).upload("riverside", "\n" * n + text, STAFF).lines[0] for n, text in enumerate(lines)
    ]
    assert report.lines == one_by_one
    assert [o.status.value for o in report.lines] == [
        "stored", "stored", "stored", "duplicate", "not_kept", "rejected", "rejected", "stored", "rejected", "stored",
    ]  # fmt: skip
    for reader_id in ("alice", "carol"):  # learned the same, event by event
        learned = grouped.interest_profile(reader_id, STAFF, Purpose.PERSONALIZATION).learned
        assert learned and learned == alone.interest_profile(reader_id, STAFF, Purpose.PERSONALIZATION).learned
        assert sorted(e.event_id for e in grouped.events(reader_id, STAFF)) == sorted(
            e.event_id for e in alone.events(reader_id, STAFF)
        )
    # one transaction per reader with events to store (ann, who keeps none, has none), one profile write each
    assert sorted(sorted(readers) for readers in store.transactions) == [["alice"], ["carol"]]
    assert store.interest_writes == {"alice": 1, "carol": 1}


def test_what_another_call_wrote_meanwhile_is_learned_from_too() -> None:
    """The events are checked, sealed and learned from before the transaction; another call storing events of
    the same reader just before it (a reader's own event, a line of another upload) is neither overwritten nor
    doubled."""
    from consortium.profiles.models import ReaderEvent

    def event(event_id: str, type_: str = "borrow", cluster_id: str = "c1") -> ReaderEvent:
        return ReaderEvent(
            event_id=event_id, type=type_, at=dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC), cluster_id=cluster_id
        )

    store = CountingProfileStore()
    grouped = make_profiles(store)
    store.meanwhile = lambda: grouped.record_event("alice", event("theirs", cluster_id="c2"), STAFF)
    first = grouped.record_events("alice", [event("a1"), event("a2", "hold", "c2")], STAFF)
    store.meanwhile = lambda: grouped.record_event("alice", event("a4", "return"), STAFF)
    second = grouped.record_events("alice", [event("a3", "return", "c2"), event("a4", "return")], STAFF)
    assert (first, second) == ([EventOutcome.STORED] * 2, [EventOutcome.STORED, EventOutcome.DUPLICATE])

    alone = make_profiles()  # one after the other, in the order they were stored
    for each in (event("theirs", cluster_id="c2"), event("a1"), event("a2", "hold", "c2"), event("a4", "return"),
                 event("a3", "return", "c2")):  # fmt: skip
        alone.record_event("alice", each, STAFF)
    learned = grouped.interest_profile("alice", STAFF, Purpose.PERSONALIZATION)
    assert learned == alone.interest_profile("alice", STAFF, Purpose.PERSONALIZATION)
    assert sorted(e.event_id for e in grouped.events("alice", STAFF)) == ["a1", "a2", "a3", "a4", "theirs"]
