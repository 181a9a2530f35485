"""Inter-library loan: :class:`InterLibraryLoans`, the verbs the cooperation API calls.

A reader asks for a work their library lacks; the request goes to a member that holds a copy that may be on its
shelf and lends to the reader's library (:func:`~consortium.cooperation.rules.lenders`): a copy known available
first, then one of unknown status (the lending library checks its shelf); among several, the one with the fewest
open requests, then by id. A member that refused the reader's request for the work is not asked again unless the
reader names it: asking again after a refusal goes to the next holder. Staff of the two libraries then move it
step by step (:data:`~consortium.cooperation.rules.MOVES`); each step is appended to the request's history
(who, when, a note: its audit trail), saved over the version before (two staff answering at once: one wins, the
other gets a 409), and told to the reader (:class:`~consortium.cooperation.notices.ReaderNotices`).
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from typing import TYPE_CHECKING

from consortium.cooperation.models import Balance, LoanRequest, LoanState, LoanStep, Side
from consortium.cooperation.rules import ASKED, MOVES, lenders, may_lend, unaskable, who_moves
from consortium.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from consortium.models import Availability
from consortium.ports import system_clock

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.cooperation.notices import ReaderNotices
    from consortium.cooperation.ports import LoanRequestStore
    from consortium.dedup.ports import ClusterStore
    from consortium.members import MemberRegistry
    from consortium.ports import Clock
    from consortium.profiles.models import Actor

__all__ = ["EXPORT_ABOUT", "InterLibraryLoans"]

log = logging.getLogger(__name__)

EXPORT_ABOUT = (
    "Your inter-library loan requests: the work, the library asked to lend it, where it is now and every step.",
    "您的馆际互借申请：作品、出借馆、当前状态及每一步处理记录。",
)
"""What a reader's export says of their loan requests (``loan_requests``), in English and Chinese."""

_SENT = (LoanState.SHIPPED, LoanState.RECEIVED, LoanState.RETURNED)


class InterLibraryLoans:
    """Inter-library loan requests: ask, move, list, balance (see the module).

    Parameters
    ----------
    store
        Where requests are kept.
    clusters
        The works and their holdings (which member has a copy, and its shelf status when known).
    registry
        The member registry as it is now (sharing policies: ``lend_to_members``), read on each call.
    notices
        Tells the reader of each step.

    Example
    -------
    >>> loans = InterLibraryLoans(store, cluster_store, lambda: registry, notices)
    >>> request = loans.ask("alice", "riverside", "w1", actor=alice)
    >>> loans.move("lakeside", request.request_id, LoanState.ACCEPTED, actor=lakeside_staff).state
    <LoanState.ACCEPTED: 'accepted'>
    """

    def __init__(
        self,
        store: LoanRequestStore,
        clusters: ClusterStore,
        registry: Callable[[], MemberRegistry],
        notices: ReaderNotices,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.store = store
        self._clusters = clusters
        self._registry = registry
        self._notices = notices
        self._clock = clock

    def ask(
        self,
        reader_id: str,
        borrower: str,
        cluster_id: str,
        *,
        actor: Actor,
        lender: str | None = None,
        note: str | None = None,
    ) -> LoanRequest:
        """A reader of ``borrower`` asks for ``cluster_id``: the request, made of a lender that may lend it.

        The lender is a member with a copy known available, else one with a print copy of unknown status (its
        staff check the shelf), never one whose copies are known on loan or unavailable or only online; among
        those, the fewest open requests, then by id. Members that refused this reader's earlier request for the
        work are passed over unless named as ``lender``.

        Raises
        ------
        NotFoundError
            No such work.
        ValidationError
            The reader's own library has a copy available, or ``lender`` may not lend it (naming why).
        ConflictError
            The reader has an open request for the work already, or no member may lend it now.
        """
        registry = self._registry()
        cluster = self._clusters.get(cluster_id)
        if cluster is None:
            raise NotFoundError(f"no work {cluster_id!r}", cluster_id=cluster_id)
        own = [h for h in cluster.holdings if h.member == borrower and h.availability is Availability.AVAILABLE]
        if own:
            raise ValidationError(
                f"field 'cluster_id': your library ({borrower}) has a copy available: ask for it there",
                field="cluster_id",
            )
        earlier = [r for r in self.store.for_reader(reader_id) if r.cluster_id == cluster_id]
        if any(not r.closed for r in earlier):
            raise AlreadyExistsError(f"you have an open request for {cluster_id!r} already", cluster_id=cluster_id)
        candidates = lenders(registry, cluster, borrower)
        if lender is not None:
            why = may_lend(registry, lender, borrower)
            if why is not None:
                raise ValidationError(f"field 'lender': {why}", field="lender")
            candidates = [h for h in candidates if h.member == lender]
            if not candidates:
                raise ValidationError(f"field 'lender': {unaskable(cluster, lender)}", field="lender")
        else:
            refused = sorted({r.lender for r in earlier if r.state is LoanState.REFUSED})
            possible = candidates
            candidates = [h for h in candidates if h.member not in refused]
            if possible and not candidates:
                raise ConflictError(
                    f"no other member may lend {cluster_id!r} to readers of {borrower}: "
                    f"{', '.join(refused)} refused your earlier request (name one as 'lender' to ask it again)",
                    error_code="no_lender",
                    cluster_id=cluster_id,
                )
        if not candidates:
            raise ConflictError(
                f"no member may lend {cluster_id!r} to readers of {borrower} now (none that lends to your library "
                "holds a print copy that is not known to be on loan or unavailable)",
                error_code="no_lender",
                cluster_id=cluster_id,
            )
        load = Counter(
            r.lender for h in candidates for r in self.store.for_member(h.member, Side.LENDING) if not r.closed
        )
        chosen = min(candidates, key=lambda h: (ASKED[h.availability], load[h.member], h.member))
        now = self._clock()
        request = LoanRequest(
            request_id="ill-" + secrets.token_hex(8),
            cluster_id=cluster_id,
            title=cluster.title,
            reader_id=reader_id,
            borrower=borrower,
            lender=chosen.member,
            location=chosen.location,
            call_number=chosen.call_number,
            availability=chosen.availability,
            state=LoanState.REQUESTED,
            version=1,
            created_at=now,
            updated_at=now,
            history=[LoanStep(state=LoanState.REQUESTED, at=now, actor_id=actor.actor_id, note=note)],
        )
        self.store.save(request)
        log.info(
            "ILL request %s: %s asks %s (copy %s)", request.request_id, borrower, chosen.member, chosen.availability
        )
        self._notices.tell(request, actor)
        return request

    def move(
        self, member: str, request_id: str, state: LoanState, *, actor: Actor, note: str | None = None
    ) -> LoanRequest:
        """Staff of ``member`` move the request to ``state``.

        Raises
        ------
        NotFoundError
            No such request of ``member`` (lending or borrowing): another member's requests are not found.
        PermissionDeniedError
            The step is the other library's to take.
        ConflictError
            No such step from the request's state (it says which are), or someone moved it meanwhile.
        """
        request = self.request(member, request_id)
        side = Side.LENDING if request.lender == member else Side.BORROWING
        return self._step(request, state, side, actor, note)

    def cancel(self, reader_id: str, request_id: str, *, actor: Actor) -> LoanRequest:
        """The reader withdraws their request (only before the lender accepted it)."""
        request = self.store.get(request_id)
        if request is None or request.reader_id != reader_id:
            raise NotFoundError(f"you have no request {request_id!r}", request_id=request_id)
        return self._step(request, LoanState.CANCELLED, Side.BORROWING, actor, None)

    def request(self, member: str, request_id: str) -> LoanRequest:
        """One request ``member`` lends or borrows in; :class:`NotFoundError` otherwise."""
        request = self.store.get(request_id)
        if request is None or member not in (request.lender, request.borrower):
            raise NotFoundError(f"no inter-library loan request {request_id!r} of {member}", request_id=request_id)
        return request

    def of_member(self, member: str, side: Side, state: LoanState | None = None) -> list[LoanRequest]:
        """The member's requests on one side (of one state), newest first."""
        return [r for r in self.store.for_member(member, side) if state is None or r.state is state]

    def of_reader(self, reader_id: str) -> list[LoanRequest]:
        return self.store.for_reader(reader_id)

    def balance(self, member: str) -> Balance:
        """What ``member`` lent and borrowed, by state, and the difference of the copies sent."""
        lending = Counter(r.state.value for r in self.store.for_member(member, Side.LENDING))
        borrowing = Counter(r.state.value for r in self.store.for_member(member, Side.BORROWING))
        lent = sum(lending[s.value] for s in _SENT)
        borrowed = sum(borrowing[s.value] for s in _SENT)
        return Balance(
            member=member,
            lending=dict(sorted(lending.items())),
            borrowing=dict(sorted(borrowing.items())),
            lent=lent,
            borrowed=borrowed,
            balance=lent - borrowed,
        )

    def _step(self, request: LoanRequest, state: LoanState, side: Side, actor: Actor, note: str | None) -> LoanRequest:
        allowed = who_moves(request.state, state)
        if allowed is None:
            nexts = sorted(to.value for (start, to) in MOVES if start is request.state)
            raise InvalidStateError(
                f"request {request.request_id} is {request.state.value}: it cannot become {state.value} "
                f"(next: {', '.join(nexts) or 'nothing, it is closed'})",
                state=request.state.value,
            )
        if allowed is not side:
            whose = request.lender if allowed is Side.LENDING else request.borrower
            raise PermissionDeniedError(
                f"moving request {request.request_id} to {state.value} is for {whose}, the {allowed.value} library"
            )
        now = self._clock()
        moved = request.model_copy(
            update={
                "state": state,
                "version": request.version + 1,
                "updated_at": now,
                "history": [*request.history, LoanStep(state=state, at=now, actor_id=actor.actor_id, note=note)],
            }
        )
        self.store.save(moved)
        log.info("ILL request %s: %s -> %s", request.request_id, request.state.value, state.value)
        self._notices.tell(moved, actor)
        return moved
