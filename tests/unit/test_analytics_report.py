"""The analytics job over real (in-memory) readers: only readers who consented to ``analytics`` count, loans of a
member that does not share circulation never do, months are published once closed and then frozen (a later
build cannot be subtracted from an earlier one), zero-result queries and cross-member use, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from factories import make_cluster

from consortium.adapters.memory.analytics import InMemoryAnalyticsStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.analytics.cells import OTHER
from consortium.analytics.report import Report, Selection, as_csv, select
from consortium.analytics.service import Analytics
from consortium.dedup.state import ClusterChange
from consortium.errors import NotFoundError, ValidationError
from consortium.members import Member, MemberRegistry, SharingPolicy
from consortium.models import Classification, ClassScheme, Holding
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ReaderEvent
from consortium.profiles.service import ProfileService
from consortium.push.ledgers import PushLedgers

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
OCTOBER = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)
DESK = Actor(actor_id="riverside/desk", role="member_staff")
REGISTRY = MemberRegistry(
    members=[
        Member(id="riverside", name="Riverside"),
        Member(id="lakeside", name="Lakeside"),
        Member(id="closed", name="Closed", sharing=SharingPolicy(share_circulation="none")),
    ]
)


class _Hub:
    def __init__(self) -> None:
        keys = InMemoryKeyService()
        self.clock = ManualClock(OCTOBER)
        self.clusters = InMemoryClusterStore()
        self.profiles = ProfileService(
            InMemoryProfileStore(),
            EnvelopeCipher(keys),
            InMemoryConsentLedger(),
            POLICY,
            self.clock,
            keys=keys,
            cluster_lookup=self.clusters.get,
        )
        poems = make_cluster("poems", "Tang poems", ("riverside",), subjects=["Chinese poetry -- Tang dynasty"])
        poems = poems.model_copy(update={"classifications": [Classification(scheme=ClassScheme.CLC, code="I222")]})
        lake = make_cluster("lake", "Lake fish", ("lakeside",), subjects=["Fishes"])
        lake = lake.model_copy(update={"holdings": [Holding(member="lakeside")]})
        self.clusters.apply(ClusterChange(saved=[poems, lake]))
        self.catalogue = {"tang poems", "lake fish"}
        self.store = InMemoryAnalyticsStore()
        self.analytics = Analytics(
            self.store,
            self.profiles,
            ledgers=PushLedgers(self.profiles.vault),
            registry=lambda: REGISTRY,
            work=self.clusters.get,
            hits=lambda query: sum(1 for title in self.catalogue if query in title),
            clock=self.clock,
        )

    def reader(self, reader_id: str, member: str, *, analytics: bool = True, **declared: str) -> None:
        consents = [Purpose.PERSONALIZATION, *([Purpose.ANALYTICS] if analytics else [])]
        self.profiles.create_reader(reader_id, member, consents, declared, actor=DESK)

    def event(self, reader_id: str, kind: str, at: dt.datetime = OCTOBER, **fields: str) -> None:
        number = len(self.profiles.item_counts(reader_id))
        event_id = f"{reader_id}-{kind}-{at.isoformat()}-{number}-{fields}"
        self.profiles.record_event(reader_id, ReaderEvent(event_id=event_id, type=kind, at=at, **fields), DESK)


def _row(report: Report, table: str, metric: str, value: str, period: str = "2026-10") -> tuple[int, int] | None:
    rows = select(report, Selection(table=table, metric=metric, start=period, end=period))  # type: ignore[arg-type]
    found = [(r.events, r.readers) for r in rows if r.value == value]
    return found[0] if found else None


@pytest.fixture
def hub() -> _Hub:
    return _Hub()


def test_nothing_is_published_before_the_month_is_closed_and_its_grace_over(hub: _Hub) -> None:
    for n in range(10):
        hub.reader(f"r{n}", "riverside")
        hub.event(f"r{n}", "search", query="Tang poems")
    assert hub.analytics.build().rows == []  # October is still running
    hub.clock.now = dt.datetime(2026, 11, 7, tzinfo=dt.UTC)
    assert hub.analytics.build().periods == []  # over, but a library may still upload October's loans
    hub.clock.now = dt.datetime(2026, 11, 8, tzinfo=dt.UTC)
    report = hub.analytics.build()
    assert report.periods == ["2026-10"]
    assert _row(report, "member", "searches", "riverside") == (10, 10)


def test_only_consenting_readers_count_and_a_member_not_sharing_circulation_never_shows_loans(hub: _Hub) -> None:
    for n in range(10):
        hub.reader(f"r{n}", "riverside", discipline="Physics", degree_level="master")
        hub.event(f"r{n}", "view", cluster_id="poems")
        hub.event(f"r{n}", "borrow", cluster_id="poems")
    for n in range(5):
        hub.reader(f"no{n}", "riverside", analytics=False)
        hub.event(f"no{n}", "view", cluster_id="poems")
    for n in range(12):
        hub.reader(f"c{n}", "closed")
        hub.event(f"c{n}", "borrow", cluster_id="poems")
        hub.event(f"c{n}", "view", cluster_id="poems")
    hub.clock.now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    report = hub.analytics.build()
    assert _row(report, "total", "views", "*") == (22, 22)  # the five without consent are not there
    assert _row(report, "total", "loans", "*") == (10, 10)  # closed's twelve loans are never counted
    assert _row(report, "member", "loans", "closed") is None
    assert _row(report, "member", "views", "closed") == (12, 12)  # closed's readers' views are not circulation
    assert _row(report, "discipline", "views", "physics") == (10, 10)
    assert _row(report, "degree_level", "loans", "master") == (10, 10)
    assert _row(report, "class", "loans", "clc:I") == (10, 10)
    assert _row(report, "subclass", "loans", "clc:I2") == (10, 10)
    assert _row(report, "subject", "loans", "subject:chinese poetry") == (10, 10)
    audit = hub.profiles.vault.store.audit_log("r0")
    assert {e.purpose for e in audit if e.actor_id == "analytics-job"} == {Purpose.ANALYTICS}
    assert hub.profiles.vault.store.audit_log("no0") == [e for e in hub.profiles.vault.store.audit_log("no0")
                                                        if e.actor_id != "analytics-job"]  # fmt: skip


def test_a_frozen_month_keeps_its_rows_so_two_builds_cannot_be_subtracted(hub: _Hub) -> None:
    for n in range(10):
        hub.reader(f"r{n}", "riverside")
        hub.event(f"r{n}", "search", query="tang poems")
    hub.clock.now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    first = hub.analytics.build()
    # an eleventh reader's October search arrives late, and a first reader erases their account
    hub.reader("late", "riverside")
    hub.event("late", "search", at=OCTOBER, query="tang poems")
    hub.profiles.erase("r0")
    hub.clock.now = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    second = hub.analytics.build()
    assert _row(first, "total", "searches", "*") == _row(second, "total", "searches", "*") == (10, 10)
    assert second.periods == ["2026-10"]  # November had nothing: no month, no row
    with pytest.raises(ValidationError, match="min_readers"):
        Analytics(hub.store, hub.profiles, ledgers=None, registry=lambda: REGISTRY, work=hub.clusters.get,
                  hits=None, clock=hub.clock, min_readers=5).build()  # fmt: skip


def test_zero_result_queries_are_what_ten_readers_looked_for_and_no_member_has(hub: _Hub) -> None:
    for n in range(11):
        hub.reader(f"r{n}", "riverside")
        hub.event(f"r{n}", "search", query="Dream of the Red  Chamber")
        hub.event(f"r{n}", "search", query="Tang poems")
    hub.reader("alone", "riverside")
    hub.event("alone", "search", query="a very personal query")
    hub.clock.now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    report = hub.analytics.build()
    rows = select(report, Selection(table="zero_result", metric="searches"))
    assert [(r.value, r.events, r.readers) for r in rows] == [("dream of the red chamber", 11, 11)]


def test_cross_member_use_counts_loans_of_works_held_elsewhere_by_holder_and_borrower(hub: _Hub) -> None:
    for n in range(10):
        hub.reader(f"r{n}", "riverside")
        hub.event(f"r{n}", "borrow", cluster_id="lake")  # lakeside holds it, riverside does not
        hub.event(f"r{n}", "borrow", cluster_id="poems")
    hub.reader("one", "lakeside")
    hub.event("one", "borrow", cluster_id="poems")  # a single lakeside reader borrows a riverside work
    hub.clock.now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    report = hub.analytics.build()
    assert _row(report, "holder", "loans", "lakeside") is None  # it would leave riverside's single loan over
    assert select(report, Selection(table="holder", metric="loans")) == []
    # poems (class I) minus riverside's own-library loans would be the lakeside reader: all merged instead
    reach = {r.value: (r.events, r.readers) for r in select(report, Selection(table="reach", metric="loans"))}
    assert reach == {OTHER: (21, 11)}
    assert _row(report, "class", "loans", "clc:I") is None
    hub.clock.now = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    for n in range(10):
        hub.reader(f"l{n}", "lakeside")
        hub.event(f"l{n}", "borrow", at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC), cluster_id="poems")
    hub.clock.now = dt.datetime(2027, 1, 9, tzinfo=dt.UTC)
    report = hub.analytics.build()
    december = select(report, Selection(table="borrower", metric="loans", start="2026-12", parent="riverside"))
    assert [(r.value, r.events, r.readers) for r in december] == [("lakeside", 10, 10)]


def test_push_engagement_is_counted_from_the_ledgers(hub: _Hub) -> None:
    from consortium.push.models import Channel, Mute, MuteKind, SentItem, ServiceId

    ledgers = PushLedgers(hub.profiles.vault)
    for n in range(10):
        hub.reader(f"r{n}", "riverside")
        hub.profiles.grant(f"r{n}", Purpose.PUSH)
        item = SentItem(cluster_id="poems", service=ServiceId.INTERESTED_NEW, channel=Channel.INBOX, digest_id="d1",
                        at=OCTOBER, title="Tang poems", reason="r", not_interested=n < 3)  # fmt: skip
        ledgers.save_sent(f"r{n}", [item], DESK, Purpose.PUSH)
        ledgers.save_mute(f"r{n}", Mute(kind=MuteKind.CLASS, key="class:clc:TP3", at=OCTOBER), DESK, Purpose.PUSH)
    hub.clock.now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    report = hub.analytics.build()
    assert _row(report, "total", "push_delivered", "*") == (10, 10)
    assert _row(report, "total", "push_not_interested", "*") is None  # three readers
    assert _row(report, "class", "push_muted", "clc:T") == (10, 10)


def test_staff_read_only_what_was_stored_and_as_csv(hub: _Hub) -> None:
    with pytest.raises(NotFoundError, match="no analytics"):
        hub.analytics.report()
    for n in range(10):
        hub.reader(f"r{n}", "riverside")
        hub.event(f"r{n}", "search", query="=HYPERLINK(1)")
    hub.clock.now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    hub.analytics.build()
    _, rows = hub.analytics.select(Selection(table="zero_result", metric="searches"))
    lines = list(csv.reader(io.StringIO(as_csv(rows))))
    assert lines[0] == ["table", "metric", "period", "parent", "value", "events", "readers"]
    assert lines[1] == ["zero_result", "searches", "2026-10", "*", "'=hyperlink(1)", "10", "10"]
    with pytest.raises(ValidationError, match="start"):
        hub.analytics.select(Selection(start="2026-11", end="2026-10"))


def test_a_search_filtered_by_a_class_in_the_query_box_counts_under_that_class(hub: _Hub) -> None:
    for n in range(10):
        hub.reader(f"r{n}", "riverside")
        hub.event(f"r{n}", "search", query="poems class:clc:I222")
    hub.clock.now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    report = hub.analytics.build()
    assert _row(report, "class", "searches", "clc:I") == (10, 10)
    assert _row(report, "subclass", "searches", "clc:I2") == (10, 10)
