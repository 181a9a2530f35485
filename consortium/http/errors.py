"""From the core's errors to HTTP errors: one table (:data:`STATUS`), the 400 message that names each bad field,
and the decorator that maps them around a view (:func:`http_errors`; the route table puts it on every route).

Only this layer knows HTTP status codes; the core raises :mod:`consortium.errors`.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import pydantic
from chalice.app import (
    BadRequestError,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
)

from consortium import errors
from consortium.errors import field_errors
from consortium.profiles.consent import ConsentError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["STATUS", "as_http_error", "error_body", "field_errors", "http_errors"]

P = ParamSpec("P")
T = TypeVar("T")


class RequestEntityTooLargeError(ChaliceViewError):
    """413: a body over a limit."""

    STATUS_CODE = 413


STATUS: dict[type[Exception], Callable[[str], ChaliceViewError]] = {
    errors.TooLargeError: RequestEntityTooLargeError,
    pydantic.ValidationError: BadRequestError,
    errors.ValidationError: BadRequestError,
    errors.NotFoundError: NotFoundError,
    ConsentError: ForbiddenError,
    errors.ConflictError: ConflictError,
    errors.AuthenticationError: UnauthorizedError,
    errors.PermissionDeniedError: ForbiddenError,
}
"""Which error becomes which HTTP error (the first base class found, in this order); any other error is a 500."""


def error_body(code: str, message: str) -> dict[str, str]:
    """The JSON body of every error answer, Chalice's own shape: ``{"Code": ..., "Message": ...}``."""
    return {"Code": code, "Message": message}


def as_http_error(exc: Exception) -> ChaliceViewError:
    """The HTTP error :data:`STATUS` gives ``exc``, with its message (the field errors of a pydantic error).

    Raises
    ------
    TypeError
        When no entry of :data:`STATUS` covers ``exc``.
    """
    for kind, http_error in STATUS.items():
        if isinstance(exc, kind):
            return http_error(field_errors(exc) if isinstance(exc, pydantic.ValidationError) else str(exc))
    raise TypeError(f"no HTTP status for {type(exc).__name__}") from exc


def http_errors(view: Callable[P, T]) -> Callable[P, T]:
    """Decorate a route so the errors of :data:`STATUS` become their HTTP errors; put it under ``@app.route``.

    Examples
    --------
    >>> @app.route("/readers/{reader_id}/profile", methods=["GET"])
    ... @http_errors
    ... def get_profile(reader_id: str) -> dict[str, Any]:
    ...     return {"profile": service().get_profile(reader_id, caller_actor(app, reader_id))}
    """

    @functools.wraps(view)
    def mapped(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return view(*args, **kwargs)
        except tuple(STATUS) as exc:
            raise as_http_error(exc) from exc

    return mapped
