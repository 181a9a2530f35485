"""Models of readers' personal data and of its storage: readers, their events, stored ciphertexts, the audit log.

A :class:`ReaderEvent` is validated per type: each type names the fields it needs (a search needs its ``query``,
a rating its ``cluster_id`` and ``rating``...), and a missing one is refused with a message naming the field.
:class:`StoredItem` is what a :class:`~consortium.profiles.ports.ProfileStore` holds: opaque ids and ciphertext,
never plaintext. :class:`AuditEntry` records who touched whose data, what kind, how and why, never the data.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from consortium.profiles.consent import Purpose

__all__ = [
    "MAX_CLOCK_SKEW",
    "Actor",
    "ActorRole",
    "AuditAction",
    "AuditEntry",
    "AuditPurpose",
    "EventType",
    "Processing",
    "Reader",
    "ReaderEvent",
    "StoredItem",
]

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of the hub's clock an event's time may be (a device or library system whose clock runs a little
fast); an event dated later is refused, since a future time would outweigh every real event until it passed."""

_Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class EventType(StrEnum):
    """What a reader did."""

    SEARCH = "search"
    VIEW = "view"
    BORROW = "borrow"
    RETURN = "return"
    HOLD = "hold"
    RATING = "rating"
    FEEDBACK = "feedback"


_REQUIRED: dict[EventType, tuple[str, ...]] = {
    EventType.SEARCH: ("query",),
    EventType.VIEW: ("cluster_id",),
    EventType.BORROW: ("cluster_id",),
    EventType.RETURN: ("cluster_id",),
    EventType.HOLD: ("cluster_id",),
    EventType.RATING: ("cluster_id", "rating"),
    EventType.FEEDBACK: ("feedback",),
}
"""The fields each event type must carry."""


class ActorRole(StrEnum):
    """Who is touching a reader's data."""

    READER = "reader"
    """The reader themself."""
    MEMBER_STAFF = "member_staff"
    """A member library's staff."""
    JOB = "job"
    """A scheduled or queued job of the hub (push planner, retention purge...)."""


class AuditAction(StrEnum):
    READ = "read"
    WRITE = "write"
    EXPORT = "export"
    ERASE = "erase"


class Processing(StrEnum):
    """Why personal data was touched when the reason is not one of the consent purposes."""

    READER_REQUEST = "reader_request"
    """The reader's own access, correction, export or erasure (their rights, not a consent purpose)."""
    ACCOUNT = "account"
    """Creating the reader's account and recording their consent decisions."""
    RETENTION = "retention"
    """Deleting data whose retention period has ended, or whose consent was withdrawn."""


AuditPurpose = Purpose | Processing
"""The purpose an access is recorded under: a consent purpose, or one of :class:`Processing`."""


class Actor(BaseModel):
    """Who acts: an id (a reader id, a staff account, a job name) and a role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actor_id: _Id
    role: ActorRole


class Reader(BaseModel):
    """A reader of the consortium: an opaque id and their home member library."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reader_id: _Id
    member: _Id
    created_at: AwareDatetime


class ReaderEvent(BaseModel):
    """One thing a reader did in the portal or at a library.

    Example
    -------
    >>> ReaderEvent(event_id="e1", type="search", at=now, query="红楼梦")
    >>> ReaderEvent(event_id="e2", type="rating", at=now, cluster_id="c1")
    Traceback (most recent call last):
    pydantic_core._pydantic_core.ValidationError: ... a rating event needs the field 'rating'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: _Id
    """Unique per reader; an event recorded twice is kept once."""
    type: EventType
    at: AwareDatetime
    query: str | None = None
    """The search terms (``search``)."""
    filters: dict[str, Any] = Field(default_factory=dict)
    """The search filters (``search``), e.g. ``{"language": "chi"}``."""
    cluster_id: str | None = None
    """The work the event is about (``view``, ``borrow``, ``return``, ``hold``, ``rating``)."""
    rating: int | None = Field(default=None, ge=1, le=5)
    """1 to 5 (``rating``)."""
    feedback: str | None = None
    """Free text (``feedback``)."""

    @model_validator(mode="after")
    def _required_fields(self) -> ReaderEvent:
        for name in _REQUIRED[self.type]:
            value = getattr(self, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ValueError(f"a {self.type.value} event needs the field {name!r}")
        return self


class StoredItem(BaseModel):
    """One encrypted item of a reader, as a profile store holds it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reader_id: _Id
    kind: _Kind
    """What the item is (``profile``, ``event``, ``interests``...); bound into the ciphertext's associated data."""
    item_id: _Id
    ciphertext: bytes
    version: int = Field(ge=1)
    """Bound into the associated data: the ciphertext opens only with this version."""


class AuditEntry(BaseModel):
    """Who touched whose data, which kind, how, when and for which purpose. Never the data itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reader_id: _Id
    actor_id: _Id
    actor_role: ActorRole
    kind: Annotated[str, StringConstraints(pattern=r"^(\*|[a-z][a-z0-9_]{0,39})$")]
    """The kind of data touched (``profile``, ``event``...), or ``*`` for all of it (export, erase)."""
    action: AuditAction
    purpose: AuditPurpose
    at: AwareDatetime

    def detached(self, pseudonym: str) -> AuditEntry:
        """This entry under ``pseudonym``: the reader id replaced, and the actor id too where the reader acted
        (what :meth:`~consortium.profiles.ports.ProfileStore.detach_audit` keeps of an erased reader's trail)."""
        actor_id = pseudonym if self.actor_id == self.reader_id else self.actor_id
        return self.model_copy(update={"reader_id": pseudonym, "actor_id": actor_id})

    @classmethod
    def of(
        cls,
        reader_id: str,
        actor: Actor,
        *,
        kind: str,
        action: AuditAction | Literal["read", "write", "export", "erase"],
        purpose: AuditPurpose,
        at: Any,
    ) -> AuditEntry:
        """Build an entry for ``actor``."""
        return cls(
            reader_id=reader_id,
            actor_id=actor.actor_id,
            actor_role=actor.role,
            kind=kind,
            action=AuditAction(action),
            purpose=purpose,
            at=at,
        )
