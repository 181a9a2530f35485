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
from typing import TYPE_CHECKING, Any

import pydantic
from pydantic import BaseModel, ConfigDict

from consortium.errors import ConflictError, ConsortiumError, NotFoundError
from consortium.ports import Clock, system_clock
from consortium.profiles import drift
from consortium.profiles.consent import ConsentEvent, DataKind, Purpose, require
from consortium.profiles.crypto import reader_context
from consortium.profiles.interests import (
    EventKind,
    InterestProfile,
    apply_event,
    declare,
    from_dict,
    keys_for_cluster,
    keys_for_search,
    remove,
    to_dict,
    top_interests,
)
from consortium.profiles.models import (
    Actor,
    ActorRole,
    AuditAction,
    AuditEntry,
    EventType,
    Processing,
    Reader,
    ReaderEvent,
)
from consortium.profiles.ports import DestroyableKeyService
from consortium.search.query import SearchQuery, parse_query_string

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from consortium.models import Cluster
    from consortium.profiles.consent import ConsentPolicy
    from consortium.profiles.crypto import EnvelopeCipher
    from consortium.profiles.models import AuditPurpose, StoredItem
    from consortium.profiles.ports import ConsentLedger, KeyService, ProfileStore

__all__ = [
    "EVENT",
    "INTERESTS",
    "LEARNED_KINDS",
    "NOT_INTERESTED",
    "PROFILE",
    "PROMPT",
    "READER",
    "SYSTEM",
    "EventOutcome",
    "Interest",
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
"""Kind of the item holding the reader's :class:`~consortium.profiles.interests.InterestProfile` (declared and
learned interests, :func:`~consortium.profiles.interests.to_dict`)."""
PROMPT = "prompt"
"""Kind of the items holding drift prompts (:class:`~consortium.profiles.drift.DriftPrompt`), one per prompt id."""
LEARNED_KINDS = (EVENT, PROMPT)
"""Items personalization learned, deleted whole when the reader withdraws it (the learned part of the interests
item goes too; what the reader declared stays)."""
PUSH_KINDS = ("subscription", "sent", "mute", "inbox", "digest")
"""The kinds of item the push service keeps (:mod:`consortium.push.service`); withdrawing the ``push`` purpose
deletes them all."""
PUSH_HISTORY_KINDS = ("sent", "inbox", "digest")
"""Push kinds whose payload has an ``at`` time, kept for the ``push`` purpose's retention."""
_DELETED_ON_WITHDRAWAL = {Purpose.PERSONALIZATION: LEARNED_KINDS, Purpose.PUSH: PUSH_KINDS}
"""What withdrawing a purpose deletes (personalization also forgets the learned interests)."""
NOT_INTERESTED = "not interested"
"""The feedback text (case and surrounding spaces ignored) that counts against the event's work."""

_CLUSTER_EVENTS = {
    EventType.VIEW: EventKind.VIEW,
    EventType.BORROW: EventKind.BORROW,
    EventType.RETURN: EventKind.BORROW,
    EventType.HOLD: EventKind.HOLD,
    EventType.RATING: EventKind.RATING,
}
"""How a work's event counts for its interest keys. A return counts like a borrow: finishing a book is as much
evidence as starting it (a reader who returns unread says so with "not interested" feedback)."""
_SEARCH_FILTERS = {
    "class": "classes",
    "classes": "classes",
    "subject": "subjects",
    "subjects": "subjects",
    "author": "author",
}
"""Event filter names that name interests, and the :class:`~consortium.search.query.SearchQuery` field each fills."""

SYSTEM = Actor(actor_id="consortium", role=ActorRole.JOB)
"""The actor of steps the hub takes by itself (and the default where a caller names none)."""

_ONE = "1"
"""The item id of single items (reader, profile, interests)."""


class Interest(BaseModel):
    """One of the reader's top interests: its key, its score now, and whether the reader declared it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    score: float
    declared: bool
    learned: bool
    """Whether activity fed it (a key may be both declared and learned)."""


class EventOutcome(StrEnum):
    """What :meth:`ProfileService.record_event` did with an event."""

    STORED = "stored"
    DROPPED_NO_CONSENT = "dropped_no_consent"
    """The reader has not granted personalization: the event was not stored."""
    DUPLICATE = "duplicate"
    """An event with this id was already stored: it was kept as it was."""


def _pseudonym(reader_id: str) -> str:
    return hashlib.sha256(reader_id.encode()).hexdigest()[:12]


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
    cluster_lookup
        Finds a work by cluster id (``ClusterStore.get``). With it, stored events about a work teach the
        reader's learned interests (its classes, subjects and authors); without it only searches do.

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
        clock: Clock = system_clock,
        *,
        keys: KeyService | None = None,
        cluster_lookup: Callable[[str], Cluster | None] | None = None,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._consents = consents
        self._policy = policy
        self._clock = clock
        self._keys = keys
        self._cluster_lookup = cluster_lookup

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

        A stored event updates the learned interests (:meth:`_learn`), then drift is checked: a new
        :class:`~consortium.profiles.drift.DriftPrompt` is stored unless one is still open. An event id already
        stored is ignored (:attr:`EventOutcome.DUPLICATE`).
        """
        wrapped = self._wrapped(reader_id)
        if not self._consents.current(reader_id).get(Purpose.PERSONALIZATION, False):
            logger.debug("dropped an event of reader %s: no personalization consent", _pseudonym(reader_id))
            return EventOutcome.DROPPED_NO_CONSENT
        if self._store.get(reader_id, EVENT, event.event_id) is not None:
            return EventOutcome.DUPLICATE
        self._seal(reader_id, wrapped, EVENT, event.event_id, event.model_dump(mode="json"), version=1)
        self._audit(reader_id, actor, EVENT, AuditAction.WRITE, Purpose.PERSONALIZATION)
        self._learn(reader_id, wrapped, event, actor)
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
        learned: every event, every drift prompt and the learned interests (declared interests are kept).
        Withdrawing push deletes the subscriptions, what was sent, the inbox and the mutes."""
        wrapped = self._wrapped(reader_id)
        self._append_consent(reader_id, Purpose(purpose), granted=False, at=self._clock())
        for kind in _DELETED_ON_WITHDRAWAL.get(Purpose(purpose), ()):
            items = self._store.items(reader_id, kind)
            for item in items:
                self._store.delete(reader_id, item.kind, item.item_id)
            if items:
                self._audit(reader_id, actor, kind, AuditAction.ERASE, Processing.RETENTION)
        if Purpose(purpose) is Purpose.PERSONALIZATION:
            self._forget_learned_interests(reader_id, wrapped, actor)

    def consents(self, reader_id: str) -> dict[Purpose, bool]:
        """Which purposes the reader grants now (every purpose of the policy, ungranted ones ``False``)."""
        self._wrapped(reader_id)
        current = self._consents.current(reader_id)
        return {purpose: current.get(purpose, False) for purpose in Purpose}

    def consent_history(self, reader_id: str) -> list[ConsentEvent]:
        """Every grant and withdrawal of the reader, oldest first."""
        self._wrapped(reader_id)
        return self._consents.history(reader_id)

    def item_counts(self, reader_id: str) -> dict[str, int]:
        """How many encrypted items the reader has, by kind (no data is opened)."""
        self._wrapped(reader_id)
        counts: dict[str, int] = {}
        for item in self._store.items(reader_id):
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return dict(sorted(counts.items()))

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

    def interests(
        self, reader_id: str, actor: Actor, n: int = 10, purpose: AuditPurpose = Processing.READER_REQUEST
    ) -> list[Interest]:
        """The reader's ``n`` strongest interests now, strongest first, each marked declared and/or learned.

        Declared interests are the reader's own data and show under any purpose; learned ones only while the
        reader grants personalization (they are deleted on withdrawal anyway)."""
        self._check(reader_id, purpose)
        profile = self._profile(reader_id, self._wrapped(reader_id))
        self._audit(reader_id, actor, INTERESTS, AuditAction.READ, purpose)
        return [
            Interest(key=key, score=round(score, 6), declared=declared, learned=key in profile.learned)
            for key, score, declared in top_interests(profile, self._clock(), n)
        ]

    def declare_interest(self, reader_id: str, key: str, actor: Actor, weight: float | None = None) -> None:
        """Add (or reweigh) an interest the reader declares (``class:clc:TP312``, ``subject:...``,
        ``author:...``); :class:`~consortium.profiles.interests.InvalidInterestKeyError` for a malformed key."""
        wrapped = self._wrapped(reader_id)
        profile = self._profile(reader_id, wrapped)
        profile = declare(profile, key) if weight is None else declare(profile, key, weight)
        self._save_profile(reader_id, wrapped, profile, actor, Processing.READER_REQUEST)

    def remove_interest(self, reader_id: str, key: str, actor: Actor) -> None:
        """Remove an interest, declared or learned (a class with its narrower classes)."""
        wrapped = self._wrapped(reader_id)
        profile = remove(self._profile(reader_id, wrapped), key)
        self._save_profile(reader_id, wrapped, profile, actor, Processing.READER_REQUEST)

    def interest_profile(self, reader_id: str, actor: Actor, purpose: AuditPurpose) -> InterestProfile:
        """The reader's whole interest profile (declared and learned), for a processing step such as push
        ranking; needs ``purpose``."""
        self._check(reader_id, purpose)
        profile = self._profile(reader_id, self._wrapped(reader_id))
        self._audit(reader_id, actor, INTERESTS, AuditAction.READ, purpose)
        return profile

    # -- items of other services (push)

    def read_items(self, reader_id: str, kind: str, actor: Actor, purpose: AuditPurpose) -> dict[str, Any]:
        """Every item of ``kind`` the reader has, decrypted: item id → payload; needs ``purpose``."""
        self._check(reader_id, purpose)
        wrapped = self._wrapped(reader_id)
        found = {item.item_id: self._open(wrapped, item) for item in self._store.items(reader_id, kind)}
        self._audit(reader_id, actor, kind, AuditAction.READ, purpose)
        return found

    def read_item(self, reader_id: str, kind: str, item_id: str, actor: Actor, purpose: AuditPurpose) -> Any:
        """One item, decrypted, or ``None``; needs ``purpose``."""
        self._check(reader_id, purpose)
        wrapped = self._wrapped(reader_id)
        item = self._store.get(reader_id, kind, item_id)
        self._audit(reader_id, actor, kind, AuditAction.READ, purpose)
        return None if item is None else self._open(wrapped, item)

    def write_items(
        self, reader_id: str, kind: str, payloads: Mapping[str, Any], actor: Actor, purpose: AuditPurpose
    ) -> None:
        """Encrypt and store (or replace) items of ``kind``: item id → JSON-able payload; needs ``purpose``."""
        self._check(reader_id, purpose)
        wrapped = self._wrapped(reader_id)
        for item_id, payload in payloads.items():
            old = self._store.get(reader_id, kind, item_id)
            self._seal(reader_id, wrapped, kind, item_id, payload, version=1 if old is None else old.version + 1)
        if payloads:
            self._audit(reader_id, actor, kind, AuditAction.WRITE, purpose)

    def delete_items(
        self, reader_id: str, kind: str, item_ids: Iterable[str], actor: Actor, purpose: AuditPurpose
    ) -> None:
        """Delete items of ``kind`` (absent ones are ignored). Deleting needs no consent: it is always allowed."""
        self._wrapped(reader_id)
        ids = list(item_ids)
        for item_id in ids:
            self._store.delete(reader_id, kind, item_id)
        if ids:
            self._audit(reader_id, actor, kind, AuditAction.ERASE, purpose)

    def member_of(self, reader_id: str) -> str:
        """The reader's home library (no personal payload is returned, but the reader item is opened)."""
        wrapped = self._wrapped(reader_id)
        item = self._store.get(reader_id, READER, _ONE)
        if item is None:
            raise NotFoundError("no such reader (never created, or erased)", reader_id=reader_id)
        return str(self._open(wrapped, item)["member"])

    def reader_ids(self) -> list[str]:
        """Every reader with a key, sorted (for jobs that go through all readers)."""
        return [reader_id for reader_id in self._store.readers() if self._store.get_key(reader_id) is not None]

    # -- drift prompts

    def prompts(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose = Processing.READER_REQUEST
    ) -> list[drift.DriftPrompt]:
        """The reader's open (unanswered) drift prompts, oldest first."""
        self._check(reader_id, purpose)
        wrapped = self._wrapped(reader_id)
        found = self._open_prompts(reader_id, wrapped)
        self._audit(reader_id, actor, PROMPT, AuditAction.READ, purpose)
        return found

    def answer_prompt(self, reader_id: str, prompt_id: str, accept: bool, actor: Actor) -> list[Interest]:
        """Accept (follow the rising keys, drop the fading ones) or dismiss a drift prompt; the prompt is closed
        and the reader's top interests afterwards are returned. :class:`NotFoundError` for an unknown prompt."""
        wrapped = self._wrapped(reader_id)
        item = self._store.get(reader_id, PROMPT, prompt_id)
        if item is None:
            raise NotFoundError("the reader has no such prompt", prompt_id=prompt_id)
        prompt = drift.DriftPrompt.model_validate(self._open(wrapped, item))
        profile = self._profile(reader_id, wrapped)
        profile = drift.accept(profile, prompt) if accept else drift.dismiss(profile, prompt)
        self._save_profile(reader_id, wrapped, profile, actor, Processing.READER_REQUEST)
        self._store.delete(reader_id, PROMPT, prompt_id)
        self._audit(reader_id, actor, PROMPT, AuditAction.ERASE, Processing.READER_REQUEST)
        return self.interests(reader_id, actor)

    # -- the reader's rights

    def export(self, reader_id: str, actor: Actor = SYSTEM) -> dict[str, Any]:
        """Everything the hub keeps about the reader, decrypted, in one JSON-serializable dict: the reader, every
        item by kind (the interests, declared and learned, included), the events, the open drift prompts, the
        consent history and the audit log (this export included)."""
        wrapped = self._wrapped(reader_id)
        self._audit(reader_id, actor, "*", AuditAction.EXPORT, Processing.READER_REQUEST)
        data: dict[str, Any] = {}
        events: list[dict[str, Any]] = []
        prompts: list[dict[str, Any]] = []
        for item in self._store.items(reader_id):
            payload = self._open(wrapped, item)
            if item.kind == EVENT:
                events.append(payload)
            elif item.kind == PROMPT:
                prompts.append(payload)
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
            "prompts": sorted(
                prompts, key=lambda prompt: (str(prompt.get("created_at")), str(prompt.get("prompt_id")))
            ),
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
        """Delete every item older than its retention allows; return how many were deleted.

        An event is kept for the longest ``retention_days`` among the purposes the reader grants now that use
        events; with none granted, every event goes. What push sent (the sent ledger, the inbox, the digest
        ledger) is kept for the ``push`` purpose's retention. Items of readers with no key (unreadable) are
        deleted too.
        """
        now = now if now is not None else self._clock()
        push_policy = self._policy.purposes.get(Purpose.PUSH)
        push_days = push_policy.retention_days if push_policy is not None else None
        deleted = 0
        for reader_id in self._store.readers():
            wrapped = self._store.get_key(reader_id)
            keep_days = self._event_retention_days(reader_id)
            for kind in (EVENT, *PUSH_HISTORY_KINDS):
                items = self._store.items(reader_id, kind)
                if not items:
                    continue
                days = keep_days if kind == EVENT else push_days
                expired: list[StoredItem] = []
                for item in items:
                    if wrapped is None or days is None:
                        expired.append(item)
                        continue
                    at = dt.datetime.fromisoformat(str(self._open(wrapped, item)["at"]))
                    if at < now - dt.timedelta(days=days):
                        expired.append(item)
                for item in expired:
                    self._store.delete(reader_id, item.kind, item.item_id)
                if expired:
                    self._audit(reader_id, SYSTEM, kind, AuditAction.ERASE, Processing.RETENTION)
                deleted += len(expired)
        logger.info("retention purge deleted %d items", deleted)
        return deleted

    # -- learning

    def _learn(self, reader_id: str, wrapped: bytes, event: ReaderEvent, actor: Actor) -> None:
        """Feed a stored event to the learned interests, then check for drift."""
        learned = self._event_keys(event)
        if learned is None:
            return
        kind, keys, stars = learned
        profile = self._profile(reader_id, wrapped)
        try:
            profile = apply_event(profile, kind, keys, event.at, stars=stars)
        except ConsortiumError as exc:  # a work with an odd class code teaches nothing
            logger.debug("an event of reader %s taught nothing: %s", _pseudonym(reader_id), exc)
            return
        self._save_profile(reader_id, wrapped, profile, actor, Purpose.PERSONALIZATION)
        if self._open_prompts(reader_id, wrapped):
            return
        prompt = drift.detect_drift(profile, max(event.at, self._clock()))
        if prompt is not None and self._store.get(reader_id, PROMPT, prompt.prompt_id) is None:
            self._seal(reader_id, wrapped, PROMPT, prompt.prompt_id, prompt.model_dump(mode="json"), version=1)
            self._audit(reader_id, actor, PROMPT, AuditAction.WRITE, Purpose.PERSONALIZATION)

    def _event_keys(self, event: ReaderEvent) -> tuple[EventKind, list[str], int | None] | None:
        """How an event counts: its kind, the interest keys it touches and a rating's stars; ``None`` when it
        names nothing to learn (an unknown work, a search naming no class, subject or author)."""
        if event.type is EventType.SEARCH:
            keys = keys_for_search(_search_query(event))
            return (EventKind.SEARCH, keys, None) if keys else None
        if event.cluster_id is None or self._cluster_lookup is None:
            return None
        if event.type is EventType.FEEDBACK:
            if (event.feedback or "").strip().casefold() != NOT_INTERESTED:
                return None
            kind = EventKind.NOT_INTERESTED
        else:
            kind = _CLUSTER_EVENTS[event.type]
        cluster = self._cluster_lookup(event.cluster_id)
        if cluster is None:
            return None
        keys = keys_for_cluster(cluster)
        return (kind, keys, event.rating) if keys else None

    def _profile(self, reader_id: str, wrapped: bytes) -> InterestProfile:
        item = self._store.get(reader_id, INTERESTS, _ONE)
        return InterestProfile() if item is None else from_dict(self._open(wrapped, item))

    def _save_profile(
        self, reader_id: str, wrapped: bytes, profile: InterestProfile, actor: Actor, purpose: AuditPurpose
    ) -> None:
        old = self._store.get(reader_id, INTERESTS, _ONE)
        self._seal(reader_id, wrapped, INTERESTS, _ONE, to_dict(profile), version=1 if old is None else old.version + 1)
        self._audit(reader_id, actor, INTERESTS, AuditAction.WRITE, purpose)

    def _forget_learned_interests(self, reader_id: str, wrapped: bytes, actor: Actor) -> None:
        """Keep only the declared part of the interests item; delete it when nothing was declared (or when it
        holds a payload that is no interest profile)."""
        old = self._store.get(reader_id, INTERESTS, _ONE)
        if old is None:
            return
        try:
            declared = from_dict(self._open(wrapped, old)).declared
        except pydantic.ValidationError:
            declared = {}
        if declared:
            kept = InterestProfile(declared=declared)
            self._seal(reader_id, wrapped, INTERESTS, _ONE, to_dict(kept), version=old.version + 1)
        else:
            self._store.delete(reader_id, INTERESTS, _ONE)
        self._audit(reader_id, actor, INTERESTS, AuditAction.ERASE, Processing.RETENTION)

    def _open_prompts(self, reader_id: str, wrapped: bytes) -> list[drift.DriftPrompt]:
        found = [drift.DriftPrompt.model_validate(self._open(wrapped, i)) for i in self._store.items(reader_id, PROMPT)]
        return sorted(found, key=lambda prompt: (prompt.created_at, prompt.prompt_id))

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


def _search_query(event: ReaderEvent) -> SearchQuery:
    """The search an event records: its query string parsed as the query box reads it, plus the filters that
    name interests (``class``, ``subject``, ``author``). Values that don't parse are left out."""
    try:
        query = parse_query_string(event.query or "")
    except ConsortiumError:
        query = SearchQuery()
    fields: dict[str, Any] = {}
    for name, value in event.filters.items():
        target = _SEARCH_FILTERS.get(name)
        if target is None:
            continue
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if target == "author":
            fields["author"] = values[0] if values else None
        else:
            fields[target] = [*fields.get(target, getattr(query, target)), *values]
    if not fields:
        return query
    try:
        return SearchQuery.model_validate({**query.model_dump(), **fields})
    except ValueError:
        return query
