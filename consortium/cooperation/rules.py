"""The rules of inter-library loan, as pure functions: which member may lend a work to a reader's library, and
who may move a request from one state to the next.

=============  ==============================  ===========================================
from           to                              moved by
=============  ==============================  ===========================================
requested      accepted, refused               the lending library's staff
requested      cancelled                       the reader, or the borrowing library's staff
accepted       shipped                         the lending library's staff
shipped        received                        the borrowing library's staff
received       returned                        the lending library's staff (it has the copy back)
=============  ==============================  ===========================================

A lender must hold the work with a copy ``available`` (its holdings say so), lend to the reader's library (its
``lend_to_members`` is empty or names it) and show its holdings to that library's readers (a member hiding its
holdings is not revealed by a loan); the reader's own library is never a lender.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from consortium.cooperation.models import LoanState, Side
from consortium.models import Availability

if TYPE_CHECKING:
    from consortium.members import MemberRegistry
    from consortium.models import Cluster, Holding

__all__ = ["MOVES", "lenders", "may_lend", "who_moves"]

MOVES: Final[dict[tuple[LoanState, LoanState], Side | None]] = {
    (LoanState.REQUESTED, LoanState.ACCEPTED): Side.LENDING,
    (LoanState.REQUESTED, LoanState.REFUSED): Side.LENDING,
    (LoanState.REQUESTED, LoanState.CANCELLED): Side.BORROWING,
    (LoanState.ACCEPTED, LoanState.SHIPPED): Side.LENDING,
    (LoanState.SHIPPED, LoanState.RECEIVED): Side.BORROWING,
    (LoanState.RECEIVED, LoanState.RETURNED): Side.LENDING,
}
"""Each allowed step and which library's staff takes it."""


def who_moves(current: LoanState, wanted: LoanState) -> Side | None:
    """The side whose staff may move a request from ``current`` to ``wanted``; ``None``: no such step."""
    return MOVES.get((current, wanted))


def may_lend(registry: MemberRegistry, lender: str, borrower: str) -> str | None:
    """Why ``lender`` may not lend to readers of ``borrower`` (``None``: it may)."""
    if lender == borrower:
        return "a library does not ask itself: the reader's own library holds the work"
    member = next((m for m in registry.members if m.id == lender), None)
    if member is None:
        return f"{lender!r} is not a member of the consortium"
    if not member.sharing.share_holdings:
        return f"{lender!r} shows its holdings only to its own readers"
    allowed = member.sharing.lend_to_members
    if allowed and borrower not in allowed:
        return f"{lender!r} lends only to readers of {', '.join(allowed)}"
    return None


def lenders(registry: MemberRegistry, cluster: Cluster, borrower: str) -> list[Holding]:
    """The holdings a request for ``cluster`` by a reader of ``borrower`` may go to: an available copy of each
    member that may lend to it, in member order (one per member)."""
    chosen: dict[str, Holding] = {}
    for holding in sorted(cluster.holdings, key=lambda h: h.member):
        if holding.availability is not Availability.AVAILABLE or holding.member in chosen:
            continue
        if may_lend(registry, holding.member, borrower) is None:
            chosen[holding.member] = holding
    return list(chosen.values())
