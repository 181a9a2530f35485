"""The push API and job (Chalice): the service catalogue, readers' subscriptions and controls (history, "not
interested", mutes, the portal inbox), private Atom feeds and one-click unsubscribe by token, and the scheduled job
that plans and delivers digests, fanned out over SQS by shard of readers.

Each route parses the body into its pydantic model, calls one :class:`~consortium.push.service.PushService`
method and answers; what every app shares (the container, the caller, bodies, the error table, private pages) is
in :mod:`consortium.http`. The core package reaches the function through ``vendor/`` at build time, as for the
other functions.

Each route declares who may call it in the route table (:mod:`consortium.http.access`): the reader routes are the
reader's alone (their token). The token routes (``/push/feeds/{token}``, ``/push/unsubscribe/{token}``) need no
login: the token is the credential. Every token that opens nothing gets the same 404 (``no such feed or link``)
and writes nothing in any reader's audit log; :data:`TOKEN_LOOKUPS` answers 429 with ``Retry-After`` to an address
after too many of them (its state lives in this Lambda container's memory: see :mod:`consortium.http.limits`).

The job
    :func:`push_schedule` is what EventBridge Scheduler invokes (see
    :func:`consortium.adapters.aws.push_schedules.ensure_push_schedules`). With a queue
    (``CONSORTIUM_PUSH_QUEUE_URL``) and more than one shard it sends one message per shard; :func:`push_shard`
    runs each. Its SQS event source mapping is made by the CDK stack with ``ReportBatchItemFailures``: Chalice's
    ``on_sqs_message`` cannot turn that on (its deployer writes no ``FunctionResponseTypes``), and without it
    Lambda ignores a ``batchItemFailures`` answer, so the handler is a plain ``lambda_function`` taking the raw
    SQS event.

    :func:`push_evidence` is what the daily evidence schedule invokes (before the push schedules' hour): it
    rebuilds the ranking evidence (key rarity, loans, co-borrowing; counts only) and stores it as the S3 object
    ``evidence/ranking-evidence.json``, which every ``push_shard`` run then reads (once per change, see
    :class:`~consortium.push.evidence_store.StoredEvidence`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
from typing import TYPE_CHECKING, Any, Literal

import pydantic
from chalice.app import Chalice, NotFoundError, Response
from pydantic import Field

from consortium.http import (
    ANYONE,
    ONE_CLICK,
    READER,
    TOKEN_URL,
    FailedLookupLimit,
    LambdaContainer,
    RequestBody,
    Text,
    caller_actor,
    field_errors,
    limit_failed_lookups,
    private_page,
    private_response,
    route_table,
)
from consortium.ports import system_clock
from consortium.push.fanout import JobRequest, run_shards, start_run
from consortium.push.models import MAX_ITEMS_LIMIT, Channel, Frequency, ItemAction, MuteKind, ServiceId
from consortium.push.planner import MAX_LOOKBACK
from consortium.push.services import CATALOGUE

if TYPE_CHECKING:
    from consortium.profiles.models import Actor
    from consortium.push.models import Subscription
    from consortium.push.service import PushService

app = Chalice(app_name="consortium-push")
logger = logging.getLogger(__name__)
container = LambdaContainer()
routes = route_table(app, container, "push")
TOKEN_LOOKUPS = FailedLookupLimit()
"""Failed token lookups, per client address and overall, in this container (the defaults of
:class:`~consortium.http.limits.FailedLookupLimit`)."""


# -- bodies and events


class SubscriptionBody(RequestBody):
    """The body of ``PUT /readers/{reader_id}/subscriptions/{service}``."""

    channel: Channel
    frequency: Frequency | None = None
    """The service's default frequency when omitted."""
    max_items: int = Field(default=10, ge=1, le=MAX_ITEMS_LIMIT)
    query: Text | None = None
    email: Text | None = None
    first_window_days: int | None = Field(default=None, ge=1, le=MAX_LOOKBACK.days)
    """Start the first digest's window this many days ago (its first digest then brings the recent works);
    omitted: it starts now."""


class ItemActionBody(RequestBody):
    """The body of ``POST /readers/{reader_id}/push/items/{cluster_id}``."""

    action: ItemAction


class OneClick(RequestBody):
    """The body of ``POST /push/unsubscribe/{token}``: RFC 8058's ``List-Unsubscribe=One-Click`` (form-encoded, as
    mail clients post it, or the confirmation page's form)."""

    list_unsubscribe: Literal["One-Click"] = Field(alias="List-Unsubscribe")


class MuteBody(RequestBody):
    """The body of ``PUT`` and ``DELETE /readers/{reader_id}/push/mutes``."""

    kind: MuteKind
    key: Text
    """A class key (``class:clc:TP3``), an author's name as a digest item shows it or an author key
    (``author:liu cixin``; both are normalized), or a series title."""


# -- answers


class ServicesAnswer(pydantic.BaseModel):
    """The service catalogue."""

    services: list[dict[str, Any]]


class SubscriptionAnswer(pydantic.BaseModel):
    """A subscription (with its token and links only when just made)."""

    model_config = pydantic.ConfigDict(extra="allow")

    reader_id: str
    service: ServiceId
    channel: Channel


class SubscriptionsAnswer(pydantic.BaseModel):
    """The reader's subscriptions."""

    reader_id: str
    subscriptions: list[dict[str, Any]]


class HistoryAnswer(pydantic.BaseModel):
    """The works the reader was sent."""

    reader_id: str
    items: list[dict[str, Any]]


class ItemAnswer(pydantic.BaseModel):
    """A sent work after the reader's action."""

    reader_id: str
    item: dict[str, Any]


class MutesAnswer(pydantic.BaseModel):
    """The reader's mutes."""

    reader_id: str
    mutes: list[dict[str, Any]]


class InboxAnswer(pydantic.BaseModel):
    """The reader's portal inbox."""

    reader_id: str
    digests: list[dict[str, Any]]


class ReadAnswer(pydantic.BaseModel):
    """A digest marked read."""

    reader_id: str
    digest_id: str
    read: bool


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


@routes.route("GET", "/push/services", ANYONE, answer=ServicesAnswer)
def list_services() -> dict[str, Any]:
    """The push services a reader may subscribe to."""
    return {"services": [dataclasses.asdict(info) for info in CATALOGUE.values()]}


@routes.route("GET", "/readers/{reader_id}/subscriptions", READER, answer=SubscriptionsAnswer)
def list_subscriptions(reader_id: str) -> dict[str, Any]:
    """The reader's subscriptions."""
    found = service().subscriptions(reader_id, caller_actor(reader_id))
    return {"reader_id": reader_id, "subscriptions": [_subscription_view(s) for s in found]}


@routes.route("GET", "/readers/{reader_id}/subscriptions/{service_name}", READER, answer=SubscriptionAnswer)
def get_subscription(reader_id: str, service_name: str) -> dict[str, Any]:
    """One of the reader's subscriptions."""
    wanted = _service_id(service_name)
    for subscription in service().subscriptions(reader_id, caller_actor(reader_id)):
        if subscription.service is wanted:
            return {"reader_id": reader_id, **_subscription_view(subscription)}
    raise NotFoundError(f"the reader has no subscription to {wanted.value}")


@routes.route(
    "PUT", "/readers/{reader_id}/subscriptions/{service_name}", READER, body=SubscriptionBody, answer=SubscriptionAnswer
)
def subscribe(reader_id: str, service_name: str, body: SubscriptionBody) -> dict[str, Any]:
    """Subscribe to a service (or change the subscription): its channel, frequency and cap."""
    wanted = _service_id(service_name)
    subscription, token = service().subscribe(
        reader_id,
        wanted,
        body.channel,
        actor=caller_actor(reader_id),
        frequency=body.frequency,
        max_items=body.max_items,
        query=body.query,
        email=body.email,
        since=dt.timedelta(days=body.first_window_days) if body.first_window_days else None,
    )
    return {"reader_id": reader_id, **_subscription_view(subscription, token)}


@routes.route("DELETE", "/readers/{reader_id}/subscriptions/{service_name}", READER, status=204)
def unsubscribe(reader_id: str, service_name: str) -> Response:
    """Unsubscribe from a service."""
    wanted = _service_id(service_name)
    service().unsubscribe(reader_id, wanted, caller_actor(reader_id))
    return Response(body="", status_code=204)


# -- what the reader got, and their controls


@routes.route("GET", "/readers/{reader_id}/push/history", READER, answer=HistoryAnswer)
def history(reader_id: str) -> dict[str, Any]:
    """Every work the reader was sent, and what they did with it."""
    found = service().history(reader_id, caller_actor(reader_id))
    return {"reader_id": reader_id, "items": [item.model_dump(mode="json") for item in found]}


@routes.route("POST", "/readers/{reader_id}/push/items/{cluster_id}", READER, body=ItemActionBody, answer=ItemAnswer)
def act_on_item(reader_id: str, cluster_id: str, body: ItemActionBody) -> dict[str, Any]:
    """Act on a work sent: not interested, delete, or keep."""
    item = service().act(reader_id, cluster_id, body.action, caller_actor(reader_id))
    return {"reader_id": reader_id, "item": item.model_dump(mode="json")}


def _mutes(reader_id: str, actor: Actor) -> dict[str, Any]:
    found = service().mutes(reader_id, actor)
    return {"reader_id": reader_id, "mutes": [mute.model_dump(mode="json") for mute in found]}


@routes.route("GET", "/readers/{reader_id}/push/mutes", READER, answer=MutesAnswer)
def get_mutes(reader_id: str) -> dict[str, Any]:
    """The reader's mutes (authors, subjects, classes they hear nothing of)."""
    return _mutes(reader_id, caller_actor(reader_id))


@routes.route("PUT", "/readers/{reader_id}/push/mutes", READER, body=MuteBody, answer=MutesAnswer)
def add_mute(reader_id: str, body: MuteBody) -> dict[str, Any]:
    """Mute an author, subject or class."""
    actor = caller_actor(reader_id)
    service().mute(reader_id, body.kind, body.key, actor)
    return _mutes(reader_id, actor)


@routes.route("DELETE", "/readers/{reader_id}/push/mutes", READER, query=MuteBody, answer=MutesAnswer)
def remove_mute(reader_id: str, query: MuteBody) -> dict[str, Any]:
    """Remove a mute (``?kind=&key=``)."""
    actor = caller_actor(reader_id)
    service().unmute(reader_id, query.kind, query.key, actor)
    return _mutes(reader_id, actor)


@routes.route("GET", "/readers/{reader_id}/push/inbox", READER, answer=InboxAnswer)
def inbox(reader_id: str) -> dict[str, Any]:
    """The digests in the reader's portal inbox."""
    return {"reader_id": reader_id, "digests": service().inbox(reader_id, caller_actor(reader_id))}


@routes.route("POST", "/readers/{reader_id}/push/inbox/{digest_id}/read", READER, answer=ReadAnswer)
def mark_read(reader_id: str, digest_id: str) -> dict[str, Any]:
    """Mark a digest read."""
    service().mark_read(reader_id, digest_id, caller_actor(reader_id))
    return {"reader_id": reader_id, "digest_id": digest_id, "read": True}


@routes.route("DELETE", "/readers/{reader_id}/push/inbox/{digest_id}", READER, status=204)
def delete_from_inbox(reader_id: str, digest_id: str) -> Response:
    """Delete a digest from the inbox."""
    service().delete_from_inbox(reader_id, digest_id, caller_actor(reader_id))
    return Response(body="", status_code=204)


# -- by token, no login


@routes.route("GET", "/push/feeds/{token}", TOKEN_URL, answer_type="application/atom+xml")
@limit_failed_lookups(app, TOKEN_LOOKUPS)
def feed(token: str) -> Response:
    """A private Atom feed of the reader's digests (the token in the URL is the key)."""
    return private_response(service().feed(token).decode("utf-8"), "application/atom+xml; charset=utf-8")


@routes.route("GET", "/push/unsubscribe/{token}", TOKEN_URL, answer_type="text/html")
@limit_failed_lookups(app, TOKEN_LOOKUPS)
def unsubscribe_page(token: str) -> Response:
    """The unsubscribe link's confirmation page.

    A confirmation page with a form that POSTs back here. Opening the link changes nothing: mail scanners and
        link previews follow links, and must not unsubscribe anyone. A revoked or unknown token is a 404 (the same
    for every token that opens nothing)."""
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


@routes.route(
    "POST",
    "/push/unsubscribe/{token}",
    TOKEN_URL,
    body=OneClick,
    content_types=("application/x-www-form-urlencoded", "multipart/form-data"),
    answer_type="text/html",
)
@limit_failed_lookups(app, TOKEN_LOOKUPS)
def unsubscribe_one_click(token: str, body: OneClick) -> Response:
    """One-click unsubscribe (RFC 8058).

    RFC 8058 one-click unsubscribe: a POST whose body is ``List-Unsubscribe=One-Click`` (the mail client's,
    or the confirmation page's form)."""
    info = CATALOGUE[service().unsubscribe_by_token(token)]
    content = (
        f"<p>You will no longer receive “{html.escape(info.name_en)}”.</p>\n"
        f'<p lang="zh">您将不再收到“{html.escape(info.name_zh)}”。</p>'
    )
    return private_page("Unsubscribed · 已退订", content)


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
    return {"ok": True, **start_run(service(), container().push_queue, request, system_clock)}


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


@app.lambda_function(name="push_evidence")
def push_evidence(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Rebuild the ranking evidence and store it (the daily schedule's target; the event is not read). Answers
    what was stored, counts only (:class:`~consortium.push.evidence_store.EvidenceSummary`)."""
    return {"ok": True, **container().rebuild_evidence().as_dict()}
