"""What an error answer of the API says, for programs as well as people: the catalogue of its stable codes
(:data:`API_ERRORS`: each with its HTTP status, what it means and what the caller should do; README's "Error
codes" table is checked against it), the body's model (:class:`ErrorBody`, the OpenAPI document's error schema)
and the body of one error (:func:`error_body`, :func:`exception_body`).

Every error answer keeps Chalice's ``{"Code": ..., "Message": ...}`` (the English message naming the field or
the reason) and adds ``code``, one of :data:`API_ERRORS`, and, when the error names them, ``field`` (the field at
fault), ``details`` (the records it is about: ``list_id``, ``version``...) and, for a body or query that did not
validate, ``errors`` (each bad field with pydantic's reason). Chalice's own answers (405, 415, 500) get their code
on the way out (:func:`with_code`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pydantic
from chalice.app import Response

from consortium.errors import ConsortiumError, ValidationError, field_errors, named_field

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "API_ERRORS",
    "DETAIL_NAMES",
    "ApiError",
    "ErrorBody",
    "FieldProblem",
    "error_body",
    "error_response",
    "exception_body",
    "with_code",
]


@dataclass(frozen=True)
class ApiError:
    """One code of the catalogue: the status it comes with, what it means, what the caller should do."""

    status: int
    meaning: str
    action: str


API_ERRORS: Final[dict[str, ApiError]] = {
    "invalid_field": ApiError(
        400,
        "a field of the body, the query or the path is not valid; `field` names it (`errors` lists each bad one)",
        "correct that field and send the request again",
    ),
    "invalid_request": ApiError(
        400,
        "the request is refused as a whole, no one field (an upload without events, a rating without stars)",
        "read `Message`, change the request",
    ),
    "invalid_json": ApiError(
        400,
        "the body is not JSON as RFC 8259 writes it (malformed, a key twice, a lone surrogate, nested too deep)",
        "send one UTF-8 JSON document",
    ),
    "invalid_query": ApiError(
        400,
        "the search query does not parse, or a filter of it is wrong; `field` names the part",
        "change the query (the query language of `consortium search`)",
    ),
    "invalid_class_code": ApiError(
        400, "a class code is not a code of its scheme (CLC, LCC, Dewey, UDC)", "give a code of the scheme"
    ),
    "invalid_interest_key": ApiError(
        400,
        "not an interest key: `class:<scheme>:<code>`, `subject:<heading>` or `author:<name>`",
        "give a key of one of these forms",
    ),
    "unknown_work": ApiError(
        400, "an event names a work (`cluster_id`) the catalogue does not have", "search again: works merge"
    ),
    "invalid_config": ApiError(
        400,
        "the hub's own configuration (members.toml, a policy file) refuses this; the message names the entry",
        "tell the hub's operator",
    ),
    "accept_required": ApiError(
        400,
        "the answer is binary (a quarantined record's raw bytes) and `Accept` does not name its type",
        "send `Accept: application/octet-stream` (or `*/*`)",
    ),
    "login_required": ApiError(
        401, "the route is not open to anyone and no credentials came", "send a bearer token or an API key"
    ),
    "invalid_credentials": ApiError(
        401,
        "the token or key is not valid: expired, forged, malformed, unknown or revoked",
        "sign in again, or use a current key",
    ),
    "wrong_credential": ApiError(
        401,
        "a credential of a scheme the route does not take (an API key where staff sign in)",
        "send the credential the route names (`/docs`)",
    ),
    "forbidden": ApiError(
        403,
        "the caller is known but out of scope (another reader's data, another member's routes)",
        "do not retry: ask for your own",
    ),
    "route_closed": ApiError(403, "the route declares no access: it is closed to everyone", "do not retry"),
    "consent_required": ApiError(
        403,
        "the reader has not given the consent this needs; `details.purpose` names it",
        "ask the reader to give that consent (My library, Consents), then retry",
    ),
    "not_found": ApiError(
        404,
        "the thing named does not exist (or is not the caller's to see); `details` names it when it can",
        "check the id; a work may have merged into another: search again",
    ),
    "no_route": ApiError(404, "no route has this path", "check the path against `/docs`"),
    "method_not_allowed": ApiError(
        405, "the path has no route for this method; `Allow` lists those it has", "use a method `Allow` lists"
    ),
    "version_conflict": ApiError(
        409,
        "it changed since the caller read it: the version sent is not the stored one",
        "read it again (its new `version`), redo the change on it, send it again",
    ),
    "already_exists": ApiError(
        409,
        "what the caller asks to create exists already (a reader, a source, an open loan request)",
        "use the one there is",
    ),
    "invalid_state": ApiError(
        409,
        "its state does not allow this (a published list deleted, a closed loan request moved, a paused source "
        "harvested)",
        "do what the message says first (withdraw, resume...)",
    ),
    "in_progress": ApiError(
        409, "the same work is queued or running already (a harvest of the member)", "follow it; ask again after"
    ),
    "no_lender": ApiError(
        409,
        "no member that lends to the reader's library has a copy to lend now (or all refused before)",
        "ask later, or name a `lender` again",
    ),
    "conflict": ApiError(409, "the change conflicts with the current state", "read `Message`"),
    "too_large": ApiError(413, "the body (or an upload's lines) is over the route's limit", "send less at once"),
    "unsupported_media_type": ApiError(
        415, "the body's `Content-Type` is not one the route takes", "send the type `/docs` names"
    ),
    "too_many_requests": ApiError(
        429, "too many links that open nothing from this address", "wait the seconds `Retry-After` says"
    ),
    "rate_limited": ApiError(
        429,
        "on AWS, API Gateway's throttling: the stage's or the member's usage plan's rate is used up",
        "wait a little and retry, slower (a member system may ask its hub for a larger plan)",
    ),
    "quota_exceeded": ApiError(
        429, "on AWS, the member's daily quota (its usage plan) is used up", "wait for the next day, or ask for more"
    ),
    "blocked": ApiError(
        403,
        "on AWS, the firewall (WAF) refused the request: too many from one address, or a rule against attacks",
        "slow down; if it lasts, tell the hub's operator",
    ),
    "internal_error": ApiError(500, "the hub failed", "retry later; if it lasts, tell the hub's operator"),
    "timeout": ApiError(
        504, "on AWS, the hub took longer than API Gateway waits (29 s)", "retry; narrow a search or an export"
    ),
}
"""Every ``code`` an error answer of the API may carry (the README's "Error codes" table)."""

DETAIL_NAMES: Final = frozenset(
    {
        "cluster_id",
        "digest_id",
        "generation",
        "item_id",
        "key_id",
        "kind",
        "list_id",
        "member",
        "prompt_id",
        "purpose",
        "request_id",
        "run_id",
        "service",
        "source",
        "state",
        "version",
    }
)
"""The details of an error the answer repeats (ids of records, versions, states): never a reader's id or data."""

_BY_STATUS: Final = {
    400: "invalid_request",
    401: "invalid_credentials",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    500: "internal_error",
}
"""The code of an error whose own is not documented with its status."""

_CHALICE_CODES: Final = {
    "BadRequest": "accept_required",
    "InternalServerError": "internal_error",
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
}
"""The codes of the errors Chalice answers by itself (by its ``Code``)."""


class FieldProblem(pydantic.BaseModel):
    """One bad field of a body or query."""

    field: str
    """Where: the field's name, or its path (``entries.0.note``)."""
    reason: str
    """pydantic's error type (``missing``, ``string_too_long``, ``greater_than_equal``, ``value_error``...)."""
    message: str


class ErrorBody(pydantic.BaseModel):
    """An error answer: Chalice's ``Code`` and ``Message`` (English), the stable ``code`` and what it names."""

    Code: str
    """Chalice's name of the HTTP error (``BadRequestError``, ``ConflictError``...)."""
    Message: str
    """In English, naming the field or the record and the reason."""
    code: str = pydantic.Field(json_schema_extra={"enum": list(sorted(API_ERRORS))})
    """What went wrong, for programs: one of the README's "Error codes" (stable; new ones may come)."""
    field: str | None = None
    """The field at fault (``invalid_field`` and the other 400s), when one is."""
    details: dict[str, str | int] | None = None
    """The records the error is about (``list_id``, ``cluster_id``, ``version``, ``purpose``...), when it names
    them."""
    errors: list[FieldProblem] | None = None
    """Each bad field of a body or query that did not validate."""


def error_body(
    chalice_code: str,
    message: str,
    code: str,
    *,
    field: str | None = None,
    details: Mapping[str, object] | None = None,
    errors: list[FieldProblem] | None = None,
) -> dict[str, Any]:
    """The JSON body of an error answer (:class:`ErrorBody`): only the keys that say something.

    Example
    -------
    >>> error_body("NotFoundError", "no route /nowhere", "no_route")
    {'Code': 'NotFoundError', 'Message': 'no route /nowhere', 'code': 'no_route'}
    """
    body: dict[str, Any] = {"Code": chalice_code, "Message": message, "code": code}
    if field:
        body["field"] = field
    kept = {
        name: value
        for name, value in (details or {}).items()
        if name in DETAIL_NAMES and isinstance(value, str | int) and not isinstance(value, bool)
    }
    if kept:
        body["details"] = kept
    if errors:
        body["errors"] = [problem.model_dump() for problem in errors]
    return body


def exception_body(exc: Exception, chalice_code: str, status: int) -> dict[str, Any]:
    """The body of the answer with ``status`` the error ``exc`` becomes (:data:`~consortium.http.errors.STATUS`):
    its code (its own when the catalogue documents it with that status, else the status's), field and details."""
    if isinstance(exc, pydantic.ValidationError):
        problems = [_problem(item) for item in exc.errors()]
        field = next((p.field for p in problems if p.field), None)
        code = "invalid_field" if field else "invalid_request"
        return error_body(chalice_code, field_errors(exc), code, field=field, errors=problems)
    if not isinstance(exc, ConsortiumError):
        return error_body(chalice_code, str(exc), _BY_STATUS.get(status, "internal_error"))
    code = exc.error_code
    known = API_ERRORS.get(code)
    if known is None or known.status != status:
        code = _BY_STATUS.get(status, "internal_error")
        if code == "invalid_request" and isinstance(exc, ValidationError) and exc.field:
            code = "invalid_field"
    return error_body(chalice_code, exc.message, code, field=exc.field, details=exc.details)


def _problem(item: Any) -> FieldProblem:
    message = str(item["msg"]).removeprefix("Value error, ")
    field = ".".join(str(part) for part in item["loc"])
    if not field:  # a check of the whole model: its message names the field ("field 'parent': ...")
        field = named_field(message) or ""
    return FieldProblem(field=field, reason=str(item["type"]), message=message)


def error_response(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    """An error answer of ``status`` with ``body`` (:func:`error_body`), as JSON."""
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def with_code(response: Response) -> Response:
    """``response``, with a ``code`` added when it is an error Chalice answered by itself (a 405 of a path with
    other methods, a 415, a 500 of a failing route): its ``Code`` as one of :data:`API_ERRORS`."""
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "code" not in body:
        status = response.status_code
        body["code"] = _CHALICE_CODES.get(str(body["Code"])) or _BY_STATUS.get(status, "internal_error")
    return response
