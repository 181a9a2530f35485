"""Loans of a member's works by other members' readers, as its contribution page shows them: counted by the
analytics job into frozen months (each member holding a work counts its loan), read from the stored report.
Only other members' readers, only works the member holds, only readers who granted ``analytics`` at libraries that
share circulation; no figure behind fewer than ten readers; and the time-difference attack (read, one reader's
loan or withdrawal, read again) finds nothing until a month closes, and a closed month never changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from factories import make_cluster

from consortium.adapters.memory.analytics import InMemoryAnalyticsStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.analytics.contribution import CrossLoans, cross_loans
from consortium.analytics.report import Selection
from consortium.analytics.service import Analytics
from consortium.dedup.state import ClusterChange
from consortium.members import Member, MemberRegistry, SharingPolicy
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ReaderEvent
from consortium.profiles.service import ProfileService

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
OCTOBER = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)
NOVEMBER = dt.datetime(2026, 11, 12, 9, 0, tzinfo=dt.UTC)
DESK = Actor(actor_id="b/desk", role="member_staff")
REGISTRY = MemberRegistry(
    members=[
        Member(id="home", name="Home"),
        Member(id="b", name="B"),
        Member(id="c", name="C"),
        Member(id="hidden", name="Hidden", sharing=SharingPolicy(share_holdings=False)),
        Member(id="closed", name="Closed", sharing=SharingPolicy(share_circulation="none")),
    ]
)


class _Hub:
    def __init__(self) -> None:
        keys = InMemoryKeyService()
        self.clock = ManualClock(OCTOBER)
        clusters = InMemoryClusterStore()
        self.profiles = ProfileService(
            InMemoryProfileStore(),
            EnvelopeCipher(keys),
            InMemoryConsentLedger(),
            POLICY,
            self.clock,
            keys=keys,
            cluster_lookup=clusters.get,
        )
        clusters.apply(
            ClusterChange(
                saved=[
                    make_cluster("moby", "Moby-Dick", ["home"]),
                    make_cluster("shared", "Shared", ["home", "c", "hidden"]),
                    make_cluster("theirs", "Theirs", ["b"]),
                ]
            )
        )
        self.analytics = Analytics(
            InMemoryAnalyticsStore(),
            self.profiles,
            ledgers=None,
            registry=lambda: REGISTRY,
            work=clusters.get,
            hits=None,
            clock=self.clock,
        )
        self.events = 0

    def reader(self, reader_id: str, member: str, *, analytics: bool = True) -> None:
        consents = [Purpose.PERSONALIZATION, *([Purpose.ANALYTICS] if analytics else [])]
        self.profiles.create_reader(reader_id, member, consents, actor=DESK)

    def borrow(self, reader_id: str, cluster_id: str, at: dt.datetime = OCTOBER) -> None:
        self.events += 1
        event = ReaderEvent(event_id=f"e{self.events}", type="borrow", at=at, cluster_id=cluster_id)
        self.profiles.record_event(reader_id, event, DESK)

    def readers(self, member: str, count: int, cluster_id: str, at: dt.datetime = OCTOBER, prefix: str = "") -> None:
        for n in range(count):
            self.reader(f"{prefix or member}{n}", member)
            self.borrow(f"{prefix or member}{n}", cluster_id, at)

    def page(self, member: str = "home") -> CrossLoans:
        """What the contribution page shows: the stored report read, no reader touched."""
        return cross_loans(member, self.analytics.stored())

    def build_at(self, when: dt.datetime) -> None:
        self.clock.now = when
        self.analytics.build()


@pytest.fixture
def hub() -> _Hub:
    return _Hub()


def _cells(figures: CrossLoans) -> list[tuple[str | None, int, int]]:
    return [(cell.member, cell.readers, cell.loans) for cell in figures.by_member]


def test_no_report_yet_shows_nothing(hub: _Hub) -> None:
    figures = hub.page()
    assert figures.suppressed and figures.period is None and figures.computed_at is None
    assert (figures.readers, figures.loans, figures.by_member, figures.by_month) == (None, None, [], [])


def test_nine_readers_show_nothing_ten_show_the_figures(hub: _Hub) -> None:
    hub.readers("b", 9, "moby")
    hub.clock.now = NOVEMBER
    hub.readers("b", 10, "moby", at=NOVEMBER, prefix="n")
    hub.build_at(dt.datetime(2026, 12, 8, tzinfo=dt.UTC))
    figures = hub.page()
    assert figures.computed_at == dt.datetime(2026, 12, 8, tzinfo=dt.UTC)
    assert [(m.period, m.suppressed, m.readers) for m in figures.by_month] == [
        ("2026-11", False, 10),
        ("2026-10", True, None),
    ]
    assert (figures.period, figures.readers, figures.loans) == ("2026-11", 10, 10)
    assert _cells(figures) == [("b", 10, 10)]


def test_each_member_holding_a_work_counts_loans_by_other_members_readers_only(hub: _Hub) -> None:
    hub.readers("home", 20, "moby")  # its own readers: never
    hub.readers("b", 20, "theirs", prefix="t")  # a work home does not hold
    hub.readers("c", 10, "shared")  # c holds it too: counts for home and hidden, not for c
    hub.readers("b", 12, "shared", prefix="s")  # counts for home, c and hidden
    hub.readers("closed", 15, "moby")  # closed shares no circulation
    for n in range(5):
        hub.reader(f"no{n}", "b", analytics=False)
        hub.borrow(f"no{n}", "moby")
    hub.build_at(dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
    home = hub.page()
    assert (home.readers, home.loans) == (22, 22)
    assert _cells(home) == [("b", 12, 12), ("c", 10, 10)]
    c = hub.page("c")
    assert (c.readers, c.loans) == (12, 12) and _cells(c) == [("b", 12, 12)]
    assert hub.page("b").suppressed  # no other member's reader borrowed b's work
    assert hub.page("hidden").readers == 22  # a member hiding its holdings still sees its own figures
    # ... but the analytics staff of every member read do not name it
    _, rows = hub.analytics.select(Selection(table="held_by", metric="loans"))
    assert {row.value for row in rows} == {"home", "c"}
    _, rows = hub.analytics.select(Selection(table="borrowed_by", metric="loans"))
    assert {row.parent for row in rows} == {"home", "c"}


def test_a_small_borrowing_member_is_grouped_with_the_rest_never_shown_alone(hub: _Hub) -> None:
    hub.readers("b", 25, "moby")
    hub.readers("c", 3, "moby")
    hub.build_at(dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
    figures = hub.page()
    assert figures.readers == 28
    assert _cells(figures) == [(None, 28, 28)]  # b alone would leave c's three readers as the total less b
    assert all(cell.readers >= figures.min_readers for cell in figures.by_member)


def test_two_holders_figures_never_differ_by_a_few_readers(hub: _Hub) -> None:
    """home holds moby and shared, c holds shared: were both shown, home − c would be moby's borrowers. With ten
    readers of shared and one of moby, one of the two is hidden."""
    hub.readers("b", 10, "shared")
    hub.reader("lone", "b")
    hub.borrow("lone", "moby")
    hub.build_at(dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
    home, c = hub.page(), hub.page("c")
    assert home.readers == 11 and c.suppressed  # c's loans lie inside home's: the smaller is hidden
    shown = [f.readers for f in (home, c) if f.readers is not None]
    assert len(shown) < 2 or abs(shown[0] - shown[1]) >= 10


def test_the_time_difference_attack_finds_nothing(hub: _Hub) -> None:
    """A member reads its page, one reader borrows (or withdraws), it reads again: the difference would single
    the reader out. The page only changes when a month closes, and a closed month is never counted again."""
    hub.readers("b", 12, "moby")
    hub.build_at(dt.datetime(2026, 10, 20, tzinfo=dt.UTC))
    assert hub.page().suppressed and hub.page().period is None  # October is running: nothing shown
    hub.build_at(dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
    before = hub.page()
    assert (before.period, before.readers, before.loans) == ("2026-10", 12, 12)

    # one more reader borrows in November, one October loan is uploaded late, one reader withdraws
    hub.reader("new", "b")
    hub.borrow("new", "moby", dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    hub.reader("late", "c")
    hub.borrow("late", "moby", OCTOBER)
    hub.profiles.withdraw("b0", Purpose.ANALYTICS)
    for day in (9, 15, 30):  # the daily job runs; November is not closed
        hub.build_at(dt.datetime(2026, 11, day, tzinfo=dt.UTC))
        after = hub.page()
        assert after.model_dump(exclude={"computed_at"}) == before.model_dump(exclude={"computed_at"})

    # November closes: it is counted (the withdrawn reader not in it), October stays as it was
    hub.clock.now = NOVEMBER
    hub.readers("b", 10, "moby", at=NOVEMBER, prefix="nov")
    hub.build_at(dt.datetime(2026, 12, 8, tzinfo=dt.UTC))
    closed = hub.page()
    assert (closed.period, closed.readers, closed.loans) == ("2026-11", 11, 11)
    october = closed.by_month[1]
    assert (october.period, october.readers, october.loans) == ("2026-10", 12, 12)
    assert october.by_member == before.by_member

    # a withdrawal after the month closed does not change it either
    hub.profiles.withdraw("b1", Purpose.ANALYTICS)
    hub.profiles.erase("b2")
    hub.build_at(dt.datetime(2027, 1, 3, tzinfo=dt.UTC))
    assert hub.page().by_month == closed.by_month


def test_the_page_shows_the_last_twelve_frozen_months_newest_first(hub: _Hub) -> None:
    start = dt.datetime(2025, 9, 10, tzinfo=dt.UTC)
    for number in range(14):
        at = (start.replace(day=1) + dt.timedelta(days=31 * number)).replace(day=10)
        hub.clock.now = at
        hub.readers("b", 10, "moby", at=at, prefix=f"m{number}-")
    hub.build_at(dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
    figures = hub.page()
    assert len(figures.by_month) == 12
    assert figures.by_month[0].period == "2026-10" and figures.by_month[-1].period == "2025-11"
    assert all(month.readers == 10 for month in figures.by_month)
