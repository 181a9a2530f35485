"""From the credentials of a request to its :class:`~consortium.auth.callers.Caller`: a bearer token (a reader or
staff JWT), a member's API key, or on the member API for IAM the AWS principal API Gateway verified (see
:mod:`consortium.auth.iam`); never two of them; none is the anonymous caller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.auth.callers import ANONYMOUS, Caller
from consortium.errors import AuthenticationError

if TYPE_CHECKING:
    from consortium.auth.api_keys import ApiKeys
    from consortium.auth.iam import IamMembers
    from consortium.auth.ports import TokenCheck

__all__ = ["Authenticator"]


class Authenticator:
    """Check a request's credentials.

    Parameters
    ----------
    tokens
        The verifier of readers' and staff's tokens.
    api_keys
        The member API keys.
    iam
        The members' AWS IAM principals, and ``iam_api_id``, the id of the one API Gateway API whose request
        context the hub believes (the member API for IAM): without both, no AWS principal is believed.

    Example
    -------
    >>> Authenticator(verifier, keys).caller(authorization=None, api_key=None)
    Caller(kind=<CallerKind.ANONYMOUS: 'anonymous'>, subject=None, member=None, roles=frozenset())
    """

    def __init__(
        self, tokens: TokenCheck, api_keys: ApiKeys, iam: IamMembers | None = None, iam_api_id: str | None = None
    ) -> None:
        self.tokens = tokens
        self.api_keys = api_keys
        self.iam = iam
        self.iam_api_id = iam_api_id

    def caller(
        self,
        *,
        authorization: str | None,
        api_key: str | None,
        aws_principal: str | None = None,
        api_id: str | None = None,
    ) -> Caller:
        """The caller the ``Authorization`` header (``Bearer <jwt>``), the ``X-Api-Key`` header or the AWS
        principal proves. ``aws_principal`` and ``api_id`` come from the request context API Gateway wrote
        (``identity.userArn``, ``apiId``), never from a header; the principal counts only from the member API for
        IAM (then the Authorization header is the request's AWS signature, already checked by API Gateway).

        Raises
        ------
        AuthenticationError
            When two credentials are sent, the Authorization scheme is not Bearer, or the credential does not
            verify (an empty header is a credential that does not verify, never the same as none).
        PermissionDeniedError
            When the AWS principal acts for no member.
        """
        if self.iam is not None and self.iam_api_id and api_id == self.iam_api_id:
            if not aws_principal:
                raise AuthenticationError("sign the request with AWS credentials (Signature Version 4)")
            if api_key is not None:
                raise AuthenticationError("send either an AWS signature or an API key, not both")
            return self.iam.caller(aws_principal)
        if authorization is not None and api_key is not None:
            raise AuthenticationError("send either a bearer token or an API key, not both")
        if api_key is not None:  # present, even empty: a credential that must verify
            return self.api_keys.verify(api_key)
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
            return self.tokens.verify(token.strip())
        return ANONYMOUS
