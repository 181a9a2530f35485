"""Signed tokens (JWT) for readers and staff: one verification path, two sources of keys.

:class:`TokenVerifier` checks a token's signature against a key of a JWKS (found by the token's ``kid``), its
issuer, audience and expiry, then reads the caller from its claims. On AWS the JWKS is the Cognito user pool's
(:func:`cognito_verifier`: ID tokens, whose ``aud`` is the app client); locally it is the hub's own
(:class:`LocalTokenIssuer`: an Ed25519 key kept beside the reader key file, which ``consortium run`` and
``consortium login`` sign demo and test logins with).

Claims read
    ``sub``: the reader or staff account. ``custom:member``: the member library. ``cognito:groups``: staff roles
    (``member-admin``, ``subject-librarian``); a token with a role is a staff token and must name its member.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import uuid
from typing import TYPE_CHECKING, Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consortium.auth.callers import Caller, CallerKind, StaffRole
from consortium.errors import AuthenticationError, ValidationError
from consortium.ports import system_clock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from consortium.ports import Clock

__all__ = [
    "GROUPS_CLAIM",
    "LOCAL_AUDIENCE",
    "MEMBER_CLAIM",
    "LocalTokenIssuer",
    "TokenVerifier",
    "cognito_verifier",
    "jwks_verifier",
]

MEMBER_CLAIM: Final = "custom:member"
GROUPS_CLAIM: Final = "cognito:groups"
LOCAL_AUDIENCE: Final = "consortium-local"
"""The ``aud`` of the tokens the local issuer signs."""

LEEWAY: Final = dt.timedelta(seconds=30)
"""Clock skew allowed on ``exp``, ``iat`` and ``nbf``."""

MAX_TOKEN_LENGTH: Final = 8_192
"""A longer token is refused before it is parsed."""


class TokenVerifier:
    """Verify JWTs and read the caller from them.

    Parameters
    ----------
    signing_key
        The public key for a token's ``kid`` (a JWKS lookup); raises :class:`~consortium.errors.AuthenticationError`
        when there is none.
    issuer, audience
        What ``iss`` and ``aud`` must be.
    algorithms
        The only signature algorithms accepted (never ``none``, never one the key's type does not fit).

    Example
    -------
    >>> verifier = LocalTokenIssuer(key_dir / "api-signing-key.pem").verifier()
    >>> verifier.verify(token).subject
    'alice'
    """

    def __init__(
        self,
        signing_key: Callable[[str], Any],
        *,
        issuer: str,
        audience: str,
        algorithms: Iterable[str],
    ) -> None:
        self._signing_key = signing_key
        self.issuer = issuer
        self.audience = audience
        self.algorithms = list(algorithms)

    def verify(self, token: str) -> Caller:
        """The caller ``token`` proves.

        Raises
        ------
        AuthenticationError
            When the token is malformed, signed by an unknown key or with another algorithm, forged, expired, not
            yet valid, for another issuer or audience, or its claims do not name a caller.
        """
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationError(f"the token is longer than {MAX_TOKEN_LENGTH} characters")
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise AuthenticationError("the token names no signing key (kid)")
            claims = jwt.decode(
                token,
                self._signing_key(kid),
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("the token has expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError("the token's signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"the token is not valid: {exc}") from exc
        return caller_from_claims(claims)


def caller_from_claims(claims: dict[str, Any]) -> Caller:
    """The caller a verified token's claims name (see the module notes)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise AuthenticationError("the token's sub claim is empty")
    member = claims.get(MEMBER_CLAIM)
    member = member if isinstance(member, str) and member else None
    groups = claims.get(GROUPS_CLAIM) or []
    if not isinstance(groups, list):
        raise AuthenticationError(f"the token's {GROUPS_CLAIM} claim is not a list")
    roles = frozenset(StaffRole(group) for group in groups if group in StaffRole.__members__.values())
    if roles:
        if member is None:
            raise AuthenticationError(f"a staff token must name its member library ({MEMBER_CLAIM})")
        return Caller(CallerKind.STAFF, subject=subject, member=member, roles=roles)
    return Caller(CallerKind.READER, subject=subject, member=member)


def jwks_verifier(
    jwks_url: str, *, issuer: str, audience: str, algorithms: Iterable[str] = ("RS256",)
) -> TokenVerifier:
    """A verifier whose keys come from the JWKS at ``jwks_url`` (fetched on first use, kept for an hour, fetched
    again for an unknown ``kid``)."""
    client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=10)

    def signing_key(kid: str) -> Any:
        try:
            return client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthenticationError("the token's signing keys cannot be fetched now; try again") from exc
        except jwt.PyJWKClientError as exc:
            raise AuthenticationError(f"the token's signing key is unknown: {exc}") from exc

    return TokenVerifier(signing_key, issuer=issuer, audience=audience, algorithms=algorithms)


def cognito_verifier(
    region: str, user_pool_id: str, client_id: str, *, endpoint_url: str | None = None
) -> TokenVerifier:
    """A verifier of the ID tokens of a Cognito user pool's app client (RS256, the pool's JWKS).

    ``endpoint_url`` is where the pool's JWKS is fetched from instead of Cognito's own address (the hub's
    ``CONSORTIUM_AWS_ENDPOINT_URL``: a local stand-in such as moto's server, which serves it at the same path);
    the issuer the tokens must name stays the pool's."""
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
    keys = f"{(endpoint_url or issuer).rstrip('/')}{'/' + user_pool_id if endpoint_url else ''}/.well-known/jwks.json"
    return jwks_verifier(keys, issuer=issuer, audience=client_id)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class LocalTokenIssuer:
    """The hub's own signing key for local runs: an Ed25519 key in a PEM file (made on first use, mode 0600).

    Parameters
    ----------
    key_file
        Where the private key is kept (beside the reader key file, outside the data folder).
    issuer
        The ``iss`` of its tokens (the hub's public URL).
    clock
        The time tokens are issued at.

    Example
    -------
    >>> issuer = LocalTokenIssuer(key_dir / "api-signing-key.pem")
    >>> token = issuer.issue("alice", member="riverside")
    >>> issuer.verifier().verify(token).subject
    'alice'
    """

    def __init__(self, key_file: Path, *, issuer: str = "http://127.0.0.1:8000", clock: Clock = system_clock) -> None:
        self.key_file = key_file
        self.issuer = issuer
        self._clock = clock
        self._key = self._load_or_create()
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self._public_jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "alg": "EdDSA", "use": "sig"}
        self.kid = _b64url(hashlib.sha256(raw).digest()[:16])
        self._public_jwk["kid"] = self.kid

    def _load_or_create(self) -> Ed25519PrivateKey:
        if self.key_file.exists():
            try:
                key = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
            except (ValueError, TypeError) as exc:
                raise ValidationError(f"{self.key_file}: not an Ed25519 private key in PEM: {exc}") from exc
            if not isinstance(key, Ed25519PrivateKey):
                raise ValidationError(f"{self.key_file}: not an Ed25519 private key")
            return key
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        # a file of this process's own: with one shared name, a second process starting at once truncated the
        # file the first had just linked (two workers holding two keys) or found it already gone
        partial = self.key_file.with_name(f".{self.key_file.name}.{os.getpid()}.{uuid.uuid4().hex}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        try:
            os.link(partial, self.key_file)  # two processes starting at once: the first key stays
        except FileExistsError:
            partial.unlink()
            return self._load_or_create()
        partial.unlink()
        return key

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWKS document (what ``/.well-known/jwks.json`` serves)."""
        return {"keys": [dict(self._public_jwk)]}

    def issue(
        self,
        subject: str,
        *,
        member: str | None = None,
        roles: Iterable[StaffRole] = (),
        lifetime: dt.timedelta = dt.timedelta(hours=8),
        audience: str = LOCAL_AUDIENCE,
    ) -> str:
        """A signed token for ``subject`` (a reader, or with ``roles`` a staff account of ``member``)."""
        now = self._clock()
        claims: dict[str, Any] = {
            "sub": subject,
            "iss": self.issuer,
            "aud": audience,
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "token_use": "id",
        }
        if member:
            claims[MEMBER_CLAIM] = member
        if roles:
            claims[GROUPS_CLAIM] = sorted(StaffRole(role).value for role in roles)
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})

    def verifier(self) -> TokenVerifier:
        """The verifier of this issuer's tokens, through the same JWKS path as Cognito's."""
        keys = jwt.PyJWKSet.from_json(json.dumps(self.jwks()))

        def signing_key(kid: str) -> Any:
            for key in keys.keys:
                if key.key_id == kid:
                    return key
            raise AuthenticationError("the token was signed by a key this hub does not know")

        return TokenVerifier(signing_key, issuer=self.issuer, audience=LOCAL_AUDIENCE, algorithms=["EdDSA"])
