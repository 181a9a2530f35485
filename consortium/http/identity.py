"""The :class:`~consortium.profiles.models.Actor` a route acts as on a reader's data, from the caller the route
table checked (:func:`~consortium.http.access.current_caller`), and the address a request came from.

The route table has already made sure a reader reaches only their own ``{reader_id}`` and a library only its own
readers; what is left here is the role a body implies (a borrow is the library's, a search is the reader's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.auth.callers import CallerKind
from consortium.errors import PermissionDeniedError
from consortium.http.access import current_caller
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from chalice.app import Chalice

__all__ = ["caller_actor", "client_address"]


def client_address(app: Chalice) -> str:
    """The address the current request came from (API Gateway's ``identity.sourceIp``, the peer of the TCP
    connection, not a header a client can set); ``"unknown"`` when there is none."""
    request = app.current_request
    context = (request.context if request is not None else None) or {}
    address = (context.get("identity") or {}).get("sourceIp")
    return str(address) if address else "unknown"


def caller_actor(reader_id: str, role: ActorRole = ActorRole.READER) -> Actor:
    """The actor of the current call on ``reader_id``'s data, in ``role``.

    Raises
    ------
    consortium.errors.PermissionDeniedError
        When the reader role is asked by anyone but that reader (a library does not search or rate for its
        readers), or the staff role by a reader (a reader's token never acts as a library) or by a caller who
        does not act for a member.

    Examples
    --------
    >>> caller_actor("alice")  # alice's own token
    Actor(actor_id='alice', role=<ActorRole.READER: 'reader'>)
    >>> caller_actor("alice", ActorRole.MEMBER_STAFF)  # riverside's API key 0123456789abcdef
    Actor(actor_id='riverside/key:0123456789abcdef', role=<ActorRole.MEMBER_STAFF: 'member_staff'>)
    """
    caller = current_caller()
    if role is ActorRole.READER:
        if not caller.is_reader(reader_id):
            raise PermissionDeniedError("only the reader may do this with their data")
        return caller.actor()
    if caller.kind is CallerKind.READER:
        raise PermissionDeniedError("a reader may not act as library staff")
    if not caller.acts_for_member:
        raise PermissionDeniedError(f"{caller.describe()} may not act for a library")
    return caller.actor()
