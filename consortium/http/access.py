"""Who may call each route, declared in one place: the route table.

Every route of the apps is added through a :class:`RouteTable`, which records its :class:`Access`, its body,
query and answer models (the OpenAPI document is made from these records) and registers it with Chalice. The
table's middleware runs before every route of its app, and denies by default:

1. a route the table does not know (added with a bare ``@app.route``) answers 403;
2. a body over the route's size limit answers 413;
3. the credentials (``Authorization: Bearer <jwt>``, ``X-Api-Key``, or on the member API for IAM the AWS principal
   API Gateway verified, from the request context) are checked: bad ones answer 401, whatever the route (a client
   sending a wrong token wants to know), and a verified AWS principal no member names 403;
4. the caller's kind must be one the route's access admits: anonymous on a protected route is 401, and so is a
   credential of a scheme the route does not take (an API key where only bearer tokens open it); any other
   caller is 403;
5. the path scopes the caller: ``{reader_id}`` must be the calling reader, or a reader of the calling library
   (404 otherwise, so that a library learns nothing of other members' readers); ``{member_id}`` must be the
   caller's own member (403).

The view then runs with the caller in :func:`current_caller`, its body and query already parsed into their
models (a 400 naming each bad field otherwise). Every answer, a refusal included, to a page of a portal served
from another origin that the settings allow carries the CORS headers that let the page read it
(:mod:`consortium.http.cors`).
"""

from __future__ import annotations

import contextvars
import functools
import typing
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl

from consortium import errors
from consortium.auth.callers import ANONYMOUS, MEMBER_SYSTEMS, Caller, CallerKind, StaffRole
from consortium.http import cors
from consortium.http.errors import error_body, error_for, http_errors
from consortium.http.problems import error_response, with_code
from consortium.json_input import read_json

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    import pydantic
    from chalice.app import Chalice, Request, Response

    from consortium.auth.authenticator import Authenticator

__all__ = [
    "ANALYTICS_STAFF",
    "ANYONE",
    "LIBRARY",
    "MEMBER_ADMIN",
    "READER",
    "READER_OR_LIBRARY",
    "SUBJECT_LIBRARIAN",
    "TOKEN_URL",
    "Access",
    "RouteSpec",
    "RouteTable",
    "current_caller",
]

DEFAULT_MAX_BODY: Final = 256 * 1024
"""The largest body a route takes unless it says otherwise (bytes)."""


@dataclass(frozen=True)
class Access:
    """Who may call a route: the kinds of caller admitted (staff only with one of ``staff_roles``)."""

    name: str
    callers: frozenset[CallerKind]
    staff_roles: frozenset[StaffRole] = frozenset()
    description: str = ""

    def admits(self, caller: Caller) -> bool:
        """Whether ``caller``'s kind (and, for staff, a role) is admitted."""
        if caller.kind not in self.callers:
            return False
        return caller.kind is not CallerKind.STAFF or bool(caller.roles & self.staff_roles)

    @property
    def public(self) -> bool:
        """Whether anyone may call without credentials."""
        return CallerKind.ANONYMOUS in self.callers


_EVERYONE = frozenset(CallerKind)
_ADMIN = frozenset({StaffRole.MEMBER_ADMIN})

ANYONE = Access("anyone", _EVERYONE, frozenset(StaffRole), "anyone, without logging in")
TOKEN_URL = Access("token-url", _EVERYONE, frozenset(StaffRole), "anyone holding the URL (the token in it is the key)")
READER = Access("reader", frozenset({CallerKind.READER}), description="the reader themself")
READER_OR_LIBRARY = Access(
    "reader-or-library",
    frozenset({CallerKind.READER, CallerKind.STAFF, *MEMBER_SYSTEMS}),
    _ADMIN,
    "the reader, or their home library (its API key, its AWS principal or a member administrator)",
)
LIBRARY = Access(
    "library",
    frozenset({CallerKind.STAFF, *MEMBER_SYSTEMS}),
    _ADMIN,
    "the member library (its API key, its AWS principal or a member administrator)",
)
MEMBER_ADMIN = Access(
    "member-admin",
    frozenset({CallerKind.STAFF}),
    _ADMIN,
    "a member administrator of the member library (staff, not its API keys)",
)
SUBJECT_LIBRARIAN = Access(
    "subject-librarian",
    frozenset({CallerKind.STAFF}),
    frozenset({StaffRole.SUBJECT_LIBRARIAN, StaffRole.MEMBER_ADMIN}),
    "a member's subject librarian or administrator",
)

ANALYTICS_STAFF = Access(
    "staff",
    frozenset({CallerKind.STAFF}),
    frozenset({StaffRole.MEMBER_ADMIN, StaffRole.SUBJECT_LIBRARIAN, StaffRole.CONSORTIUM_OFFICE}),
    "staff of a member library (administrator or subject librarian) or of the consortium office",
)
"""The consortium-wide analytics: the same k-anonymous report for every staff caller (no API key, no reader)."""

_SAME_CREDENTIAL: Final = {
    CallerKind.ANONYMOUS: frozenset({CallerKind.ANONYMOUS}),
    CallerKind.READER: frozenset({CallerKind.READER, CallerKind.STAFF}),
    CallerKind.STAFF: frozenset({CallerKind.READER, CallerKind.STAFF}),
    CallerKind.MEMBER_KEY: frozenset({CallerKind.MEMBER_KEY}),
    CallerKind.MEMBER_IAM: frozenset({CallerKind.MEMBER_IAM}),
}
"""The callers a credential of each kind's scheme could prove: a bearer token (reader or staff), an API key or an
AWS signature. A route taking none of them answers 401 (send another credential), not 403."""

_CALLER: contextvars.ContextVar[Caller] = contextvars.ContextVar("caller", default=ANONYMOUS)


def current_caller() -> Caller:
    """The caller of the request being served (anonymous outside one)."""
    return _CALLER.get()


@dataclass(frozen=True)
class RouteSpec:
    """One route as the table records it (what the OpenAPI document is made from)."""

    method: str
    path: str
    access: Access
    view: Callable[..., Any]
    summary: str
    body: type[pydantic.BaseModel] | None = None
    query: type[pydantic.BaseModel] | None = None
    answer: type[pydantic.BaseModel] | None = None
    status: int = 200
    content_types: tuple[str, ...] = ("application/json",)
    answer_type: str | tuple[str, ...] = "application/json"
    """The media type of the answer, or the types it may have (an export in the format asked for)."""
    max_body: int = DEFAULT_MAX_BODY
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def operation_id(self) -> str:
        """The OpenAPI operation id: the view's name."""
        return self.view.__name__


UNAUTHORIZED_HEADERS: Final = {"WWW-Authenticate": 'Bearer realm="consortium", charset="UTF-8"'}


class RouteTable:
    """The routes of one Chalice app, each with who may call it (see the module notes).

    Parameters
    ----------
    app
        The app whose routes these are; the table registers its middleware on it.
    authenticator
        What checks a request's credentials (built on first use: the container's).
    reader_member
        The home library of a reader (:class:`~consortium.errors.NotFoundError` for an unknown reader).
    tag
        The OpenAPI tag of the app's routes.

    Example
    -------
    >>> routes = RouteTable(app, lambda: container().authenticator, lambda r: container().profiles.member_of(r))
    >>> @routes.route("GET", "/readers/{reader_id}/profile", READER, answer=ProfileView)
    ... def get_profile(reader_id: str) -> dict[str, Any]: ...
    """

    def __init__(
        self,
        app: Chalice,
        authenticator: Callable[[], Authenticator],
        reader_member: Callable[[str], str],
        tag: str,
        origins: Callable[[], Sequence[str]] = tuple,
    ) -> None:
        self.app = app
        self.tag = tag
        self.specs: dict[tuple[str, str], RouteSpec] = {}
        self._authenticator = authenticator
        self._reader_member = reader_member
        self._origins = origins
        app.register_middleware(self._guard, "http")

    def route(
        self,
        method: str,
        path: str,
        access: Access,
        *,
        body: type[pydantic.BaseModel] | None = None,
        query: type[pydantic.BaseModel] | None = None,
        answer: type[pydantic.BaseModel] | None = None,
        status: int = 200,
        content_types: Iterable[str] = ("application/json",),
        answer_type: str | tuple[str, ...] = "application/json",
        max_body: int = DEFAULT_MAX_BODY,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Add a route: the view gets the path parameters, and ``body=``/``query=`` parsed into their models when
        the route has them. The core's errors become HTTP errors (:data:`~consortium.http.errors.STATUS`)."""

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            spec = RouteSpec(
                method=method.upper(),
                path=path,
                access=access,
                view=view,
                summary=(view.__doc__ or view.__name__).strip().splitlines()[0],
                body=body,
                query=query,
                answer=answer,
                status=status,
                content_types=tuple(content_types),
                answer_type=answer_type,
                max_body=max_body,
                tags=(self.tag,),
            )
            if (spec.method, path) in self.specs:
                raise ValueError(f"route {spec.method} {path} is declared twice")
            self.specs[(spec.method, path)] = spec

            @http_errors
            @functools.wraps(view)
            def served(**params: str) -> Any:
                if body is None and spec.content_types == ("application/json",):
                    _refuse_body(self._request())
                if body is not None:
                    params["body"] = _parse_body(self._request(), body)  # type: ignore[assignment]
                if query is not None:
                    params["query"] = _parse_query(self._request(), query)  # type: ignore[assignment]
                return view(**params)

            # a route that takes no body takes any Content-Type (a GET from a client that sends one anyway)
            takes_body = body is not None or spec.content_types != ("application/json",)
            accepted = list(spec.content_types) if takes_body else ["*/*"]
            self.app.route(path, methods=[spec.method], content_types=accepted)(served)
            return view

        return decorate

    def _request(self) -> Request:
        request = self.app.current_request
        if request is None:
            raise RuntimeError("no current request: call this from a route")
        return request

    # -- the guard every request passes

    def _guard(self, request: Request, get_response: Callable[[Request], Response]) -> Response:
        answer = self._checked(request, get_response)
        allowed = self._origins()
        if allowed:  # a portal on another address reads this answer only with these (consortium.http.cors)
            answer.headers = cors.merged(answer.headers, cors.answer_headers(request.headers.get("origin"), allowed))
        return answer

    def _checked(self, request: Request, get_response: Callable[[Request], Response]) -> Response:
        context = request.context or {}
        spec = self.specs.get((str(request.method).upper(), str(context.get("resourcePath", ""))))
        if spec is None:
            if any(path == context.get("resourcePath") for _, path in self.specs):
                return with_code(get_response(request))  # Chalice answers 405 with Allow
            closed = error_body("ForbiddenError", "this route declares no access: it is closed", "route_closed")
            return error_response(403, closed)
        raw = request.raw_body or b""
        if len(raw) > spec.max_body:
            limit = f"the body is larger than {spec.max_body} bytes, this route's limit"
            return error_response(413, error_body("RequestEntityTooLarge", limit, "too_large", field="body"))
        try:
            identity = context.get("identity") or {}
            caller = self._authenticator().caller(
                authorization=request.headers.get("authorization"),
                api_key=request.headers.get("x-api-key"),
                aws_principal=identity.get("userArn") if isinstance(identity, dict) else None,
                api_id=context.get("apiId"),
            )
            self._authorize(spec, caller, request.uri_params or {})
        except errors.AuthenticationError as exc:
            refused = error_for(exc)
            refused.headers.update(UNAUTHORIZED_HEADERS)
            return refused
        except (errors.PermissionDeniedError, errors.NotFoundError) as exc:
            return error_for(exc)
        token = _CALLER.set(caller)
        try:
            return with_code(get_response(request))  # Chalice's own errors (415, 500) get their code too
        finally:
            _CALLER.reset(token)

    def _authorize(self, spec: RouteSpec, caller: Caller, params: dict[str, str]) -> None:
        if not spec.access.admits(caller):
            if caller.kind is CallerKind.ANONYMOUS:
                raise errors.AuthenticationError(
                    f"log in first: this route is for {spec.access.description}", error_code="login_required"
                )
            if not spec.access.callers & _SAME_CREDENTIAL[caller.kind]:
                wanted = "a bearer token" if caller.kind in MEMBER_SYSTEMS else "an API key"
                raise errors.AuthenticationError(
                    f"this route takes {wanted}: it is for {spec.access.description}, not {caller.describe()}",
                    error_code="wrong_credential",
                )
            raise errors.PermissionDeniedError(f"{caller.describe()} may not call this route")
        member_id = params.get("member_id")
        if member_id is not None and caller.kind is not CallerKind.ANONYMOUS and caller.member != member_id:
            raise errors.PermissionDeniedError(f"{caller.describe()} may not act for {member_id}")
        reader_id = params.get("reader_id")
        if reader_id is None or caller.kind is CallerKind.ANONYMOUS:
            return
        if caller.kind is CallerKind.READER:
            if caller.subject != reader_id:
                raise errors.PermissionDeniedError("a reader may only reach their own data")
            return
        try:
            home = self._reader_member(reader_id)
        except errors.NotFoundError:
            home = None
        if home is None or home != caller.member:
            raise errors.NotFoundError(f"no reader {reader_id!r} of {caller.member}")


def _refuse_body(request: Request) -> None:
    if (request.raw_body or b"").strip():
        raise errors.ValidationError("field 'body': this route takes no body (send its parameters in the query)")


def _parse_body(request: Request, model: type[pydantic.BaseModel]) -> pydantic.BaseModel:
    found = request.raw_body or b""
    raw = found.encode("utf-8") if isinstance(found, str) else found
    content_type = str(request.headers.get("content-type", "application/json"))
    data: Any = {}
    if content_type.lower().startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        data = _form_fields(content_type, raw)
    elif raw.strip():
        data = read_json(raw)
    return model.model_validate(data)


def _form_fields(content_type: str, raw: bytes) -> dict[str, str]:
    """The fields of an HTML form's body: URL-encoded, or multipart (the last value of a repeated field)."""
    if content_type.lower().startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    fields: dict[str, str] = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return fields


def _parse_query(request: Request, model: type[pydantic.BaseModel]) -> pydantic.BaseModel:
    params = request.query_params
    data: dict[str, Any] = {}
    if params:
        for name in params:
            values = params.getlist(name)
            info = model.model_fields.get(name)
            many = info is not None and _is_list(info.annotation)
            data[name] = values if many or len(values) > 1 else values[0]
    return model.model_validate(data)


def _is_list(annotation: Any) -> bool:
    """Whether a field's annotation is a list (or an optional list): its query parameter may repeat."""
    if typing.get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in typing.get_args(annotation))
