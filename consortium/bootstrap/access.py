"""The API's part of the container: member API keys, and the tokens readers and staff log in with."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

from consortium.auth.api_keys import ApiKeys
from consortium.auth.authenticator import Authenticator
from consortium.auth.iam import IamMembers
from consortium.bootstrap.base import Parts
from consortium.errors import ConfigError

if TYPE_CHECKING:
    from consortium.auth.oidc import OidcProvider
    from consortium.auth.ports import ApiKeyStore, TokenCheck
    from consortium.auth.tokens import LocalTokenIssuer

__all__ = ["AccessParts"]

log = logging.getLogger(__name__)


class AccessParts(Parts):
    """API keys, tokens and the authenticator."""

    @cached_property
    def api_key_store(self) -> ApiKeyStore:
        if "api_key_store" in self._overrides:
            store: ApiKeyStore = self._overrides["api_key_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws.dynamodb_api_keys import DynamoDbApiKeyStore

            return DynamoDbApiKeyStore(self.settings.records_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local.sqlite_api_keys import SqliteApiKeyStore

        return SqliteApiKeyStore.open(self.settings.sqlite_path)

    @cached_property
    def api_keys(self) -> ApiKeys:
        """Member API keys (only their hashes are kept)."""
        return ApiKeys(self.api_key_store)

    @cached_property
    def token_issuer(self) -> LocalTokenIssuer:
        """The local backend's signer of reader and staff tokens (demo and test logins); none on AWS, where
        Cognito issues them.

        Raises
        ------
        ConfigError
            On the aws backend.
        """
        if self.settings.backend == "aws":
            raise ConfigError("on the aws backend readers and staff log in through Cognito; no local tokens")
        from consortium.auth.tokens import LocalTokenIssuer

        return LocalTokenIssuer(self.settings.signing_key_file, issuer=self.settings.public_url)

    @cached_property
    def oidc_provider(self) -> OidcProvider | None:
        """The outside OpenID Connect provider readers sign in with on the local backend (``CONSORTIUM_OIDC_*``);
        ``None`` when there is none (and always on AWS, where the Cognito settings say it).

        Raises
        ------
        ConfigError
            When the ``CONSORTIUM_OIDC_*`` settings are incomplete or not URLs.
        """
        if self.settings.backend == "aws":
            return None
        from consortium.auth.oidc import OidcProvider

        return OidcProvider.from_settings(self.settings)

    @cached_property
    def token_verifier(self) -> TokenCheck:
        """The verifier of bearer tokens: the Cognito user pool's on AWS (its JWKS); here the local issuer's, and
        with an OpenID Connect provider configured its ID tokens' too (each token by its ``iss``).

        Raises
        ------
        ConfigError
            On the aws backend without ``CONSORTIUM_COGNITO_USER_POOL_ID`` and ``CONSORTIUM_COGNITO_CLIENT_ID``:
            a deployed API never runs without an authority for its tokens; locally, when the OpenID Connect
            provider's issuer is the hub's own.
        """
        if "token_verifier" in self._overrides:
            verifier: TokenCheck = self._overrides["token_verifier"]
            return verifier
        settings = self.settings
        if settings.backend == "aws":
            if not (settings.cognito_user_pool_id and settings.cognito_client_id):
                raise ConfigError(
                    "CONSORTIUM_COGNITO_USER_POOL_ID and CONSORTIUM_COGNITO_CLIENT_ID must be set: the aws backend "
                    "verifies readers' and staff's tokens against the user pool"
                )
            from consortium.auth.tokens import cognito_verifier

            return cognito_verifier(
                settings.aws_region,
                settings.cognito_user_pool_id,
                settings.cognito_client_id,
                endpoint_url=settings.aws_endpoint_url,
            )
        local = self.token_issuer.verifier()
        provider = self.oidc_provider
        if provider is None:
            return local
        if provider.issuer == local.issuer:
            raise ConfigError(
                f"CONSORTIUM_OIDC_ISSUER: {provider.issuer!r} is the hub's own issuer (CONSORTIUM_PUBLIC_URL); "
                "name the provider's"
            )
        from consortium.auth.oidc import IssuerVerifiers

        return IssuerVerifiers({local.issuer: local, provider.issuer: provider.verifier()})

    @cached_property
    def authenticator(self) -> Authenticator:
        """What checks a request's bearer token, API key or (on the member API for IAM) AWS principal."""
        return Authenticator(
            self.token_verifier,
            self.api_keys,
            IamMembers(lambda: self.registry.members),
            self.settings.member_iam_api_id,
        )
