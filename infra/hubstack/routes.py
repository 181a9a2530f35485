"""The API's routes, read from the apps' route tables (``functions/*/app.py`` expose ``routes``): each becomes one
API Gateway resource and method with a Lambda proxy integration, so ``requestContext.resourcePath`` is the path
the app's router and route table know."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from consortium.auth.callers import CallerKind
from consortium.http.server import APPS, load_module
from hubstack.config import REPO_ROOT

__all__ = ["BEARER_KINDS", "ApiRoute", "api_routes"]

BEARER_KINDS: Final = frozenset({CallerKind.READER, CallerKind.STAFF})
"""Callers who prove themselves with a bearer token (a Cognito ID token on AWS)."""


@dataclass(frozen=True)
class ApiRoute:
    """One route of one app."""

    app: str
    method: str
    path: str
    operation: str
    callers: frozenset[CallerKind]
    binary_types: tuple[str, ...]

    @property
    def public(self) -> bool:
        """Anyone may call it without credentials."""
        return CallerKind.ANONYMOUS in self.callers

    @property
    def member_key(self) -> bool:
        """Member systems may call it with their API key: the usage authorizer goes in front (the member's plan)."""
        return CallerKind.MEMBER_KEY in self.callers

    @property
    def bearer_only(self) -> bool:
        """Only readers or staff may call it (with a bearer token): the Cognito authorizer goes in front."""
        return bool(self.callers) and self.callers <= BEARER_KINDS


def api_routes() -> list[ApiRoute]:
    """Every route of every app, in the apps' order.

    Raises
    ------
    ValueError
        When two routes would make API Gateway resources it refuses: siblings with different path variables.
    """
    found = []
    for app in APPS:
        module = load_module(REPO_ROOT / "functions", app)
        binary = tuple(module.app.api.binary_types)
        for (method, path), spec in module.routes.specs.items():
            found.append(ApiRoute(app, method, path, spec.operation_id, spec.access.callers, binary))
    variables: dict[str, str] = {}
    for route in found:
        parts = route.path.strip("/").split("/")
        for depth, part in enumerate(parts):
            if part.startswith("{"):
                parent = "/" + "/".join(parts[:depth])
                if variables.setdefault(parent, part) != part:
                    raise ValueError(
                        f"{route.method} {route.path}: {parent} has path variables {variables[parent]} and {part}; "
                        "API Gateway takes one name per level"
                    )
    return found
