"""Who calls: the identity the API Gateway authorizer puts in the request context, and the
:class:`~consortium.profiles.models.Actor` a route acts as.

Authentication (Cognito user pools for readers, API keys for member libraries) is configured at deploy time by
the CDK stack. The apps trust the authorizer's identity when there is one: a reader may then only act on their own
id. Without an authorizer (local runs, tests) the reader id in the path is the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import ForbiddenError

from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from chalice.app import Chalice

__all__ = ["MEMBER_CALLER", "caller_actor", "caller_identity", "client_address"]

MEMBER_CALLER = "member-library"
"""The actor id of a member library's call when no authorizer named the caller."""


def _authorizer(app: Chalice) -> dict[str, object]:
    request = app.current_request
    context = (request.context if request is not None else None) or {}
    found = context.get("authorizer") or {}
    return found if isinstance(found, dict) else {}


def _reader_claims(app: Chalice) -> dict[str, object]:
    """The claims of a reader signed in through the user pool (Cognito): what only a reader's token carries."""
    claims = _authorizer(app).get("claims") or {}
    return claims if isinstance(claims, dict) else {}


def caller_identity(app: Chalice) -> str | None:
    """The caller's identity from the authorizer (Cognito ``sub``, or a custom authorizer's principal); ``None``
    without an authorizer."""
    identity = _reader_claims(app).get("sub") or _authorizer(app).get("principalId")
    return str(identity) if identity else None


def client_address(app: Chalice) -> str:
    """The address the current request came from (API Gateway's ``identity.sourceIp``, the peer of the TCP
    connection, not a header a client can set); ``"unknown"`` when there is none."""
    request = app.current_request
    context = (request.context if request is not None else None) or {}
    address = (context.get("identity") or {}).get("sourceIp")
    return str(address) if address else "unknown"


def caller_actor(app: Chalice, reader_id: str, role: ActorRole = ActorRole.READER) -> Actor:
    """The actor of a call on ``reader_id``'s data: the authorizer's identity, else the reader (or, for another
    role, :data:`MEMBER_CALLER`).

    Raises
    ------
    chalice.app.ForbiddenError
        When a reader named by the authorizer acts on another reader's id, or a reader signed in through the user
        pool asks for another role (library staff): a reader's token never acts as a library.

    Examples
    --------
    >>> caller_actor(app, "r1")  # no authorizer
    Actor(actor_id='r1', role=<ActorRole.READER: 'reader'>)
    """
    if role is not ActorRole.READER and _reader_claims(app).get("sub"):
        raise ForbiddenError("a reader may not act as library staff")
    identity = caller_identity(app)
    if role is ActorRole.READER and identity is not None and identity != reader_id:
        raise ForbiddenError("a reader may only act on their own data")
    if identity is None:
        identity = reader_id if role is ActorRole.READER else MEMBER_CALLER
    return Actor(actor_id=identity, role=role)
