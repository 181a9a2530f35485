"""The push job: load the readers due a digest, plan every digest (pure, :func:`~consortium.push.planner.plan`),
then execute each.

Executing a digest first writes the digest ledger (status ``sending``) and the sent ledger, then delivers, then
marks the digest ``delivered`` and moves the subscription's window on; an empty digest only moves the window.
Whatever is in the sent ledger is never planned again, so rerunning a job, or retrying after a crash part-way
through delivery, never sends a work to a reader twice. A delivery refused for a temporary reason (SMTP 4xx, SES
throttling) rolls its ledger lines back, so the next run tries again; a permanent refusal keeps them
(``failed``), so nothing is retried against a bad address. Any other error of one digest's delivery (a fault of
the hub, or a mailer breaking its contract) rolls its lines back too, is counted (``errors``) and logged by its
type, and the run goes on with the other digests. An email digest whose address is not one valid mailbox (stored
before addresses were checked) is not attempted: nothing is written, it counts as ``failed``, and its works stay
plannable for when the reader gives a valid address.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consortium.errors import Interrupted
from consortium.profiles.consent import Purpose
from consortium.profiles.interest_keys import keys_for_cluster
from consortium.profiles.models import Actor, ActorRole
from consortium.push.addresses import ascii_mailbox
from consortium.push.index import NewWorks
from consortium.push.ledgers import DIGEST, SENT, DigestRecord, InboxEntry
from consortium.push.models import Channel, Digest, Frequency, SentItem, ServiceId
from consortium.push.planner import MAX_LOOKBACK, ReaderPlan, plan_batch
from consortium.push.ports import DeliveryError
from consortium.push.ranking import Borrowed, Taste
from consortium.push.render import DigestLinks, email_message
from consortium.search.matching import SavedSearches

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from consortium.dedup.ports import ClusterStore
    from consortium.ports import Clock
    from consortium.profiles.service import ProfileService
    from consortium.push.evidence import Evidence
    from consortium.push.ledgers import PushLedgers
    from consortium.push.models import Subscription
    from consortium.push.planner import ListedWork
    from consortium.push.ports import Mailer
    from consortium.push.urls import HubUrls

__all__ = ["PUSH_JOB", "PushJob", "RunReport", "shard_of"]

logger = logging.getLogger(__name__)

PUSH_JOB = Actor(actor_id="push-job", role=ActorRole.JOB)
"""Who acts when the scheduled job reads and writes readers' push data."""


def shard_of(reader_id: str, shards: int) -> int:
    """The reader's shard of ``shards`` (stable: SHA-256 of the id)."""
    if shards < 1:
        raise ValueError("the number of shards is at least 1")
    return int.from_bytes(hashlib.sha256(reader_id.encode()).digest()[:8], "big") % shards


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
    errors: int = 0
    """Digests whose delivery raised an unexpected error: rolled back, tried again next run."""
    interrupted: bool = False
    """The run was asked to stop (the hub stopping) and did not plan or deliver every digest: those delivered are
    in the ledgers; the others are planned again by the next run (their windows did not move on)."""
    evidence_built_at: dt.datetime | None = None
    """When the ranking evidence the run used was built (``None``: it ranked without stored evidence)."""
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
            "errors": self.errors,
            "interrupted": self.interrupted,
            "evidence_built_at": None if self.evidence_built_at is None else self.evidence_built_at.isoformat(),
        }
        if self.dry_run:
            data["digests"] = [d.model_dump(mode="json") for d in self.digests if d.items]
        return data


class PushJob:
    """Plan every due digest, then deliver it."""

    _ledgers: PushLedgers
    _profiles: ProfileService
    _clusters: ClusterStore
    _mailer: Mailer | None
    _clock: Clock
    _sender: str
    _urls: HubUrls
    _member_names: dict[str, str]
    _evidence: Callable[[], Evidence | None] | None
    _listed: Callable[[dt.datetime], Sequence[ListedWork]] | None

    def run(
        self,
        *,
        now: dt.datetime | None = None,
        services: Iterable[ServiceId] | None = None,
        frequencies: Iterable[Frequency] | None = None,
        dry_run: bool = False,
        force: bool = False,
        shard: tuple[int, int] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> RunReport:
        """Plan every due digest (``force``: every active subscription) and, unless ``dry_run``, deliver them.

        ``shard=(k, n)`` plans only the readers of shard ``k`` of ``n`` (:func:`shard_of`): the fan-out on AWS
        runs one shard per message, each through this same code (:mod:`consortium.push.fanout`).

        Once ``should_stop()`` is true (the hub stopping), the run stops at its next reader loaded, digest planned
        or digest delivered, reported ``interrupted``: what it delivered is kept; nothing half-written is left
        (a digest is delivered whole or not begun), and the next run plans the rest again."""
        now = now or self._clock()
        report = RunReport(now=now, dry_run=dry_run)
        readers = []
        for reader in self.reader_plans(now, shard=shard):
            if should_stop():
                report.interrupted = True
                return report
            readers.append(reader)
        works = NewWorks.build(self._clusters.new_since(now - MAX_LOOKBACK, now))
        evidence = self._evidence() if self._evidence is not None else None
        report.readers, report.works = len(readers), len(works)
        report.evidence_built_at = evidence.built_at if evidence is not None else None
        members = {m for w in works.works for m in w.cluster.members} | set(self._member_names)
        try:
            digests = plan_batch(
                readers,
                works,
                now,
                members_total=max(len(members), 1),
                services=services,
                frequencies=frequencies,
                force=force,
                search=SavedSearches(w.cluster for w in works.works),
                evidence=evidence,
                listed=self._listed(now - MAX_LOOKBACK) if self._listed is not None else (),
                should_stop=should_stop,
            )
        except Interrupted:
            report.interrupted = True
            return report
        report.planned = len(digests)
        report.empty = sum(1 for d in digests if not d.items)
        if dry_run:
            report.digests = digests
            return report
        for digest in digests:
            if should_stop():
                report.interrupted = True
                break
            self.execute(digest, report)
        logger.info(
            "push run%s: %d readers, %d new works, %d digests (%d empty), %d delivered, %d to retry, %d failed, "
            "%d errors",
            " (stopped on request)" if report.interrupted else "",
            report.readers,
            report.works,
            report.planned,
            report.empty,
            sum(report.delivered.values()),
            report.retry_later,
            report.failed,
            report.errors,
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
            found = self._ledgers.subscriptions(reader_id, PUSH_JOB, Purpose.PUSH)
            subscriptions = tuple(s for s in found if s.active)
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
        if self._ledgers.digest(reader_id, digest.digest_id, PUSH_JOB, Purpose.PUSH) is not None:
            report.skipped += 1
            return
        recipient = None
        if digest.channel is Channel.EMAIL:
            try:
                recipient = ascii_mailbox(digest.email or "")
            except ValueError:
                report.failed += 1
                logger.warning("digest %s not delivered: its subscription has no valid address", digest.digest_id)
                return
        record = DigestRecord(
            at=digest.window_end,
            service=digest.service,
            channel=digest.channel,
            status="sending",
            items=[item.cluster_id for item in digest.items],
            items_full={item.cluster_id: item for item in digest.items},
        )
        sent = [
            SentItem(
                cluster_id=item.cluster_id,
                service=digest.service,
                channel=digest.channel,
                digest_id=digest.digest_id,
                at=digest.window_end,
                title=item.title,
                reason=item.reason,
                reason_zh=item.reason_zh,
            )
            for item in digest.items
        ]
        # The digest ledger first: a crash before the sent ledger is written leaves the works unsent and plannable
        # again; after it, they are never planned again (at most once).
        self._ledgers.save_digest(reader_id, digest.digest_id, record, PUSH_JOB, Purpose.PUSH)
        self._ledgers.save_sent(reader_id, sent, PUSH_JOB, Purpose.PUSH)
        try:
            self._deliver(digest, recipient)
        except DeliveryError as exc:
            if exc.retryable:
                self._roll_back(digest)
                report.retry_later += 1
            else:
                failed = record.model_copy(update={"status": "failed"})
                self._ledgers.save_digest(reader_id, digest.digest_id, failed, PUSH_JOB, Purpose.PUSH)
                report.failed += 1
            logger.warning("digest %s not delivered: %s", digest.digest_id, exc)
            return
        except Exception as exc:  # one digest's fault must neither stop the run nor leave its works marked sent
            self._roll_back(digest)
            report.errors += 1
            # The type only: an error's text may carry the reader's data.
            logger.error("digest %s not delivered: unexpected %s; rolled back", digest.digest_id, type(exc).__name__)
            return
        delivered = record.model_copy(update={"status": "delivered"})
        self._ledgers.save_digest(reader_id, digest.digest_id, delivered, PUSH_JOB, Purpose.PUSH)
        report.delivered[digest.channel.value] = report.delivered.get(digest.channel.value, 0) + 1
        report.items += len(digest.items)
        self._close_window(digest)

    # -- inside

    def _roll_back(self, digest: Digest) -> None:
        """Delete the digest's ledger lines: its works are plannable again."""
        reader_id = digest.reader_id
        self._ledgers.delete(reader_id, SENT, [item.cluster_id for item in digest.items], PUSH_JOB, Purpose.PUSH)
        self._ledgers.delete(reader_id, DIGEST, [digest.digest_id], PUSH_JOB, Purpose.PUSH)

    def _deliver(self, digest: Digest, recipient: str | None) -> None:
        """Hand the digest over; ``recipient`` is the address on the wire (email only)."""
        if digest.channel is Channel.INBOX:
            entry = InboxEntry(at=digest.window_end, digest=digest)
            self._ledgers.save_inbox_entry(digest.reader_id, digest.digest_id, entry, PUSH_JOB, Purpose.PUSH)
        elif digest.channel is Channel.EMAIL:
            if self._mailer is None:
                raise DeliveryError("no mail server is configured (CONSORTIUM_SMTP_HOST)", retryable=True)
            if recipient is None:
                raise DeliveryError("the subscription has no email address", retryable=False)
            subscription = self._ledgers.subscription(digest.reader_id, digest.service, PUSH_JOB, Purpose.PUSH)
            if subscription is None or not subscription.token:
                raise DeliveryError("the subscription ended before its digest went out", retryable=False)
            links = DigestLinks(
                unsubscribe_url=self._urls.unsubscribe(subscription.token),
                portal_url=self._urls.portal(),
                item_url_template=self._urls.work("{cluster_id}"),
            )
            library = self._member_names.get(digest.member, digest.member)
            message = email_message(digest, links, self._sender, library)
            message["To"] = recipient
            self._mailer.send(message, recipient)
        # Atom: the feed is read from the sent and digest ledgers; nothing more to do.

    def _close_window(self, digest: Digest) -> None:
        subscription = self._ledgers.subscription(digest.reader_id, digest.service, PUSH_JOB, Purpose.PUSH)
        if subscription is None or subscription.last_digest_at >= digest.window_end:
            return
        moved = subscription.model_copy(update={"last_digest_at": digest.window_end})
        self._ledgers.save_subscription(digest.reader_id, moved, PUSH_JOB, Purpose.PUSH)

    def _reader_plan(
        self, reader_id: str, subscriptions: tuple[Subscription, ...], now: dt.datetime, *, personalized: bool
    ) -> ReaderPlan:
        profile = self._profiles.interest_profile(reader_id, PUSH_JOB, Purpose.PUSH)
        borrowed: list[Borrowed] = []
        if personalized:
            for borrow in profile.borrowed:
                cluster = self._clusters.get(borrow.cluster_id)
                if cluster is not None:
                    borrowed.append(Borrowed.of(cluster, keys_for_cluster(cluster)))
        else:
            profile = profile.model_copy(update={"learned": {}, "borrowed": []})  # both need personalization
        return ReaderPlan(
            reader_id=reader_id,
            member=self._profiles.member_of(reader_id),
            taste=Taste.of(profile, now, borrowed),
            subscriptions=subscriptions,
            sent=frozenset(self._ledgers.sent(reader_id, PUSH_JOB, Purpose.PUSH)),
            borrowed=frozenset(borrow.cluster_id for borrow in profile.borrowed),
            mutes=tuple(self._ledgers.mutes(reader_id, PUSH_JOB, Purpose.PUSH)),
        )
