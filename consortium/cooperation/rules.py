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

A lender must hold a print copy that may be on its shelf, lend to the reader's library (its ``lend_to_members`` is
empty or names it) and show its holdings to that library's readers (a member hiding its holdings is not revealed
by a loan); the reader's own library is never a lender. As in any inter-library loan, the request goes to a
library that holds the item and its staff check the shelf, then accept or refuse: a copy known ``available`` is
asked first; a copy whose status its catalogue does not give (``unknown``: most harvested records give none) may
be asked after those; a copy known ``on_loan`` or ``unavailable``, or a link (``online``: nothing to send), never.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from consortium.cooperation.models import LoanState, Side
from consortium.models import Availability

if TYPE_CHECKING:
    from consortium.members import MemberRegistry
    from consortium.models import Cluster, Holding

__all__ = ["ASKED", "MOVES", "lenders", "lends_to", "may_lend", "unaskable", "who_moves"]

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


def lends_to(registry: MemberRegistry, lender: str, borrower: str | None) -> bool | None:
    """Whether ``lender`` lends to readers of ``borrower`` by its sharing policy (:func:`may_lend`), as a work's
    page tells a signed-in reader of each holding; ``None`` without a borrower, or for the borrower itself.

    Told to a reader of ``borrower`` only, it says no more than asking would (a 409 names no lender that may not
    lend): the member's ``lend_to_members`` itself stays for the member's own staff to read.
    """
    if borrower is None or lender == borrower:
        return None
    return may_lend(registry, lender, borrower) is None


ASKED: Final[dict[Availability, int]] = {Availability.AVAILABLE: 0, Availability.UNKNOWN: 1}
"""The copies a request may go to, and in which order: known available first, then of unknown status."""


def _askable(holding: Holding) -> bool:
    return holding.availability in ASKED and holding.url is None


def unaskable(cluster: Cluster, member: str) -> str:
    """Why none of ``member``'s holdings of ``cluster`` may be asked (for a reader who named it)."""
    held = [h for h in cluster.holdings if h.member == member]
    if not held:
        return f"{member!r} does not hold this work"
    if all(h.availability is Availability.ONLINE or h.url is not None for h in held):
        return f"{member!r} has this work only online (no copy to send)"
    states = sorted({h.availability.value for h in held if h.availability is not Availability.ONLINE})
    return f"{member!r} has no copy that may be asked: its copies are {' or '.join(states)}"


def lenders(registry: MemberRegistry, cluster: Cluster, borrower: str) -> list[Holding]:
    """The holdings a request for ``cluster`` by a reader of ``borrower`` may go to, one per member that may lend
    to it: its copy known available, else its print copy of unknown status (see the module); those known
    available first, then in member order."""
    chosen: dict[str, Holding] = {}
    for holding in sorted(cluster.holdings, key=lambda h: (h.member, ASKED.get(h.availability, len(ASKED)))):
        if not _askable(holding) or holding.member in chosen:
            continue
        if may_lend(registry, holding.member, borrower) is None:
            chosen[holding.member] = holding
    return sorted(chosen.values(), key=lambda h: (ASKED[h.availability], h.member))
