"""The reader-profile API (Chalice): readers, their profile, consents, events and interests, export and erasure,
plus the daily retention purge (:func:`purge_expired`).

Each route parses the body into its pydantic model, calls one :class:`~consortium.profiles.service.ProfileService`
method and maps errors to HTTP statuses (one table, :data:`_STATUS`). The core package reaches the function
through ``vendor/`` at build time, as for the harvest function.

Authentication (Cognito user pools for readers, API keys for member libraries) is configured at deploy time by
the CDK stack, not here. The app trusts the identity the authorizer puts in ``app.current_request.context`` when
there is one (a reader may then only act on their own id); without an authorizer (local runs, tests) the reader
id in the path is the caller.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
from chalice.app import (
    Chalice,
    ForbiddenError,
    Rate,
    Response,
)
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from consortium import errors
from consortium.bootstrap import Container, bootstrap
from consortium.classification import class_ancestors
from consortium.http_api import call as _call
from consortium.http_api import caller_identity, json_body
from consortium.profiles.consent import Purpose
from consortium.profiles.interests import MAX_DECLARED_WEIGHT, key_kind
from consortium.profiles.models import Actor, ActorRole, EventType, ReaderEvent
from consortium.profiles.service import EventOutcome, ProfileService

if TYPE_CHECKING:
    from chalice.app import CloudWatchEvent

    from consortium.profiles.ports import ConsentLedger

app = Chalice(app_name="consortium-profile")
logger = logging.getLogger(__name__)


MEMBER_EVENTS = frozenset({EventType.BORROW, EventType.RETURN, EventType.HOLD})
"""Events member libraries send; readers send the others (search, view, rating, feedback)."""

_hub: Container | None = None

_Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class NewReader(BaseModel):
    """The body of ``POST /readers``."""

    model_config = ConfigDict(extra="forbid")

    reader_id: _Id
    member: _Id
    consents: list[Purpose] = Field(default_factory=list)
    declared: dict[str, Any] = Field(default_factory=dict)


class ConsentChange(BaseModel):
    """The body of ``POST /readers/{reader_id}/consents``."""

    model_config = ConfigDict(extra="forbid")

    purpose: Purpose
    granted: bool


class PromptAnswer(BaseModel):
    """The body of ``POST /readers/{reader_id}/prompts/{prompt_id}``: follow the drift (true) or dismiss it."""

    model_config = ConfigDict(extra="forbid")

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


class InterestDeclaration(BaseModel):
    """The body of ``PUT /readers/{reader_id}/interests``: an interest the reader declares, and its weight."""

    model_config = ConfigDict(extra="forbid")

    key: str
    weight: Annotated[float, Field(gt=0, le=MAX_DECLARED_WEIGHT, allow_inf_nan=False)] | None = None

    _key = field_validator("key")(_interest_key)


class InterestRemoval(BaseModel):
    """The body (or the ``key`` query parameter) of ``DELETE /readers/{reader_id}/interests``."""

    model_config = ConfigDict(extra="forbid")

    key: str

    _key = field_validator("key")(_interest_key)


class ProfileBody(pydantic.RootModel[dict[str, Any]]):
    """The body of ``PUT /readers/{reader_id}/profile``: any JSON object."""


def _container() -> Container:
    """The container, built on first use and kept for the life of the Lambda environment."""
    global _hub
    if _hub is None:
        _hub = bootstrap()
    return _hub


def service() -> ProfileService:
    """The profile service of the container."""
    return _container().profiles


def ledger() -> ConsentLedger:
    """The consent ledger the service writes to."""
    return _container().consent_ledger


# -- errors


def _identity() -> str | None:
    return caller_identity(app)


def _actor(reader_id: str, role: ActorRole = ActorRole.READER) -> Actor:
    identity = _identity()
    if role is ActorRole.READER and identity is not None and identity != reader_id:
        raise ForbiddenError("a reader may only act on their own data")
    if identity is None:
        identity = reader_id if role is ActorRole.READER else "member-library"
    return Actor(actor_id=identity, role=role)


# -- routes


@app.route("/readers", methods=["POST"])
def create_reader() -> Response:
    new = _call(lambda: NewReader.model_validate(json_body(app)))
    actor = _actor(new.reader_id)
    reader = _call(lambda: service().create_reader(new.reader_id, new.member, new.consents, new.declared, actor))
    return Response(body=reader.model_dump(mode="json"), status_code=201)


@app.route("/readers/{reader_id}/profile", methods=["GET"])
def get_profile(reader_id: str) -> dict[str, Any]:
    actor = _actor(reader_id)
    return {"reader_id": reader_id, "profile": _call(lambda: service().get_profile(reader_id, actor))}


@app.route("/readers/{reader_id}/profile", methods=["PUT"])
def put_profile(reader_id: str) -> dict[str, Any]:
    payload = _call(lambda: ProfileBody.model_validate(json_body(app))).root
    actor = _actor(reader_id)
    _call(lambda: service().put_profile(reader_id, payload, actor))
    return {"reader_id": reader_id, "profile": payload}


@app.route("/readers/{reader_id}/consents", methods=["POST"])
def change_consent(reader_id: str) -> dict[str, Any]:
    change = _call(lambda: ConsentChange.model_validate(json_body(app)))
    actor = _actor(reader_id)
    step = service().grant if change.granted else service().withdraw
    _call(lambda: step(reader_id, change.purpose, actor))
    return {"reader_id": reader_id, "purpose": change.purpose.value, "granted": change.granted}


@app.route("/readers/{reader_id}/consents", methods=["GET"])
def get_consents(reader_id: str) -> dict[str, Any]:
    actor = _actor(reader_id)
    _call(lambda: service().get_reader(reader_id, actor))  # 404 for unknown or erased readers
    consents = ledger()
    return {
        "reader_id": reader_id,
        "current": {purpose.value: granted for purpose, granted in consents.current(reader_id).items()},
        "history": [event.model_dump(mode="json") for event in consents.history(reader_id)],
    }


@app.route("/readers/{reader_id}/events", methods=["POST"])
def record_event(reader_id: str) -> dict[str, Any]:
    event = _call(lambda: ReaderEvent.model_validate(json_body(app)))
    role = ActorRole.MEMBER_STAFF if event.type in MEMBER_EVENTS else ActorRole.READER
    actor = _actor(reader_id, role)
    outcome = _call(lambda: service().record_event(reader_id, event, actor))
    return {
        "reader_id": reader_id,
        "event_id": event.event_id,
        "outcome": outcome.value,
        "dropped": outcome is EventOutcome.DROPPED_NO_CONSENT,
    }


@app.route("/readers/{reader_id}/interests", methods=["GET"])
def get_interests(reader_id: str) -> dict[str, Any]:
    return _interests(reader_id, _actor(reader_id))


def _interests(reader_id: str, actor: Actor) -> dict[str, Any]:
    found = _call(lambda: service().interests(reader_id, actor))
    return {"reader_id": reader_id, "interests": [interest.model_dump(mode="json") for interest in found]}


@app.route("/readers/{reader_id}/interests", methods=["PUT"])
def declare_interest(reader_id: str) -> dict[str, Any]:
    declared = _call(lambda: InterestDeclaration.model_validate(json_body(app)))
    actor = _actor(reader_id)
    _call(lambda: service().declare_interest(reader_id, declared.key, actor, declared.weight))
    return _interests(reader_id, actor)


@app.route("/readers/{reader_id}/interests", methods=["DELETE"])
def remove_interest(reader_id: str) -> dict[str, Any]:
    request = app.current_request
    assert request is not None
    query = request.query_params or {}
    removal = _call(lambda: InterestRemoval.model_validate(json_body(app) or dict(query)))
    actor = _actor(reader_id)
    _call(lambda: service().remove_interest(reader_id, removal.key, actor))
    return _interests(reader_id, actor)


@app.route("/readers/{reader_id}/prompts", methods=["GET"])
def get_prompts(reader_id: str) -> dict[str, Any]:
    actor = _actor(reader_id)
    found = _call(lambda: service().prompts(reader_id, actor))
    return {"reader_id": reader_id, "prompts": [prompt.model_dump(mode="json") for prompt in found]}


@app.route("/readers/{reader_id}/prompts/{prompt_id}", methods=["POST"])
def answer_prompt(reader_id: str, prompt_id: str) -> dict[str, Any]:
    answer = _call(lambda: PromptAnswer.model_validate(json_body(app)))
    actor = _actor(reader_id)
    found = _call(lambda: service().answer_prompt(reader_id, prompt_id, answer.accept, actor))
    return {"reader_id": reader_id, "interests": [interest.model_dump(mode="json") for interest in found]}


@app.route("/readers/{reader_id}/export", methods=["GET"])
def export(reader_id: str) -> dict[str, Any]:
    actor = _actor(reader_id)
    return _call(lambda: service().export(reader_id, actor))


@app.route("/readers/{reader_id}", methods=["DELETE"])
def erase(reader_id: str) -> Response:
    actor = _actor(reader_id)
    _call(lambda: service().erase(reader_id, actor))
    return Response(body="", status_code=204)


# -- scheduled


@app.schedule(Rate(1, unit=Rate.DAYS))
def purge_expired(event: CloudWatchEvent) -> dict[str, int]:
    """Once a day: delete every reader's events older than their retention allows (logs only the count)."""
    deleted = service().purge_expired()
    logger.info("retention purge: %d events deleted", deleted)
    return {"events_deleted": deleted}
