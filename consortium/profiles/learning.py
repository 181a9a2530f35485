"""Learning from readers: events → interests → drift prompts, and the reader's view and edits of their interests.

A stored event (under the ``personalization`` consent) feeds the learned interests
(:func:`~consortium.profiles.interests.apply_event`), and a borrowing joins the profile's recent borrowings (push
reads them without opening every event); then drift is checked and a
:class:`~consortium.profiles.drift.DriftPrompt` stored unless one is still open. Several events of one reader
recorded together (:meth:`Learning.record_events`, a member's upload) are learned in one go: the profile read and
written once, drift checked once, after the last.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from consortium.errors import ConsortiumError, NotFoundError, ValidationError
from consortium.profiles import drift
from consortium.profiles.consent import Purpose
from consortium.profiles.interest_keys import normalized_key
from consortium.profiles.interests import (
    InterestProfile,
    apply_event,
    declare,
    from_dict,
    note_borrow,
    remove,
    to_dict,
    top_interests,
)
from consortium.profiles.kinds import EVENT, INTERESTS, PROMPT
from consortium.profiles.lessons import NOT_INTERESTED, Because, check_time, event_keys, taught_by
from consortium.profiles.models import AuditAction, EventType, Processing, ReaderEvent
from consortium.profiles.vault import ONE, pseudonym

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Sequence

    from consortium.models import Cluster
    from consortium.profiles.models import Actor, AuditPurpose
    from consortium.profiles.vault import ReaderItems, Vault

__all__ = ["NOT_INTERESTED", "EventOutcome", "Interest", "Learning", "UnknownWorkError"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Lesson:
    """What a reader's new events teach, worked out before it is written (:meth:`Learning._lesson`)."""

    base: int | None
    """The version of the interests it started from (``None``: the reader had none)."""
    sealed: bytes | None = None
    """The interests after the events, sealed as version ``base + 1``; ``None``: they taught nothing."""
    prompt: drift.DriftPrompt | None = None
    """A drift prompt to store."""


class UnknownWorkError(ValidationError):
    """An event names a work (``cluster_id``) that is not in the catalogue."""

    error_code = "unknown_work"


class Interest(BaseModel):
    """One of the reader's interests: its key, its score now, and whether the reader declared it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    score: float
    """The declared weight plus the learned score."""
    declared: bool
    learned: bool
    """Whether activity fed it (a key may be both declared and learned)."""
    weight: float | None = None
    """The weight the reader declared (``None`` when not declared): what the reader edits."""
    learned_score: float = 0.0
    """What activity gave it, decayed to now (0 when not learned)."""
    because: list[Because] = []
    """The reader's stored events that taught it, by type (empty when not learned, or when its events are gone)."""


class EventOutcome(StrEnum):
    """What :meth:`Learning.record_event` did with an event."""

    STORED = "stored"
    DROPPED_NO_CONSENT = "dropped_no_consent"
    """The reader has not granted personalization: the event was not stored."""
    DUPLICATE = "duplicate"
    """An event with this id was already stored: it was kept as it was."""


class Learning:
    """Events, interests and drift prompts of readers, in the vault.

    ``cluster_lookup`` finds a work by cluster id (``ClusterStore.get``): with it, events about a work teach the
    reader's learned interests (its classes, subjects and authors); without it only searches do.
    """

    _vault: Vault
    _cluster_lookup: Callable[[str], Cluster | None] | None

    # -- events

    def record_event(self, reader_id: str, event: ReaderEvent, actor: Actor) -> EventOutcome:
        """Store the event, encrypted, if the reader has granted personalization; otherwise drop it. A stored
        event updates the learned interests, then drift is checked. An event id already stored is ignored
        (:attr:`EventOutcome.DUPLICATE`). :class:`~consortium.errors.ValidationError` for an event dated more than
        :data:`~consortium.profiles.models.MAX_CLOCK_SKEW` ahead of the hub's clock, and :class:`UnknownWorkError`
        for an event about a work the catalogue does not have (when the service can look works up)."""
        outcome = self.record_events(reader_id, [event], actor)[0]
        if isinstance(outcome, ValidationError):
            raise outcome
        return outcome

    def record_events(
        self, reader_id: str, events: Sequence[ReaderEvent], actor: Actor
    ) -> list[EventOutcome | ValidationError]:
        """Record several events of one reader, in order: each gets the outcome :meth:`record_event` would give
        it, one after the other (an event it would refuse gets the :class:`~consortium.errors.ValidationError`,
        in its place), but the learned interests are read, decrypted, changed by every stored event, encrypted
        and written once, drift is checked once, after the last, and the writes are one transaction of the
        profile store. :class:`~consortium.errors.NotFoundError` for an unknown reader.

        What can be is done before the transaction (the checks, the encryption, what the events teach), so the
        transaction, which has the store's writers wait, only writes; if another call changed the reader's
        interests or stored one of the events meanwhile, the lesson is worked out again inside it.

        Example
        -------
        >>> service.record_events("r1", [loan, same_loan_again, future_hold], staff)
        [<EventOutcome.STORED: 'stored'>, <EventOutcome.DUPLICATE: 'duplicate'>, ValidationError("field 'at': ...")]
        """
        vault = self._vault
        items = vault.items_of(reader_id)
        now = vault.clock()
        outcomes: dict[int, EventOutcome | ValidationError] = {}
        works: dict[str, Cluster | None] = {}
        valid: list[tuple[int, ReaderEvent, Cluster | None]] = []
        for number, event in enumerate(events):
            try:
                check_time(event, now)
                valid.append((number, event, self._work(event, works)))
            except ValidationError as exc:
                outcomes[number] = exc
        if valid and not vault.granted(reader_id)[Purpose.PERSONALIZATION]:
            logger.debug("dropped events of reader %s: no personalization consent", pseudonym(reader_id))
            outcomes.update((number, EventOutcome.DROPPED_NO_CONSENT) for number, _, _ in valid)
            valid = []
        fresh: dict[str, tuple[int, ReaderEvent, Cluster | None]] = {}
        for number, event, work in valid:
            if event.event_id in fresh or vault.store.get(reader_id, EVENT, event.event_id) is not None:
                outcomes[number] = EventOutcome.DUPLICATE
            else:
                fresh[event.event_id] = (number, event, work)
        if fresh:
            sealed = {
                key: items.seal(EVENT, key, event.model_dump(mode="json"), 1) for key, (_, event, _) in fresh.items()
            }
            lesson = self._lesson(items, [(event, work) for _, event, work in fresh.values()], now)
            with vault.store.transaction():
                vault.wrapped(reader_id)  # erased meanwhile: NotFoundError, nothing written
                stored: list[tuple[ReaderEvent, Cluster | None]] = []
                for key, (number, event, work) in fresh.items():
                    if vault.store.get(reader_id, EVENT, key) is not None:  # stored meanwhile, by another call
                        outcomes[number] = EventOutcome.DUPLICATE
                        continue
                    items.put_sealed(EVENT, key, sealed[key], 1)
                    vault.audit(reader_id, actor, EVENT, AuditAction.WRITE, Purpose.PERSONALIZATION)
                    stored.append((event, work))
                    outcomes[number] = EventOutcome.STORED
                if len(stored) < len(fresh) or not self._still_current(items, lesson):
                    lesson = self._lesson(items, stored, now)
                self._teach(items, lesson, actor)
        return [outcomes[number] for number in range(len(events))]

    def events(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose = Purpose.PERSONALIZATION
    ) -> list[ReaderEvent]:
        """The reader's stored events, oldest first."""
        found = [ReaderEvent.model_validate(p) for p in self._vault.read(reader_id, EVENT, actor, purpose).values()]
        return sorted(found, key=lambda event: (event.at, event.event_id))

    # -- interests

    def get_interests(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose = Purpose.PERSONALIZATION
    ) -> dict[str, Any] | None:
        """The learned interests payload, or ``None`` when nothing was learned (yet, or since a withdrawal)."""
        found = self._vault.read_one(reader_id, INTERESTS, ONE, actor, purpose)
        return None if found is None else dict(found)

    def put_interests(self, reader_id: str, payload: dict[str, Any], actor: Actor) -> None:
        """Replace the learned interests payload; needs personalization consent."""
        self._vault.write(reader_id, INTERESTS, {ONE: payload}, actor, Purpose.PERSONALIZATION)

    def interests(
        self, reader_id: str, actor: Actor, n: int = 10, purpose: AuditPurpose = Processing.READER_REQUEST
    ) -> list[Interest]:
        """The reader's ``n`` strongest interests now, strongest first, each marked declared and/or learned, then
        every other interest the reader declared (the reader sees and edits all of theirs).

        Declared interests are the reader's own data and show under any purpose; learned ones only while the
        reader grants personalization (they are deleted on withdrawal anyway)."""
        profile = self.interest_profile(reader_id, actor, purpose)
        at = self._vault.clock()
        ranked = top_interests(profile, at, n)
        shown = {key for key, _, _ in ranked}
        rest = [
            (key, weight + (profile.learned[key].slow_at(at) if key in profile.learned else 0.0), True)
            for key, weight in profile.declared.items()
            if key not in shown
        ]
        ranked += sorted(rest, key=lambda item: (-item[1], item[0]))

        learned_keys = {key for key, _, _ in ranked if key in profile.learned}
        because = taught_by(self._events_with_works(reader_id, actor, purpose), learned_keys) if learned_keys else {}

        def interest(key: str, score: float, declared: bool) -> Interest:
            learned = profile.learned.get(key)
            return Interest(
                key=key,
                score=round(score, 6),
                declared=declared,
                learned=learned is not None,
                weight=profile.declared.get(key),
                learned_score=round(learned.slow_at(at), 6) if learned is not None else 0.0,
                because=because.get(key, []) if learned is not None else [],
            )

        return [interest(*item) for item in ranked]

    def declare_interest(self, reader_id: str, key: str, actor: Actor, weight: float | None = None) -> None:
        """Add (or reweigh) an interest the reader declares (``class:clc:TP312``, ``subject:...``,
        ``author:...``), normalized as works' keys are (``author:Liu, Cixin`` is kept as ``author:cixin liu``);
        :class:`~consortium.profiles.interests.InvalidInterestKeyError` for a malformed key."""
        items = self._vault.items_of(reader_id)
        profile = self._profile(items)
        key = normalized_key(key)
        profile = declare(profile, key) if weight is None else declare(profile, key, weight)
        self._save_profile(items, profile, actor, Processing.READER_REQUEST)

    def remove_interest(self, reader_id: str, key: str, actor: Actor) -> None:
        """Remove an interest, declared or learned (a class with its narrower classes): ``key`` as stored, and as
        normalized (:func:`~consortium.profiles.interest_keys.normalized_key`)."""
        items = self._vault.items_of(reader_id)
        profile = remove(remove(self._profile(items), key), normalized_key(key))
        self._save_profile(items, profile, actor, Processing.READER_REQUEST)

    def interest_profile(self, reader_id: str, actor: Actor, purpose: AuditPurpose) -> InterestProfile:
        """The reader's whole interest profile (declared, learned, recent borrowings), for a processing step such
        as push ranking; needs ``purpose``."""
        self._vault.check(reader_id, purpose)
        profile = self._profile(self._vault.items_of(reader_id))
        self._vault.audit(reader_id, actor, INTERESTS, AuditAction.READ, purpose)
        return profile

    # -- drift prompts

    def prompts(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose = Processing.READER_REQUEST
    ) -> list[drift.DriftPrompt]:
        """The reader's open (unanswered) drift prompts, oldest first."""
        self._vault.check(reader_id, purpose)
        found = self._open_prompts(self._vault.items_of(reader_id))
        self._vault.audit(reader_id, actor, PROMPT, AuditAction.READ, purpose)
        return found

    def answer_prompt(self, reader_id: str, prompt_id: str, accept: bool, actor: Actor) -> list[Interest]:
        """Accept (follow the rising keys, drop the fading ones) or dismiss a drift prompt; the prompt is closed
        and the reader's top interests afterwards are returned. :class:`NotFoundError` for an unknown prompt."""
        items = self._vault.items_of(reader_id)
        payload = items.load(PROMPT, prompt_id)
        if payload is None:
            raise NotFoundError("the reader has no such prompt", prompt_id=prompt_id)
        prompt = drift.DriftPrompt.model_validate(payload)
        profile = self._profile(items)
        profile = drift.accept(profile, prompt) if accept else drift.dismiss(profile, prompt)
        self._save_profile(items, profile, actor, Processing.READER_REQUEST)
        self._vault.delete(reader_id, PROMPT, [prompt_id], actor, Processing.READER_REQUEST)
        return self.interests(reader_id, actor)

    # -- inside

    def _lesson(
        self, items: ReaderItems, stored: list[tuple[ReaderEvent, Cluster | None]], now: dt.datetime
    ) -> _Lesson:
        """What stored events (each with the work it names, if any) teach, in order: the learned interests and
        recent borrowings after them, sealed as the next version of the profile, and a drift prompt, checked
        once at the latest event (or now), unless one is still open. Nothing is written."""
        found = items.load_versioned(INTERESTS, ONE)
        base = None if found is None else found[1]
        profile: InterestProfile | None = None
        latest: dt.datetime | None = None
        for event, work in stored:
            learned = event_keys(event, work)
            if learned is None:
                continue
            kind, keys, stars = learned
            before = profile if profile is not None else InterestProfile() if found is None else from_dict(found[0])
            try:
                after = apply_event(before, kind, keys, event.at, stars=stars)
            except ConsortiumError as exc:  # a work with an odd class code teaches nothing
                logger.debug("an event of reader %s taught nothing: %s", pseudonym(items.reader_id), exc)
                continue
            if event.type is EventType.BORROW and event.cluster_id is not None:
                after = note_borrow(after, event.cluster_id, event.at)
            profile, latest = after, max(event.at, latest or event.at)
        if profile is None or latest is None:
            return _Lesson(base)
        sealed = items.seal(INTERESTS, ONE, to_dict(profile), (base or 0) + 1)
        if self._open_prompts(items):
            return _Lesson(base, sealed)
        prompt = drift.detect_drift(profile, max(latest, now))
        if prompt is not None and items.load(PROMPT, prompt.prompt_id) is not None:
            prompt = None
        return _Lesson(base, sealed, prompt)

    def _still_current(self, items: ReaderItems, lesson: _Lesson) -> bool:
        """Whether the reader's interests are still at the version the lesson read, and no prompt opened since
        it found none."""
        item = self._vault.store.get(items.reader_id, INTERESTS, ONE)
        if (None if item is None else item.version) != lesson.base:
            return False
        return lesson.prompt is None or not self._vault.store.items(items.reader_id, PROMPT)

    def _teach(self, items: ReaderItems, lesson: _Lesson, actor: Actor) -> None:
        """Write what the lesson learned: the profile, and the prompt if it has one (each audited)."""
        if lesson.sealed is None:
            return
        items.put_sealed(INTERESTS, ONE, lesson.sealed, (lesson.base or 0) + 1)
        self._vault.audit(items.reader_id, actor, INTERESTS, AuditAction.WRITE, Purpose.PERSONALIZATION)
        if lesson.prompt is not None:
            items.save(PROMPT, lesson.prompt.prompt_id, lesson.prompt.model_dump(mode="json"))
            self._vault.audit(items.reader_id, actor, PROMPT, AuditAction.WRITE, Purpose.PERSONALIZATION)

    def _work(self, event: ReaderEvent, works: dict[str, Cluster | None]) -> Cluster | None:
        """The work the event is about (``None`` for an event naming none, or when the service cannot look works
        up), looked up once per ``works`` (the works of one call); :class:`UnknownWorkError` when the catalogue
        does not have it."""
        if event.cluster_id is None or self._cluster_lookup is None:
            return None
        if event.cluster_id not in works:
            works[event.cluster_id] = self._cluster_lookup(event.cluster_id)
        work = works[event.cluster_id]
        if work is None:
            raise UnknownWorkError(
                f"field 'cluster_id': no work {event.cluster_id!r} in the catalogue", field="cluster_id"
            )
        return work

    def _events_with_works(
        self, reader_id: str, actor: Actor, purpose: AuditPurpose
    ) -> list[tuple[ReaderEvent, Cluster | None]]:
        """The reader's stored events, each with the work it names (``None``: none, or no longer in the catalogue)."""
        lookup, works = self._cluster_lookup, {}
        found = []
        for event in self.events(reader_id, actor, purpose):
            if event.cluster_id is not None and lookup is not None and event.cluster_id not in works:
                works[event.cluster_id] = lookup(event.cluster_id)
            found.append((event, works.get(event.cluster_id) if event.cluster_id is not None else None))
        return found

    @staticmethod
    def _profile(items: ReaderItems) -> InterestProfile:
        payload = items.load(INTERESTS, ONE)
        return InterestProfile() if payload is None else from_dict(payload)

    def _save_profile(self, items: ReaderItems, profile: InterestProfile, actor: Actor, purpose: AuditPurpose) -> None:
        items.save(INTERESTS, ONE, to_dict(profile))
        self._vault.audit(items.reader_id, actor, INTERESTS, AuditAction.WRITE, purpose)

    @staticmethod
    def _open_prompts(items: ReaderItems) -> list[drift.DriftPrompt]:
        found = [drift.DriftPrompt.model_validate(p) for _, p in items.load_all(PROMPT)]
        return sorted(found, key=lambda prompt: (prompt.created_at, prompt.prompt_id))
