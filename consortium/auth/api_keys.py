"""Member API keys: each bound to one member; the hub keeps only the SHA-256 of the secret part.

A key reads ``ck_<id>_<secret>``: the id (16 hex digits) finds the stored key, the secret (32 random bytes,
base64url) proves it. A secret of 256 random bits needs no slow hash: no dictionary reaches it. The comparison is
constant-time. The whole key is shown once, when it is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING, Annotated, Final

from pydantic import BaseModel, ConfigDict, StringConstraints

from consortium.auth.callers import Caller, CallerKind
from consortium.errors import AuthenticationError, NotFoundError
from consortium.ports import system_clock

if TYPE_CHECKING:
    from consortium.auth.ports import ApiKeyStore
    from consortium.ports import Clock

__all__ = ["KEY_PREFIX", "ApiKey", "ApiKeys", "IssuedKey"]

KEY_PREFIX: Final = "ck_"
_KEY_SHAPE = re.compile(r"ck_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


class ApiKey(BaseModel):
    """A stored key: what the member sees when listing its keys, plus the hash nobody is shown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str
    member: str
    label: Label
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    secret_hash: str

    @property
    def active(self) -> bool:
        """Whether the key still opens the API."""
        return self.revoked_at is None

    def public(self) -> dict[str, object]:
        """The key as listed: everything but the hash."""
        return self.model_dump(mode="json", exclude={"secret_hash"})


class IssuedKey(BaseModel):
    """A new key: the stored key and, this once, the whole key to give the member's system."""

    model_config = ConfigDict(frozen=True)

    key: ApiKey
    secret: str


class ApiKeys:
    """Create, list, revoke and verify member API keys.

    Example
    -------
    >>> keys = ApiKeys(InMemoryApiKeyStore())
    >>> issued = keys.create("riverside", "catalogue loader")
    >>> keys.verify(issued.secret).member
    'riverside'
    """

    def __init__(self, store: ApiKeyStore, clock: Clock = system_clock) -> None:
        self.store = store
        self._clock = clock

    def create(self, member: str, label: str) -> IssuedKey:
        """A new key for ``member``, labelled ``label`` (what it is for)."""
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        key = ApiKey(key_id=key_id, member=member, label=label, created_at=self._clock(), secret_hash=_hash(secret))
        self.store.put(key)
        return IssuedKey(key=key, secret=f"{KEY_PREFIX}{key_id}_{secret}")

    def list(self, member: str) -> list[ApiKey]:
        """The member's keys, oldest first (revoked ones too)."""
        return self.store.list(member)

    def revoke(self, member: str, key_id: str) -> ApiKey:
        """Revoke ``member``'s key ``key_id`` (revoking it again changes nothing); :class:`NotFoundError` when
        the member has no such key."""
        key = self.store.get(key_id)
        if key is None or key.member != member:
            raise NotFoundError(f"{member} has no API key {key_id!r}", key_id=key_id)
        if key.active:
            key = key.model_copy(update={"revoked_at": self._clock()})
            self.store.put(key)
        return key

    def verify(self, presented: str) -> Caller:
        """The member system ``presented`` (a whole key) proves.

        Raises
        ------
        AuthenticationError
            When it is not a key's shape, unknown, wrong or revoked (the message never repeats it).
        """
        shape = _KEY_SHAPE.fullmatch(presented.strip())
        if shape is None:
            raise AuthenticationError("the API key is malformed (ck_<id>_<secret>)")
        key_id, secret = shape.groups()
        key = self.store.get(key_id)
        expected = key.secret_hash if key is not None else _hash("x" * 43)  # the same work for an unknown id
        if not hmac.compare_digest(_hash(secret), expected) or key is None:
            raise AuthenticationError("the API key is not valid")
        if not key.active:
            raise AuthenticationError(f"the API key {key_id} was revoked")
        return Caller(CallerKind.MEMBER_KEY, subject=key_id, member=key.member)
