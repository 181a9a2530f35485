"""The reader-profile API (Chalice): readers, their profile, consents, events and interests, export and erasure,
plus the daily retention purge (:func:`purge_expired`).

Each route parses the body into its pydantic model, calls one :class:`~consortium.profiles.service.ProfileService`
method and answers; what every app shares (the container, the caller, bodies, the error table) is in
:mod:`consortium.http`. The core package reaches the function through ``vendor/`` at build time, as for the harvest
function.

Authentication (Cognito user pools for readers, API keys for member libraries) is configured at deploy time by
the CDK stack, not here: see :mod:`consortium.http.identity` for the caller each route acts as.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
from chalice.app import Chalice, Rate, Response
from pydantic import Field, field_validator

from consortium import errors
from consortium.classification import class_ancestors
from consortium.http import Identifier, LambdaContainer, RequestBody, caller_actor, http_errors, parse_body
from consortium.profiles.consent import Purpose
from consortium.profiles.interest_keys import key_kind
from consortium.profiles.interests import MAX_DECLARED_WEIGHT
from consortium.profiles.models import ActorRole, EventType, ReaderEvent
from consortium.profiles.service import EventOutcome

if TYPE_CHECKING:
    from chalice.app import CloudWatchEvent

    from consortium.profiles.models import Actor
    from consortium.profiles.service import ProfileService

app = Chalice(app_name="consortium-profile")
logger = logging.getLogger(__name__)
container = LambdaContainer()


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
    granted: bool


class PromptAnswer(RequestBody):
    """The body of ``POST /readers/{reader_id}/prompts/{prompt_id}``: follow the drift (true) or dismiss it."""

    accept: bool


def _interest_key(key: str) -> str:
    """``key`` when it is an interest key (a class key's code must parse in its scheme); ``ValueError`` if not."""
    try:
        if key_kind(key) == "class":
            _, scheme, code = key.split(":", 2)
            class_ancestors(scheme, code)
    except errors.ValidationError as exc:
        raise ValueError(f"{exc} (class:<scheme>:<code>, subject:<heading> or author:<name>)") from exc
    return key


class _InterestKey(RequestBody):
    """A body naming one interest key, checked by :func:`_interest_key`."""

    key: str

    _key = field_validator("key")(_interest_key)


class InterestDeclaration(_InterestKey):
    """The body of ``PUT /readers/{reader_id}/interests``: an interest the reader declares, and its weight."""

    weight: Annotated[float, Field(gt=0, le=MAX_DECLARED_WEIGHT, allow_inf_nan=False)] | None = None


class InterestRemoval(_InterestKey):
    """The body (or the ``key`` query parameter) of ``DELETE /readers/{reader_id}/interests``."""


class ProfileBody(pydantic.RootModel[dict[str, Any]]):
    """The body of ``PUT /readers/{reader_id}/profile``: any JSON object."""


# -- routes


@app.route("/readers", methods=["POST"])
@http_errors
def create_reader() -> Response:
    new = parse_body(app, NewReader)
    actor = caller_actor(app, new.reader_id)
    reader = service().create_reader(new.reader_id, new.member, new.consents, new.declared, actor)
    return Response(body=reader.model_dump(mode="json"), status_code=201)


@app.route("/readers/{reader_id}/profile", methods=["GET"])
@http_errors
def get_profile(reader_id: str) -> dict[str, Any]:
    actor = caller_actor(app, reader_id)
    return {"reader_id": reader_id, "profile": service().get_profile(reader_id, actor)}


@app.route("/readers/{reader_id}/profile", methods=["PUT"])
@http_errors
def put_profile(reader_id: str) -> dict[str, Any]:
    payload = parse_body(app, ProfileBody).root
    service().put_profile(reader_id, payload, caller_actor(app, reader_id))
    return {"reader_id": reader_id, "profile": payload}


@app.route("/readers/{reader_id}/consents", methods=["POST"])
@http_errors
def change_consent(reader_id: str) -> dict[str, Any]:
    change = parse_body(app, ConsentChange)
    actor = caller_actor(app, reader_id)
    step = service().grant if change.granted else service().withdraw
    step(reader_id, change.purpose, actor)
    return {"reader_id": reader_id, "purpose": change.purpose.value, "granted": change.granted}


@app.route("/readers/{reader_id}/consents", methods=["GET"])
@http_errors
def get_consents(reader_id: str) -> dict[str, Any]:
    service().get_reader(reader_id, caller_actor(app, reader_id))  # 404 for unknown or erased readers
    consents = container().consent_ledger
    return {
        "reader_id": reader_id,
        "current": {purpose.value: granted for purpose, granted in consents.current(reader_id).items()},
        "history": [event.model_dump(mode="json") for event in consents.history(reader_id)],
    }


@app.route("/readers/{reader_id}/events", methods=["POST"])
@http_errors
def record_event(reader_id: str) -> dict[str, Any]:
    event = parse_body(app, ReaderEvent)
    role = ActorRole.MEMBER_STAFF if event.type in MEMBER_EVENTS else ActorRole.READER
    outcome = service().record_event(reader_id, event, caller_actor(app, reader_id, role))
    return {
        "reader_id": reader_id,
        "event_id": event.event_id,
        "outcome": outcome.value,
        "dropped": outcome is EventOutcome.DROPPED_NO_CONSENT,
    }


def _interests(reader_id: str, actor: Actor) -> dict[str, Any]:
    found = service().interests(reader_id, actor)
    return {"reader_id": reader_id, "interests": [interest.model_dump(mode="json") for interest in found]}


@app.route("/readers/{reader_id}/interests", methods=["GET"])
@http_errors
def get_interests(reader_id: str) -> dict[str, Any]:
    return _interests(reader_id, caller_actor(app, reader_id))


@app.route("/readers/{reader_id}/interests", methods=["PUT"])
@http_errors
def declare_interest(reader_id: str) -> dict[str, Any]:
    declared = parse_body(app, InterestDeclaration)
    actor = caller_actor(app, reader_id)
    service().declare_interest(reader_id, declared.key, actor, declared.weight)
    return _interests(reader_id, actor)


@app.route("/readers/{reader_id}/interests", methods=["DELETE"])
@http_errors
def remove_interest(reader_id: str) -> dict[str, Any]:
    removal = parse_body(app, InterestRemoval, or_query=True)
    actor = caller_actor(app, reader_id)
    service().remove_interest(reader_id, removal.key, actor)
    return _interests(reader_id, actor)


@app.route("/readers/{reader_id}/prompts", methods=["GET"])
@http_errors
def get_prompts(reader_id: str) -> dict[str, Any]:
    found = service().prompts(reader_id, caller_actor(app, reader_id))
    return {"reader_id": reader_id, "prompts": [prompt.model_dump(mode="json") for prompt in found]}


@app.route("/readers/{reader_id}/prompts/{prompt_id}", methods=["POST"])
@http_errors
def answer_prompt(reader_id: str, prompt_id: str) -> dict[str, Any]:
    answer = parse_body(app, PromptAnswer)
    found = service().answer_prompt(reader_id, prompt_id, answer.accept, caller_actor(app, reader_id))
    return {"reader_id": reader_id, "interests": [interest.model_dump(mode="json") for interest in found]}


@app.route("/readers/{reader_id}/export", methods=["GET"])
@http_errors
def export(reader_id: str) -> dict[str, Any]:
    return service().export(reader_id, caller_actor(app, reader_id))


@app.route("/readers/{reader_id}", methods=["DELETE"])
@http_errors
def erase(reader_id: str) -> Response:
    service().erase(reader_id, caller_actor(app, reader_id))
    return Response(body="", status_code=204)


# -- scheduled


@app.schedule(Rate(1, unit=Rate.DAYS))
def purge_expired(event: CloudWatchEvent) -> dict[str, int]:
    """Once a day: delete every reader's events older than their retention allows (logs only the count)."""
    deleted = service().purge_expired()
    logger.info("retention purge: %d events deleted", deleted)
    return {"events_deleted": deleted}
