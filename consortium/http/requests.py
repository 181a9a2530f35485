"""Request bodies: the base every body model of the apps shares, the bounded strings they use, and the parsing of
the current request into one model (a bad body is a pydantic error, a 400 naming each field under
:func:`~consortium.http.errors.http_errors`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints

if TYPE_CHECKING:
    from chalice.app import Chalice, Request

__all__ = ["Identifier", "RequestBody", "Text", "json_body", "parse_body"]

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""An id in a body (a reader, a member): stripped, 1 to 200 characters."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
"""A short text in a body (a saved query, an address, a mute key): stripped, 1 to 500 characters."""

M = TypeVar("M", bound=BaseModel)


class RequestBody(BaseModel):
    """The base of the apps' body models: a field the model does not name is an error, never ignored."""

    model_config = ConfigDict(extra="forbid")


def _request(app: Chalice) -> Request:
    request = app.current_request
    if request is None:
        raise RuntimeError("no current request: call this from a route")
    return request


def json_body(app: Chalice) -> Any:
    """The current request's JSON body (``{}`` when there is none)."""
    body = _request(app).json_body
    return {} if body is None else body


def parse_body(app: Chalice, model: type[M], *, or_query: bool = False) -> M:
    """The current request's JSON body as ``model``; with ``or_query``, the query string when the body is empty
    (a ``DELETE`` may carry either).

    Raises
    ------
    pydantic.ValidationError
        When the body does not validate.

    Examples
    --------
    >>> answer = parse_body(app, PromptAnswer)  # {"accept": true}
    >>> answer.accept
    True
    """
    body = json_body(app)
    if or_query and not body:
        body = dict(_request(app).query_params or {})
    return model.model_validate(body)
