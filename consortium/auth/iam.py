"""Member systems calling with AWS IAM credentials: the principal API Gateway verified, mapped to one member.

On AWS a member's system may sign its requests with Signature Version 4 instead of sending an API key, through
the hub's member API for IAM (a second REST API whose member routes use ``AWS_IAM`` authorization; see
``infra/README.md``). API Gateway checks the signature and the caller's permission, then passes the principal in
the request context (``requestContext.identity.userArn``): an IAM user's ARN, or for a role's temporary
credentials the session's ``arn:aws:sts::<account>:assumed-role/<role name>/<session>``. The hub never reads a
principal from a header; it trusts the request context only from the API whose id it was given
(``CONSORTIUM_MEMBER_IAM_API_ID``), so a context of any other API (or of the local server) proves nothing.

Each member names the principals that act for it in the registry (``iam_principals`` in ``members.toml``): role
ARNs (``arn:aws:iam::123456789012:role/riverside-ils``, any path) or user ARNs. A role's sessions are matched by
account and role name (a role's name is unique in its account, and the session ARN carries no path); a user by its
whole ARN. A principal may act for one member only. A verified principal no member names is refused (403): AWS
knows who it is, the hub does not let it in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.auth.callers import Caller, CallerKind
from consortium.errors import PermissionDeniedError
from consortium.principals import parse_principal, session_principal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from consortium.members import Member

__all__ = ["IamMembers"]


class IamMembers:
    """The members' IAM principals (read from the registry on every call: members change theirs), and the caller
    a verified principal is.

    Parameters
    ----------
    members
        The registry's members as they are now.

    Example
    -------
    >>> IamMembers(lambda: registry.members).caller("arn:aws:sts::123456789012:assumed-role/riverside-ils/feed")
    Caller(kind=<CallerKind.MEMBER_IAM: 'member_iam'>, subject='role/riverside-ils', member='riverside', ...)
    """

    def __init__(self, members: Callable[[], Iterable[Member]]) -> None:
        self._members = members

    def caller(self, user_arn: str) -> Caller:
        """The member system ``user_arn`` is.

        Raises
        ------
        PermissionDeniedError
            When no member names that principal (nor a principal of that kind at all).
        """
        principal = session_principal(user_arn)
        if principal is not None:
            for member in self._members():
                if principal in {parse_principal(arn) for arn in member.iam_principals}:
                    return Caller(CallerKind.MEMBER_IAM, subject=str(principal), member=member.id)
        raise PermissionDeniedError("this AWS principal acts for no member of the hub (members.toml iam_principals)")
