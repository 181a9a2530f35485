"""From the credentials of a request to its :class:`~consortium.auth.callers.Caller`: a bearer token (a reader or
staff JWT) or a member's API key, never both; none is the anonymous caller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.auth.callers import ANONYMOUS, Caller
from consortium.errors import AuthenticationError

if TYPE_CHECKING:
    from consortium.auth.api_keys import ApiKeys
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

    Example
    -------
    >>> Authenticator(verifier, keys).caller(authorization=None, api_key=None)
    Caller(kind=<CallerKind.ANONYMOUS: 'anonymous'>, subject=None, member=None, roles=frozenset())
    """

    def __init__(self, tokens: TokenCheck, api_keys: ApiKeys) -> None:
        self.tokens = tokens
        self.api_keys = api_keys

    def caller(self, *, authorization: str | None, api_key: str | None) -> Caller:
        """The caller the ``Authorization`` header (``Bearer <jwt>``) or the ``X-Api-Key`` header proves.

        Raises
        ------
        AuthenticationError
            When both are sent, the Authorization scheme is not Bearer, or the credential does not verify (an
            empty header is a credential that does not verify, never the same as none).
        """
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
