"""Who calls the hub's API: readers and library staff with a signed token (JWT), member systems with an API key.

- :mod:`~consortium.auth.callers`: the :class:`Caller` every request is made by (anonymous, a reader, staff of one
  member, a member's API key), and the :class:`~consortium.profiles.models.Actor` it acts as on a reader's data;
- :mod:`~consortium.auth.tokens`: verifying a JWT (one path: the keys come from a JWKS, Cognito's on AWS, the
  hub's own signing key locally) and, locally, issuing them;
- :mod:`~consortium.auth.api_keys`: member API keys, of which only a hash is kept (create, list, revoke, verify);
- :mod:`~consortium.auth.authenticator`: a request's credentials (bearer token or API key) to its caller;
- :mod:`~consortium.auth.ports`: where API keys are kept.

Nothing here knows HTTP: :mod:`consortium.http.access` reads the request's credentials and asks these.
"""

from __future__ import annotations

from consortium.auth.api_keys import ApiKey, ApiKeys, IssuedKey
from consortium.auth.authenticator import Authenticator
from consortium.auth.callers import ANONYMOUS, Caller, CallerKind, StaffRole
from consortium.auth.tokens import LocalTokenIssuer, TokenVerifier, cognito_verifier

__all__ = [
    "ANONYMOUS",
    "ApiKey",
    "ApiKeys",
    "Authenticator",
    "Caller",
    "CallerKind",
    "IssuedKey",
    "LocalTokenIssuer",
    "StaffRole",
    "TokenVerifier",
    "cognito_verifier",
]
