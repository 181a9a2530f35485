"""An outside OpenID Connect provider that readers sign in with on the local backend: a Cognito user pool, or a
university's own provider.

:class:`OidcProvider` is read from the ``CONSORTIUM_OIDC_*`` settings (:meth:`OidcProvider.from_settings`). The
portal sends readers to its authorization endpoint (the authorization code flow with PKCE, as Cognito's hosted
sign-in on AWS) and exchanges the code at its token endpoint; the API verifies the ID tokens it issues against its
JWKS (:func:`~consortium.auth.tokens.jwks_verifier`). The hub's own tokens (``consortium login``, the demo)
keep working beside them: :class:`IssuerVerifiers` picks the verifier by the token's ``iss``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt

from consortium.auth.tokens import MAX_TOKEN_LENGTH, jwks_verifier
from consortium.errors import AuthenticationError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from consortium.auth.callers import Caller
    from consortium.auth.tokens import TokenVerifier
    from consortium.config import Settings

__all__ = ["IssuerVerifiers", "OidcProvider"]


@dataclass(frozen=True)
class OidcProvider:
    """Where readers sign in, and how their ID tokens are checked.

    Attributes
    ----------
    issuer
        The ``iss`` of the provider's ID tokens.
    client_id
        The portal's public client there: the ``aud`` of the ID tokens.
    jwks_url, authorize_url, token_url
        The provider's signing keys, authorization endpoint and token endpoint.
    """

    issuer: str
    client_id: str
    jwks_url: str
    authorize_url: str
    token_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcProvider | None:
        """The provider the settings name; ``None`` when ``oidc_issuer`` is not set.

        Raises
        ------
        ConfigError
            When one of ``CONSORTIUM_OIDC_ISSUER`` and ``CONSORTIUM_OIDC_CLIENT_ID`` is set without the other, or
            an address is not an absolute http(s) URL.
        """
        issuer, client_id = settings.oidc_issuer, settings.oidc_client_id
        if not issuer and not client_id:
            return None
        if not issuer or not client_id:
            missing = "CONSORTIUM_OIDC_ISSUER" if not issuer else "CONSORTIUM_OIDC_CLIENT_ID"
            raise ConfigError(f"{missing} must be set too: an OpenID Connect sign-in needs its issuer and client id")
        base = issuer.rstrip("/")
        provider = cls(
            issuer=issuer,
            client_id=client_id,
            jwks_url=settings.oidc_jwks_url or f"{base}/.well-known/jwks.json",
            authorize_url=settings.oidc_authorize_url or f"{base}/oauth2/authorize",
            token_url=settings.oidc_token_url or f"{base}/oauth2/token",
        )
        for name in ("issuer", "jwks_url", "authorize_url", "token_url"):
            value = getattr(provider, name)
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                setting = f"CONSORTIUM_OIDC_{name.removesuffix('_url').upper()}"
                setting += "" if name == "issuer" else "_URL"
                raise ConfigError(f"{setting}: {value!r} is not an absolute http(s) URL")
        return provider

    def verifier(self) -> TokenVerifier:
        """The verifier of the provider's ID tokens (RS256, its JWKS, its issuer, ``aud`` the portal's client)."""
        return jwks_verifier(self.jwks_url, issuer=self.issuer, audience=self.client_id)


class IssuerVerifiers:
    """Several token authorities at once: each token goes to the verifier of its ``iss`` (read before any check;
    that verifier then checks the signature, the issuer again, the audience and the expiry).

    Parameters
    ----------
    verifiers
        The verifier of each trusted issuer.
    """

    def __init__(self, verifiers: Mapping[str, TokenVerifier]) -> None:
        self._verifiers = dict(verifiers)

    def verify(self, token: str) -> Caller:
        """The caller ``token`` proves (see :meth:`~consortium.auth.tokens.TokenVerifier.verify`).

        Raises
        ------
        AuthenticationError
            When the token is malformed, from an issuer this hub does not trust, or its verifier refuses it.
        """
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationError(f"the token is longer than {MAX_TOKEN_LENGTH} characters")
        try:
            claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"the token is not valid: {exc}") from exc
        issuer = claims.get("iss")
        verifier = self._verifiers.get(issuer) if isinstance(issuer, str) else None
        if verifier is None:
            raise AuthenticationError("the token's issuer (iss) is not one this hub trusts")
        return verifier.verify(token)
