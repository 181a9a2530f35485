"""The personal-data vault: every reader item sealed under the reader's own key, read and written only under a
purpose the reader consented to, every access audited.

Each feature registers the kinds of item it keeps (:class:`ItemKind`: the readers' own, learning's, push's). A
kind names the :class:`~consortium.profiles.consent.DataKind` it holds under the consent policy and the purpose
it is kept for; the vault checks at registration that the policy really lists that data under that purpose.
So withdrawal (:meth:`Vault.withdraw`) and retention (:meth:`Vault.purge_expired`) follow the policy file: a
withdrawal deletes the kinds kept for that purpose, and a dated item is kept for the longest ``retention_days``
among the purposes the reader still grants that use its data.

The associated data of every ciphertext binds the reader, the kind, the item id and the version
(:class:`~consortium.profiles.crypto.EnvelopeCipher`), so a ciphertext moved to another reader, kind or item
does not open. Logs name readers only by a short hash of their id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pydantic_core

from consortium.errors import ConfigError, NotFoundError
from consortium.profiles.consent import ConsentEvent, DataKind, Purpose, require
from consortium.profiles.crypto import reader_context
from consortium.profiles.items import ReaderItems
from consortium.profiles.models import Actor, ActorRole, AuditAction, AuditEntry, Processing
from consortium.profiles.ports import DestroyableKeyService

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from consortium.ports import Clock
    from consortium.profiles.consent import ConsentPolicy
    from consortium.profiles.crypto import EnvelopeCipher
    from consortium.profiles.models import AuditPurpose, StoredItem
    from consortium.profiles.ports import ConsentLedger, KeyService, ProfileStore

__all__ = ["ERASED_PREFIX", "ONE", "SYSTEM", "ItemKind", "ReaderItems", "Vault", "pseudonym"]

logger = logging.getLogger(__name__)

ONE = "1"
"""The item id of a kind that holds one item per reader."""

ERASED_PREFIX = "erased-"
"""How the pseudonym an erased reader's audit trail is kept under begins (then 16 random hex digits)."""

SYSTEM = Actor(actor_id="consortium", role=ActorRole.JOB)
"""The actor of steps the hub takes by itself (and the default where a caller names none)."""


@dataclass(frozen=True)
class ItemKind:
    """One kind of reader item, as the feature that keeps it registers it.

    Example
    -------
    >>> EVENT = ItemKind("event", DataKind.EVENTS, kept_for=Purpose.PERSONALIZATION, dated=True)
    >>> vault.register(EVENT)
    """

    name: str
    """The kind's name in the store (``event``, ``sent``...)."""
    data: DataKind | None
    """What personal data it holds under the consent policy; ``None`` for the account itself (who the reader is,
    their home library), which goes only with the reader."""
    kept_for: Purpose | None = None
    """The purpose it is kept for: withdrawing it deletes the items. ``None``: the reader's own statements (their
    profile), kept until they change or erase them."""
    dated: bool = False
    """Its payloads have an ``at`` time, and retention applies to them."""
    single: bool = False
    """One item per reader (id :data:`ONE`): exported as an object, not a map of items."""
    keep_on_withdrawal: Callable[[Any], Any | None] | None = None
    """On withdrawal, what of a payload to keep (``None``: delete it); without it the item is deleted whole."""
    about: tuple[str, str] = ("", "")
    """What it holds, in English and in Chinese: what the reader's export says of its section."""


def pseudonym(reader_id: str) -> str:
    """A short hash of the reader id: what logs name a reader by."""
    return hashlib.sha256(reader_id.encode()).hexdigest()[:12]


def _erased_pseudonym() -> str:
    return f"{ERASED_PREFIX}{secrets.token_hex(8)}"


def _dated(payload: Any) -> dt.datetime:
    """When a dated item's payload says it happened (its ``at``)."""
    return dt.datetime.fromisoformat(str(payload["at"]))


def _aad_kind(kind: str, item_id: str) -> str:
    # The cipher binds "kind" into the associated data: bind the item id too.
    return json.dumps([kind, item_id], ensure_ascii=False, separators=(",", ":"))


class Vault:
    """Readers' keys, sealed items, consent checks and the audit log, over a profile store and a cipher.

    Parameters
    ----------
    store, cipher, consents, policy
        Where ciphertexts live, how they are sealed, the consent ledger and the consent policy.
    clock
        The current time.
    keys
        The cipher's key service; when it can destroy a context (:class:`DestroyableKeyService`), :meth:`erase`
        destroys the reader's, so copies of the store taken before erasure stop opening.
    """

    def __init__(
        self,
        store: ProfileStore,
        cipher: EnvelopeCipher,
        consents: ConsentLedger,
        policy: ConsentPolicy,
        clock: Clock,
        *,
        keys: KeyService | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self._cipher = cipher
        self._consents = consents
        self._keys = keys
        self._kinds: dict[str, ItemKind] = {}

    @property
    def keys(self) -> KeyService | None:
        """The cipher's key service, as given (``None`` when none was)."""
        return self._keys

    # -- kinds

    def register(self, *kinds: ItemKind) -> None:
        """Register kinds of item; :class:`ConfigError` when the policy does not list a kind's data under the
        purpose it is kept for (registering the same kind again does nothing)."""
        for kind in kinds:
            if kind.kept_for is not None:
                purpose = self.policy.purposes.get(kind.kept_for)
                if purpose is None or kind.data not in purpose.data:
                    raise ConfigError(
                        f"the consent policy does not list {kind.data} under {kind.kept_for.value!r}, "
                        f"but {kind.name!r} items are kept for it",
                        kind=kind.name,
                    )
            known = self._kinds.setdefault(kind.name, kind)
            if known != kind:
                raise ConfigError(f"the item kind {kind.name!r} is registered twice, differently", kind=kind.name)

    def kind(self, name: str) -> ItemKind | None:
        return self._kinds.get(name)

    # -- keys and consent

    def create(self, reader_id: str) -> bytes:
        """A new wrapped data key for the reader, stored. An audit trail already under the id (an earlier holder's,
        erased before trails were detached, or by an erasure cut short) is detached first, as :meth:`erase` does."""
        if self.store.audit_log(reader_id):
            self.store.detach_audit(reader_id, _erased_pseudonym())
        wrapped = self._cipher.new_reader_key(reader_id)
        self.store.put_key(reader_id, wrapped)
        return wrapped

    def exists(self, reader_id: str) -> bool:
        return self.store.get_key(reader_id) is not None

    def wrapped(self, reader_id: str) -> bytes:
        """The reader's wrapped data key; :class:`NotFoundError` for an unknown or erased reader."""
        wrapped = self.store.get_key(reader_id)
        if wrapped is None:
            raise NotFoundError("no such reader (never created, or erased)", reader_id=reader_id)
        return wrapped

    def granted(self, reader_id: str) -> dict[Purpose, bool]:
        """Whether the reader grants each purpose now (no decision: not granted)."""
        current = self._consents.current(reader_id)
        return {purpose: current.get(purpose, False) for purpose in Purpose}

    def record_consent(self, reader_id: str, purpose: Purpose, *, granted: bool) -> None:
        self._consents.append(
            ConsentEvent(
                reader_id=reader_id,
                purpose=purpose,
                granted=granted,
                policy_version=self.policy.version,
                at=self.clock(),
            )
        )

    def consent_history(self, reader_id: str) -> list[ConsentEvent]:
        return self._consents.history(reader_id)

    def check(self, reader_id: str, purpose: AuditPurpose) -> None:
        """:class:`~consortium.profiles.consent.ConsentError` unless ``purpose`` is a processing the reader need
        not consent to, or a consent purpose the reader grants now."""
        if isinstance(purpose, Purpose):
            require(self._consents, reader_id, purpose)

    # -- items, audited

    def read(self, reader_id: str, kind: str, actor: Actor, purpose: AuditPurpose) -> dict[str, Any]:
        """Every item of ``kind``, decrypted: item id → payload; needs ``purpose``."""
        self.check(reader_id, purpose)
        found = {item.item_id: payload for item, payload in self.load_all(reader_id, kind)}
        self.audit(reader_id, actor, kind, AuditAction.READ, purpose)
        return found

    def read_one(self, reader_id: str, kind: str, item_id: str, actor: Actor, purpose: AuditPurpose) -> Any:
        """One item, decrypted, or ``None``; needs ``purpose``."""
        self.check(reader_id, purpose)
        found = self.load(reader_id, kind, item_id)
        self.audit(reader_id, actor, kind, AuditAction.READ, purpose)
        return found

    def write(
        self, reader_id: str, kind: str, payloads: Mapping[str, Any], actor: Actor, purpose: AuditPurpose
    ) -> None:
        """Seal and store (or replace) items of ``kind``: item id → JSON-able payload; needs ``purpose``."""
        self.check(reader_id, purpose)
        items = self.items_of(reader_id)
        for item_id, payload in payloads.items():
            items.save(kind, item_id, payload)
        if payloads:
            self.audit(reader_id, actor, kind, AuditAction.WRITE, purpose)

    def delete(self, reader_id: str, kind: str, item_ids: Iterable[str], actor: Actor, purpose: AuditPurpose) -> None:
        """Delete items of ``kind`` (absent ones are ignored). Deleting needs no consent: it is always allowed."""
        self.wrapped(reader_id)
        ids = list(item_ids)
        for item_id in ids:
            self.store.delete(reader_id, kind, item_id)
        if ids:
            self.audit(reader_id, actor, kind, AuditAction.ERASE, purpose)

    def counts(self, reader_id: str) -> dict[str, int]:
        """How many items the reader has, by kind (nothing is opened)."""
        self.wrapped(reader_id)
        counts: dict[str, int] = {}
        for item in self.store.items(reader_id):
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return dict(sorted(counts.items()))

    def audit(self, reader_id: str, actor: Actor, kind: str, action: AuditAction, purpose: AuditPurpose) -> None:
        self.store.audit(AuditEntry.of(reader_id, actor, kind=kind, action=action, purpose=purpose, at=self.clock()))

    # -- items, inside an operation that is audited as a whole

    def items_of(self, reader_id: str) -> ReaderItems:
        """The reader's items with their data key looked up once, for the steps of one operation;
        :class:`NotFoundError` for an unknown or erased reader."""
        return ReaderItems(self, reader_id, self.wrapped(reader_id))

    def load(self, reader_id: str, kind: str, item_id: str) -> Any:
        """One item, decrypted, or ``None`` (no consent check, no audit entry: for a step of an audited call)."""
        return self.items_of(reader_id).load(kind, item_id)

    def load_all(self, reader_id: str, kind: str | None = None) -> list[tuple[StoredItem, Any]]:
        """Every item (of ``kind``), with its payload decrypted (no consent check, no audit entry)."""
        return self.items_of(reader_id).load_all(kind)

    def save(self, reader_id: str, kind: str, item_id: str, payload: Any) -> None:
        """Seal and store one item under the next version (no consent check, no audit entry)."""
        self.items_of(reader_id).save(kind, item_id, payload)

    # -- the reader's lifecycle

    def withdraw(self, reader_id: str, purpose: Purpose, actor: Actor = SYSTEM) -> None:
        """Record the withdrawal of ``purpose`` and delete what is kept for it (a kind with
        :attr:`ItemKind.keep_on_withdrawal` keeps what that returns)."""
        wrapped = self.wrapped(reader_id)
        self.record_consent(reader_id, purpose, granted=False)
        for kind in self._kinds.values():
            if kind.kept_for is not purpose:
                continue
            items = self.store.items(reader_id, kind.name)
            for item in items:
                keep = kind.keep_on_withdrawal
                kept = None if keep is None else keep(self.open_item(wrapped, item))
                if kept is None:
                    self.store.delete(reader_id, item.kind, item.item_id)
                else:
                    self.seal_item(wrapped, reader_id, item.kind, item.item_id, kept)
            if items:
                self.audit(reader_id, actor, kind.name, AuditAction.ERASE, Processing.RETENTION)

    def erase(self, reader_id: str, actor: Actor = SYSTEM) -> str:
        """Erase the reader: delete the wrapped key first, destroy the key service's secret for the reader (when
        it has one), then delete the ciphertexts and the consent history and forget the cached key. The audit
        log, which holds no data, gains the erasure and is then detached from the reader id
        (:meth:`~consortium.profiles.ports.ProfileStore.detach_audit`) under a random pseudonym, returned: the
        trail is kept as the law requires, and a new reader given the same id never sees it. Erasing an unknown
        reader does no harm."""
        wrapped = self.store.get_key(reader_id)
        self.store.delete_key(reader_id)
        if isinstance(self._keys, DestroyableKeyService):
            self._keys.destroy(reader_context(reader_id))
        self.store.delete_reader(reader_id)
        self._consents.erase(reader_id)
        if wrapped is not None:
            self._cipher.forget(wrapped)
        self.audit(reader_id, actor, "*", AuditAction.ERASE, Processing.READER_REQUEST)
        kept_as = _erased_pseudonym()
        self.store.detach_audit(reader_id, kept_as)
        logger.info("erased reader %s", pseudonym(reader_id))  # never with kept_as: that would link the two
        return kept_as

    def purge_expired(self, now: dt.datetime | None = None) -> int:
        """Delete every dated item older than its retention allows; return how many were deleted.

        A dated item is kept for the longest ``retention_days`` among the purposes the reader grants now whose
        policy lists its data; with none granted it goes. Items of readers with no key (unreadable) go too.
        """
        now = now if now is not None else self.clock()
        deleted = 0
        for reader_id in self.store.readers():
            wrapped = self.store.get_key(reader_id)
            granted = self._consents.current(reader_id)
            for kind in self._kinds.values():
                if not kind.dated:
                    continue
                items = self.store.items(reader_id, kind.name)
                if not items:
                    continue
                days = self._retention_days(kind, granted)
                expired = [
                    item
                    for item in items
                    if wrapped is None
                    or days is None
                    or _dated(self.open_item(wrapped, item)) < now - dt.timedelta(days=days)
                ]
                for item in expired:
                    self.store.delete(reader_id, item.kind, item.item_id)
                if expired:
                    self.audit(reader_id, SYSTEM, kind.name, AuditAction.ERASE, Processing.RETENTION)
                deleted += len(expired)
        logger.info("retention purge deleted %d items", deleted)
        return deleted

    # -- inside

    def _retention_days(self, kind: ItemKind, granted: Mapping[Purpose, bool]) -> int | None:
        days = [
            policy.retention_days
            for purpose, policy in self.policy.purposes.items()
            if granted.get(purpose, False) and kind.data in policy.data
        ]
        return max(days) if days else None

    def seal_item(self, wrapped: bytes, reader_id: str, kind: str, item_id: str, payload: Any) -> None:
        """Seal ``payload`` under ``wrapped`` and store it as the item's next version."""
        old = self.store.get(reader_id, kind, item_id)
        version = 1 if old is None else old.version + 1
        sealed = self.seal(wrapped, reader_id, kind, item_id, payload, version=version)
        self.store.put(reader_id, kind, item_id, sealed, version)

    def seal(self, wrapped: bytes, reader_id: str, kind: str, item_id: str, payload: Any, *, version: int) -> bytes:
        """``payload`` sealed under ``wrapped`` as version ``version`` of the item (not stored)."""
        plaintext = pydantic_core.to_json(payload)  # compact UTF-8 JSON, as json.dumps wrote it, ten times sooner
        return self._cipher.encrypt(wrapped, reader_id, _aad_kind(kind, item_id), version, plaintext)

    def open_item(self, wrapped: bytes, item: StoredItem) -> Any:
        """The item's payload, decrypted under ``wrapped``."""
        plaintext = self._cipher.decrypt(
            wrapped, item.reader_id, _aad_kind(item.kind, item.item_id), item.version, item.ciphertext
        )
        return pydantic_core.from_json(plaintext)
