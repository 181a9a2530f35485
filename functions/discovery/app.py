"""The discovery API (Chalice): what anyone may read without logging in — search, a work's page with every
member's holdings, the new-books list by class and period (the seed paper's 新书通报), the member libraries, the
catalogue for other systems (an OAI-PMH 2.0 provider at ``/oai``, SRU 2.0 at ``/sru``) — and the API's own
description (``/openapi.json`` and a page for people, ``/docs``).

Each route parses its query into a pydantic model, calls the search index or the cluster store and answers; the
route table (:mod:`consortium.http.access`) declares every route open to anyone. A signed-in reader's token is
still checked when sent (a bad one is a 401), and their home library ranks first.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import pydantic
from chalice.app import Chalice, Response
from pydantic import Field

from consortium import errors
from consortium.catalogue_out import ProviderResponse, handle_oai, handle_sru
from consortium.catalogue_out.export import EXPORT_FORMATS, ExportFormat, export_work, exported_holdings
from consortium.classification import CODE_PATTERNS, class_pattern
from consortium.cooperation.rules import lends_to
from consortium.editions import WorkGroup, count_work_groups, work_group
from consortium.http import ANYONE, LambdaContainer, RequestBody, current_caller, route_table
from consortium.http.reference import add_reference_routes
from consortium.models import ClassScheme, Cluster, Holding
from consortium.ports import system_clock
from consortium.search.class_browse import BrowsedScheme, ClassTree, browse_classes, new_books_query
from consortium.search.query import (
    MAX_PAGE_SIZE,
    FacetName,
    SearchResult,
    SortOrder,
    parse_query_string,
)
from consortium.search.suggestions import search_with_suggestions
from consortium.search.visibility import Visibility, VisibleIndex

if TYPE_CHECKING:
    from consortium.bootstrap import Container

app = Chalice(app_name="consortium-discovery")
container = LambdaContainer()
routes = route_table(app, container, "discovery")

OPENAPI = Path(__file__).with_name("openapi.json")
"""The API's OpenAPI 3.1 document, generated from every app's route table (``consortium openapi``; a test keeps
it current) and packaged with this function."""
add_reference_routes(routes, OPENAPI, container)  # /openapi.json, /docs and /health

CLASS_PATTERN = class_pattern()
"""A class filter: a scheme and a code of it, at any depth (``clc:TP312``, ``lcc:QA76.73``, ``ddc:005.133``,
``udc:004.4``)."""

BROWSED_CODE = "^(" + "|".join(CODE_PATTERNS[ClassScheme(s)] for s in ("clc", "lcc", "ddc")) + ")$"
"""A class code of CLC, LCC or Dewey (which of them the scheme asked for says)."""

MAX_NEW_BOOKS_DAYS = 366
"""The longest period the new-books list covers."""


def hub() -> Container:
    """The container."""
    return container()


# -- queries


class SearchParams(RequestBody):
    """The query of ``GET /search``."""

    q: str = Field(default="", max_length=1000)
    """What a reader types: words, and title:, author:, subject:, isbn:, member:, format:, lang:, class:,
    year:2010-2017 (quote phrases)."""
    page: Annotated[int, Field(ge=1, le=500)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = 20
    facet: list[FacetName] = Field(default_factory=list, max_length=6)
    sort: SortOrder = "relevance"
    member: str | None = Field(default=None, max_length=200)
    """The library to rank first; by default the signed-in reader's own."""


class WorkParams(RequestBody):
    """The query of ``GET /works/{cluster_id}``."""

    member: str | None = Field(default=None, max_length=200)
    """The library whose holdings come first; by default the signed-in reader's own."""


class ExportParams(RequestBody):
    """The query of ``GET /works/{cluster_id}/export``."""

    format: ExportFormat
    """``ris`` (reference managers), ``bibtex``, ``marcxml`` or ``marc`` (MARC21, ISO 2709); all UTF-8."""
    member: str | None = Field(default=None, max_length=200)
    """The library whose holdings come first in MARC; by default the signed-in reader's own."""


class NewBooksParams(RequestBody):
    """The query of ``GET /new-books``."""

    class_: str | None = Field(default=None, alias="class", max_length=50, json_schema_extra={"pattern": CLASS_PATTERN})
    """A class of any depth with its scheme (``clc:TP312``, ``ddc:005.13``, ``lcc:QA76``); none: every class."""
    days: Annotated[int, Field(ge=1, le=MAX_NEW_BOOKS_DAYS)] = 30

    @pydantic.field_validator("class_")
    @classmethod
    def _documented_class(cls, value: str | None) -> str | None:
        """The class as the document writes it (:data:`CLASS_PATTERN`): the code reader also reads what a
        catalogue may carry (``clc:TRUE`` as a class under ``T``), which a caller asking by the document must not
        meet as a 200."""
        if value is None or re.fullmatch(CLASS_PATTERN, value):
            return value
        scheme, _, code = value.partition(":")
        if scheme in {s.value for s in CODE_PATTERNS}:
            raise ValueError(f"{value!r}: {code!r} is not a class code of {scheme.upper()}")
        raise ValueError(f"{value!r} is not a class with its scheme (clc:TP312, lcc:QA76, ddc:005.13, udc:004.4)")

    """The period: works the consortium first had in the last this many days."""
    member: str | None = Field(default=None, max_length=200)
    """Only works this library holds."""
    limit: Annotated[int, Field(ge=1, le=2 * MAX_PAGE_SIZE)] = 50
    """The most works listed (two pages of the search at most)."""

    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True)


class ClassesParams(RequestBody):
    """The query of ``GET /classes``."""

    scheme: BrowsedScheme
    """The tree: ``clc`` (中图法), ``lcc`` or ``ddc`` (Dewey)."""
    parent: str | None = Field(default=None, max_length=50, json_schema_extra={"pattern": BROWSED_CODE})
    """A class of the scheme (``T``, ``TP3``, ``QA76``, ``510``): its classes are listed; none: the main classes.
    It must be a code of the scheme asked for (``TP3`` is not a Dewey class: 400)."""

    @pydantic.model_validator(mode="after")
    def _code_of_the_scheme(self) -> ClassesParams:
        """``parent`` written as a code of ``scheme`` is (:data:`~consortium.classification.CODE_PATTERNS`), as the
        document says: ``true`` is no CLC class, though the code reader, lenient with catalogues, reads ``TRUE``."""
        scheme = ClassScheme(self.scheme)
        if self.parent is not None and not re.fullmatch(CODE_PATTERNS[scheme], self.parent):
            raise ValueError(f"field 'parent': {self.parent!r} is not a class code of {scheme.value.upper()}")
        return self

    days: Annotated[int | None, Field(ge=1, le=MAX_NEW_BOOKS_DAYS)] = None
    """Count only the works the consortium first had in the last this many days (the new books); none: every
    work."""
    member: str | None = Field(default=None, max_length=200)
    """Count only the works this library holds."""


# -- answers


class MemberView(pydantic.BaseModel):
    """A member library as anyone may see it."""

    id: str
    name: str
    name_zh: str | None = None


class MembersAnswer(pydantic.BaseModel):
    """The member libraries."""

    members: list[MemberView]


class WorkHolding(Holding):
    """A holding on a work's page, and whether its library lends to the caller's."""

    lends_to_your_library: bool | None = None
    """Whether its member lends to readers of the caller's library (the token's, not the query's ``member``):
    :func:`~consortium.cooperation.rules.lends_to`. ``null`` signed out, and on the caller's own library's."""


class WorkAnswer(pydantic.BaseModel):
    """A work's page: the merged record, and every member's holdings, the chosen library's first."""

    work: Cluster
    holdings: list[WorkHolding]
    members: list[MemberView]


class EditionsAnswer(WorkGroup):
    """A work's other editions and translations (its work group), each newest first."""


class NewBook(pydantic.BaseModel):
    """A work in the new-books list."""

    cluster_id: str
    title: str
    authors: list[str]
    year: int | None
    first_seen: dt.datetime
    classes: list[str]
    members: list[str]


class NewBooksAnswer(pydantic.BaseModel):
    """New works of a class in a period, newest first."""

    class_: str | None = Field(alias="class")
    since: dt.datetime
    works: list[NewBook]
    more: bool
    """Whether more works matched than ``limit``."""


# -- helpers


def _member_views(ids: list[str] | None = None) -> list[MemberView]:
    registry = hub().registry
    found = registry.members if ids is None else [m for m in registry.members if m.id in set(ids)]
    return [MemberView(id=m.id, name=m.name, name_zh=m.name_zh) for m in found]


def _first_library(asked: str | None) -> str | None:
    return asked or current_caller().member


def _seen() -> Visibility:
    """Whose holdings the caller sees, by the sharing policies as they are now (their library from the token)."""
    return Visibility.of(hub().registry, current_caller().member)


def _index(seen: Visibility | None = None) -> VisibleIndex:
    return VisibleIndex(hub().search_index, seen or _seen())


def _visible_work(cluster_id: str, seen: Visibility) -> Cluster:
    """The work as the caller sees it; 404 when missing or held only by members hiding their holdings."""
    if (found := seen.work(hub().cluster_store.get(cluster_id))) is None:
        raise errors.NotFoundError(f"no work {cluster_id!r} (it may have merged into another: search again)")
    return found


# -- routes


@routes.route("GET", "/search", ANYONE, query=SearchParams, answer=SearchResult)
def search(query: SearchParams) -> dict[str, Any]:
    """Search the consortium's works (no login): the query language of ``consortium search``, facets, paging
    and sort; when nothing is found, ``suggestions`` say what to try (another spelling, a term in any field, the
    search without a filter), each with its query and count. Each hit carries its work group (``work_id``, a
    ``work:`` filter) and how many works the group holds (``work_size``)."""
    parsed = parse_query_string(
        query.q,
        page=query.page,
        page_size=query.page_size,
        boost_member=_first_library(query.member),
        facets=list(query.facet),
        sort=query.sort,
    )
    index = _index()
    return count_work_groups(search_with_suggestions(index, parsed), index).model_dump(mode="json")


@routes.route("GET", "/works/{cluster_id}", ANYONE, query=WorkParams, answer=WorkAnswer)
def work(cluster_id: str, query: WorkParams) -> dict[str, Any]:
    """A work's page: its merged record and every member's holdings the reader sees (their own library first),
    each saying whether its library lends to the signed-in caller's (``lends_to_your_library``)."""
    found = _visible_work(cluster_id, _seen())
    first = _first_library(query.member)
    holdings = sorted(found.holdings, key=lambda h: (h.member != first, h.member))
    lends = {h.member: lends_to(hub().registry, h.member, current_caller().member) for h in holdings}
    return {
        "work": found.model_dump(mode="json"),
        "holdings": [h.model_dump(mode="json") | {"lends_to_your_library": lends[h.member]} for h in holdings],
        "members": [m.model_dump() for m in _member_views(found.members)],
    }


@routes.route(
    "GET",
    "/works/{cluster_id}/export",
    ANYONE,
    query=ExportParams,
    answer_type=tuple(kind.partition(";")[0] for kind, _ in EXPORT_FORMATS.values()),
)
def export(cluster_id: str, query: ExportParams) -> Response:
    """A work as a file to download: RIS or BibTeX for a reference manager, MARCXML or MARC21 with the members'
    holdings (those each member shows; the reader's own library's always, and first)."""
    seen = _seen()
    found = _visible_work(cluster_id, seen)
    holdings = exported_holdings(hub().published_catalogue, found, seen.viewer)
    holdings.sort(key=lambda h: h.member != _first_library(query.member))
    exported = export_work(found, holdings, query.format, f"{_public_url()}/works/{quote(cluster_id, safe='')}")
    headers: dict[str, str | list[str]] = {
        "Content-Type": exported.content_type,
        "Content-Disposition": f'attachment; filename="{exported.filename}"',
    }
    # Every format is UTF-8 text, MARC21 too (its leader, directory and delimiters are ASCII): no binary body for
    # API Gateway, which would want the client's Accept header to name the type.
    return Response(body=exported.body.decode("utf-8"), headers=headers)


@routes.route("GET", "/works/{cluster_id}/editions", ANYONE, answer=EditionsAnswer)
def editions(cluster_id: str) -> dict[str, Any]:
    """The other editions and the translations of a work: the works sharing its work id (the same title, or the
    original title a translation names, and first author; see :mod:`consortium.dedup.work_groups`), found by one
    search, newest first; ``translation`` marks those in another language than the work's original."""
    seen = _seen()
    group = work_group(_visible_work(cluster_id, seen), _index(seen), hub().cluster_store)
    trimmed = {
        name: [e.model_copy(update={"members": seen.members_of(e.members)}) for e in getattr(group, name)]
        for name in ("editions", "translations")
    }
    return group.model_copy(update=trimmed).model_dump(mode="json")


@routes.route("GET", "/new-books", ANYONE, query=NewBooksParams, answer=NewBooksAnswer)
def new_books(query: NewBooksParams) -> dict[str, Any]:
    """New books (新书通报): the works the consortium first had in the last ``days``, of a class at any depth,
    newest first (ties by work id).

    One search of the index (a class at any depth, a first-seen period, the newest first): the cost follows the
    page, not how many works are new. A ``limit`` above the search's page size (100) is read as two pages.
    """
    since = system_clock() - dt.timedelta(days=query.days)
    search = new_books_query(query.class_, query.member, since, min(query.limit, MAX_PAGE_SIZE))
    index = _index()
    first = index.search(search)
    hits = {hit.cluster_id: hit for hit in first.hits}
    if query.limit > search.page_size and first.total > search.page_size:
        for hit in index.search(search.model_copy(update={"page": 2})).hits:
            hits.setdefault(hit.cluster_id, hit)  # a work indexed between the two pages is not listed twice
    works = [
        NewBook(
            cluster_id=hit.cluster_id,
            title=hit.title,
            authors=hit.authors,
            year=hit.year,
            first_seen=hit.first_seen,
            classes=hit.classes,
            members=hit.members,
        ).model_dump(mode="json")
        for hit in list(hits.values())[: query.limit]
        if hit.first_seen is not None  # always: the period filters on it
    ]
    return {"class": query.class_, "since": since.isoformat(), "works": works, "more": first.total > query.limit}


@routes.route("GET", "/classes", ANYONE, query=ClassesParams, answer=ClassTree)
def classes(query: ClassesParams) -> dict[str, Any]:
    """The class tree of CLC, LCC or Dewey: the classes right under a class (or the main classes), with their
    labels in English and Chinese (the scheme's top levels) and how many works are under each (in the last
    ``days``, of ``member``, when asked)."""
    since = system_clock() - dt.timedelta(days=query.days) if query.days is not None else None
    tree = browse_classes(_index(), query.scheme, query.parent, since=since, member=query.member)
    return tree.model_dump(mode="json")


def _provider_params() -> dict[str, list[str]]:
    request = app.current_request
    params = request.query_params if request is not None else None
    return {name: params.getlist(name) for name in params} if params else {}


def _provider_answer(found: ProviderResponse) -> Response:
    return Response(
        body=found.body.decode("utf-8"), status_code=found.status, headers={"Content-Type": found.content_type}
    )


@routes.route("GET", "/oai", ANYONE, answer_type="text/xml")
def oai() -> Response:
    """The catalogue as an OAI-PMH 2.0 repository (``verb=Identify``, ``ListRecords``...): the deduplicated works
    in ``marc21`` (with every member's holdings its policy shows) and ``oai_dc``, a set per member, deletions."""
    return _provider_answer(handle_oai(_provider_params(), f"{_public_url()}/oai", hub().published_catalogue))


@routes.route("POST", "/oai", ANYONE, content_types=("application/x-www-form-urlencoded",), answer_type="text/xml")
def oai_post() -> Response:
    """OAI-PMH by POST (the arguments form-encoded in the body), as the protocol allows."""
    request = app.current_request
    body = (request.raw_body if request is not None else b"") or b""
    return _provider_answer(handle_oai(body, f"{_public_url()}/oai", hub().published_catalogue))


@routes.route("GET", "/sru", ANYONE, answer_type="text/xml")
def sru() -> Response:
    """SRU 2.0 ``searchRetrieve`` (and ``explain``) with CQL: title, author, subject, isbn, any; and, or, not."""
    return _provider_answer(handle_sru(_provider_params(), f"{_public_url()}/sru", hub().published_catalogue))


def _public_url() -> str:
    return hub().settings.public_url.rstrip("/")


@routes.route("GET", "/members", ANYONE, answer=MembersAnswer)
def list_members() -> dict[str, Any]:
    """The member libraries."""
    return {"members": [m.model_dump() for m in _member_views()]}
