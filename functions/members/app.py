"""The member API (Chalice): what a member library's systems and administrators do for their own member only —
its sources (list, add, change, pause, resume), harvests it starts and follows, its quarantined records with
their reasons and raw bytes, bulk uploads of its readers' loans, returns and holds (JSON Lines), statistics of its
contribution (and the whole contribution on one page: its catalogue, loans of its works by other members' readers,
its inter-library loan balance), and its API keys; and API Gateway's authorizer of the routes member systems call
(:func:`api_authorizer`: which usage plan a request counts against, :mod:`consortium.http.gateway`).

Every route has ``{member_id}`` in its path and the route table (:mod:`consortium.http.access`) lets through only
that member's API key or staff: a member never reaches another's. Keys are managed by a member administrator
(a staff token), not by a key: a leaked key cannot mint more.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pydantic
from chalice.app import Chalice, Response

from consortium import errors
from consortium.auth.api_keys import Label
from consortium.bootstrap.cooperation import MemberContribution
from consortium.harvest.runs import HarvestRun, HarvestRunPage
from consortium.http import LIBRARY, MEMBER_ADMIN, LambdaContainer, RequestBody, current_caller, route_table
from consortium.http.gateway import authorize
from consortium.members import Source, load_registry
from consortium.membership.events import MAX_UPLOAD_BYTES, UploadReport
from consortium.membership.quarantine import QuarantineItem, QuarantinePage
from consortium.membership.statistics import Contribution
from consortium.registry.models import RegisteredSource, SourceChange
from consortium.registry.sharing import MemberSharing, SharingChange

app = Chalice(app_name="consortium-members")
app.api.binary_types.append("application/octet-stream")
container = LambdaContainer()
routes = route_table(app, container, "members")


# -- bodies and answers


class NewKey(RequestBody):
    """The body of ``POST /members/{member_id}/keys``."""

    label: Label
    """What the key is for (e.g. ``ILS loan feed``)."""


class KeyView(pydantic.BaseModel):
    """An API key as listed: never its secret or hash."""

    key_id: str
    member: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class NewKeyAnswer(KeyView):
    """A new key, with the whole key shown this once."""

    key: str


class KeysAnswer(pydantic.BaseModel):
    """The member's API keys."""

    member: str
    keys: list[KeyView]


def _known(member_id: str) -> str:
    container().registry.get(member_id)  # a 404 naming the member when it has left the registry
    return member_id


class SourcesAnswer(pydantic.BaseModel):
    """The member's sources: members.toml's, with the member's own changes on top."""

    member: str
    sources: list[RegisteredSource]


class VersionParams(RequestBody):
    """The query of a change: the ``version`` the caller read (a 409 when the source changed since)."""

    version: int | None = pydantic.Field(default=None, ge=0)


class PauseBody(RequestBody):
    """The body of ``POST .../pause``: why (shown in the registry and in every harvest that skips it)."""

    reason: str | None = pydantic.Field(default=None, max_length=500)


class HarvestBody(RequestBody):
    """The body of ``POST /members/{member_id}/harvests``: one source, or every one of the member's.
    ``confirm_withdrawals``, with the ``source_id`` it confirms (400 without one), withdraws every record absent
    from that source's complete file, however many: a harvest withholds more than half of a source's, and its
    run's ``notice`` says so."""

    source_id: str | None = pydantic.Field(default=None, max_length=200)
    confirm_withdrawals: bool = False


class RunsParams(RequestBody):
    """The query of ``GET /members/{member_id}/harvests``: a page of runs, newest first."""

    limit: int = pydantic.Field(default=20, ge=1, le=100)
    before: str | None = pydantic.Field(default=None, max_length=200)


class QuarantineParams(RequestBody):
    """The query of ``GET /members/{member_id}/quarantine``."""

    cursor: str | None = pydantic.Field(default=None, max_length=2000)
    limit: int = pydantic.Field(default=50, ge=1, le=200)
    include_raw: bool = False


def _acting() -> str:
    return current_caller().actor().actor_id


# -- sources


@routes.route("GET", "/members/{member_id}/sources", LIBRARY, answer=SourcesAnswer)
def list_sources(member_id: str) -> dict[str, Any]:
    """The member's sources (paused ones marked)."""
    found = container().member_sources.sources(member_id)
    return {"member": member_id, "sources": [source.model_dump(mode="json") for source in found]}


@routes.route("POST", "/members/{member_id}/sources", LIBRARY, body=Source, answer=RegisteredSource, status=201)
def add_source(member_id: str, body: Source) -> Response:
    """Add a source, validated as members.toml is."""
    added = container().member_sources.add(member_id, body, actor_id=_acting())
    return Response(body=added.model_dump(mode="json"), status_code=201)


@routes.route("GET", "/members/{member_id}/sources/{source_id}", LIBRARY, answer=RegisteredSource)
def get_source(member_id: str, source_id: str) -> dict[str, Any]:
    """One of the member's sources."""
    return container().member_sources.source(member_id, source_id).model_dump(mode="json")


@routes.route(
    "PATCH",
    "/members/{member_id}/sources/{source_id}",
    LIBRARY,
    body=SourceChange,
    query=VersionParams,
    answer=RegisteredSource,
)
def change_source(member_id: str, source_id: str, body: SourceChange, query: VersionParams) -> dict[str, Any]:
    """Change a source: the fields given replace its own (the whole is validated as members.toml is)."""
    changed = container().member_sources.change(
        member_id, source_id, body, actor_id=_acting(), expected_version=query.version
    )
    return changed.model_dump(mode="json")


@routes.route(
    "POST", "/members/{member_id}/sources/{source_id}/pause", LIBRARY, body=PauseBody, answer=RegisteredSource
)
def pause_source(member_id: str, source_id: str, body: PauseBody) -> dict[str, Any]:
    """Pause a source: every harvest leaves it alone, and says so, until it is resumed."""
    paused = container().member_sources.pause(member_id, source_id, actor_id=_acting(), reason=body.reason)
    return paused.model_dump(mode="json")


@routes.route("POST", "/members/{member_id}/sources/{source_id}/resume", LIBRARY, answer=RegisteredSource)
def resume_source(member_id: str, source_id: str) -> dict[str, Any]:
    """Resume a paused source: the next harvest takes it up where its last run stopped."""
    return container().member_sources.resume(member_id, source_id, actor_id=_acting()).model_dump(mode="json")


# -- sharing policy


@routes.route("GET", "/members/{member_id}/sharing", LIBRARY, answer=MemberSharing)
def get_sharing(member_id: str) -> dict[str, Any]:
    """The member's sharing policy now: whether other members' readers see its holdings, whether its loans count
    in the consortium's aggregates, which members' readers may ask it for an inter-library loan."""
    return container().member_sources.sharing.get(_known(member_id)).model_dump(mode="json")


@routes.route(
    "PUT", "/members/{member_id}/sharing", MEMBER_ADMIN, body=SharingChange, query=VersionParams, answer=MemberSharing
)
def change_sharing(member_id: str, body: SharingChange, query: VersionParams) -> dict[str, Any]:
    """Change the member's sharing policy (the fields given); it applies from the next request."""
    changed = container().member_sources.sharing.change(
        _known(member_id), body, actor_id=_acting(), expected_version=query.version
    )
    return changed.model_dump(mode="json")


# -- harvests


@routes.route("POST", "/members/{member_id}/harvests", LIBRARY, body=HarvestBody, answer=HarvestRun, status=202)
def start_harvest(member_id: str, body: HarvestBody) -> Response:
    """Start a harvest of one source or all of the member's: 202 with the run to follow (``confirm_withdrawals``
    needs a ``source_id``)."""
    run = container().harvest_runs.start(
        member_id, body.source_id, requested_by=_acting(), confirm_withdrawals=body.confirm_withdrawals
    )
    return Response(body=run.model_dump(mode="json"), status_code=202)


@routes.route("GET", "/members/{member_id}/harvests", LIBRARY, query=RunsParams, answer=HarvestRunPage)
def list_harvests(member_id: str, query: RunsParams) -> dict[str, Any]:
    """The member's harvest runs, newest first."""
    return container().harvest_runs.runs(member_id, limit=query.limit, before=query.before).model_dump(mode="json")


@routes.route("GET", "/members/{member_id}/harvests/{run_id}", LIBRARY, answer=HarvestRun)
def get_harvest(member_id: str, run_id: str) -> dict[str, Any]:
    """One harvest run and its progress."""
    return container().harvest_runs.get(member_id, run_id).model_dump(mode="json")


# -- quarantine


@routes.route("GET", "/members/{member_id}/quarantine", LIBRARY, query=QuarantineParams, answer=QuarantinePage)
def quarantine(member_id: str, query: QuarantineParams) -> dict[str, Any]:
    """The member's quarantined records and why (a page; with ``include_raw`` their bytes in base64)."""
    found = container().member_quarantine.page(
        member_id, cursor=query.cursor, limit=query.limit, include_raw=query.include_raw
    )
    return found.model_dump(mode="json")


@routes.route("GET", "/members/{member_id}/quarantine/{item_id}", LIBRARY, answer=QuarantineItem)
def quarantined(member_id: str, item_id: str) -> dict[str, Any]:
    """One quarantined record, its reason and its raw bytes (base64)."""
    return container().member_quarantine.item(member_id, item_id).model_dump(mode="json")


@routes.route("GET", "/members/{member_id}/quarantine/{item_id}/raw", LIBRARY, answer_type="application/octet-stream")
def quarantined_raw(member_id: str, item_id: str) -> Response:
    """The raw bytes of a quarantined record, as harvested."""
    raw = container().member_quarantine.raw(member_id, item_id)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{raw.filename}"',
        "X-Media-Type": raw.media_type,
    }
    return Response(body=raw.data, headers=headers)


# -- loans and statistics


@routes.route(
    "POST",
    "/members/{member_id}/events",
    LIBRARY,
    answer=UploadReport,
    content_types=("application/x-ndjson", "application/jsonl", "application/json-lines", "text/plain"),
    max_body=MAX_UPLOAD_BYTES,
)
def upload_events(member_id: str) -> dict[str, Any]:
    """Upload the member's readers' loans, returns and holds: JSON Lines, one event with its ``reader_id`` a
    line; each line is accepted or rejected with its number and reason."""
    request = app.current_request
    body = (request.raw_body if request is not None else b"") or b""
    report = container().member_events.upload(member_id, body, current_caller().actor())
    return report.model_dump(mode="json")


@routes.route("GET", "/members/{member_id}/statistics", LIBRARY, answer=Contribution)
def statistics(member_id: str) -> dict[str, Any]:
    """The member's contribution: records by format, works it alone holds, works it shares."""
    return container().member_statistics.contribution(member_id).model_dump(mode="json")


@routes.route("GET", "/members/{member_id}/contribution", LIBRARY, answer=MemberContribution)
def contribution(member_id: str) -> dict[str, Any]:
    """The member's contribution on one page: its records and the works it alone holds, loans of its works by
    other members' readers (figures behind fewer than 10 readers suppressed), its inter-library loan balance."""
    return container().member_contribution(member_id).model_dump(mode="json")


# -- API keys


@routes.route("GET", "/members/{member_id}/keys", LIBRARY, answer=KeysAnswer)
def list_keys(member_id: str) -> dict[str, Any]:
    """The member's API keys (revoked ones too)."""
    keys = container().api_keys.list(_known(member_id))
    return {"member": member_id, "keys": [key.public() for key in keys]}


@routes.route("POST", "/members/{member_id}/keys", MEMBER_ADMIN, body=NewKey, answer=NewKeyAnswer, status=201)
def create_key(member_id: str, body: NewKey) -> Response:
    """Make an API key for the member's systems; the whole key is in this answer only."""
    issued = container().api_keys.create(_known(member_id), body.label)
    return Response(body={**issued.key.public(), "key": issued.secret}, status_code=201)


@routes.route("DELETE", "/members/{member_id}/keys/{key_id}", MEMBER_ADMIN, answer=KeyView)
def revoke_key(member_id: str, key_id: str) -> dict[str, Any]:
    """Revoke one of the member's API keys."""
    return container().api_keys.revoke(_known(member_id), key_id).public()


# -- the API authorizer


@app.lambda_function(name="api_authorizer")
def api_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway's REQUEST authorizer of the routes member systems call: the credential verified, the usage
    plan named (the member's for its API key, the shared one otherwise; :mod:`consortium.http.gateway`)."""
    hub = container()
    prefix = hub.settings.api_usage_key_prefix
    if not prefix:
        raise errors.ConfigError("CONSORTIUM_API_USAGE_KEY_PREFIX is not set: the authorizer names usage plans by it")
    return authorize(event, hub.authenticator, members=_deployed_members(), prefix=prefix)


@functools.cache
def _deployed_members() -> frozenset[str]:
    """The members of the registry deployed with the functions: those the stage made usage plans for."""
    return frozenset(member.id for member in load_registry(container().settings.members_file).members)
