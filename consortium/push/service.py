"""The push service: readers' subscriptions and controls, and the job that plans and delivers digests.

Everything it keeps about a reader is an encrypted item of the reader's (through
:class:`~consortium.profiles.service.ProfileService`), used under the ``push`` consent:

==================  ==================  =====================================================================
kind                item id             payload
==================  ==================  =====================================================================
``subscription``    the service         a :class:`~consortium.push.models.Subscription`
``sent``            the cluster id      a :class:`~consortium.push.models.SentItem` (the sent ledger)
``digest``          the digest id       ``{"at", "service", "channel", "status", "items"}`` (the digest ledger)
``inbox``           the digest id       the :class:`~consortium.push.models.Digest` and ``read``
``mute``            kind and key        a :class:`~consortium.push.models.Mute`
==================  ==================  =====================================================================

A run is plan, then execute. Planning (:func:`~consortium.push.planner.plan`) is pure. Executing a digest
first writes the digest ledger (status ``sending``) and the sent ledger, then delivers, then marks the digest
``delivered`` and moves the subscription's window on; an empty digest only moves the window. Whatever is in the
sent ledger is never planned again, so rerunning a job, or retrying after a crash part-way through delivery,
never sends a work to a reader twice. A delivery refused for a temporary reason (SMTP 4xx, SES throttling) rolls
its ledger lines back, so the next run tries again; a permanent refusal keeps them (``failed``), so nothing is
retried against a bad address.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consortium.errors import NotFoundError, ValidationError
from consortium.ports import Clock, system_clock
from consortium.profiles.consent import Purpose
from consortium.profiles.interests import key_kind, keys_for_cluster
from consortium.profiles.models import Actor, ActorRole, EventType, Processing, ReaderEvent
from consortium.profiles.service import NOT_INTERESTED, PUSH_KINDS
from consortium.push.atom import FeedEntry, atom_feed
from consortium.push.index import NewWorks
from consortium.push.models import (
    Channel,
    Digest,
    DigestItem,
    Frequency,
    ItemAction,
    Mute,
    MuteKind,
    SentItem,
    ServiceId,
    Subscription,
)
from consortium.push.planner import MAX_LOOKBACK, ReaderPlan, plan
from consortium.push.ports import DeliveryError
from consortium.push.ranking import Borrowed, Taste
from consortium.push.render import SERVICE_NAMES, DigestLinks, email_message
from consortium.push.services import CATALOGUE
from consortium.search.matching import SavedSearches
from consortium.search.query import parse_query_string

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Iterator

    from consortium.dedup.ports import ClusterStore
    from consortium.profiles.service import ProfileService
    from consortium.push.ports import Mailer

__all__ = ["PUSH_JOB", "PushService", "RunReport", "shard_of"]

logger = logging.getLogger(__name__)

PUSH_JOB = Actor(actor_id="push-job", role=ActorRole.JOB)
"""Who acts when the scheduled job reads and writes readers' push data."""

SUBSCRIPTION, SENT, MUTE, INBOX, DIGEST = PUSH_KINDS
BORROWS_USED = 20
"""The most recent borrowings that "because you borrowed ..." compares new works with."""


def _new_token(reader_id: str) -> str:
    """``<reader id, base64url>.<32 random bytes, base64url>``: the first part finds the reader, the whole is
    compared with the token kept (encrypted) in the reader's subscription."""
    owner = base64.urlsafe_b64encode(reader_id.encode()).decode().rstrip("=")
    return f"{owner}.{secrets.token_urlsafe(32)}"


def _token_owner(token: str) -> str:
    owner, dot, secret = token.partition(".")
    if not dot or not owner or len(secret) < 32:
        raise NotFoundError("no such feed or link (the token is malformed)")
    try:
        return base64.urlsafe_b64decode(owner + "=" * (-len(owner) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise NotFoundError("no such feed or link (the token is malformed)") from exc


def shard_of(reader_id: str, shards: int) -> int:
    """The reader's shard of ``shards`` (stable: SHA-256 of the id)."""
    if shards < 1:
        raise ValueError("the number of shards is at least 1")
    return int.from_bytes(hashlib.sha256(reader_id.encode()).digest()[:8], "big") % shards


def _mute_id(kind: MuteKind, key: str) -> str:
    return f"{kind.value}:{hashlib.sha256(key.encode()).hexdigest()[:16]}"


@dataclass
class RunReport:
    """What a push run did: digests planned, delivered per channel, empty, failed and skipped."""

    now: dt.datetime
    dry_run: bool
    readers: int = 0
    works: int = 0
    planned: int = 0
    empty: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    items: int = 0
    skipped: int = 0
    """Digests already in the digest ledger (a rerun of the same window)."""
    retry_later: int = 0
    failed: int = 0
    digests: list[Digest] = field(default_factory=list)
    """The digests planned (kept for a dry run, so they can be shown)."""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "readers": self.readers,
            "new_works": self.works,
            "digests_planned": self.planned,
            "digests_empty": self.empty,
            "delivered": dict(sorted(self.delivered.items())),
            "items": self.items,
            "skipped": self.skipped,
            "retry_later": self.retry_later,
            "failed": self.failed,
        }
        if self.dry_run:
            data["digests"] = [d.model_dump(mode="json") for d in self.digests if d.items]
        return data


class PushService:
    """Subscriptions, reader controls, feeds and the push job, over the profile service and the cluster store.

    Parameters
    ----------
    profiles
        Where readers' push data is kept (encrypted) and consent is checked.
    clusters
        The works; :meth:`~consortium.ports.ClusterStore.new_since` finds the new ones.
    mailer
        Delivers email digests; without one, email digests wait (retry later) and say why.
    public_url
        The hub's public base URL: feeds, unsubscribe links and work pages hang under it.
    sender
        The From address of digest email.
    member_names
        Member id → the library's name, for the email.
    clock
        The current time (timezone-aware).

    Example
    -------
    >>> push = PushService(hub.profiles, hub.cluster_store, public_url="https://hub.example")
    >>> push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=reader)
    >>> push.run()
    """

    def __init__(
        self,
        profiles: ProfileService,
        clusters: ClusterStore,
        *,
        mailer: Mailer | None = None,
        public_url: str = "http://127.0.0.1:8000",
        sender: str = "Consortium hub <no-reply@consortium.invalid>",
        member_names: dict[str, str] | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._profiles = profiles
        self._clusters = clusters
        self._mailer = mailer
        self._public_url = public_url.rstrip("/")
        self._sender = sender
        self._member_names = dict(member_names or {})
        self._clock = clock

    # -- subscriptions

    def subscribe(
        self,
        reader_id: str,
        service: ServiceId,
        channel: Channel,
        *,
        actor: Actor,
        frequency: Frequency | None = None,
        max_items: int = 10,
        query: str | None = None,
        email: str | None = None,
    ) -> tuple[Subscription, str]:
        """Subscribe (or change a subscription): returns it and its new private token (feed URL, unsubscribe
        link; an earlier token stops working). Needs the ``push`` consent."""
        service = ServiceId(service)
        info = CATALOGUE[service]
        if not info.available:
            raise ValidationError(f"the service {service.value} is not available yet: {info.description_en}")
        if query is not None:
            parse_query_string(query)  # a saved search that does not parse is refused now, not at every run
        now = self._clock()
        old = self._subscription(reader_id, service, actor)
        token = _new_token(reader_id)
        try:
            subscription = Subscription(
                service=service,
                channel=channel,
                frequency=frequency or info.default_frequency,
                max_items=max_items,
                query=query,
                email=email,
                created_at=old.created_at if old else now,
                last_digest_at=old.last_digest_at if old and old.active else now,
                token=token,
            )
        except ValueError as exc:
            raise ValidationError(f"invalid subscription to {service.value}: {exc}", service=service.value) from exc
        self._profiles.write_items(
            reader_id, SUBSCRIPTION, {service.value: subscription.model_dump(mode="json")}, actor, Purpose.PUSH
        )
        logger.info("a reader subscribed to %s by %s", service.value, channel.value)
        return subscription, token

    def unsubscribe(self, reader_id: str, service: ServiceId, actor: Actor) -> None:
        """End the subscription (kept inactive, its token revoked). Needs no consent."""
        old = self._subscription(reader_id, ServiceId(service), actor, purpose=Processing.READER_REQUEST)
        if old is None:
            raise NotFoundError("the reader has no such subscription", service=ServiceId(service).value)
        ended = old.model_copy(update={"active": False, "token": None})
        self._profiles.write_items(
            reader_id,
            SUBSCRIPTION,
            {old.service.value: ended.model_dump(mode="json")},
            actor,
            Processing.READER_REQUEST,
        )

    def unsubscribe_by_token(self, token: str) -> ServiceId:
        """The one-click unsubscribe link: ends the subscription the token belongs to."""
        reader_id, subscription = self.by_token(token)
        self.unsubscribe(reader_id, subscription.service, Actor(actor_id=reader_id, role=ActorRole.READER))
        return subscription.service

    def subscriptions(self, reader_id: str, actor: Actor) -> list[Subscription]:
        """The reader's subscriptions, active and ended, by service."""
        found = self._profiles.read_items(reader_id, SUBSCRIPTION, actor, Processing.READER_REQUEST)
        return sorted((Subscription.model_validate(p) for p in found.values()), key=lambda s: s.service.value)

    def feed_url(self, token: str) -> str:
        return f"{self._public_url}/push/feeds/{token}"

    def unsubscribe_url(self, token: str) -> str:
        return f"{self._public_url}/push/unsubscribe/{token}"

    # -- what the reader got

    def history(self, reader_id: str, actor: Actor, *, include_deleted: bool = False) -> list[SentItem]:
        """What was pushed to the reader, newest first (items the reader deleted left out)."""
        found = self._profiles.read_items(reader_id, SENT, actor, Processing.READER_REQUEST)
        items = [SentItem.model_validate(p) for p in found.values()]
        return sorted(
            (i for i in items if include_deleted or not i.deleted), key=lambda i: (i.at, i.cluster_id), reverse=True
        )

    def act(self, reader_id: str, cluster_id: str, action: ItemAction, actor: Actor) -> SentItem:
        """Delete a pushed item from the history, or mark it "not interested" (also negative evidence for the
        profile, when the reader grants personalization). Either way it is never pushed again."""
        payload = self._profiles.read_item(reader_id, SENT, cluster_id, actor, Processing.READER_REQUEST)
        if payload is None:
            raise NotFoundError("nothing with this id was pushed to the reader", cluster_id=cluster_id)
        item = SentItem.model_validate(payload)
        if ItemAction(action) is ItemAction.DELETE:
            item = item.model_copy(update={"deleted": True})
        else:
            item = item.model_copy(update={"not_interested": True})
            event = ReaderEvent(
                event_id=f"push-not-interested-{cluster_id}",
                type=EventType.FEEDBACK,
                at=self._clock(),
                cluster_id=cluster_id,
                feedback=NOT_INTERESTED,
            )
            self._profiles.record_event(reader_id, event, actor)  # dropped unless personalization is granted
        self._profiles.write_items(
            reader_id, SENT, {cluster_id: item.model_dump(mode="json")}, actor, Processing.READER_REQUEST
        )
        return item

    def mute(self, reader_id: str, kind: MuteKind, key: str, actor: Actor) -> Mute:
        """Never push works of this class (and the classes under it), author or series again."""
        kind = MuteKind(kind)
        key = key.strip()
        if kind is MuteKind.CLASS and (not key.startswith("class:") or key_kind(key) != "class"):
            raise ValidationError("a class mute takes a class key such as class:clc:TP3", key=key)
        if kind is MuteKind.AUTHOR and (not key.startswith("author:") or key_kind(key) != "author"):
            raise ValidationError("an author mute takes an author key such as 'author:liu cixin'", key=key)
        try:
            mute = Mute(kind=kind, key=key, at=self._clock())
        except ValueError as exc:
            raise ValidationError(f"invalid mute: {exc}", kind=kind.value) from exc
        self._profiles.write_items(
            reader_id, MUTE, {_mute_id(kind, key): mute.model_dump(mode="json")}, actor, Processing.READER_REQUEST
        )
        return mute

    def unmute(self, reader_id: str, kind: MuteKind, key: str, actor: Actor) -> None:
        self._profiles.delete_items(
            reader_id, MUTE, [_mute_id(MuteKind(kind), key.strip())], actor, Processing.READER_REQUEST
        )

    def mutes(self, reader_id: str, actor: Actor) -> list[Mute]:
        found = self._profiles.read_items(reader_id, MUTE, actor, Processing.READER_REQUEST)
        return sorted((Mute.model_validate(p) for p in found.values()), key=lambda m: (m.kind.value, m.key))

    def inbox(self, reader_id: str, actor: Actor) -> list[dict[str, Any]]:
        """The digests delivered to the portal inbox, newest first: ``{"digest": ..., "read": bool}``."""
        found = self._profiles.read_items(reader_id, INBOX, actor, Processing.READER_REQUEST)
        return sorted(found.values(), key=lambda entry: str(entry["digest"]["window_end"]), reverse=True)

    def mark_read(self, reader_id: str, digest_id: str, actor: Actor) -> None:
        entry = self._profiles.read_item(reader_id, INBOX, digest_id, actor, Processing.READER_REQUEST)
        if entry is None:
            raise NotFoundError("no such digest in the reader's inbox", digest_id=digest_id)
        self._profiles.write_items(
            reader_id, INBOX, {digest_id: {**entry, "read": True}}, actor, Processing.READER_REQUEST
        )

    def delete_from_inbox(self, reader_id: str, digest_id: str, actor: Actor) -> None:
        self._profiles.delete_items(reader_id, INBOX, [digest_id], actor, Processing.READER_REQUEST)

    def feed(self, token: str) -> bytes:
        """The Atom feed of the subscription the token belongs to: what was pushed through it, newest first."""
        reader_id, subscription = self.by_token(token)
        if subscription.channel is not Channel.ATOM:
            raise NotFoundError("no such feed (this subscription is not delivered as a feed)")
        reader = Actor(actor_id=reader_id, role=ActorRole.READER)
        sent = [
            item
            for item in self.history(reader_id, reader)
            if item.service is subscription.service and item.channel is Channel.ATOM
        ]
        digests = self._profiles.read_items(reader_id, DIGEST, reader, Processing.READER_REQUEST)
        entries = []
        for item in sent[:100]:
            ledger = digests.get(item.digest_id)
            if ledger is None or ledger.get("status") != "delivered":
                continue
            full = DigestItem.model_validate(ledger["items_full"][item.cluster_id])
            entries.append(
                FeedEntry(item=full, sent_at=item.at, digest_id=item.digest_id, link=self._work_url(item.cluster_id))
            )
        updated = entries[0].sent_at if entries else subscription.created_at
        name = SERVICE_NAMES.get(subscription.service, subscription.service.value)
        return atom_feed(
            entries,
            feed_id=f"{reader_id}/{subscription.service.value}/{subscription.created_at.isoformat()}",
            title=name,
            self_url=self.feed_url(token),
            updated=updated,
        )

    # -- the job

    def run(
        self,
        *,
        now: dt.datetime | None = None,
        services: Iterable[ServiceId] | None = None,
        frequencies: Iterable[Frequency] | None = None,
        dry_run: bool = False,
        force: bool = False,
        shard: tuple[int, int] | None = None,
    ) -> RunReport:
        """Plan every due digest (``force``: every active subscription) and, unless ``dry_run``, deliver them.

        ``shard=(k, n)`` plans only the readers of shard ``k`` of ``n`` (:func:`shard_of`): the fan-out on AWS
        runs one shard per message, each through this same code."""
        now = now or self._clock()
        readers = list(self.reader_plans(now, shard=shard))
        works = NewWorks.build(self._clusters.new_since(now - MAX_LOOKBACK, now))
        report = RunReport(now=now, dry_run=dry_run, readers=len(readers), works=len(works))
        members = {m for w in works.works for m in w.cluster.members} | set(self._member_names)
        digests = list(
            plan(
                readers,
                works,
                now,
                members_total=max(len(members), 1),
                services=services,
                frequencies=frequencies,
                force=force,
                search=SavedSearches(w.cluster for w in works.works),
            )
        )
        report.planned = len(digests)
        report.empty = sum(1 for d in digests if not d.items)
        if dry_run:
            report.digests = digests
            return report
        for digest in digests:
            self.execute(digest, report)
        logger.info(
            "push run: %d readers, %d new works, %d digests (%d empty), %d delivered, %d to retry, %d failed",
            report.readers,
            report.works,
            report.planned,
            report.empty,
            sum(report.delivered.values()),
            report.retry_later,
            report.failed,
        )
        return report

    def reader_plans(self, now: dt.datetime, shard: tuple[int, int] | None = None) -> Iterator[ReaderPlan]:
        """Every reader (of the shard) who grants ``push`` and has an active subscription, loaded for planning."""
        for reader_id in self._profiles.reader_ids():
            if shard is not None and shard_of(reader_id, shard[1]) != shard[0]:
                continue
            consents = self._profiles.consents(reader_id)
            if not consents.get(Purpose.PUSH):
                continue
            found = self._profiles.read_items(reader_id, SUBSCRIPTION, PUSH_JOB, Purpose.PUSH)
            subscriptions = tuple(s for s in (Subscription.model_validate(p) for p in found.values()) if s.active)
            if not subscriptions:
                continue
            yield self._reader_plan(
                reader_id, subscriptions, now, personalized=consents.get(Purpose.PERSONALIZATION, False)
            )

    def execute(self, digest: Digest, report: RunReport) -> None:
        """Deliver one planned digest (see the module notes for the order of writes). An empty digest only moves
        the subscription's window on."""
        reader_id = digest.reader_id
        if not digest.items:
            self._close_window(digest)
            return
        if self._profiles.read_item(reader_id, DIGEST, digest.digest_id, PUSH_JOB, Purpose.PUSH) is not None:
            report.skipped += 1
            return
        ledger = {
            "at": digest.window_end.isoformat(),
            "service": digest.service.value,
            "channel": digest.channel.value,
            "status": "sending",
            "items": [item.cluster_id for item in digest.items],
            "items_full": {item.cluster_id: item.model_dump(mode="json") for item in digest.items},
        }
        sent = {
            item.cluster_id: SentItem(
                cluster_id=item.cluster_id,
                service=digest.service,
                channel=digest.channel,
                digest_id=digest.digest_id,
                at=digest.window_end,
                title=item.title,
                reason=item.reason,
            ).model_dump(mode="json")
            for item in digest.items
        }
        # The digest ledger first: a crash before the sent ledger is written leaves the works unsent and plannable
        # again; after it, they are never planned again (at most once).
        self._profiles.write_items(reader_id, DIGEST, {digest.digest_id: ledger}, PUSH_JOB, Purpose.PUSH)
        self._profiles.write_items(reader_id, SENT, sent, PUSH_JOB, Purpose.PUSH)
        try:
            self._deliver(digest)
        except DeliveryError as exc:
            if exc.retryable:
                self._profiles.delete_items(reader_id, SENT, list(sent), PUSH_JOB, Purpose.PUSH)
                self._profiles.delete_items(reader_id, DIGEST, [digest.digest_id], PUSH_JOB, Purpose.PUSH)
                report.retry_later += 1
            else:
                self._profiles.write_items(
                    reader_id, DIGEST, {digest.digest_id: {**ledger, "status": "failed"}}, PUSH_JOB, Purpose.PUSH
                )
                report.failed += 1
            logger.warning("digest %s not delivered: %s", digest.digest_id, exc)
            return
        ledger["status"] = "delivered"
        self._profiles.write_items(reader_id, DIGEST, {digest.digest_id: ledger}, PUSH_JOB, Purpose.PUSH)
        report.delivered[digest.channel.value] = report.delivered.get(digest.channel.value, 0) + 1
        report.items += len(digest.items)
        self._close_window(digest)

    # -- inside

    def _deliver(self, digest: Digest) -> None:
        if digest.channel is Channel.INBOX:
            entry = {"at": digest.window_end.isoformat(), "digest": digest.model_dump(mode="json"), "read": False}
            self._profiles.write_items(digest.reader_id, INBOX, {digest.digest_id: entry}, PUSH_JOB, Purpose.PUSH)
        elif digest.channel is Channel.EMAIL:
            if self._mailer is None:
                raise DeliveryError("no mail server is configured (CONSORTIUM_SMTP_HOST)", retryable=True)
            if not digest.email:
                raise DeliveryError("the subscription has no email address", retryable=False)
            subscription = self._subscription(digest.reader_id, digest.service, PUSH_JOB)
            if subscription is None or not subscription.token:
                raise DeliveryError("the subscription ended before its digest went out", retryable=False)
            links = DigestLinks(
                unsubscribe_url=self.unsubscribe_url(subscription.token),
                portal_url=f"{self._public_url}/push",
                item_url_template=self._work_url("{cluster_id}"),
            )
            library = self._member_names.get(digest.member, digest.member)
            message = email_message(digest, links, self._sender, library)
            message["To"] = digest.email
            self._mailer.send(message, digest.email)
        # Atom: the feed is read from the sent and digest ledgers; nothing more to do.

    def _close_window(self, digest: Digest) -> None:
        subscription = self._subscription(digest.reader_id, digest.service, PUSH_JOB, purpose=Purpose.PUSH)
        if subscription is None or subscription.last_digest_at >= digest.window_end:
            return
        moved = subscription.model_copy(update={"last_digest_at": digest.window_end})
        self._profiles.write_items(
            digest.reader_id,
            SUBSCRIPTION,
            {digest.service.value: moved.model_dump(mode="json")},
            PUSH_JOB,
            Purpose.PUSH,
        )

    def _subscription(
        self, reader_id: str, service: ServiceId, actor: Actor, purpose: Purpose | Processing = Purpose.PUSH
    ) -> Subscription | None:
        payload = self._profiles.read_item(reader_id, SUBSCRIPTION, service.value, actor, purpose)
        return None if payload is None else Subscription.model_validate(payload)

    def by_token(self, token: str) -> tuple[str, Subscription]:
        """The reader and the active subscription a private token belongs to; :class:`NotFoundError` for a
        malformed, revoked or unknown token."""
        reader_id = _token_owner(token)
        actor = Actor(actor_id=reader_id, role=ActorRole.READER)
        try:
            subscriptions = self.subscriptions(reader_id, actor)
        except NotFoundError as exc:
            raise NotFoundError("no such feed or link") from exc
        for subscription in subscriptions:
            if subscription.token and hmac.compare_digest(subscription.token.encode(), token.encode()):
                if not subscription.active:
                    break
                return reader_id, subscription
        raise NotFoundError("no such feed or link (revoked, or never made)")

    def _reader_plan(
        self, reader_id: str, subscriptions: tuple[Subscription, ...], now: dt.datetime, *, personalized: bool
    ) -> ReaderPlan:
        profile = self._profiles.interest_profile(reader_id, PUSH_JOB, Purpose.PUSH)
        borrowed: list[Borrowed] = []
        if personalized:
            events = self._profiles.events(reader_id, PUSH_JOB, Purpose.PERSONALIZATION)
            recent = [e for e in events if e.type is EventType.BORROW and e.cluster_id][-BORROWS_USED:]
            for event in recent:
                assert event.cluster_id is not None
                cluster = self._clusters.get(event.cluster_id)
                if cluster is not None:
                    borrowed.append(Borrowed.of(cluster, keys_for_cluster(cluster)))
        else:
            profile = profile.model_copy(update={"learned": {}})  # learned interests need personalization
        sent = self._profiles.read_items(reader_id, SENT, PUSH_JOB, Purpose.PUSH)
        mutes = self._profiles.read_items(reader_id, MUTE, PUSH_JOB, Purpose.PUSH)
        return ReaderPlan(
            reader_id=reader_id,
            member=self._profiles.member_of(reader_id),
            taste=Taste.of(profile, now, borrowed),
            subscriptions=subscriptions,
            sent=frozenset(sent),
            mutes=tuple(Mute.model_validate(p) for p in mutes.values()),
        )

    def _work_url(self, cluster_id: str) -> str:
        return f"{self._public_url}/works/{cluster_id}"
