"""What push keeps about each reader, typed: the kinds of item it registers with the personal-data vault, and
typed reads and writes of each.

==================  ==================  =====================================================================
kind                item id             payload
==================  ==================  =====================================================================
``subscription``    the service         a :class:`~consortium.push.models.Subscription`
``sent``            the cluster id      a :class:`~consortium.push.models.SentItem` (the sent ledger)
``digest``          the digest id       a :class:`DigestRecord` (the digest ledger)
``inbox``           the digest id       an :class:`InboxEntry`
``mute``            kind and key        a :class:`~consortium.push.models.Mute`
==================  ==================  =====================================================================

All are kept for the ``push`` purpose: withdrawing it deletes them all. What was sent (sent, digest, inbox) is
dated and kept for the ``push_history`` retention of the consent policy.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from consortium.errors import NotFoundError
from consortium.profiles.consent import DataKind, Purpose
from consortium.profiles.models import AuditAction, Processing
from consortium.profiles.vault import ItemKind
from consortium.push.models import Channel, Digest, DigestItem, Mute, MuteKind, SentItem, ServiceId, Subscription

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.profiles.models import Actor, AuditPurpose
    from consortium.profiles.vault import Vault

__all__ = [
    "DIGEST",
    "INBOX",
    "MUTE",
    "PUSH_KINDS",
    "SENT",
    "SUBSCRIPTION",
    "DigestRecord",
    "InboxEntry",
    "PushLedgers",
    "mute_id",
]

SUBSCRIPTION, SENT, DIGEST, INBOX, MUTE = "subscription", "sent", "digest", "inbox", "mute"

PUSH_KINDS = (
    ItemKind(
        SUBSCRIPTION,
        DataKind.PROFILE,
        kept_for=Purpose.PUSH,
        about=(
            "Your subscriptions to news of new books, by service: channel, how often, the most works a digest holds, "
            "the saved search; 'token' is the secret in your feed and unsubscribe links.",
            "您的新书推送订阅（按服务）：渠道、频率、每期最多作品数、保存的检索式；“token”为订阅源和退订链接中的密钥。",
        ),
    ),
    ItemKind(
        MUTE,
        DataKind.PROFILE,
        kept_for=Purpose.PUSH,
        about=("The classes, authors and series you asked never to be sent.", "您屏蔽的分类、著者和丛书。"),
    ),
    ItemKind(
        SENT,
        DataKind.PUSH_HISTORY,
        kept_for=Purpose.PUSH,
        dated=True,
        about=(
            "Every work sent to you, with why, and whether you deleted it or marked it not interested.",
            "推送给您的每种作品、推荐理由，以及您是否删除或标为不感兴趣。",
        ),
    ),
    ItemKind(
        DIGEST,
        DataKind.PUSH_HISTORY,
        kept_for=Purpose.PUSH,
        dated=True,
        about=(
            "Each digest of new books made for you, and how it was delivered.",
            "为您生成的每期新书推送及其送达方式。",
        ),
    ),
    ItemKind(
        INBOX,
        DataKind.PUSH_HISTORY,
        kept_for=Purpose.PUSH,
        dated=True,
        about=("The digests in your portal inbox, read or not.", "门户站内信中的推送，及是否已读。"),
    ),
)


class DigestRecord(BaseModel):
    """One digest in the digest ledger: written (``sending``) before delivery, then ``delivered`` or ``failed``."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime
    """The end of the digest's window."""
    service: ServiceId
    channel: Channel
    status: Literal["sending", "delivered", "failed"]
    items: list[str]
    """The works, in the digest's order."""
    items_full: dict[str, DigestItem]
    """Each work as it was pushed (what the Atom feed shows)."""


class InboxEntry(BaseModel):
    """A digest delivered to the portal inbox."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime
    digest: Digest
    read: bool = False


def mute_id(kind: MuteKind, key: str) -> str:
    """The item id of a mute: its kind and a hash of its key."""
    return f"{kind.value}:{hashlib.sha256(key.encode()).hexdigest()[:16]}"


class PushLedgers:
    """Typed reads and writes of push's reader items in the vault; every call names its actor and purpose.

    Example
    -------
    >>> ledgers = PushLedgers(profiles.vault)
    >>> ledgers.subscription("r1", ServiceId.INTERESTED_NEW, actor, Purpose.PUSH)
    """

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        vault.register(*PUSH_KINDS)

    # -- subscriptions

    def subscription(
        self, reader_id: str, service: ServiceId, actor: Actor, purpose: AuditPurpose
    ) -> Subscription | None:
        payload = self.vault.read_one(reader_id, SUBSCRIPTION, service.value, actor, purpose)
        return None if payload is None else Subscription.from_stored(payload)

    def subscriptions(self, reader_id: str, actor: Actor, purpose: AuditPurpose) -> list[Subscription]:
        """The reader's subscriptions, active and ended, by service."""
        found = self.vault.read(reader_id, SUBSCRIPTION, actor, purpose)
        return sorted((Subscription.from_stored(p) for p in found.values()), key=lambda s: s.service.value)

    def subscription_with_token(
        self, reader_id: str, token: str, actor: Actor, channel: Channel | None = None
    ) -> Subscription | None:
        """The reader's active subscription whose private token is ``token`` (delivered by ``channel``, when
        given), or ``None`` (an unknown or erased reader too). Only a match is audited, as a read at the reader's
        request: a junk token writes nothing in a reader's audit log."""
        try:
            found = self.vault.load_all(reader_id, SUBSCRIPTION)
        except NotFoundError:
            return None
        for _, payload in found:
            subscription = Subscription.from_stored(payload)
            kept = subscription.token
            wanted = subscription.active and channel in (None, subscription.channel)
            if kept and hmac.compare_digest(kept.encode(), token.encode()) and wanted:
                self.vault.audit(reader_id, actor, SUBSCRIPTION, AuditAction.READ, Processing.READER_REQUEST)
                return subscription
        return None

    def save_subscription(
        self, reader_id: str, subscription: Subscription, actor: Actor, purpose: AuditPurpose
    ) -> None:
        payload = {subscription.service.value: subscription.model_dump(mode="json")}
        self.vault.write(reader_id, SUBSCRIPTION, payload, actor, purpose)

    # -- the sent ledger

    def sent(self, reader_id: str, actor: Actor, purpose: AuditPurpose) -> dict[str, SentItem]:
        """Cluster id → what was pushed of it."""
        found = self.vault.read(reader_id, SENT, actor, purpose)
        return {cluster_id: SentItem.model_validate(p) for cluster_id, p in found.items()}

    def sent_item(self, reader_id: str, cluster_id: str, actor: Actor, purpose: AuditPurpose) -> SentItem | None:
        payload = self.vault.read_one(reader_id, SENT, cluster_id, actor, purpose)
        return None if payload is None else SentItem.model_validate(payload)

    def save_sent(self, reader_id: str, items: Iterable[SentItem], actor: Actor, purpose: AuditPurpose) -> None:
        payloads = {item.cluster_id: item.model_dump(mode="json") for item in items}
        self.vault.write(reader_id, SENT, payloads, actor, purpose)

    # -- the digest ledger

    def digests(self, reader_id: str, actor: Actor, purpose: AuditPurpose) -> dict[str, DigestRecord]:
        found = self.vault.read(reader_id, DIGEST, actor, purpose)
        return {digest_id: DigestRecord.model_validate(p) for digest_id, p in found.items()}

    def digest(self, reader_id: str, digest_id: str, actor: Actor, purpose: AuditPurpose) -> DigestRecord | None:
        payload = self.vault.read_one(reader_id, DIGEST, digest_id, actor, purpose)
        return None if payload is None else DigestRecord.model_validate(payload)

    def save_digest(
        self, reader_id: str, digest_id: str, record: DigestRecord, actor: Actor, purpose: AuditPurpose
    ) -> None:
        self.vault.write(reader_id, DIGEST, {digest_id: record.model_dump(mode="json")}, actor, purpose)

    # -- the inbox

    def inbox(self, reader_id: str, actor: Actor, purpose: AuditPurpose) -> dict[str, InboxEntry]:
        found = self.vault.read(reader_id, INBOX, actor, purpose)
        return {digest_id: InboxEntry.model_validate(p) for digest_id, p in found.items()}

    def inbox_entry(self, reader_id: str, digest_id: str, actor: Actor, purpose: AuditPurpose) -> InboxEntry | None:
        payload = self.vault.read_one(reader_id, INBOX, digest_id, actor, purpose)
        return None if payload is None else InboxEntry.model_validate(payload)

    def save_inbox_entry(
        self, reader_id: str, digest_id: str, entry: InboxEntry, actor: Actor, purpose: AuditPurpose
    ) -> None:
        self.vault.write(reader_id, INBOX, {digest_id: entry.model_dump(mode="json")}, actor, purpose)

    # -- mutes

    def mutes(self, reader_id: str, actor: Actor, purpose: AuditPurpose) -> list[Mute]:
        found = self.vault.read(reader_id, MUTE, actor, purpose)
        return sorted((Mute.model_validate(p) for p in found.values()), key=lambda m: (m.kind.value, m.key))

    def save_mute(self, reader_id: str, mute: Mute, actor: Actor, purpose: AuditPurpose) -> None:
        self.vault.write(reader_id, MUTE, {mute_id(mute.kind, mute.key): mute.model_dump(mode="json")}, actor, purpose)

    # -- deleting

    def delete(self, reader_id: str, kind: str, item_ids: Iterable[str], actor: Actor, purpose: AuditPurpose) -> None:
        """Delete items of one of push's kinds (needs no consent)."""
        self.vault.delete(reader_id, kind, item_ids, actor, purpose)
