"""The cooperation API (Chalice): inter-library loan between member libraries, and subject librarians' lists.

A reader asks for a work their library lacks (``POST /readers/{reader_id}/ill``); the request goes to a member
that lends to the reader's library and holds a copy known available, else one of unknown shelf status (its staff
check the shelf, then accept or refuse). Staff of the two libraries (member
administrators) move it through requested → accepted or refused → shipped → received → returned
(:mod:`consortium.cooperation.rules` says who takes which step); the reader is told at each step, in their inbox
and by email. Each member sees the requests it lends and borrows in, and its balance. The lending library does not
learn who the reader is.

A member's subject librarians (and administrators) keep curated lists for a class range or a subject: works with
a note each, published for anyone to read and pushed to the subscribers of the ``librarian_lists`` service.

Staff (of any member, or of the consortium office) read the reader-behaviour analytics: the one report the daily
job :func:`analytics_build` keeps (:mod:`consortium.analytics`), aggregates of consenting readers only, every row
from at least ten of them; as JSON (``GET /analytics``) or CSV (``GET /analytics/export``).
"""

from __future__ import annotations

import logging
from typing import Any

import pydantic
from chalice.app import Chalice, Response

from consortium.analytics.facts import METRICS
from consortium.analytics.report import TABLES, Row, Selection, as_csv
from consortium.cooperation.lists import CuratedList, ListChange, ListState, NewList, NoteBody
from consortium.cooperation.models import Balance, LoanMove, LoanState, LoanView, NewLoanRequest, Side
from consortium.http import (
    ANALYTICS_STAFF,
    ANYONE,
    LIBRARY,
    MEMBER_ADMIN,
    READER,
    SUBJECT_LIBRARIAN,
    LambdaContainer,
    RequestBody,
    current_caller,
    route_table,
)

app = Chalice(app_name="consortium-cooperation")
container = LambdaContainer()
routes = route_table(app, container, "cooperation")
logger = logging.getLogger(__name__)


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
    """Ask for a work your library lacks: the request goes to a member that lends to your library, one with a copy
    known available first, else one whose copy's status its catalogue does not give (``availability: unknown``:
    that library checks its shelf, then accepts or refuses); never a copy known on loan or unavailable, nor a
    member that refused your earlier request for the work (unless named as ``lender``)."""
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


# -- subject librarians' lists


class ListsAnswer(pydantic.BaseModel):
    """Curated lists, the latest changed first."""

    lists: list[CuratedList]


def _acting() -> str:
    return current_caller().actor().actor_id


def _list(found: CuratedList) -> dict[str, Any]:
    return found.model_dump(mode="json")


@routes.route("POST", "/members/{member_id}/lists", SUBJECT_LIBRARIAN, body=NewList, answer=CuratedList, status=201)
def create_list(member_id: str, body: NewList) -> Response:
    """Start a list for a class range or a subject (a draft until published)."""
    made = container().curated_lists.create(member_id, body, actor_id=_acting())
    return Response(body=_list(made), status_code=201)


@routes.route("GET", "/members/{member_id}/lists", SUBJECT_LIBRARIAN, answer=ListsAnswer)
def member_lists(member_id: str) -> dict[str, Any]:
    """The member's lists, drafts and published."""
    return {"lists": [_list(c) for c in container().curated_list_store.lists(member_id)]}


@routes.route("GET", "/members/{member_id}/lists/{list_id}", SUBJECT_LIBRARIAN, answer=CuratedList)
def member_list(member_id: str, list_id: str) -> dict[str, Any]:
    """One of the member's lists."""
    return _list(container().curated_lists.get(member_id, list_id))


class ListVersion(RequestBody):
    """The query of a change or a deletion: the ``version`` the caller read (a 409 when the list changed since)."""

    version: int | None = pydantic.Field(default=None, ge=1)


@routes.route(
    "PATCH", "/members/{member_id}/lists/{list_id}", SUBJECT_LIBRARIAN, body=ListChange, query=ListVersion,
    answer=CuratedList,
)  # fmt: skip
def edit_list(member_id: str, list_id: str, body: ListChange, query: ListVersion) -> dict[str, Any]:
    """Change the list's title, Chinese title, class, subject or description (the fields given; ``null`` clears
    one, except the title), checked as when it was made."""
    edited = container().curated_lists.edit(
        member_id, list_id, body, actor_id=_acting(), expected_version=query.version
    )
    return _list(edited)


@routes.route("DELETE", "/members/{member_id}/lists/{list_id}", SUBJECT_LIBRARIAN, query=ListVersion, status=204)
def delete_list(member_id: str, list_id: str, query: ListVersion) -> Response:
    """Delete a draft list (a published one is withdrawn first: 409)."""
    container().curated_lists.delete(member_id, list_id, expected_version=query.version)
    return Response(body="", status_code=204)


@routes.route(
    "PUT",
    "/members/{member_id}/lists/{list_id}/works/{cluster_id}",
    SUBJECT_LIBRARIAN,
    body=NoteBody,
    answer=CuratedList,
)
def put_list_work(member_id: str, list_id: str, cluster_id: str, body: NoteBody) -> dict[str, Any]:
    """Put a work on the list with a note (or change its note)."""
    return _list(container().curated_lists.put_work(member_id, list_id, cluster_id, body.note, actor_id=_acting()))


@routes.route(
    "DELETE", "/members/{member_id}/lists/{list_id}/works/{cluster_id}", SUBJECT_LIBRARIAN, answer=CuratedList
)
def remove_list_work(member_id: str, list_id: str, cluster_id: str) -> dict[str, Any]:
    """Take a work off the list."""
    return _list(container().curated_lists.remove_work(member_id, list_id, cluster_id, actor_id=_acting()))


@routes.route("POST", "/members/{member_id}/lists/{list_id}/publish", SUBJECT_LIBRARIAN, answer=CuratedList)
def publish_list(member_id: str, list_id: str) -> dict[str, Any]:
    """Publish the list: anyone reads it, and it is pushed to the ``librarian_lists`` subscribers."""
    return _list(container().curated_lists.publish(member_id, list_id, actor_id=_acting()))


@routes.route("POST", "/members/{member_id}/lists/{list_id}/withdraw", SUBJECT_LIBRARIAN, answer=CuratedList)
def withdraw_list(member_id: str, list_id: str) -> dict[str, Any]:
    """Make a published list a draft again."""
    return _list(container().curated_lists.withdraw(member_id, list_id, actor_id=_acting()))


@routes.route("GET", "/lists", ANYONE, answer=ListsAnswer)
def published_lists() -> dict[str, Any]:
    """The published lists of every member's subject librarians."""
    return {"lists": [_list(c) for c in container().curated_list_store.lists(state=ListState.PUBLISHED)]}


@routes.route("GET", "/lists/{list_id}", ANYONE, answer=CuratedList)
def published_list(list_id: str) -> dict[str, Any]:
    """A published list: its works, each with the librarian's note."""
    return _list(container().curated_lists.published(list_id))


# -- reader-behaviour analytics (staff of every member and of the consortium office)


class AnalyticsParams(Selection, RequestBody):
    """The query of ``GET /analytics`` and ``GET /analytics/export``: one table, one metric, a range of months."""


class AnalyticsAnswer(pydantic.BaseModel):
    """Published rows of the analytics report: each the events counted and the distinct readers behind them (at
    least ``min_readers``); ``(other)`` sums a breakdown's values too small to show."""

    built_at: str
    """When the report was last built (ISO 8601)."""
    min_readers: int
    periods: list[str]
    """Every month the report has (frozen once published), oldest first."""
    tables: list[str]
    metrics: list[str]
    selection: AnalyticsParams
    rows: list[Row]


@routes.route("GET", "/analytics", ANALYTICS_STAFF, query=AnalyticsParams, answer=AnalyticsAnswer)
def analytics(query: AnalyticsParams) -> dict[str, Any]:
    """Reader-behaviour analytics: one table (by member, reader group, class, subject, cross-member use, zero-result
    queries...) of one metric by month, aggregates of readers who consented to analytics only."""
    report, rows = container().analytics.select(query)
    return {
        "built_at": report.built_at.isoformat(),
        "min_readers": report.min_readers,
        "periods": report.periods,
        "tables": list(TABLES),
        "metrics": list(METRICS),
        "selection": query.model_dump(mode="json"),
        "rows": [row.model_dump(mode="json") for row in rows],
    }


@routes.route("GET", "/analytics/export", ANALYTICS_STAFF, query=AnalyticsParams, answer_type="text/csv")
def analytics_export(query: AnalyticsParams) -> Response:
    """The same rows as ``GET /analytics``, as a CSV file to download."""
    _, rows = container().analytics.select(query)
    name = f"analytics-{query.table}-{query.metric}.csv"
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    return Response(body=as_csv(rows), headers=headers)


@app.lambda_function(name="analytics_build")
def analytics_build(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Once a day (EventBridge): count the months closed since the last build into the stored report (counts
    only; logs only how many rows and months)."""
    report = container().analytics.build()
    logger.info("analytics: %d rows over %d months", len(report.rows), len(report.periods))
    return {"rows": len(report.rows), "months": len(report.periods)}
