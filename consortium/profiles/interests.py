"""A reader's interests: what they told us (declared) and what their activity shows (learned).

The paper this hub answers (seed paper, 2.1-2.4) finds that library personalization keeps only the one top
class a reader ticked at registration, never notices when their interests change, and never lets them edit
what is pushed to them. So a profile here keeps two things strictly apart:

* **declared** interests, given and edited by the reader (:func:`declare`, :func:`remove`); they never decay;
* **learned** interests, built from borrows, holds, ratings, views, searches and "not interested" feedback
  (:func:`apply_event`). Each key has two exponentially decaying accumulators: a *fast* one (half-life
  :data:`FAST_HALF_LIFE`, 30 days: "what they are reading now") and a *slow* one (:data:`SLOW_HALF_LIFE`,
  365 days: "what they read"). :mod:`consortium.profiles.drift` compares the two to notice a change of interest.

Interests are keyed by :mod:`consortium.profiles.interest_keys` (``class:clc:TP312``, ``subject:...``,
``author:...``); a class also counts for its broader classes.

Everything here is pure: functions return new profiles and never touch storage. Decay is lazy: each
accumulator stores its value as of its own ``updated_at`` and is decayed only when read or updated, so
:func:`apply_event` costs one dict update per key.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consortium.errors import ValidationError
from consortium.profiles.interest_keys import KeyKind, expand, key_kind

if TYPE_CHECKING:
    from collections.abc import Iterable


__all__ = [
    "DECLARED_WEIGHT",
    "EVENT_WEIGHTS",
    "FAST_HALF_LIFE",
    "RECENT_BORROWS_KEPT",
    "RECENT_EVENTS_KEPT",
    "SLOW_HALF_LIFE",
    "Borrow",
    "DriftQuiet",
    "EventKind",
    "InterestProfile",
    "LearnedInterest",
    "apply_event",
    "check_declarable",
    "decayed",
    "declare",
    "from_dict",
    "keep_declared",
    "note_borrow",
    "rating_weight",
    "remove",
    "to_dict",
    "top_interests",
]

FAST_HALF_LIFE = timedelta(days=30)
"""Half-life of the fast accumulator: a month of reading dominates it."""
SLOW_HALF_LIFE = timedelta(days=365)
"""Half-life of the slow accumulator (the learned score): a borrow two years old counts a quarter."""
DECLARED_WEIGHT = 5.0
"""Default weight of a declared interest: about two fresh borrows, so it shows but learned activity can pass it."""
RECENT_EVENTS_KEPT = 32
"""How many of the latest event times a profile keeps (drift detection counts recent evidence from them)."""
RECENT_BORROWS_KEPT = 20
"""How many of the latest borrowed works a profile keeps (push compares new works with them)."""
MAX_DECLARED_WEIGHT = 100.0
_NEGLIGIBLE = 1e-9


class EventKind(StrEnum):
    """What a reader did that tells us about their interests."""

    BORROW = "borrow"
    HOLD = "hold"
    RATING = "rating"
    VIEW = "view"
    SEARCH = "search"
    NOT_INTERESTED = "not_interested"


EVENT_WEIGHTS: dict[EventKind, float] = {
    EventKind.BORROW: 3.0,
    EventKind.HOLD: 2.0,
    EventKind.VIEW: 1.0,
    EventKind.SEARCH: 0.5,
    EventKind.NOT_INTERESTED: -4.0,
}
"""Default weights; a rating's weight comes from its stars (:func:`rating_weight`). "Not interested" outweighs a
borrow, so one click undoes one borrow."""


def rating_weight(stars: int) -> float:
    """A rating's weight: 5 stars counts like a borrow (3.0), 3 stars a little, 1-2 stars negative."""
    if not 1 <= stars <= 5:
        raise ValidationError("a rating has 1 to 5 stars", stars=stars)
    return (stars - 2.5) * 1.2


# --- the profile --------------------------------------------------------------------------------------------


def decayed(value: float, since: datetime, at: datetime, half_life: timedelta) -> float:
    """``value`` as it was at ``since``, decayed to ``at``; a time before ``since`` reads the value at ``since``
    (never grown back, which could overflow)."""
    return value * math.exp2(-max(0.0, (at - since) / half_life))


class LearnedInterest(BaseModel):
    """One learned key: both accumulators as of ``updated_at``, and how many events fed it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fast: float = 0.0
    slow: float = 0.0
    updated_at: AwareDatetime
    events: int = 0

    def fast_at(self, at: datetime) -> float:
        return decayed(self.fast, self.updated_at, at, FAST_HALF_LIFE)

    def slow_at(self, at: datetime) -> float:
        return decayed(self.slow, self.updated_at, at, SLOW_HALF_LIFE)


class DriftQuiet(BaseModel):
    """A drift prompt the reader answered: no prompt sharing its keys is raised again before ``until``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_id: str
    outcome: Literal["accepted", "dismissed"]
    rising: list[str]
    fading: list[str]
    until: AwareDatetime


class Borrow(BaseModel):
    """A work the reader borrowed, and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster_id: str
    at: AwareDatetime


class InterestProfile(BaseModel):
    """A reader's interests. Treat as immutable: every function here returns a new profile."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    declared: dict[str, float] = Field(default_factory=dict)
    """Key → weight, as the reader gave them; never decayed."""
    learned: dict[str, LearnedInterest] = Field(default_factory=dict)
    recent_events: list[AwareDatetime] = Field(default_factory=list)
    """The times of the latest :data:`RECENT_EVENTS_KEPT` events, oldest first."""
    event_count: int = 0
    drift_quiet: list[DriftQuiet] = Field(default_factory=list)
    borrowed: list[Borrow] = Field(default_factory=list)
    """The latest :data:`RECENT_BORROWS_KEPT` works borrowed, oldest first, each once (its latest borrow): push's
    "because you borrowed ..." reads them without opening the reader's events."""


def note_borrow(profile: InterestProfile, cluster_id: str, at: datetime) -> InterestProfile:
    """The profile with ``cluster_id`` among its recent borrowings (at its latest borrow time); events may
    arrive out of order."""
    at = _aware(at)
    latest = max([at, *(b.at for b in profile.borrowed if b.cluster_id == cluster_id)])
    kept = [b for b in profile.borrowed if b.cluster_id != cluster_id] + [Borrow(cluster_id=cluster_id, at=latest)]
    kept.sort(key=lambda borrow: (borrow.at, borrow.cluster_id))
    return profile.model_copy(update={"borrowed": kept[-RECENT_BORROWS_KEPT:]})


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError("interest times must carry a time zone", at=at.isoformat())
    return at


def apply_event(
    profile: InterestProfile,
    event_kind: EventKind | str,
    keys: Iterable[str],
    at: datetime,
    weight: float | None = None,
    *,
    stars: int | None = None,
) -> InterestProfile:
    """The profile after one reader event touching ``keys`` (a work's keys, or a search's filter keys).

    ``weight`` overrides the kind's default (:data:`EVENT_WEIGHTS`); a rating without ``weight`` takes it from
    ``stars``. Each class key also counts for its broader classes (:data:`ANCESTOR_FACTOR` per level); a key
    reached twice counts once, at its larger factor. Events may arrive out of order.

    Example
    -------
    >>> profile = apply_event(InterestProfile(), "borrow", ["class:clc:TP312"], at)
    """
    at = _aware(at)
    kind = EventKind(event_kind)
    if weight is None:
        if kind is EventKind.RATING:
            if stars is None:
                raise ValidationError("a rating event needs its stars or a weight")
            weight = rating_weight(stars)
        else:
            weight = EVENT_WEIGHTS[kind]
    if not math.isfinite(weight):
        raise ValidationError("an event weight must be finite", weight=weight)
    factors: dict[str, float] = {}
    for key in keys:
        for expanded, factor in expand(key):
            factors[expanded] = max(factor, factors.get(expanded, 0.0))
    learned = dict(profile.learned)
    for key, factor in factors.items():
        amount = weight * factor
        old = learned.get(key)
        if old is None:
            learned[key] = LearnedInterest(fast=amount, slow=amount, updated_at=at, events=1)
        elif at >= old.updated_at:
            learned[key] = LearnedInterest(
                fast=old.fast_at(at) + amount, slow=old.slow_at(at) + amount, updated_at=at, events=old.events + 1
            )
        else:  # a late event: add it decayed to the stored time
            learned[key] = old.model_copy(
                update={
                    "fast": old.fast + decayed(amount, at, old.updated_at, FAST_HALF_LIFE),
                    "slow": old.slow + decayed(amount, at, old.updated_at, SLOW_HALF_LIFE),
                    "events": old.events + 1,
                }
            )
    recent = sorted([*profile.recent_events, at])[-RECENT_EVENTS_KEPT:]
    return profile.model_copy(
        update={"learned": learned, "recent_events": recent, "event_count": profile.event_count + 1}
    )


def check_declarable(key: str) -> None:
    """:class:`InvalidInterestKeyError` unless ``key`` is an interest key a reader may declare: a class key must
    name a class of its scheme (``class:clc:ZZZ999`` is refused, as no work could ever match it)."""
    if key_kind(key) == "class":
        expand(key)  # parses the code in its scheme


def declare(profile: InterestProfile, key: str, weight: float = DECLARED_WEIGHT) -> InterestProfile:
    """The profile with ``key`` declared by the reader at ``weight`` (replacing any earlier weight); the key is
    checked by :func:`check_declarable`."""
    check_declarable(key)
    if not (math.isfinite(weight) and 0 < weight <= MAX_DECLARED_WEIGHT):
        raise ValidationError(f"a declared weight is above 0 and at most {MAX_DECLARED_WEIGHT:g}", weight=weight)
    return profile.model_copy(update={"declared": {**profile.declared, key: weight}})


def _narrower_or_same(key: str, root: str) -> bool:
    """Whether ``key`` is ``root`` or, for class keys, one of its narrower classes."""
    if key == root:
        return True
    if not (key.startswith("class:") and root.startswith("class:")):
        return False
    return root in {expanded for expanded, _ in expand(key)}


def remove(profile: InterestProfile, key: str) -> InterestProfile:
    """The profile without ``key``, declared or learned (what the reader deletes from their interests).

    For a class this drops the whole branch: the class, its narrower classes, and what the class passed up to
    its broader classes (they keep only what other classes gave them; one left at nothing is dropped).
    """
    key_kind(key)
    declared = {k: w for k, w in profile.declared.items() if not _narrower_or_same(k, key)}
    learned = {k: v for k, v in profile.learned.items() if not _narrower_or_same(k, key)}
    gone = profile.learned.get(key)
    if gone is not None:
        for broader, factor in expand(key)[1:]:
            old = learned.get(broader)
            if old is None:
                continue
            fast = old.fast - factor * decayed(gone.fast, gone.updated_at, old.updated_at, FAST_HALF_LIFE)
            slow = old.slow - factor * decayed(gone.slow, gone.updated_at, old.updated_at, SLOW_HALF_LIFE)
            if old.slow > 0 and slow <= _NEGLIGIBLE:
                del learned[broader]
            else:
                learned[broader] = old.model_copy(update={"fast": fast, "slow": slow})
    return profile.model_copy(update={"declared": declared, "learned": learned})


def top_interests(
    profile: InterestProfile, at: datetime, n: int = 10, kind: KeyKind | None = None
) -> list[tuple[str, float, bool]]:
    """The reader's ``n`` strongest interests at ``at``: ``(key, score, declared)``, highest score first.

    The score is the learned slow accumulator decayed to ``at`` plus any declared weight. Keys scoring zero or
    less (only ever disliked) are left out.
    """
    at = _aware(at)
    scores = {k: v.slow_at(at) for k, v in profile.learned.items()}
    for key, weight in profile.declared.items():
        scores[key] = scores.get(key, 0.0) + weight
    ranked = [
        (key, score, key in profile.declared)
        for key, score in scores.items()
        if score > 0 and (kind is None or key_kind(key) == kind)
    ]
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked[:n]


def to_dict(profile: InterestProfile) -> dict[str, Any]:
    """A JSON-able dict of the profile (what gets encrypted and stored)."""
    return profile.model_dump(mode="json")


def from_dict(data: dict[str, Any]) -> InterestProfile:
    """The profile :func:`to_dict` gave."""
    return InterestProfile.model_validate(data)


def keep_declared(payload: dict[str, Any]) -> dict[str, Any] | None:
    """What of a stored profile survives the withdrawal of personalization: the declared part only (``None``
    when nothing was declared, or the payload is no interest profile)."""
    try:
        declared = from_dict(payload).declared
    except pydantic.ValidationError:
        return None
    return to_dict(InterestProfile(declared=declared)) if declared else None
