"""The reader-profile API (Chalice): readers, their profile, consents, events and interests, export and erasure,
plus the daily retention purge (:func:`purge_expired`).

Each route parses the body into its pydantic model, calls one :class:`~consortium.profiles.service.ProfileService`
method and answers; what every app shares (the container, the caller, bodies, the error table) is in
:mod:`consortium.http`. The core package reaches the function through ``vendor/`` at build time, as for the harvest
function.

Each route declares who may call it in the route table (:mod:`consortium.http.access`): a reader's routes are
theirs alone (their token), a borrow, return or hold is posted by their library (its API key or staff).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
from chalice.app import Chalice, Rate, Response
from pydantic import Field, StrictBool, field_validator

from consortium import errors
from consortium.auth.callers import CallerKind
from consortium.classification import class_ancestors, class_pattern
from consortium.http import (
    READER,
    READER_OR_LIBRARY,
    Identifier,
    LambdaContainer,
    RequestBody,
    caller_actor,
    current_caller,
    route_table,
)
from consortium.profiles.consent import ConsentEvent, DataKind, Purpose
from consortium.profiles.drift import DriftPrompt
from consortium.profiles.interest_keys import key_kind
from consortium.profiles.interests import MAX_DECLARED_WEIGHT
from consortium.profiles.learning import Interest
from consortium.profiles.models import ActorRole, EventType, Reader, ReaderEvent
from consortium.profiles.service import EventOutcome

if TYPE_CHECKING:
    from chalice.app import CloudWatchEvent

    from consortium.profiles.models import Actor
    from consortium.profiles.service import ProfileService

app = Chalice(app_name="consortium-profile")
logger = logging.getLogger(__name__)
container = LambdaContainer()
routes = route_table(app, container, "readers")


MEMBER_EVENTS = frozenset({EventType.BORROW, EventType.RETURN, EventType.HOLD})
"""Events member libraries send; readers send the others (search, view, rating, feedback)."""


def service() -> ProfileService:
    """The profile service of the container."""
    return container().profiles


# -- bodies


class NewReader(RequestBody):
    """The body of ``POST /readers``."""

    reader_id: Identifier
    member: Identifier
    consents: list[Purpose] = Field(default_factory=list)
    declared: dict[str, Any] = Field(default_factory=dict)


class ConsentChange(RequestBody):
    """The body of ``POST /readers/{reader_id}/consents``."""

    purpose: Purpose
    granted: StrictBool
    """``true`` or ``false`` (not 0, 1 or a string)."""


class PromptAnswer(RequestBody):
    """The body of ``POST /readers/{reader_id}/prompts/{prompt_id}``: follow the drift (true) or dismiss it."""

    accept: StrictBool


def _interest_key(key: str) -> str:
    """``key`` when it is an interest key (the documented :data:`INTEREST_KEY`, and a class key's code must parse
    in its scheme); ``ValueError`` if not."""
    try:
        if key_kind(key) == "class":
            _, scheme, code = key.split(":", 2)
            class_ancestors(scheme, code)
    except errors.ValidationError as exc:
        raise ValueError(f"{exc} (class:<scheme>:<code>, subject:<heading> or author:<name>)") from exc
    if not re.fullmatch(INTEREST_KEY[1:-1], key):
        raise ValueError("is not an interest key (class:<scheme>:<code>, subject:<heading> or author:<name>)")
    return key


INTEREST_KEY = class_pattern("class:")[:-2] + r"|(subject|author):.+)$"
"""An interest key: ``class:<scheme>:<code>``, ``subject:<heading>`` or ``author:<name>``."""


class _InterestKey(RequestBody):
    """A body naming one interest key, checked by :func:`_interest_key`."""

    key: str = Field(max_length=500, json_schema_extra={"pattern": INTEREST_KEY})
    """Checked by :func:`_interest_key` (whose message says what a key is); the pattern tells clients."""

    _key = field_validator("key")(_interest_key)


class InterestDeclaration(_InterestKey):
    """The body of ``PUT /readers/{reader_id}/interests``: an interest the reader declares, and its weight."""

    weight: Annotated[float, Field(gt=0, le=MAX_DECLARED_WEIGHT, allow_inf_nan=False, strict=True)] | None = None
    """A number (not ``true``); the default declared weight when omitted."""


class InterestRemoval(_InterestKey):
    """The body (or the ``key`` query parameter) of ``DELETE /readers/{reader_id}/interests``."""


class ProfileBody(pydantic.RootModel[dict[str, Any]]):
    """The body of ``PUT /readers/{reader_id}/profile``: any JSON object."""


# -- answers


class ProfileAnswer(pydantic.BaseModel):
    """A reader's declared profile."""

    reader_id: str
    profile: dict[str, Any]


class ConsentAnswer(pydantic.BaseModel):
    """A consent just granted or withdrawn."""

    reader_id: str
    purpose: Purpose
    granted: bool


class PurposeText(pydantic.BaseModel):
    """A purpose as the consent policy describes it to readers."""

    purpose: Purpose
    description_en: str
    description_zh: str
    data: list[DataKind]
    """The kinds of personal data it uses."""
    retention_days: int
    """The longest that data recorded for it is kept."""


class ConsentsAnswer(pydantic.BaseModel):
    """Whether each purpose is granted now, every grant and withdrawal, and what each purpose allows (the consent
    policy in force, in English and Chinese)."""

    reader_id: str
    current: dict[str, bool]
    history: list[ConsentEvent]
    policy_version: str
    purposes: list[PurposeText]


class EventAnswer(pydantic.BaseModel):
    """What became of an event."""

    reader_id: str
    event_id: str
    outcome: EventOutcome
    dropped: bool


class InterestsAnswer(pydantic.BaseModel):
    """The reader's interests, strongest first."""

    reader_id: str
    interests: list[Interest]


class PromptsAnswer(pydantic.BaseModel):
    """The reader's open drift prompts."""

    reader_id: str
    prompts: list[DriftPrompt]


class ExportAnswer(pydantic.RootModel[dict[str, Any]]):
    """Everything the hub keeps about the reader (profile, events, interests, push history, consents, audit)."""


# -- routes


@routes.route("POST", "/readers", READER_OR_LIBRARY, body=NewReader, answer=Reader, status=201)
def create_reader(body: NewReader) -> Response:
    """Create a reader: the reader themself (their token's id), or their home library."""
    caller = current_caller()
    if caller.kind is CallerKind.READER:
        if body.reader_id != caller.subject or (caller.member and caller.member != body.member):
            raise errors.PermissionDeniedError("a reader may only create their own profile, at their own library")
    elif body.member != caller.member:
        raise errors.PermissionDeniedError(f"{caller.describe()} may not create a reader of {body.member}")
    reader = service().create_reader(body.reader_id, body.member, body.consents, body.declared, caller.actor())
    return Response(body=reader.model_dump(mode="json"), status_code=201)


@routes.route("GET", "/readers/{reader_id}/profile", READER, answer=ProfileAnswer)
def get_profile(reader_id: str) -> dict[str, Any]:
    """The reader's declared profile."""
    return {"reader_id": reader_id, "profile": service().get_profile(reader_id, caller_actor(reader_id))}


@routes.route("PUT", "/readers/{reader_id}/profile", READER, body=ProfileBody, answer=ProfileAnswer)
def put_profile(reader_id: str, body: ProfileBody) -> dict[str, Any]:
    """Replace the reader's declared profile."""
    service().put_profile(reader_id, body.root, caller_actor(reader_id))
    return {"reader_id": reader_id, "profile": body.root}


@routes.route("POST", "/readers/{reader_id}/consents", READER, body=ConsentChange, answer=ConsentAnswer)
def change_consent(reader_id: str, body: ConsentChange) -> dict[str, Any]:
    """Grant or withdraw a purpose."""
    actor = caller_actor(reader_id)
    step = service().grant if body.granted else service().withdraw
    step(reader_id, body.purpose, actor)
    return {"reader_id": reader_id, "purpose": body.purpose.value, "granted": body.granted}


@routes.route("GET", "/readers/{reader_id}/consents", READER, answer=ConsentsAnswer)
def get_consents(reader_id: str) -> dict[str, Any]:
    """The reader's consents now and their history."""
    service().get_reader(reader_id, caller_actor(reader_id))  # 404 for unknown or erased readers
    consents = container().consent_ledger
    policy = container().consent_policy
    return {
        "reader_id": reader_id,
        "current": {purpose.value: granted for purpose, granted in consents.current(reader_id).items()},
        "history": [event.model_dump(mode="json") for event in consents.history(reader_id)],
        "policy_version": policy.version,
        "purposes": [
            {"purpose": purpose.value, **text.model_dump(mode="json")} for purpose, text in policy.purposes.items()
        ],
    }


@routes.route("POST", "/readers/{reader_id}/events", READER_OR_LIBRARY, body=ReaderEvent, answer=EventAnswer)
def record_event(reader_id: str, body: ReaderEvent) -> dict[str, Any]:
    """Record an event: a search, view, rating or feedback by the reader; a borrow, return or hold by their
    library."""
    role = ActorRole.MEMBER_STAFF if body.type in MEMBER_EVENTS else ActorRole.READER
    outcome = service().record_event(reader_id, body, caller_actor(reader_id, role))
    return {
        "reader_id": reader_id,
        "event_id": body.event_id,
        "outcome": outcome.value,
        "dropped": outcome is EventOutcome.DROPPED_NO_CONSENT,
    }


def _interests(reader_id: str, actor: Actor) -> dict[str, Any]:
    found = service().interests(reader_id, actor)
    return {"reader_id": reader_id, "interests": [interest.model_dump(mode="json") for interest in found]}


@routes.route("GET", "/readers/{reader_id}/interests", READER, answer=InterestsAnswer)
def get_interests(reader_id: str) -> dict[str, Any]:
    """The reader's interests (learned and declared)."""
    return _interests(reader_id, caller_actor(reader_id))


@routes.route("PUT", "/readers/{reader_id}/interests", READER, body=InterestDeclaration, answer=InterestsAnswer)
def declare_interest(reader_id: str, body: InterestDeclaration) -> dict[str, Any]:
    """Declare an interest (or change its weight)."""
    actor = caller_actor(reader_id)
    service().declare_interest(reader_id, body.key, actor, body.weight)
    return _interests(reader_id, actor)


@routes.route("DELETE", "/readers/{reader_id}/interests", READER, query=InterestRemoval, answer=InterestsAnswer)
def remove_interest(reader_id: str, query: InterestRemoval) -> dict[str, Any]:
    """Remove an interest (``?key=``)."""
    actor = caller_actor(reader_id)
    service().remove_interest(reader_id, query.key, actor)
    return _interests(reader_id, actor)


@routes.route("GET", "/readers/{reader_id}/prompts", READER, answer=PromptsAnswer)
def get_prompts(reader_id: str) -> dict[str, Any]:
    """The reader's open prompts to review drifting interests."""
    found = service().prompts(reader_id, caller_actor(reader_id))
    return {"reader_id": reader_id, "prompts": [prompt.model_dump(mode="json") for prompt in found]}


@routes.route("POST", "/readers/{reader_id}/prompts/{prompt_id}", READER, body=PromptAnswer, answer=InterestsAnswer)
def answer_prompt(reader_id: str, prompt_id: str, body: PromptAnswer) -> dict[str, Any]:
    """Follow a drift (accept) or dismiss it."""
    found = service().answer_prompt(reader_id, prompt_id, body.accept, caller_actor(reader_id))
    return {"reader_id": reader_id, "interests": [interest.model_dump(mode="json") for interest in found]}


@routes.route("GET", "/readers/{reader_id}/export", READER, answer=ExportAnswer)
def export(reader_id: str) -> dict[str, Any]:
    """Everything the hub keeps about the reader, as JSON."""
    return service().export(reader_id, caller_actor(reader_id))


@routes.route("DELETE", "/readers/{reader_id}", READER, status=204)
def erase(reader_id: str) -> Response:
    """Erase the reader: their data key is destroyed, so every copy becomes unreadable."""
    container().erase_reader(reader_id, caller_actor(reader_id))  # and their loan requests no longer name them
    return Response(body="", status_code=204)


# -- scheduled


@app.schedule(Rate(1, unit=Rate.DAYS))
def purge_expired(event: CloudWatchEvent) -> dict[str, int]:
    """Once a day: delete every reader's events older than their retention allows (logs only the count)."""
    deleted = service().purge_expired()
    logger.info("retention purge: %d events deleted", deleted)
    return {"events_deleted": deleted}
