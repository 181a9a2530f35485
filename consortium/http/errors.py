"""From the core's errors to HTTP errors: one table (:data:`STATUS`), the 400 message that names each bad field,
and the decorator that maps them around a view (:func:`http_errors`; the route table puts it on every route): an
answer with the error's status and body, its stable ``code`` and what it names
(:func:`~consortium.http.problems.exception_body`).

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
    Response,
    UnauthorizedError,
)

from consortium import errors
from consortium.errors import field_errors
from consortium.http.problems import error_body, error_response, exception_body
from consortium.profiles.consent import ConsentError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["STATUS", "as_http_error", "error_body", "error_for", "field_errors", "http_errors"]

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


def error_for(exc: Exception) -> Response:
    """The answer ``exc`` becomes: the status :data:`STATUS` gives it, and a body with its stable ``code``, its
    message, and the field and records it names (``{"Code": "ConflictError", "Message": "list l1 is at version
    3, not 2: ...", "code": "version_conflict", "details": {"version": 3}}``).

    Raises
    ------
    TypeError
        When no entry of :data:`STATUS` covers ``exc``.
    """
    http_error = as_http_error(exc)
    status = http_error.STATUS_CODE
    return error_response(status, exception_body(exc, type(http_error).__name__, status))


def http_errors(view: Callable[P, T]) -> Callable[P, T | Response]:
    """Decorate a route so the errors of :data:`STATUS` become their answers (:func:`error_for`); put it under
    ``@app.route``.

    Examples
    --------
    >>> @app.route("/readers/{reader_id}/profile", methods=["GET"])
    ... @http_errors
    ... def get_profile(reader_id: str) -> dict[str, Any]:
    ...     return {"profile": service().get_profile(reader_id, caller_actor(app, reader_id))}
    """

    @functools.wraps(view)
    def mapped(*args: P.args, **kwargs: P.kwargs) -> T | Response:
        try:
            return view(*args, **kwargs)
        except tuple(STATUS) as exc:
            return error_for(exc)

    return mapped
