"""The push API and job (Chalice): the service catalogue, readers' subscriptions and controls (history, "not
interested", mutes, the portal inbox), private Atom feeds and one-click unsubscribe by token, and the scheduled job
that plans and delivers digests, fanned out over SQS by shard of readers.

Each route parses the body into its pydantic model, calls one :class:`~consortium.push.service.PushService`
method and maps errors to HTTP statuses (one table, :data:`_STATUS`). The core package reaches the function
through ``vendor/`` at build time, as for the other functions.

Authentication is configured at deploy time by the CDK stack, not here. The reader routes trust the identity the
authorizer puts in ``app.current_request.context`` when there is one (a reader may then only act on their own
id); without an authorizer (local runs, tests) the reader id in the path is the caller. The token routes
(``/push/feeds/{token}``, ``/push/unsubscribe/{token}``) need no login: the token is the credential.

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

import html
import logging
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs

import pydantic
from chalice.app import (
    BadRequestError,
    Chalice,
    ForbiddenError,
    NotFoundError,
    Response,
)
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from consortium.bootstrap import Container, bootstrap
from consortium.http_api import call as _call
from consortium.http_api import caller_identity, field_errors, json_body
from consortium.ports import system_clock
from consortium.profiles.models import Actor, ActorRole
from consortium.push.fanout import JobRequest, run_shards, start_run
from consortium.push.models import MAX_ITEMS_LIMIT, Channel, Frequency, ItemAction, MuteKind, ServiceId
from consortium.push.services import CATALOGUE

if TYPE_CHECKING:
    from consortium.push.models import Subscription
    from consortium.push.service import PushService

app = Chalice(app_name="consortium-push")
logger = logging.getLogger(__name__)

ONE_CLICK = "One-Click"

_hub: Container | None = None

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


# -- bodies and events


class SubscriptionBody(BaseModel):
    """The body of ``PUT /readers/{reader_id}/subscriptions/{service}``."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    frequency: Frequency | None = None
    """The service's default frequency when omitted."""
    max_items: int = Field(default=10, ge=1, le=MAX_ITEMS_LIMIT)
    query: _Text | None = None
    email: _Text | None = None


class ItemActionBody(BaseModel):
    """The body of ``POST /readers/{reader_id}/push/items/{cluster_id}``."""

    model_config = ConfigDict(extra="forbid")

    action: ItemAction


class MuteBody(BaseModel):
    """The body of ``PUT`` and ``DELETE /readers/{reader_id}/push/mutes``."""

    model_config = ConfigDict(extra="forbid")

    kind: MuteKind
    key: _Text


# -- the container


def _container() -> Container:
    """The container, built on first use and kept for the life of the Lambda environment."""
    global _hub
    if _hub is None:
        _hub = bootstrap()
    return _hub


def service() -> PushService:
    """The push service of the container."""
    return _container().push


# -- errors


def _identity() -> str | None:
    return caller_identity(app)


def _actor(reader_id: str) -> Actor:
    identity = _identity()
    if identity is not None and identity != reader_id:
        raise ForbiddenError("a reader may only act on their own data")
    return Actor(actor_id=identity or reader_id, role=ActorRole.READER)


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
    return {
        "services": [
            {
                "service": info.service.value,
                "name_en": info.name_en,
                "name_zh": info.name_zh,
                "description_en": info.description_en,
                "description_zh": info.description_zh,
                "default_frequency": info.default_frequency.value,
                "available": info.available,
            }
            for info in CATALOGUE.values()
        ]
    }


@app.route("/readers/{reader_id}/subscriptions", methods=["GET"])
def list_subscriptions(reader_id: str) -> dict[str, Any]:
    actor = _actor(reader_id)
    found = _call(lambda: service().subscriptions(reader_id, actor))
    return {"reader_id": reader_id, "subscriptions": [_subscription_view(s) for s in found]}


@app.route("/readers/{reader_id}/subscriptions/{service_name}", methods=["GET"])
def get_subscription(reader_id: str, service_name: str) -> dict[str, Any]:
    wanted = _service_id(service_name)
    actor = _actor(reader_id)
    for subscription in _call(lambda: service().subscriptions(reader_id, actor)):
        if subscription.service is wanted:
            return {"reader_id": reader_id, **_subscription_view(subscription)}
    raise NotFoundError(f"the reader has no subscription to {wanted.value}")


@app.route("/readers/{reader_id}/subscriptions/{service_name}", methods=["PUT"])
def subscribe(reader_id: str, service_name: str) -> dict[str, Any]:
    wanted = _service_id(service_name)
    body = _call(lambda: SubscriptionBody.model_validate(json_body(app)))
    actor = _actor(reader_id)
    subscription, token = _call(
        lambda: service().subscribe(
            reader_id,
            wanted,
            body.channel,
            actor=actor,
            frequency=body.frequency,
            max_items=body.max_items,
            query=body.query,
            email=body.email,
        )
    )
    return {"reader_id": reader_id, **_subscription_view(subscription, token)}


@app.route("/readers/{reader_id}/subscriptions/{service_name}", methods=["DELETE"])
def unsubscribe(reader_id: str, service_name: str) -> Response:
    wanted = _service_id(service_name)
    actor = _actor(reader_id)
    _call(lambda: service().unsubscribe(reader_id, wanted, actor))
    return Response(body="", status_code=204)


# -- what the reader got, and their controls


@app.route("/readers/{reader_id}/push/history", methods=["GET"])
def history(reader_id: str) -> dict[str, Any]:
    actor = _actor(reader_id)
    found = _call(lambda: service().history(reader_id, actor))
    return {"reader_id": reader_id, "items": [item.model_dump(mode="json") for item in found]}


@app.route("/readers/{reader_id}/push/items/{cluster_id}", methods=["POST"])
def act_on_item(reader_id: str, cluster_id: str) -> dict[str, Any]:
    body = _call(lambda: ItemActionBody.model_validate(json_body(app)))
    actor = _actor(reader_id)
    item = _call(lambda: service().act(reader_id, cluster_id, body.action, actor))
    return {"reader_id": reader_id, "item": item.model_dump(mode="json")}


def _mutes(reader_id: str, actor: Actor) -> dict[str, Any]:
    found = _call(lambda: service().mutes(reader_id, actor))
    return {"reader_id": reader_id, "mutes": [mute.model_dump(mode="json") for mute in found]}


@app.route("/readers/{reader_id}/push/mutes", methods=["GET"])
def get_mutes(reader_id: str) -> dict[str, Any]:
    return _mutes(reader_id, _actor(reader_id))


@app.route("/readers/{reader_id}/push/mutes", methods=["PUT"])
def add_mute(reader_id: str) -> dict[str, Any]:
    body = _call(lambda: MuteBody.model_validate(json_body(app)))
    actor = _actor(reader_id)
    _call(lambda: service().mute(reader_id, body.kind, body.key, actor))
    return _mutes(reader_id, actor)


@app.route("/readers/{reader_id}/push/mutes", methods=["DELETE"])
def remove_mute(reader_id: str) -> dict[str, Any]:
    request = app.current_request
    assert request is not None
    body = _call(lambda: MuteBody.model_validate(json_body(app) or dict(request.query_params or {})))
    actor = _actor(reader_id)
    _call(lambda: service().unmute(reader_id, body.kind, body.key, actor))
    return _mutes(reader_id, actor)


@app.route("/readers/{reader_id}/push/inbox", methods=["GET"])
def inbox(reader_id: str) -> dict[str, Any]:
    actor = _actor(reader_id)
    return {"reader_id": reader_id, "digests": _call(lambda: service().inbox(reader_id, actor))}


@app.route("/readers/{reader_id}/push/inbox/{digest_id}/read", methods=["POST"])
def mark_read(reader_id: str, digest_id: str) -> dict[str, Any]:
    actor = _actor(reader_id)
    _call(lambda: service().mark_read(reader_id, digest_id, actor))
    return {"reader_id": reader_id, "digest_id": digest_id, "read": True}


@app.route("/readers/{reader_id}/push/inbox/{digest_id}", methods=["DELETE"])
def delete_from_inbox(reader_id: str, digest_id: str) -> Response:
    actor = _actor(reader_id)
    _call(lambda: service().delete_from_inbox(reader_id, digest_id, actor))
    return Response(body="", status_code=204)


# -- by token, no login


_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
"""Headers of every token page: the URL is a credential, so keep it out of caches, referrers and indexes."""

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body>
<main>
<h1>{title}</h1>
{content}
</main>
</body>
</html>
"""


def _page(title: str, content: str, status: int = 200) -> Response:
    body = _PAGE.format(title=html.escape(title), content=content)
    headers = {"Content-Type": "text/html; charset=utf-8", **_PRIVATE}
    return Response(body=body, status_code=status, headers=headers)


@app.route("/push/feeds/{token}", methods=["GET"])
def feed(token: str) -> Response:
    xml = _call(lambda: service().feed(token))
    headers = {"Content-Type": "application/atom+xml; charset=utf-8", **_PRIVATE}
    return Response(body=xml.decode("utf-8"), status_code=200, headers=headers)


@app.route("/push/unsubscribe/{token}", methods=["GET"])
def unsubscribe_page(token: str) -> Response:
    """A confirmation page with a form that POSTs back here. Opening the link changes nothing: mail scanners and
    link previews follow links, and must not unsubscribe anyone. A revoked or unknown token is a 404."""
    _, subscription = _call(lambda: service().by_token(token))
    info = CATALOGUE[subscription.service]
    content = (
        f"<p>Stop receiving “{html.escape(info.name_en)}”? You can subscribe again at any time in the portal.</p>\n"
        f'<p lang="zh">停止接收“{html.escape(info.name_zh)}”？您可以随时在门户中重新订阅。</p>\n'
        '<form method="post">\n'
        f'<input type="hidden" name="List-Unsubscribe" value="{ONE_CLICK}">\n'
        '<button type="submit">Unsubscribe · 退订</button>\n'
        "</form>"
    )
    return _page("Unsubscribe · 退订", content)


@app.route(
    "/push/unsubscribe/{token}",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "multipart/form-data"],
)
def unsubscribe_one_click(token: str) -> Response:
    """RFC 8058 one-click unsubscribe: a POST whose body is ``List-Unsubscribe=One-Click`` (the mail client's,
    or the confirmation page's form)."""
    request = app.current_request
    assert request is not None
    raw = (request.raw_body or b"").decode("utf-8", "replace")
    content_type = (request.headers or {}).get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        one_click = 'name="List-Unsubscribe"' in raw and ONE_CLICK in raw
    else:
        one_click = parse_qs(raw).get("List-Unsubscribe") == [ONE_CLICK]
    if not one_click:
        raise BadRequestError(f"field 'List-Unsubscribe': the body must be List-Unsubscribe={ONE_CLICK} (RFC 8058)")
    ended = _call(lambda: service().unsubscribe_by_token(token))
    info = CATALOGUE[ended]
    content = (
        f"<p>You will no longer receive “{html.escape(info.name_en)}”.</p>\n"
        f'<p lang="zh">您将不再收到“{html.escape(info.name_zh)}”。</p>'
    )
    return _page("Unsubscribed · 已退订", content)


# -- the job


@app.lambda_function(name="push_schedule")
def push_schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Start a push run: ``{"services": [...] | null, "shards": N, "frequency": F, "now": ISO}`` (all optional,
    :class:`~consortium.push.fanout.JobRequest`). With a queue (``CONSORTIUM_PUSH_QUEUE_URL``) and ``shards``
    above 1, sends one message per shard and returns; otherwise runs the whole job here and returns its report
    (:func:`~consortium.push.fanout.start_run`). A bad event is answered ``{"ok": false, "error": ...}``
    (retrying it would not help).
    """
    try:
        request = JobRequest.model_validate(event or {})
    except pydantic.ValidationError as exc:
        logger.error("push_schedule: a bad event: %s", field_errors(exc))
        return {"ok": False, "error": field_errors(exc)}
    return {"ok": True, **start_run(service(), _container().push_queue, request, system_clock)}


@app.lambda_function(name="push_shard")
def push_shard(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Run the shards of an SQS batch (the raw SQS event); answer the SQS partial batch response: the messages
    whose shard failed (:func:`~consortium.push.fanout.run_shards`) are listed in ``batchItemFailures``, so SQS
    delivers them again (and, after the queue's ``maxReceiveCount``, to its dead-letter queue)."""
    messages: list[tuple[str, str]] = []
    for record in event.get("Records") or []:
        message_id = record.get("messageId")
        if not message_id:
            raise ValueError("an SQS record without a messageId: the whole batch is retried")
        messages.append((str(message_id), record.get("body") or ""))
    return {"batchItemFailures": [{"itemIdentifier": failed} for failed in run_shards(service(), messages)]}
