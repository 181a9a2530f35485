"""What the Chalice apps under ``functions/`` share: one table from the core's errors to HTTP errors, the
400 message that names each bad field, the request's JSON body, and the caller's identity from the authorizer.

It imports Chalice, so only the functions import it (Chalice packages its own runtime with each function).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import pydantic
from chalice.app import BadRequestError, ChaliceViewError, ConflictError, ForbiddenError, NotFoundError

from consortium import errors
from consortium.profiles.consent import ConsentError

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalice.app import Chalice

__all__ = ["STATUS", "call", "caller_identity", "field_errors", "json_body"]

T = TypeVar("T")

STATUS: dict[type[Exception], Callable[[str], ChaliceViewError]] = {
    pydantic.ValidationError: BadRequestError,
    errors.ValidationError: BadRequestError,
    errors.NotFoundError: NotFoundError,
    ConsentError: ForbiddenError,
    errors.ConflictError: ConflictError,
}
"""Which error becomes which HTTP error (the first base class found, in this order)."""


def field_errors(exc: pydantic.ValidationError) -> str:
    """``field 'a.b': reason; ...`` for every error of a body that did not validate."""
    clauses = []
    for item in exc.errors():
        msg = item["msg"].removeprefix("Value error, ")
        loc = ".".join(str(part) for part in item["loc"])
        clauses.append(f"field {loc!r}: {msg}" if loc else msg)
    return "; ".join(clauses)


def call(step: Callable[[], T]) -> T:
    """Run one service call, turning the core's errors into the HTTP errors of :data:`STATUS`."""
    try:
        return step()
    except tuple(STATUS) as exc:
        message = field_errors(exc) if isinstance(exc, pydantic.ValidationError) else str(exc)
        for kind, http_error in STATUS.items():
            if isinstance(exc, kind):
                raise http_error(message) from exc
        raise


def json_body(app: Chalice) -> Any:
    """The current request's JSON body (``{}`` when there is none)."""
    request = app.current_request
    assert request is not None
    body = request.json_body
    return {} if body is None else body


def caller_identity(app: Chalice) -> str | None:
    """The caller's identity from the authorizer (Cognito ``sub``, or a custom authorizer's principal)."""
    request = app.current_request
    context = (request.context if request is not None else None) or {}
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    identity = claims.get("sub") or authorizer.get("principalId")
    return str(identity) if identity else None
