"""Inter-library loan requests: their states, the steps that moved them, and what the API takes and shows."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consortium.models import Availability

__all__ = [
    "Balance",
    "LoanMove",
    "LoanRequest",
    "LoanState",
    "LoanStep",
    "LoanView",
    "NewLoanRequest",
    "Side",
]


class LoanState(StrEnum):
    """Where a request is: ``requested`` → ``accepted`` or ``refused`` → ``shipped`` → ``received`` →
    ``returned``; a request not yet accepted may be ``cancelled`` by the reader or their library."""

    REQUESTED = "requested"
    """Asked of the lending library; it answers."""
    ACCEPTED = "accepted"
    """The lending library will send a copy."""
    REFUSED = "refused"
    """The lending library will not (closed)."""
    SHIPPED = "shipped"
    """The copy is on its way to the reader's library."""
    RECEIVED = "received"
    """The reader's library has the copy: the reader may collect it."""
    RETURNED = "returned"
    """The copy is back at the lending library (closed)."""
    CANCELLED = "cancelled"
    """Withdrawn before the lending library accepted it (closed)."""


class Side(StrEnum):
    """Which library a member is in a request."""

    LENDING = "lending"
    BORROWING = "borrowing"


class LoanStep(BaseModel):
    """One step of a request's history: its audit trail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: LoanState
    at: AwareDatetime
    actor_id: str
    """Who moved it: the reader, or ``<member>/<staff account>``."""
    note: str | None = None


class LoanRequest(BaseModel):
    """One inter-library loan request: a reader of ``borrower`` asks ``lender`` for a copy of a work."""

    model_config = ConfigDict(extra="forbid")

    request_id: str
    cluster_id: str
    title: str
    """The work's title when asked (what staff and the reader see)."""
    reader_id: str
    borrower: str
    """The reader's library, which receives the copy and lends it to the reader."""
    lender: str
    """The member that holds the work and lends it."""
    location: str | None = None
    call_number: str | None = None
    """Where the lender's copy is shelved."""
    availability: Availability = Availability.AVAILABLE
    """The copy's shelf status in the lender's catalogue when asked: ``available``, or ``unknown`` (the catalogue
    does not say: the lending library checks its shelf, then accepts or refuses)."""
    state: LoanState
    version: int = Field(ge=1)
    """1 when made, one more with every step: a store saves version ``n`` only over ``n - 1``."""
    created_at: AwareDatetime
    updated_at: AwareDatetime
    history: list[LoanStep]

    @property
    def closed(self) -> bool:
        return self.state in (LoanState.REFUSED, LoanState.RETURNED, LoanState.CANCELLED)

    def under_pseudonym(self, pseudonym: str) -> LoanRequest:
        """The request with ``pseudonym`` in place of the reader's id (as the reader and as the actor of their
        steps): what is kept once the reader is erased."""
        history = [
            step.model_copy(update={"actor_id": pseudonym}) if step.actor_id == self.reader_id else step
            for step in self.history
        ]
        return self.model_copy(update={"reader_id": pseudonym, "history": history})


class LoanView(LoanRequest):
    """A request as one library's staff see it: the lending library does not learn who the reader is (their id is
    ``null``, and their own steps name ``reader``); the reader and their own library see everything."""

    reader_id: str | None  # type: ignore[assignment]

    @classmethod
    def of(cls, request: LoanRequest, member: str | None) -> LoanView:
        """``request`` as staff of ``member`` see it (``None``: as the reader sees it)."""
        if member is None or member == request.borrower:
            return cls.model_validate(request.model_dump())
        history = [
            step.model_copy(update={"actor_id": "reader"}) if step.actor_id == request.reader_id else step
            for step in request.history
        ]
        return cls.model_validate({**request.model_dump(), "reader_id": None, "history": history})


class NewLoanRequest(BaseModel):
    """The body of ``POST /readers/{reader_id}/ill``: the work the reader's library lacks."""

    model_config = ConfigDict(extra="forbid")

    cluster_id: str = Field(min_length=1, max_length=200)
    lender: str | None = Field(default=None, max_length=63)
    """A member to ask (it must lend to the reader's library and hold a copy known available, or one of unknown
    status, which its staff check); by default the hub picks one: a copy known available first, and not a member
    that refused the reader's earlier request for the work."""
    note: str | None = Field(default=None, max_length=500)
    """For the staff (e.g. "chapter 3 would do")."""


class LoanMove(BaseModel):
    """The body of ``POST /members/{member_id}/ill/{request_id}``: the next state, and a note."""

    model_config = ConfigDict(extra="forbid")

    state: LoanState
    note: str | None = Field(default=None, max_length=500)
    """Shown to the reader (a refusal's reason, when to collect the copy)."""


class Balance(BaseModel):
    """A member's inter-library loans: what it lent to others and borrowed from them, by state."""

    model_config = ConfigDict(extra="forbid")

    member: str
    lending: dict[str, int]
    """Requests made of this member, by state."""
    borrowing: dict[str, int]
    """Requests this member's readers made of others, by state."""
    lent: int
    """Copies it sent (shipped, received or returned)."""
    borrowed: int
    """Copies it received from others (shipped, received or returned)."""
    balance: int
    """``lent - borrowed``: above zero, the member gives the consortium more than it takes."""
