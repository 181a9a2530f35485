"""Readers' subscriptions to push services, their private tokens (feed URL, one-click unsubscribe: made and read
by :mod:`consortium.push.tokens`) and the Atom feed a token opens."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import pydantic

from consortium.errors import NotFoundError, ValidationError, field_errors
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole, Processing
from consortium.push.atom import FeedEntry, atom_feed
from consortium.push.models import Channel, Frequency, ServiceId, Subscription
from consortium.push.planner import MAX_LOOKBACK
from consortium.push.render import SERVICE_NAMES
from consortium.push.services import CATALOGUE
from consortium.push.tokens import UNKNOWN_TOKEN, UnknownTokenError
from consortium.search.query import parse_query_string

if TYPE_CHECKING:
    from consortium.ports import Clock
    from consortium.push.ledgers import PushLedgers
    from consortium.push.tokens import PushTokens
    from consortium.push.urls import HubUrls

__all__ = ["UNKNOWN_TOKEN", "Subscriptions", "UnknownTokenError"]

logger = logging.getLogger(__name__)

FEED_ENTRIES = 100
"""The most entries a feed shows (the newest)."""


class Subscriptions:
    """Subscribing, unsubscribing (also by token) and feeds."""

    _ledgers: PushLedgers
    _clock: Clock
    _urls: HubUrls
    _tokens: PushTokens

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
        since: dt.timedelta | None = None,
    ) -> tuple[Subscription, str]:
        """Subscribe (or change a subscription): returns it and its new private token (feed URL, unsubscribe
        link; an earlier token stops working). Needs the ``push`` consent.

        A new subscription's window starts now: its first digest holds only works new from now on. With
        ``since`` (at most :data:`~consortium.push.planner.MAX_LOOKBACK`) the window starts that long ago
        instead, so the first digest, due at once when ``since`` spans a period of the frequency, brings the
        recent works; works already pushed to the reader are never pushed again."""
        service = ServiceId(service)
        info = CATALOGUE[service]
        if info.notice:
            raise ValidationError(f"the service {service.value} needs no subscription: {info.description_en}")
        if not info.available:
            raise ValidationError(f"the service {service.value} is not available yet: {info.description_en}")
        if query is not None:
            parse_query_string(query)  # a saved search that does not parse is refused now, not at every run
        if since is not None and not dt.timedelta(0) < since <= MAX_LOOKBACK:
            raise ValidationError(
                f"a first window reaches back more than nothing and at most {MAX_LOOKBACK.days} days",
                since=str(since),
            )
        now = self._clock()
        old = self._ledgers.subscription(reader_id, service, actor, Purpose.PUSH)
        token = self._tokens.issue(reader_id)
        if since is not None:
            window_start = now - since
        else:
            window_start = old.last_digest_at if old and old.active else now
        try:
            subscription = Subscription(
                service=service,
                channel=channel,
                frequency=frequency or info.default_frequency,
                max_items=max_items,
                query=query,
                email=email,
                created_at=old.created_at if old else now,
                last_digest_at=window_start,
                token=token,
            )
        except pydantic.ValidationError as exc:
            raise ValidationError(
                f"invalid subscription to {service.value}: {field_errors(exc)}", service=service.value
            ) from exc
        self._ledgers.save_subscription(reader_id, subscription, actor, Purpose.PUSH)
        logger.info("a reader subscribed to %s by %s", service.value, channel.value)
        return subscription, token

    def unsubscribe(self, reader_id: str, service: ServiceId, actor: Actor) -> None:
        """End the subscription (kept inactive, its token revoked). Needs no consent."""
        old = self._ledgers.subscription(reader_id, ServiceId(service), actor, Processing.READER_REQUEST)
        if old is None:
            raise NotFoundError("the reader has no such subscription", service=ServiceId(service).value)
        ended = old.model_copy(update={"active": False, "token": None})
        self._ledgers.save_subscription(reader_id, ended, actor, Processing.READER_REQUEST)

    def unsubscribe_by_token(self, token: str) -> ServiceId:
        """The one-click unsubscribe link: ends the subscription the token belongs to."""
        reader_id, subscription = self.by_token(token)
        self.unsubscribe(reader_id, subscription.service, Actor(actor_id=reader_id, role=ActorRole.READER))
        return subscription.service

    def subscriptions(self, reader_id: str, actor: Actor) -> list[Subscription]:
        """The reader's subscriptions, active and ended, by service."""
        return self._ledgers.subscriptions(reader_id, actor, Processing.READER_REQUEST)

    def by_token(self, token: str, channel: Channel | None = None) -> tuple[str, Subscription]:
        """The reader and the active subscription (delivered by ``channel``, when given) a private token belongs
        to; :class:`UnknownTokenError` for a malformed, changed, revoked or unknown token (one message for all,
        and no audit entry: only a match is audited). The token names the one reader to look up
        (:meth:`~consortium.push.tokens.PushTokens.owner`; a legacy token too), and must equal the token that
        reader's subscription keeps."""
        reader_id = self._tokens.owner(token)
        reader = Actor(actor_id=reader_id, role=ActorRole.READER)
        subscription = self._ledgers.subscription_with_token(reader_id, token, reader, channel)
        if subscription is None:
            raise UnknownTokenError
        return reader_id, subscription

    def retire_token_key(self, generation: str) -> None:
        """Retire an old token key generation: every token sealed under it opens nothing any more
        (:meth:`~consortium.push.tokens.PushTokens.retire`)."""
        self._tokens.retire(generation)

    def feed_url(self, token: str) -> str:
        return self._urls.feed(token)

    def unsubscribe_url(self, token: str) -> str:
        return self._urls.unsubscribe(token)

    def feed(self, token: str) -> bytes:
        """The Atom feed of the subscription the token belongs to: what was pushed through it, newest first."""
        reader_id, subscription = self.by_token(token, Channel.ATOM)
        reader = Actor(actor_id=reader_id, role=ActorRole.READER)
        sent = sorted(
            (
                item
                for item in self._ledgers.sent(reader_id, reader, Processing.READER_REQUEST).values()
                if not item.deleted and item.service is subscription.service and item.channel is Channel.ATOM
            ),
            key=lambda item: (item.at, item.cluster_id),
            reverse=True,
        )
        digests = self._ledgers.digests(reader_id, reader, Processing.READER_REQUEST)
        entries = []
        for item in sent[:FEED_ENTRIES]:
            record = digests.get(item.digest_id)
            if record is None or record.status != "delivered":
                continue
            full = record.items_full[item.cluster_id]
            entries.append(
                FeedEntry(item=full, sent_at=item.at, digest_id=item.digest_id, link=self._urls.work(item.cluster_id))
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
