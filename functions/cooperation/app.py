"""The cooperation API (Chalice): inter-library loan between member libraries.

A reader asks for a work their library lacks (``POST /readers/{reader_id}/ill``); the request goes to a member
that holds an available copy and lends to the reader's library. Staff of the two libraries (member
administrators) move it through requested → accepted or refused → shipped → received → returned
(:mod:`consortium.cooperation.rules` says who takes which step); the reader is told at each step, in their inbox
and by email. Each member sees the requests it lends and borrows in, and its balance. The lending library does not
learn who the reader is.
"""

from __future__ import annotations

from typing import Any

import pydantic
from chalice.app import Chalice, Response

from consortium.cooperation.models import Balance, LoanMove, LoanState, LoanView, NewLoanRequest, Side
from consortium.http import LIBRARY, MEMBER_ADMIN, READER, LambdaContainer, RequestBody, current_caller, route_table

app = Chalice(app_name="consortium-cooperation")
container = LambdaContainer()
routes = route_table(app, container, "cooperation")


class ReaderLoans(pydantic.BaseModel):
    """A reader's inter-library loan requests, newest first."""

    reader_id: str
    requests: list[LoanView]


class MemberLoans(pydantic.BaseModel):
    """A member's requests on one side, newest first."""

    member: str
    side: Side
    requests: list[LoanView]


class LoansParams(RequestBody):
    """The query of ``GET /members/{member_id}/ill``."""

    side: Side = Side.LENDING
    """``lending``: requests made of this member; ``borrowing``: those its readers made."""
    state: LoanState | None = None
    """Only requests in this state."""


# -- readers


@routes.route("POST", "/readers/{reader_id}/ill", READER, body=NewLoanRequest, answer=LoanView, status=201)
def ask(reader_id: str, body: NewLoanRequest) -> Response:
    """Ask for a work your library lacks: the request goes to a member with a copy available that lends to your
    library (or to ``lender``, when it may)."""
    hub = container()
    made = hub.interlibrary_loans.ask(
        reader_id,
        hub.profiles.member_of(reader_id),
        body.cluster_id,
        actor=current_caller().actor(),
        lender=body.lender,
        note=body.note,
    )
    return Response(body=LoanView.of(made, None).model_dump(mode="json"), status_code=201)


@routes.route("GET", "/readers/{reader_id}/ill", READER, answer=ReaderLoans)
def reader_loans(reader_id: str) -> dict[str, Any]:
    """Your inter-library loan requests and where each is."""
    found = container().interlibrary_loans.of_reader(reader_id)
    return {"reader_id": reader_id, "requests": [LoanView.of(r, None).model_dump(mode="json") for r in found]}


@routes.route("POST", "/readers/{reader_id}/ill/{request_id}/cancel", READER, answer=LoanView)
def cancel(reader_id: str, request_id: str) -> dict[str, Any]:
    """Withdraw a request the lending library has not accepted yet."""
    cancelled = container().interlibrary_loans.cancel(reader_id, request_id, actor=current_caller().actor())
    return LoanView.of(cancelled, None).model_dump(mode="json")


# -- member libraries


@routes.route("GET", "/members/{member_id}/ill", LIBRARY, query=LoansParams, answer=MemberLoans)
def member_loans(member_id: str, query: LoansParams) -> dict[str, Any]:
    """The requests made of the member (``side=lending``) or by its readers (``side=borrowing``)."""
    found = container().interlibrary_loans.of_member(member_id, query.side, query.state)
    shown = [LoanView.of(r, member_id).model_dump(mode="json") for r in found]
    return {"member": member_id, "side": query.side.value, "requests": shown}


@routes.route("GET", "/members/{member_id}/ill/{request_id}", LIBRARY, answer=LoanView)
def member_loan(member_id: str, request_id: str) -> dict[str, Any]:
    """One request the member lends or borrows in, with its history (who took each step, and when)."""
    found = container().interlibrary_loans.request(member_id, request_id)
    return LoanView.of(found, member_id).model_dump(mode="json")


@routes.route("POST", "/members/{member_id}/ill/{request_id}", MEMBER_ADMIN, body=LoanMove, answer=LoanView)
def move(member_id: str, request_id: str, body: LoanMove) -> dict[str, Any]:
    """Take the next step: the lending library accepts, refuses, ships and confirms the return; the borrowing
    library confirms it received the copy (or cancels before it is accepted). The reader is told."""
    moved = container().interlibrary_loans.move(
        member_id, request_id, body.state, actor=current_caller().actor(), note=body.note
    )
    return LoanView.of(moved, member_id).model_dump(mode="json")


@routes.route("GET", "/members/{member_id}/ill-balance", LIBRARY, answer=Balance)
def balance(member_id: str) -> dict[str, Any]:
    """The member's inter-library loans by state, lending and borrowing, and its balance of copies sent."""
    return container().interlibrary_loans.balance(member_id).model_dump(mode="json")
