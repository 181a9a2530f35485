"""The push API and job (Chalice): the service catalogue, readers' subscriptions and controls (history, "not
interested", mutes, the portal inbox), private Atom feeds and one-click unsubscribe by token, and the scheduled job
that plans and delivers digests, fanned out over SQS by shard of readers.

Each route parses the body into its pydantic model, calls one :class:`~consortium.push.service.PushService`
method and answers; what every app shares (the container, the caller, bodies, the error table, private pages) is
in :mod:`consortium.http`. The core package reaches the function through ``vendor/`` at build time, as for the
other functions.

Authentication is configured at deploy time by the CDK stack, not here. The reader routes act as the caller
:func:`~consortium.http.identity.caller_actor` names (a reader authorized by API Gateway acts only on their own id).
The token routes (``/push/feeds/{token}``, ``/push/unsubscribe/{token}``) need no login: the token is the
credential.

The job
    :func:`push_schedule` is what EventBridge Scheduler invokes (see
    :func:`consortium.adapters.aws.push_schedules.ensure_push_schedules`). With a queue
    (``CONSORTIUM_PUSH_QUEUE_URL``) and more than one shard it sends one message per shard; :func:`push_shard`
    runs each. Its SQS event source mapping is made by the CDK stack with ``ReportBatchItemFailures``: Chalice's
    ``on_sqs_message`` cannot turn that on (its deployer writes no ``FunctionResponseTypes``), and without it
    Lambda ignores a ``batchItemFailures`` answer, so the handler is a plain ``lambda_function`` taking the raw
    SQS event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import logging
from typing import TYPE_CHECKING, Any

import pydantic
from chalice.app import BadRequestError, Chalice, NotFoundError, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from consortium.http import (
    ONE_CLICK,
    LambdaContainer,
    RequestBody,
    Text,
    caller_actor,
    field_errors,
    http_errors,
    one_click,
    parse_body,
    private_page,
    private_response,
)
from consortium.push.models import MAX_ITEMS_LIMIT, Channel, Frequency, ItemAction, MuteKind, ServiceId
from consortium.push.services import CATALOGUE

if TYPE_CHECKING:
    from consortium.profiles.models import Actor
    from consortium.push.models import Subscription
    from consortium.push.service import PushService

app = Chalice(app_name="consortium-push")
logger = logging.getLogger(__name__)
container = LambdaContainer()

MAX_SHARDS = 1000
"""The most shards one run may fan out to."""


# -- bodies and events


class SubscriptionBody(RequestBody):
    """The body of ``PUT /readers/{reader_id}/subscriptions/{service}``."""

    channel: Channel
    frequency: Frequency | None = None
    """The service's default frequency when omitted."""
    max_items: int = Field(default=10, ge=1, le=MAX_ITEMS_LIMIT)
    query: Text | None = None
    email: Text | None = None


class ItemActionBody(RequestBody):
    """The body of ``POST /readers/{reader_id}/push/items/{cluster_id}``."""

    action: ItemAction


class MuteBody(RequestBody):
    """The body of ``PUT`` and ``DELETE /readers/{reader_id}/push/mutes``."""

    kind: MuteKind
    key: Text


class JobRequest(BaseModel):
    """The event of :func:`push_schedule` (the Input of its EventBridge Scheduler schedules)."""

    model_config = ConfigDict(extra="forbid")

    services: list[ServiceId] | None = None
    """The services to plan; all of them when null or absent."""
    shards: int = Field(default=1, ge=1, le=MAX_SHARDS)
    frequency: Frequency | None = None
    """Which schedule fired (logged and passed on; the job plans whatever is due, whatever fired)."""
    now: AwareDatetime | None = None
    """The moment the run is for (the end of its digests' windows); the current time when absent."""


class ShardMessage(BaseModel):
    """The body of one SQS message of a run: shard ``shard`` of ``shards`` at ``now``."""

    model_config = ConfigDict(extra="forbid")

    shard: int = Field(ge=0)
    shards: int = Field(ge=1, le=MAX_SHARDS)
    now: AwareDatetime
    services: list[ServiceId] | None = None
    frequency: Frequency | None = None

    @model_validator(mode="after")
    def _shard_in_range(self) -> ShardMessage:
        if self.shard >= self.shards:
            raise ValueError(f"the field 'shard' ({self.shard}) must be below 'shards' ({self.shards})")
        return self


# -- the service, path parameters and views


def service() -> PushService:
    """The push service of the container."""
    return container().push


def _service_id(service_name: str) -> ServiceId:
    try:
        return ServiceId(service_name)
    except ValueError as exc:
        known = ", ".join(s.value for s in ServiceId)
        raise NotFoundError(f"no push service {service_name!r} (the services: {known})") from exc


def _subscription_view(subscription: Subscription, token: str | None = None) -> dict[str, Any]:
    """The subscription as the API shows it: never its token, except (with its links) when ``token`` is the one
    just made."""
    view = subscription.model_dump(mode="json", exclude={"token"})
    if token is not None:
        push = service()
        view["token"] = token
        view["unsubscribe_url"] = push.unsubscribe_url(token)
        if subscription.channel is Channel.ATOM:
            view["feed_url"] = push.feed_url(token)
    return view


# -- the catalogue and subscriptions


@app.route("/push/services", methods=["GET"])
def list_services() -> dict[str, Any]:
    return {"services": [dataclasses.asdict(info) for info in CATALOGUE.values()]}


@app.route("/readers/{reader_id}/subscriptions", methods=["GET"])
@http_errors
def list_subscriptions(reader_id: str) -> dict[str, Any]:
    found = service().subscriptions(reader_id, caller_actor(app, reader_id))
    return {"reader_id": reader_id, "subscriptions": [_subscription_view(s) for s in found]}


@app.route("/readers/{reader_id}/subscriptions/{service_name}", methods=["GET"])
@http_errors
def get_subscription(reader_id: str, service_name: str) -> dict[str, Any]:
    wanted = _service_id(service_name)
    for subscription in service().subscriptions(reader_id, caller_actor(app, reader_id)):
        if subscription.service is wanted:
            return {"reader_id": reader_id, **_subscription_view(subscription)}
    raise NotFoundError(f"the reader has no subscription to {wanted.value}")


@app.route("/readers/{reader_id}/subscriptions/{service_name}", methods=["PUT"])
@http_errors
def subscribe(reader_id: str, service_name: str) -> dict[str, Any]:
    wanted = _service_id(service_name)
    body = parse_body(app, SubscriptionBody)
    subscription, token = service().subscribe(
        reader_id,
        wanted,
        body.channel,
        actor=caller_actor(app, reader_id),
        frequency=body.frequency,
        max_items=body.max_items,
        query=body.query,
        email=body.email,
    )
    return {"reader_id": reader_id, **_subscription_view(subscription, token)}


@app.route("/readers/{reader_id}/subscriptions/{service_name}", methods=["DELETE"])
@http_errors
def unsubscribe(reader_id: str, service_name: str) -> Response:
    wanted = _service_id(service_name)
    service().unsubscribe(reader_id, wanted, caller_actor(app, reader_id))
    return Response(body="", status_code=204)


# -- what the reader got, and their controls


@app.route("/readers/{reader_id}/push/history", methods=["GET"])
@http_errors
def history(reader_id: str) -> dict[str, Any]:
    found = service().history(reader_id, caller_actor(app, reader_id))
    return {"reader_id": reader_id, "items": [item.model_dump(mode="json") for item in found]}


@app.route("/readers/{reader_id}/push/items/{cluster_id}", methods=["POST"])
@http_errors
def act_on_item(reader_id: str, cluster_id: str) -> dict[str, Any]:
    body = parse_body(app, ItemActionBody)
    item = service().act(reader_id, cluster_id, body.action, caller_actor(app, reader_id))
    return {"reader_id": reader_id, "item": item.model_dump(mode="json")}


def _mutes(reader_id: str, actor: Actor) -> dict[str, Any]:
    found = service().mutes(reader_id, actor)
    return {"reader_id": reader_id, "mutes": [mute.model_dump(mode="json") for mute in found]}


@app.route("/readers/{reader_id}/push/mutes", methods=["GET"])
@http_errors
def get_mutes(reader_id: str) -> dict[str, Any]:
    return _mutes(reader_id, caller_actor(app, reader_id))


@app.route("/readers/{reader_id}/push/mutes", methods=["PUT"])
@http_errors
def add_mute(reader_id: str) -> dict[str, Any]:
    body = parse_body(app, MuteBody)
    actor = caller_actor(app, reader_id)
    service().mute(reader_id, body.kind, body.key, actor)
    return _mutes(reader_id, actor)


@app.route("/readers/{reader_id}/push/mutes", methods=["DELETE"])
@http_errors
def remove_mute(reader_id: str) -> dict[str, Any]:
    body = parse_body(app, MuteBody, or_query=True)
    actor = caller_actor(app, reader_id)
    service().unmute(reader_id, body.kind, body.key, actor)
    return _mutes(reader_id, actor)


@app.route("/readers/{reader_id}/push/inbox", methods=["GET"])
@http_errors
def inbox(reader_id: str) -> dict[str, Any]:
    return {"reader_id": reader_id, "digests": service().inbox(reader_id, caller_actor(app, reader_id))}


@app.route("/readers/{reader_id}/push/inbox/{digest_id}/read", methods=["POST"])
@http_errors
def mark_read(reader_id: str, digest_id: str) -> dict[str, Any]:
    service().mark_read(reader_id, digest_id, caller_actor(app, reader_id))
    return {"reader_id": reader_id, "digest_id": digest_id, "read": True}


@app.route("/readers/{reader_id}/push/inbox/{digest_id}", methods=["DELETE"])
@http_errors
def delete_from_inbox(reader_id: str, digest_id: str) -> Response:
    service().delete_from_inbox(reader_id, digest_id, caller_actor(app, reader_id))
    return Response(body="", status_code=204)


# -- by token, no login


@app.route("/push/feeds/{token}", methods=["GET"])
@http_errors
def feed(token: str) -> Response:
    return private_response(service().feed(token).decode("utf-8"), "application/atom+xml; charset=utf-8")


@app.route("/push/unsubscribe/{token}", methods=["GET"])
@http_errors
def unsubscribe_page(token: str) -> Response:
    """A confirmation page with a form that POSTs back here. Opening the link changes nothing: mail scanners and
    link previews follow links, and must not unsubscribe anyone. A revoked or unknown token is a 404."""
    _, subscription = service().by_token(token)
    info = CATALOGUE[subscription.service]
    content = (
        f"<p>Stop receiving “{html.escape(info.name_en)}”? You can subscribe again at any time in the portal.</p>\n"
        f'<p lang="zh">停止接收“{html.escape(info.name_zh)}”？您可以随时在门户中重新订阅。</p>\n'
        '<form method="post">\n'
        f'<input type="hidden" name="List-Unsubscribe" value="{ONE_CLICK}">\n'
        '<button type="submit">Unsubscribe · 退订</button>\n'
        "</form>"
    )
    return private_page("Unsubscribe · 退订", content)


@app.route(
    "/push/unsubscribe/{token}",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "multipart/form-data"],
)
@http_errors
def unsubscribe_one_click(token: str) -> Response:
    """RFC 8058 one-click unsubscribe: a POST whose body is ``List-Unsubscribe=One-Click`` (the mail client's,
    or the confirmation page's form)."""
    if not one_click(app):
        raise BadRequestError(f"field 'List-Unsubscribe': the body must be List-Unsubscribe={ONE_CLICK} (RFC 8058)")
    info = CATALOGUE[service().unsubscribe_by_token(token)]
    content = (
        f"<p>You will no longer receive “{html.escape(info.name_en)}”.</p>\n"
        f'<p lang="zh">您将不再收到“{html.escape(info.name_zh)}”。</p>'
    )
    return private_page("Unsubscribed · 已退订", content)


# -- the job


def _sqs_client() -> Any:
    import boto3  # noqa: PLC0415 -- only with a queue: the local path never needs boto3

    settings = container().settings
    return boto3.client("sqs", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)


@app.lambda_function(name="push_schedule")
def push_schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Start a push run: ``{"services": [...] | null, "shards": N, "frequency": F, "now": ISO}`` (all optional).
    With ``frequency`` only the subscriptions of that frequency are planned (the daily, weekly and monthly
    schedules may fire at the same moment; each plans its own subscriptions, never another's).

    With a queue (``CONSORTIUM_PUSH_QUEUE_URL``) and ``shards`` above 1, sends one message per shard (``{"shard":
    k, "shards": N, "now": ..., "services": ...}``) and returns; otherwise runs the whole job here and returns its
    report. A bad event is answered ``{"ok": false, "error": ...}`` (retrying it would not help).
    """
    try:
        request = JobRequest.model_validate(event or {})
    except pydantic.ValidationError as exc:
        logger.error("push_schedule: a bad event: %s", field_errors(exc))
        return {"ok": False, "error": field_errors(exc)}
    now = request.now or dt.datetime.now(dt.UTC)
    queue_url = container().settings.push_queue_url
    frequencies = None if request.frequency is None else [request.frequency]
    if request.shards == 1 or not queue_url:
        report = service().run(now=now, services=request.services, frequencies=frequencies)
        return {"ok": True, "mode": "in_process", **report.as_dict()}

    from consortium.adapters.aws.push_schedules import send_shard_messages  # noqa: PLC0415 -- boto3, as above

    services = None if request.services is None else [s.value for s in request.services]
    frequency = None if request.frequency is None else request.frequency.value
    messages = [
        {"shard": k, "shards": request.shards, "now": now.isoformat(), "services": services, "frequency": frequency}
        for k in range(request.shards)
    ]
    sent = send_shard_messages(_sqs_client(), queue_url, messages)
    logger.info("push run at %s (%s): %d shard messages queued", now.isoformat(), request.frequency or "manual", sent)
    return {"ok": True, "mode": "queued", "now": now.isoformat(), "shards": request.shards, "messages": sent}


@app.lambda_function(name="push_shard")
def push_shard(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Run the shards of an SQS batch (the raw SQS event); answer the SQS partial batch response.

    Each message runs its shard (``hub.push.run(now=, services=, shard=(k, n))``); a message whose body is not a
    shard message, or whose run fails, is listed in ``batchItemFailures`` so SQS delivers it again (and, after the
    queue's ``maxReceiveCount``, to its dead-letter queue); the others are done. Logs name the message id and the
    error's type only: never a body or an error text (either could carry a reader's data).
    """
    failures: list[dict[str, str]] = []
    for record in event.get("Records") or []:
        message_id = record.get("messageId")
        if not message_id:
            raise ValueError("an SQS record without a messageId: the whole batch is retried")
        try:
            message = ShardMessage.model_validate_json(record.get("body") or "")
            report = service().run(
                now=message.now,
                services=message.services,
                frequencies=None if message.frequency is None else [message.frequency],
                shard=(message.shard, message.shards),
            )
        except Exception as exc:  # one shard's failure must not fail the others
            logger.error("push shard message %s failed: %s", message_id, type(exc).__name__)
            failures.append({"itemIdentifier": str(message_id)})
            continue
        logger.info(
            "push shard %d/%d at %s (message %s): %s",
            message.shard,
            message.shards,
            message.now.isoformat(),
            message_id,
            json.dumps({k: v for k, v in report.as_dict().items() if k != "digests"}),
        )
    return {"batchItemFailures": failures}
