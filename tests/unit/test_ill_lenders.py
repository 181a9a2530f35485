"""Which member an inter-library loan request goes to: a copy known available first, then a print copy whose
status its catalogue does not give (the lending library checks its shelf), never a copy known on loan or
unavailable, nor a link; fewest open requests, then member order; a member that refused the reader's request for
the work is passed over when they ask again, unless they name it. With the in-memory stores and a notices fake."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from factories import make_cluster

from consortium.adapters.memory import InMemoryClusterStore, InMemoryLoanRequestStore
from consortium.cooperation.models import LoanRequest, LoanState
from consortium.cooperation.notices import notice_text
from consortium.cooperation.rules import lenders, lends_to
from consortium.cooperation.service import InterLibraryLoans
from consortium.dedup.state import ClusterChange
from consortium.errors import ConflictError, ValidationError
from consortium.members import Member, MemberRegistry, SharingPolicy
from consortium.models import Availability, Holding
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from consortium.models import Cluster

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
REGISTRY = MemberRegistry(
    members=[
        Member(id="riverside", name="Riverside"),
        Member(id="eastlake", name="Eastlake"),
        Member(id="lakeside", name="Lakeside", sharing=SharingPolicy(lend_to_members=["riverside"])),
        Member(id="northgate", name="Northgate", sharing=SharingPolicy(share_holdings=False)),
        Member(id="westfield", name="Westfield"),
    ]
)
ALICE = Actor(actor_id="alice", role=ActorRole.READER)


def copy(member: str, availability: Availability = Availability.UNKNOWN, **kw: Any) -> Holding:
    kw.setdefault("location", f"{member} stacks")
    return Holding(member=member, call_number="PR1/1", availability=availability, **kw)


def work(*holdings: Holding, cluster_id: str = "w1") -> Cluster:
    found: Cluster = make_cluster(cluster_id, "A work", sorted({h.member for h in holdings}), holdings=list(holdings))
    return found


class Told:
    """The reader notices, as the service calls them: each request told, in order."""

    def __init__(self) -> None:
        self.told: list[LoanRequest] = []

    def tell(self, request: LoanRequest, actor: Actor) -> bool:
        self.told.append(request)
        return False


@pytest.fixture
def clusters() -> InMemoryClusterStore:
    return InMemoryClusterStore()


@pytest.fixture
def loans(clusters: InMemoryClusterStore) -> InterLibraryLoans:
    return InterLibraryLoans(InMemoryLoanRequestStore(), clusters, lambda: REGISTRY, Told(), clock=lambda: T0)  # type: ignore[arg-type]


def holding_work(clusters: InMemoryClusterStore, *holdings: Holding) -> None:
    clusters.apply(ClusterChange(saved=[work(*holdings)]))


def staff(member: str) -> Actor:
    return Actor(actor_id=f"{member}/desk", role=ActorRole.MEMBER_STAFF)


def test_a_print_copy_of_unknown_status_may_be_asked_after_those_known_available() -> None:
    cluster = work(
        copy("eastlake"),
        copy("westfield", Availability.AVAILABLE),
        copy("lakeside", Availability.ON_LOAN),
        copy("riverside", Availability.AVAILABLE),  # the reader's own: never a lender
    )
    assert [(h.member, h.availability) for h in lenders(REGISTRY, cluster, "riverside")] == [
        ("westfield", Availability.AVAILABLE),
        ("eastlake", Availability.UNKNOWN),
    ]


def test_on_loan_unavailable_online_and_hidden_copies_are_never_asked() -> None:
    cluster = work(
        copy("eastlake", Availability.ON_LOAN),
        copy("westfield", Availability.UNAVAILABLE),
        Holding(member="lakeside", url="https://example.org/e", availability=Availability.ONLINE),
        Holding(member="lakeside", url="https://example.org/odd"),  # a link whose status is not given: no copy
        copy("northgate"),  # shows its holdings only to its own readers
    )
    assert lenders(REGISTRY, cluster, "riverside") == []


def test_a_member_with_one_copy_on_loan_and_another_unknown_is_asked_for_the_unknown_one() -> None:
    cluster = work(copy("eastlake", Availability.ON_LOAN), copy("eastlake", location="Annex"))
    [chosen] = lenders(REGISTRY, cluster, "riverside")
    assert chosen.availability is Availability.UNKNOWN and chosen.location == "Annex"


def test_the_request_goes_to_an_unknown_copy_and_says_the_lender_checks_its_shelf(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore
) -> None:
    holding_work(clusters, copy("eastlake"), copy("westfield", Availability.ON_LOAN))
    made = loans.ask("alice", "riverside", "w1", actor=ALICE)
    assert made.lender == "eastlake" and made.availability is Availability.UNKNOWN
    told = notice_text(made, {"eastlake": "Eastlake University Library"})
    assert "went to Eastlake University Library" in told and "will check whether its copy is on the shelf" in told
    assert "将核查其馆藏是否在架" in notice_text(made, {}, chinese=True)
    assert "check" not in notice_text(made.model_copy(update={"availability": Availability.AVAILABLE}), {})


def test_a_known_available_copy_is_preferred_even_to_a_less_busy_unknown_one(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore
) -> None:
    holding_work(clusters, copy("eastlake"), copy("westfield", Availability.AVAILABLE))
    first = loans.ask("bob", "riverside", "w1", actor=ALICE)
    second = loans.ask("carol", "riverside", "w1", actor=ALICE)
    assert (first.lender, second.lender) == ("westfield", "westfield")  # westfield busier, but known available


def test_among_unknown_copies_the_fewest_open_requests_then_member_order(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore
) -> None:
    holding_work(clusters, copy("westfield"), copy("eastlake"))
    assert [loans.ask(r, "riverside", "w1", actor=ALICE).lender for r in ("a", "b", "c")] == [
        "eastlake",
        "westfield",
        "eastlake",
    ]


def test_after_a_refusal_asking_again_goes_to_the_next_holder(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore
) -> None:
    holding_work(clusters, copy("eastlake"), copy("westfield"))
    first = loans.ask("alice", "riverside", "w1", actor=ALICE)
    assert first.lender == "eastlake"
    refused = loans.move("eastlake", first.request_id, LoanState.REFUSED, actor=staff("eastlake"), note="not found")
    assert "You may ask again" in notice_text(refused, {})
    second = loans.ask("alice", "riverside", "w1", actor=ALICE)
    assert second.lender == "westfield"
    loans.move("westfield", second.request_id, LoanState.REFUSED, actor=staff("westfield"))
    with pytest.raises(ConflictError, match=r"eastlake, westfield refused your earlier request .*'lender'"):
        loans.ask("alice", "riverside", "w1", actor=ALICE)
    again = loans.ask("alice", "riverside", "w1", actor=ALICE, lender="eastlake")  # named: asked again
    assert again.lender == "eastlake" and again.state is LoanState.REQUESTED
    assert loans.ask("bob", "riverside", "w1", actor=ALICE).lender == "westfield"  # another reader: not passed over


def test_a_cancelled_request_does_not_pass_the_lender_over(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore
) -> None:
    holding_work(clusters, copy("eastlake"), copy("westfield"))
    first = loans.ask("alice", "riverside", "w1", actor=ALICE)
    loans.cancel("alice", first.request_id, actor=ALICE)
    assert loans.ask("alice", "riverside", "w1", actor=ALICE).lender == "eastlake"


def test_a_named_lender_with_only_an_unknown_copy_is_accepted(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore
) -> None:
    holding_work(clusters, copy("eastlake", Availability.AVAILABLE), copy("westfield"))
    made = loans.ask("alice", "riverside", "w1", actor=ALICE, lender="westfield")
    assert made.lender == "westfield" and made.availability is Availability.UNKNOWN


@pytest.mark.parametrize(
    ("holdings", "lender", "says"),
    [
        ([copy("eastlake", Availability.ON_LOAN)], "eastlake", "its copies are on_loan"),
        (
            [copy("eastlake", Availability.ON_LOAN), copy("eastlake", Availability.UNAVAILABLE)],
            "eastlake",
            "its copies are on_loan or unavailable",
        ),
        (
            [Holding(member="eastlake", url="https://e.example", availability=Availability.ONLINE)],
            "eastlake",
            "only online",
        ),
        ([copy("eastlake")], "westfield", "'westfield' does not hold this work"),
    ],
)
def test_a_named_lender_that_may_not_be_asked_is_a_400_naming_the_field_and_why(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore, holdings: list[Holding], lender: str, says: str
) -> None:
    holding_work(clusters, *holdings)
    with pytest.raises(ValidationError, match=f"field 'lender': .*{says}") as caught:
        loans.ask("alice", "riverside", "w1", actor=ALICE, lender=lender)
    assert caught.value.details.get("field") == "lender"


def test_the_own_library_check_is_for_a_copy_known_available_only(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore
) -> None:
    holding_work(clusters, copy("riverside"), copy("eastlake"))
    assert loans.ask("alice", "riverside", "w1", actor=ALICE).lender == "eastlake"
    holding_work(clusters, copy("riverside", Availability.AVAILABLE), copy("eastlake"))
    with pytest.raises(ValidationError, match="field 'cluster_id': your library"):
        loans.ask("bob", "riverside", "w1", actor=ALICE)


def test_no_copy_that_may_be_asked_is_a_409_that_says_why(
    loans: InterLibraryLoans, clusters: InMemoryClusterStore
) -> None:
    holding_work(clusters, copy("eastlake", Availability.ON_LOAN), copy("westfield", Availability.UNAVAILABLE))
    with pytest.raises(ConflictError, match="not known to be on loan or unavailable"):
        loans.ask("alice", "riverside", "w1", actor=ALICE)


def test_what_a_work_page_says_of_each_holding_is_what_the_request_obeys() -> None:
    # lakeside lends only to riverside; northgate hides its holdings; a reader's own library is nothing to ask
    assert [lends_to(REGISTRY, m, "riverside") for m in ("lakeside", "eastlake", "northgate")] == [True, True, False]
    assert [lends_to(REGISTRY, m, "westfield") for m in ("lakeside", "eastlake")] == [False, True]
    assert lends_to(REGISTRY, "riverside", "riverside") is None
    assert lends_to(REGISTRY, "lakeside", None) is None  # signed out
    for borrower in ("riverside", "westfield"):
        asked = [h.member for h in lenders(REGISTRY, work(*(copy(m) for m in ("eastlake", "lakeside"))), borrower)]
        assert asked == [m for m in ("eastlake", "lakeside") if lends_to(REGISTRY, m, borrower)]
