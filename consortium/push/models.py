"""What the push job works with: the services a reader can subscribe to, subscriptions, digests and their items,
the sent ledger and the reader's mutes.

Everything here about a reader (subscriptions, what was sent, mutes, the inbox) is personal data: it is stored only
as ciphertext under the reader's key (:mod:`consortium.push.store`) and used only under the ``push`` consent.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from consortium.push.addresses import mailbox

__all__ = [
    "Channel",
    "Digest",
    "DigestItem",
    "Frequency",
    "ItemAction",
    "Mute",
    "MuteKind",
    "SentItem",
    "ServiceId",
    "Subscription",
    "digest_id",
]

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

_STORED = "stored"
"""The validation context key of data read back from storage (:meth:`Subscription.from_stored`)."""

MAX_ITEMS_LIMIT = 50
"""The most items a reader may ask for in one digest."""


class ServiceId(StrEnum):
    """The push services of the catalogue (:mod:`consortium.push.services`)."""

    NEW_IN_CLASS = "new_in_class"
    """New books in the classes the reader follows (fine-grained: CLC TP312, not only T)."""
    INTERESTED_NEW = "interested_new"
    """New books ranked by the reader's whole profile, with a reason for each."""
    LIBRARIAN_LISTS = "librarian_lists"
    """Lists curated by subject librarians (filled by the librarians' issue)."""
    SAVED_SEARCH = "saved_search"
    """A stored query, run again over the new works."""
    INTERLIBRARY_LOAN = "interlibrary_loan"
    """Notices of the reader's own inter-library loan requests, at every step (no subscription: see
    :mod:`consortium.cooperation.notices`)."""


class Channel(StrEnum):
    """How a digest reaches the reader."""

    EMAIL = "email"
    ATOM = "atom"
    """A private Atom feed at a revocable token URL."""
    INBOX = "inbox"
    """The portal inbox."""


class Frequency(StrEnum):
    """How often a subscription's digest is made."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def period(self) -> timedelta:
        """The nominal time between two digests (a month counts as 30 days)."""
        return _PERIODS[self.value]


_PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7), "monthly": timedelta(days=30)}


class Subscription(BaseModel):
    """A reader's subscription to one push service.

    ``last_digest_at`` is the end of the window the last digest covered: the next digest takes the works first
    seen since then. A new subscription starts its window when it is made (nothing older is "new").
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: ServiceId
    channel: Channel
    frequency: Frequency = Frequency.WEEKLY
    max_items: int = Field(default=10, ge=1, le=MAX_ITEMS_LIMIT)
    query: _Text | None = None
    """The saved query (``saved_search`` only)."""
    email: _Text | None = None
    """Where email digests go (``email`` channel only): one mailbox (:func:`~consortium.push.addresses.mailbox`),
    kept normalized."""
    created_at: AwareDatetime
    last_digest_at: AwareDatetime
    active: bool = True
    """False once the reader unsubscribed; kept so the history of digests still names it."""
    token: str | None = None
    """The subscription's private token (kept encrypted, like the rest): its Atom feed URL and its one-click
    unsubscribe link. Subscribing again makes a new one and revokes the old; unsubscribing revokes it."""

    @classmethod
    def from_stored(cls, payload: object) -> Subscription:
        """A subscription read back from the vault. Its address is not checked again: one stored before addresses
        were checked must not stop the reader's other data from loading (the push job refuses to deliver to it,
        and subscribing again replaces it)."""
        return cls.model_validate(payload, context={_STORED: True})

    @field_validator("email")
    @classmethod
    def _one_mailbox(cls, email: str | None, info: ValidationInfo) -> str | None:
        if email is None or (info.context or {}).get(_STORED):
            return email
        return mailbox(email)

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> Subscription:
        if self.service is ServiceId.SAVED_SEARCH and not self.query:
            raise ValueError("a saved_search subscription needs the field 'query'")
        if self.service is not ServiceId.SAVED_SEARCH and self.query:
            raise ValueError(f"the field 'query' is only for saved_search, not {self.service.value}")
        if self.channel is Channel.EMAIL and not (self.email and "@" in self.email):
            raise ValueError("an email subscription needs the field 'email' (an address)")
        return self

    def due(self, now: datetime) -> bool:
        """Whether a digest is due at ``now``: the subscription is active and a period has passed (an hour of
        slack, so a daily schedule that fires a few minutes early still runs)."""
        return self.active and now - self.last_digest_at >= self.frequency.period - timedelta(hours=1)


class DigestItem(BaseModel):
    """One work in a digest, with its score and the one-line reason it was chosen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cluster_id: str
    title: str
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    classes: list[str] = Field(default_factory=list)
    """The work's classification keys (``clc:TP312``...)."""
    series: str | None = None
    members: list[str] = Field(default_factory=list)
    """The member libraries that hold it."""
    at_home: bool = False
    """Whether the reader's own library holds it."""
    score: float
    reason: str
    """Why it was chosen, in one line: "you follow TP31", "because you borrowed ..."."""
    reason_zh: str | None = None
    """The same in Chinese (:mod:`consortium.push.reasons`); none in digests planned before it was written."""


def digest_id(reader_id: str, service: ServiceId, window_end: datetime) -> str:
    """The digest's id: the same reader, service and window give the same id, so a rerun finds its ledger."""
    text = f"{reader_id}\x00{service.value}\x00{window_end.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class Digest(BaseModel):
    """What one reader gets from one service for one window: planned by :func:`consortium.push.planner.plan`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    digest_id: str
    reader_id: str
    member: str
    """The reader's home library (its name goes on the email)."""
    service: ServiceId
    channel: Channel
    email: str | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime
    items: list[DigestItem]


class SentItem(BaseModel):
    """One line of the sent ledger: an item delivered (or claimed for delivery) to the reader."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cluster_id: str
    service: ServiceId
    channel: Channel
    digest_id: str
    at: AwareDatetime
    """When it was sent (the retention purge counts from here)."""
    title: str
    reason: str
    reason_zh: str | None = None
    """The reason in Chinese (none for works sent before it was written)."""
    deleted: bool = False
    """The reader deleted it from their history (it is never pushed again either way)."""
    not_interested: bool = False
    """The reader marked it "not interested": negative evidence for the profile."""


class MuteKind(StrEnum):
    CLASS = "class"
    """A classification key and everything under it (``clc:TP3`` mutes ``clc:TP312``)."""
    AUTHOR = "author"
    SERIES = "series"


class Mute(BaseModel):
    """Something the reader never wants pushed again."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: MuteKind
    key: _Text
    """An interest key for classes and authors (``clc:TP3``, ``author:liu cixin``); a series title for series."""
    at: AwareDatetime


class ItemAction(StrEnum):
    """What a reader can do with an item they were sent."""

    DELETE = "delete"
    NOT_INTERESTED = "not_interested"
