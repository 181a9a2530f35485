"""Loans of a member's works by other members' readers: only other members' readers, only works the member
holds, only readers who granted ``analytics`` at libraries that share circulation; no figure behind fewer than ten
distinct readers, neither shown nor left to be worked out by difference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from factories import make_cluster

from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.cooperation.crossloans import CrossMemberLoans, cross_loans
from consortium.dedup.state import ClusterChange
from consortium.members import Member, MemberRegistry, SharingPolicy
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ReaderEvent
from consortium.profiles.service import ProfileService

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
READER = Actor(actor_id="r", role="reader")
HELD = {"moby": frozenset({"home"}), "shared": frozenset({"home", "b"}), "theirs": frozenset({"b"})}


def _holders(cluster_id: str) -> frozenset[str]:
    return HELD.get(cluster_id, frozenset())


def _loans(member: str, readers: int, cluster_id: str = "moby", prefix: str = "") -> list[tuple[str, str, str]]:
    return [(f"{prefix or member}-{n}", cluster_id, member) for n in range(readers)]


def test_nine_readers_show_nothing_ten_show_the_figures() -> None:
    nine = cross_loans("home", _loans("b", 9), _holders, T0)
    assert nine.suppressed
    assert (nine.readers, nine.loans, nine.works, nine.by_member) == (None, None, None, [])
    ten = cross_loans("home", _loans("b", 10), _holders, T0)
    assert not ten.suppressed
    assert (ten.readers, ten.loans, ten.works) == (10, 10, 1)
    assert [(c.member, c.readers) for c in ten.by_member] == [("b", 10)]


def test_own_readers_and_works_the_member_lacks_do_not_count() -> None:
    loans = [*_loans("home", 20), *_loans("b", 20, "theirs"), *_loans("c", 10, "shared")]
    figures = cross_loans("home", loans, _holders, T0)
    assert (figures.readers, figures.works) == (10, 1)  # c's readers borrowing a work home holds too
    assert [c.member for c in figures.by_member] == ["c"]


def test_loans_and_works_are_counted_apart_from_readers() -> None:
    loans = [*_loans("b", 10), *_loans("b", 10, "shared")]  # the same ten readers, two works each
    figures = cross_loans("home", loans, _holders, T0)
    assert (figures.readers, figures.loans, figures.works) == (10, 20, 2)


def test_a_small_member_is_grouped_with_the_rest_never_shown_alone() -> None:
    loans = [*_loans("b", 30), *_loans("c", 12), *_loans("d", 4), *_loans("e", 7)]
    figures = cross_loans("home", loans, _holders, T0)
    assert figures.readers == 53
    assert [(c.member, c.readers) for c in figures.by_member] == [("b", 30), ("c", 12), (None, 11)]


def test_the_difference_attack_finds_no_small_cell() -> None:
    """b (25 readers) and c (14) are each above the threshold, d has 3: publishing the total, b and c would give
    d's 3 readers as total − b − c. The smallest shown member, c, joins d, and "the rest" is 17 readers."""
    loans = [*_loans("b", 25), *_loans("c", 14), *_loans("d", 3)]
    figures = cross_loans("home", loans, _holders, T0)
    cells = [(c.member, c.readers) for c in figures.by_member]
    assert cells == [("b", 25), (None, 17)]
    shown = sum(c.readers for c in figures.by_member if c.member is not None)
    assert figures.readers is not None
    remainder = figures.readers - shown
    assert remainder == 0 or remainder >= figures.min_readers
    assert all(readers >= figures.min_readers for _, readers in cells)


def test_when_every_member_would_be_small_only_the_total_shows() -> None:
    loans = [*_loans("b", 12), *_loans("c", 5)]
    figures = cross_loans("home", loans, _holders, T0)
    assert [(c.member, c.readers) for c in figures.by_member] == [(None, 17)]


# -- from the readers' stored loans


def _hub(registry: MemberRegistry) -> tuple[ProfileService, CrossMemberLoans, ManualClock]:
    keys = InMemoryKeyService()
    clusters = InMemoryClusterStore()
    profiles = ProfileService(
        InMemoryProfileStore(),
        EnvelopeCipher(keys),
        InMemoryConsentLedger(),
        POLICY,
        ManualClock(T0),
        keys=keys,
        cluster_lookup=clusters.get,
    )
    clusters.apply(
        ClusterChange(saved=[make_cluster("moby", "Moby-Dick", ["home"]), make_cluster("other", "Other", ["b"])])
    )
    clock = ManualClock(T0)
    return profiles, CrossMemberLoans(profiles, clusters, lambda: registry, clock), clock


def _reader(profiles: ProfileService, reader_id: str, member: str, purposes: list[Purpose]) -> None:
    profiles.create_reader(reader_id, member, [Purpose.PERSONALIZATION, *purposes])
    for n, cluster_id in enumerate(("moby", "other")):
        event = ReaderEvent(event_id=f"{reader_id}-{n}", type="borrow", at=T0, cluster_id=cluster_id)
        profiles.record_event(reader_id, event, READER)
    view = ReaderEvent(event_id=f"{reader_id}-v", type="view", at=T0, cluster_id="moby")
    profiles.record_event(reader_id, view, READER)


def test_only_consenting_readers_of_sharing_members_count() -> None:
    sharing = MemberRegistry(members=[Member(id="home", name="Home"), Member(id="b", name="B")])
    profiles, crossing, clock = _hub(sharing)
    for n in range(9):
        _reader(profiles, f"b{n}", "b", [Purpose.ANALYTICS])
    _reader(profiles, "no-consent", "b", [])
    _reader(profiles, "own", "home", [Purpose.ANALYTICS])
    assert crossing.of("home").suppressed  # nine counted readers
    _reader(profiles, "b9", "b", [Purpose.ANALYTICS])
    assert crossing.of("home").suppressed  # the loans read a moment ago are kept for max_age
    clock.advance(crossing.max_age)
    figures = crossing.of("home")
    assert figures.computed_at == T0 + crossing.max_age
    assert (figures.readers, figures.loans, figures.works) == (10, 10, 1)  # views are not loans
    assert [(cell.member, cell.readers) for cell in figures.by_member] == [("b", 10)]
    assert crossing.of("b").suppressed  # only "own" of home borrowed b's work

    closed = MemberRegistry(
        members=[
            Member(id="home", name="Home"),
            Member(id="b", name="B", sharing=SharingPolicy(share_circulation="none")),
        ]
    )
    crossing._registry = lambda: closed  # the policy changed: the next call applies it, loans kept or not
    assert crossing.of("home").suppressed


def test_reading_the_loans_is_audited_under_analytics() -> None:
    sharing = MemberRegistry(members=[Member(id="home", name="Home"), Member(id="b", name="B")])
    profiles, crossing, _ = _hub(sharing)
    _reader(profiles, "b0", "b", [Purpose.ANALYTICS])
    _reader(profiles, "none", "b", [])
    crossing.of("home")
    entries = profiles.vault.store.audit_log("b0")
    assert any(e.actor_id == "member-contribution" and e.purpose == Purpose.ANALYTICS for e in entries)
    assert not any(e.actor_id == "member-contribution" for e in profiles.vault.store.audit_log("none"))


def test_a_withdrawn_consent_counts_from_the_next_reading() -> None:
    sharing = MemberRegistry(members=[Member(id="home", name="Home"), Member(id="b", name="B")])
    profiles, crossing, clock = _hub(sharing)
    for n in range(10):
        _reader(profiles, f"b{n}", "b", [Purpose.ANALYTICS])
    assert crossing.of("home").readers == 10
    profiles.withdraw("b0", Purpose.ANALYTICS)
    clock.advance(crossing.max_age)
    assert crossing.of("home").suppressed
