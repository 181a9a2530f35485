"""The caller of one request, once its credentials are checked, and what it may act as.

A reader's token names the reader (``sub``). A staff token names the staff account, its member library and its
roles. An API key is bound to one member. The anonymous caller has none of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from consortium.profiles.models import Actor, ActorRole

__all__ = ["ANONYMOUS", "MEMBER_SYSTEMS", "Caller", "CallerKind", "StaffRole"]


class CallerKind(StrEnum):
    """How the caller proved who they are."""

    ANONYMOUS = "anonymous"
    """No credentials."""
    READER = "reader"
    """A reader's token."""
    STAFF = "staff"
    """A token of a member library's staff account (it carries the member and the roles)."""
    MEMBER_KEY = "member_key"
    """A member system's API key."""
    MEMBER_IAM = "member_iam"
    """A member system's AWS IAM principal, whose signed request API Gateway verified (on AWS only)."""


class StaffRole(StrEnum):
    """The roles a staff token may carry (Cognito groups on AWS)."""

    MEMBER_ADMIN = "member-admin"
    """Runs the member's part of the hub: its sources, harvests, quarantine, keys, loans and readers."""
    SUBJECT_LIBRARIAN = "subject-librarian"
    """Curates lists and reads privacy-preserving analytics; no access to any reader's data."""
    CONSORTIUM_OFFICE = "consortium-office"
    """Staff of the consortium office: consortium-wide figures (analytics), no member's own data and no reader's.
    Their token names the office as its member (any id that is not a member's), so no member route admits them."""


@dataclass(frozen=True)
class Caller:
    """Who makes a request.

    Attributes
    ----------
    kind
        How they proved it.
    subject
        The reader id, the staff account, the API key's id or the IAM principal (``role/<name>``); ``None`` when
        anonymous.
    member
        The member library a staff account or a key belongs to (for a reader: their home library, when the token
        says it).
    roles
        A staff account's roles.
    """

    kind: CallerKind
    subject: str | None = None
    member: str | None = None
    roles: frozenset[StaffRole] = field(default_factory=frozenset)

    @property
    def acts_for_member(self) -> bool:
        """Whether the caller acts for a member library: its system (an API key or IAM principal), or its staff
        with the administrator role."""
        return self.kind in MEMBER_SYSTEMS or (self.kind is CallerKind.STAFF and StaffRole.MEMBER_ADMIN in self.roles)

    def is_reader(self, reader_id: str) -> bool:
        """Whether the caller is the reader ``reader_id`` (by their token)."""
        return self.kind is CallerKind.READER and self.subject == reader_id

    def actor(self) -> Actor:
        """The actor the audit log records: the reader, or the member's staff account or key as
        ``<member>/<account or key id>``.

        Raises
        ------
        ValueError
            For the anonymous caller, who may not act on anyone's data.
        """
        if self.kind is CallerKind.READER and self.subject:
            return Actor(actor_id=self.subject, role=ActorRole.READER)
        if self.kind in (CallerKind.STAFF, *MEMBER_SYSTEMS) and self.subject and self.member:
            prefix = {CallerKind.MEMBER_KEY: "key:", CallerKind.MEMBER_IAM: "iam:"}.get(self.kind, "")
            return Actor(actor_id=f"{self.member}/{prefix}{self.subject}", role=ActorRole.MEMBER_STAFF)
        raise ValueError("an anonymous caller acts as no one")

    def describe(self) -> str:
        """The caller in a few words, for an error message (no personal data: a role and a member)."""
        if self.kind is CallerKind.MEMBER_KEY:
            return f"an API key of {self.member}"
        if self.kind is CallerKind.MEMBER_IAM:
            return f"an AWS principal of {self.member}"
        if self.kind is CallerKind.STAFF:
            return f"staff of {self.member}"
        return "a reader" if self.kind is CallerKind.READER else "an anonymous caller"


MEMBER_SYSTEMS = frozenset({CallerKind.MEMBER_KEY, CallerKind.MEMBER_IAM})
"""A member library's systems: by its API key or its AWS IAM principal; they may do the same."""

ANONYMOUS = Caller(CallerKind.ANONYMOUS)
"""The caller without credentials."""
