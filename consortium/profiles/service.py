"""Readers' personal data, end to end: creation, events, consent, profile, export, erasure and retention.

Everything personal goes to the :class:`~consortium.profiles.store.ProfileStore` sealed under the reader's own
data key (:class:`~consortium.profiles.crypto.EnvelopeCipher`); the associated data binds the reader, the kind,
the item id and the version, so a ciphertext moved to another reader, kind or item does not open. Every access
writes an :class:`~consortium.profiles.models.AuditEntry` with its purpose, and steps done for a consent purpose
check it first (:func:`~consortium.profiles.consent.require`).

Erasure (:meth:`ProfileService.erase`) deletes the wrapped data key first, then has the key service destroy what
it holds for the reader (the local key file's per-reader context secret, see
:mod:`consortium.adapters.local.key_file`), then deletes the ciphertexts and the consent history and drops the
unwrapped key from the cipher's cache. With the local key service, a copy of the database taken before erasure
no longer opens afterwards: its wrapped key needs the destroyed secret.

Logs name readers only by a short hash of their id, never by the id or any of their data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from consortium.errors import ConflictError, NotFoundError
from consortium.profiles.consent import ConsentEvent, DataKind, Purpose, require
from consortium.profiles.crypto import reader_context
from consortium.profiles.models import Actor, ActorRole, AuditAction, AuditEntry, Processing, Reader, ReaderEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.ports import KeyService
    from consortium.profiles.consent import ConsentLedger, ConsentPolicy
    from consortium.profiles.crypto import EnvelopeCipher
    from consortium.profiles.models import AuditPurpose, StoredItem
    from consortium.profiles.store import ProfileStore

__all__ = [
    "EVENT",
    "INTERESTS",
    "LEARNED_KINDS",
    "PROFILE",
    "READER",
    "SYSTEM",
    "DestroyableKeyService",
    "EventOutcome",
    "ProfileService",
]

logger = logging.getLogger(__name__)

READER = "reader"
"""Kind of the item holding the :class:`Reader` (member library, creation time)."""
PROFILE = "profile"
"""Kind of the item holding the reader's profile payload (what they declared)."""
EVENT = "event"
"""Kind of the items holding the reader's events, one per event id."""
INTERESTS = "interests"
"""Kind of the item holding the interests learned from the events (an opaque JSON payload)."""
LEARNED_KINDS = (EVENT, INTERESTS)
"""What personalization learned: deleted when the reader withdraws it."""

SYSTEM = Actor(actor_id="consortium", role=ActorRole.JOB)
"""The actor of steps the hub takes by itself (and the default where a caller names none)."""

_ONE = "1"
"""The item id of single items (reader, profile, interests)."""


class EventOutcome(StrEnum):
    """What :meth:`ProfileService.record_event` did with an event."""

    STORED = "stored"
    DROPPED_NO_CONSENT = "dropped_no_consent"
    """The reader has not granted personalization: the event was not stored."""
    DUPLICATE = "duplicate"
    """An event with this id was already stored: it was kept as it was."""


@runtime_checkable
class DestroyableKeyService(Protocol):
    """A key service that can destroy what it holds for one encryption context (crypto-shredding)."""

    def destroy(self, context: dict[str, str]) -> None: ...


def _pseudonym(reader_id: str) -> str:
    return hashlib.sha256(reader_id.encode()).hexdigest()[:12]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aad_kind(kind: str, item_id: str) -> str:
    # The cipher binds "kind" into the associated data: bind the item id too.
    return json.dumps([kind, item_id], ensure_ascii=False, separators=(",", ":"))


class ProfileService:
    """Readers' personal data over a profile store, a cipher, the consent ledger and the consent policy.

    Parameters
    ----------
    store, cipher, consents, policy
        Where ciphertexts live, how they are sealed, the consent ledger and the consent policy.
    clock
        Returns the current time (timezone-aware).
    keys
        The cipher's key service. When it can destroy a context (:class:`DestroyableKeyService`, like the local
        key file), :meth:`erase` destroys the reader's, so pre-erasure copies of the store stop opening.

    Example
    -------
    >>> service = ProfileService(store, EnvelopeCipher(keys), ledger, policy, keys=keys)
    >>> service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION], {"subjects": ["history"]})
    >>> service.record_event("r1", ReaderEvent(event_id="e1", type="search", at=now, query="红楼梦"), actor)
    <EventOutcome.STORED: 'stored'>
    """

    def __init__(
        self,
        store: ProfileStore,
        cipher: EnvelopeCipher,
        consents: ConsentLedger,
        policy: ConsentPolicy,
        clock: Callable[[], dt.datetime] = _utcnow,
        *,
        keys: KeyService | None = None,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._consents = consents
        self._policy = policy
        self._clock = clock
        self._keys = keys

    # -- readers

    def create_reader(
        self,
        reader_id: str,
        member: str,
        consents: list[Purpose],
        declared: dict[str, Any] | None = None,
        actor: Actor = SYSTEM,
    ) -> Reader:
        """Make the reader: a new wrapped data key, a consent grant per purpose in ``consents``, and the
        encrypted reader and profile items. :class:`ConflictError` when the reader exists."""
        if self._store.get_key(reader_id) is not None:
            raise ConflictError("the reader exists already", reader_id=reader_id)
        now = self._clock()
        reader = Reader(reader_id=reader_id, member=member, created_at=now)
        wrapped = self._cipher.new_reader_key(reader_id)
        self._store.put_key(reader_id, wrapped)
        for purpose in dict.fromkeys(consents):
            self._append_consent(reader_id, Purpose(purpose), granted=True, at=now)
        self._seal(reader_id, wrapped, READER, _ONE, reader.model_dump(mode="json"), version=1)
        self._seal(reader_id, wrapped, PROFILE, _ONE, dict(declared or {}), version=1)
        self._audit(reader_id, actor, "*", AuditAction.WRITE, Processing.ACCOUNT)
        logger.info("created reader %s", _pseudonym(reader_id))
        return reader

    def get_reader(self, reader_id: str, actor: Actor, purpose: AuditPurpose = Processing.READER_REQUEST) -> Reader:
        """The reader's :class:`Reader`; :class:`NotFoundError` for an unknown or erased reader."""
        return Reader.model_validate(self._read_one(reader_id, READER, actor, purpose))

    # -- events

    def record_event(self, reader_id: str, event: ReaderEvent, actor: Actor) -> EventOutcome:
        """Store the event, encrypted, if the reader has granted personalization; otherwise drop it.

        An event id already stored is ignored (:attr:`EventOutcome.DUPLICATE`).
        """
        wrapped = self._wrapped(reader_id)
        if not self._consents.current(reader_id).get(Purpose.PERSONALIZATION, False):
            logger.debug("dropped an event of reader %s: no personalization consent", _pseudonym(reader_id))
            return EventOutcome.DROPPED_NO_CONSENT
        if self._store.get(reader_id, EVENT, event.event_id) is not None:
            return EventOutcome.DUPLICATE
        self._seal(reader_id, wrapped, EVENT, event.event_id, event.model_dump(mode="json"), version=1)
        self._audit(reader_id, actor, EVENT, AuditAction.WRITE, Purpose.PERSONALIZATION)
        return EventOutcome.STORED

    def events(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose = Purpose.PERSONALIZATION
    ) -> list[ReaderEvent]:
        """The reader's stored events, oldest first."""
        self._check(reader_id, purpose)
        wrapped = self._wrapped(reader_id)
        found = [ReaderEvent.model_validate(self._open(wrapped, item)) for item in self._store.items(reader_id, EVENT)]
        self._audit(reader_id, actor, EVENT, AuditAction.READ, purpose)
        return sorted(found, key=lambda event: (event.at, event.event_id))

    # -- consent

    def grant(self, reader_id: str, purpose: Purpose, actor: Actor = SYSTEM) -> None:
        """Record that the reader grants ``purpose``."""
        self._wrapped(reader_id)
        self._append_consent(reader_id, Purpose(purpose), granted=True, at=self._clock())

    def withdraw(self, reader_id: str, purpose: Purpose, actor: Actor = SYSTEM) -> None:
        """Record that the reader withdraws ``purpose``. Withdrawing personalization also deletes what it
        learned: every event and the learned interests."""
        self._wrapped(reader_id)
        self._append_consent(reader_id, Purpose(purpose), granted=False, at=self._clock())
        if Purpose(purpose) is Purpose.PERSONALIZATION:
            for kind in LEARNED_KINDS:
                items = self._store.items(reader_id, kind)
                for item in items:
                    self._store.delete(reader_id, item.kind, item.item_id)
                if items:
                    self._audit(reader_id, actor, kind, AuditAction.ERASE, Processing.RETENTION)

    # -- profile and interests

    def get_profile(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose = Processing.READER_REQUEST
    ) -> dict[str, Any]:
        """The reader's profile payload."""
        return dict(self._read_one(reader_id, PROFILE, actor, purpose))

    def put_profile(
        self,
        reader_id: str,
        payload: dict[str, Any],
        actor: Actor,
        purpose: AuditPurpose = Processing.READER_REQUEST,
    ) -> None:
        """Replace the reader's profile payload (any JSON-able dict)."""
        self._write_one(reader_id, PROFILE, payload, actor, purpose)

    def get_interests(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose = Purpose.PERSONALIZATION
    ) -> dict[str, Any] | None:
        """The learned interests payload, or ``None`` when nothing was learned (yet, or since a withdrawal)."""
        self._check(reader_id, purpose)
        wrapped = self._wrapped(reader_id)
        item = self._store.get(reader_id, INTERESTS, _ONE)
        self._audit(reader_id, actor, INTERESTS, AuditAction.READ, purpose)
        return None if item is None else dict(self._open(wrapped, item))

    def put_interests(self, reader_id: str, payload: dict[str, Any], actor: Actor) -> None:
        """Replace the learned interests payload; needs personalization consent."""
        self._write_one(reader_id, INTERESTS, payload, actor, Purpose.PERSONALIZATION)

    # -- the reader's rights

    def export(self, reader_id: str, actor: Actor = SYSTEM) -> dict[str, Any]:
        """Everything the hub keeps about the reader, decrypted, in one JSON-serializable dict: the reader, every
        item by kind, the consent history and the audit log (this export included)."""
        wrapped = self._wrapped(reader_id)
        self._audit(reader_id, actor, "*", AuditAction.EXPORT, Processing.READER_REQUEST)
        data: dict[str, Any] = {}
        events: list[dict[str, Any]] = []
        for item in self._store.items(reader_id):
            payload = self._open(wrapped, item)
            if item.kind == EVENT:
                events.append(payload)
            elif item.item_id == _ONE and item.kind in (READER, PROFILE, INTERESTS):
                data[item.kind] = payload
            else:
                data.setdefault(item.kind, {})[item.item_id] = payload
        events.sort(key=lambda event: (str(event.get("at")), str(event.get("event_id"))))
        return {
            "reader_id": reader_id,
            "exported_at": self._clock().isoformat(),
            **data,
            "events": events,
            "consents": [event.model_dump(mode="json") for event in self._consents.history(reader_id)],
            "audit": [entry.model_dump(mode="json") for entry in self._store.audit_log(reader_id)],
        }

    def erase(self, reader_id: str, actor: Actor = SYSTEM) -> None:
        """Erase the reader: delete the wrapped key first, destroy the key service's secret for the reader (when
        it has one), then delete the ciphertexts and the consent history and forget the cached key. The audit
        log keeps (and gains) entries with no data in them. Erasing an unknown reader does no harm."""
        wrapped = self._store.get_key(reader_id)
        self._store.delete_key(reader_id)
        if isinstance(self._keys, DestroyableKeyService):
            self._keys.destroy(reader_context(reader_id))
        self._store.delete_reader(reader_id)
        self._consents.erase(reader_id)
        if wrapped is not None:
            self._cipher.forget(wrapped)
        self._audit(reader_id, actor, "*", AuditAction.ERASE, Processing.READER_REQUEST)
        logger.info("erased reader %s", _pseudonym(reader_id))

    # -- retention

    def purge_expired(self, now: dt.datetime | None = None) -> int:
        """Delete every event older than its retention allows; return how many were deleted.

        An event is kept for the longest ``retention_days`` among the purposes the reader grants now that use
        events; with none granted, every event goes. Items of readers with no key (unreadable) are deleted too.
        """
        now = now if now is not None else self._clock()
        deleted = 0
        for reader_id in self._store.readers():
            items = self._store.items(reader_id, EVENT)
            if not items:
                continue
            wrapped = self._store.get_key(reader_id)
            keep_days = self._event_retention_days(reader_id)
            expired: list[StoredItem] = []
            for item in items:
                if wrapped is None or keep_days is None:
                    expired.append(item)
                    continue
                event = ReaderEvent.model_validate(self._open(wrapped, item))
                if event.at < now - dt.timedelta(days=keep_days):
                    expired.append(item)
            for item in expired:
                self._store.delete(reader_id, item.kind, item.item_id)
            if expired:
                self._audit(reader_id, SYSTEM, EVENT, AuditAction.ERASE, Processing.RETENTION)
            deleted += len(expired)
        logger.info("retention purge deleted %d events", deleted)
        return deleted

    # -- inside

    def _event_retention_days(self, reader_id: str) -> int | None:
        granted = self._consents.current(reader_id)
        days = [
            policy.retention_days
            for purpose, policy in self._policy.purposes.items()
            if granted.get(purpose, False) and DataKind.EVENTS in policy.data
        ]
        return max(days) if days else None

    def _append_consent(self, reader_id: str, purpose: Purpose, *, granted: bool, at: dt.datetime) -> None:
        self._consents.append(
            ConsentEvent(
                reader_id=reader_id, purpose=purpose, granted=granted, policy_version=self._policy.version, at=at
            )
        )

    def _check(self, reader_id: str, purpose: AuditPurpose) -> None:
        if isinstance(purpose, Purpose):
            require(self._consents, reader_id, purpose)

    def _wrapped(self, reader_id: str) -> bytes:
        wrapped = self._store.get_key(reader_id)
        if wrapped is None:
            raise NotFoundError("no such reader (never created, or erased)", reader_id=reader_id)
        return wrapped

    def _read_one(self, reader_id: str, kind: str, actor: Actor, purpose: AuditPurpose) -> dict[str, Any]:
        self._check(reader_id, purpose)
        wrapped = self._wrapped(reader_id)
        item = self._store.get(reader_id, kind, _ONE)
        if item is None:
            raise NotFoundError(f"the reader has no {kind}", reader_id=reader_id, kind=kind)
        self._audit(reader_id, actor, kind, AuditAction.READ, purpose)
        return dict(self._open(wrapped, item))

    def _write_one(
        self, reader_id: str, kind: str, payload: dict[str, Any], actor: Actor, purpose: AuditPurpose
    ) -> None:
        self._check(reader_id, purpose)
        wrapped = self._wrapped(reader_id)
        old = self._store.get(reader_id, kind, _ONE)
        self._seal(reader_id, wrapped, kind, _ONE, payload, version=1 if old is None else old.version + 1)
        self._audit(reader_id, actor, kind, AuditAction.WRITE, purpose)

    def _seal(self, reader_id: str, wrapped: bytes, kind: str, item_id: str, payload: Any, *, version: int) -> None:
        plaintext = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        sealed = self._cipher.encrypt(wrapped, reader_id, _aad_kind(kind, item_id), version, plaintext)
        self._store.put(reader_id, kind, item_id, sealed, version)

    def _open(self, wrapped: bytes, item: StoredItem) -> Any:
        plaintext = self._cipher.decrypt(
            wrapped, item.reader_id, _aad_kind(item.kind, item.item_id), item.version, item.ciphertext
        )
        return json.loads(plaintext)

    def _audit(self, reader_id: str, actor: Actor, kind: str, action: AuditAction, purpose: AuditPurpose) -> None:
        self._store.audit(AuditEntry.of(reader_id, actor, kind=kind, action=action, purpose=purpose, at=self._clock()))
