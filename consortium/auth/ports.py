"""Where member API keys are kept (only their hashes): the port the adapters implement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from consortium.auth.api_keys import ApiKey
    from consortium.auth.callers import Caller

__all__ = ["ApiKeyStore", "TokenCheck"]


class ApiKeyStore(Protocol):
    """API keys by id. A key is never deleted: revoking it sets its ``revoked_at``, so the list still says which
    key was used when (the audit log names keys by id)."""

    def put(self, key: ApiKey) -> None:
        """Keep ``key`` (a new one, or the same id revoked)."""
        ...

    def get(self, key_id: str) -> ApiKey | None:
        """The key with id ``key_id``, or ``None``."""
        ...

    def list(self, member: str) -> list[ApiKey]:
        """The member's keys, oldest first, revoked ones too."""
        ...


class TokenCheck(Protocol):
    """What proves a caller from a bearer token: one authority's
    :class:`~consortium.auth.tokens.TokenVerifier`, or several by issuer
    (:class:`~consortium.auth.oidc.IssuerVerifiers`)."""

    def verify(self, token: str) -> Caller:
        """The caller ``token`` proves; raises :class:`~consortium.errors.AuthenticationError` when it does not."""
        ...
