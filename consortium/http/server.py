"""The local HTTP server: the Chalice apps under ``functions/`` served on 127.0.0.1 as API Gateway's REST proxy
integration serves them on AWS.

:class:`LocalGateway` is a WSGI application: it matches the request path against the apps' own route tables (no
second table), builds the proxy event (``resource``, ``pathParameters``, ``multiValueQueryStringParameters``,
``requestContext.identity.sourceIp``...), calls the app object as Lambda would, and writes its answer back.
waitress (a threaded pure-Python WSGI server) does the HTTP (:mod:`consortium.http.serving`).

Each waitress worker thread has its own import of every app, hence its own container: like Lambda, where one
execution environment serves one invocation at a time. Chalice keeps the current request on the app object and
the SQLite adapters keep one connection per store, so neither is shared between threads. Each thread closes its
imports' containers as it ends and drops the imports (:meth:`LocalGateway.release_thread`): a process that stops
a server and starts another (a test session, a hub restarted in place) is left no database file of it.

A path no route has is a 404 and a known path with another method a 405 (with ``Allow``), both as JSON in the
apps' error shape. Bodies over :data:`MAX_REQUEST_BODY` are refused by waitress before they are read whole; each
route's own limit (smaller) is the route table's.
"""

from __future__ import annotations

import base64
import importlib.util
import itertools
import json
import re
import sys
import threading
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, unquote

from consortium.errors import ConfigError
from consortium.http import cors
from consortium.http.container import LambdaContainer
from consortium.http.errors import error_body

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path
    from types import ModuleType

    from chalice.app import Chalice

__all__ = [
    "APPS",
    "MAX_REQUEST_BODY",
    "WORKER_HEADER",
    "LocalGateway",
    "load_app",
    "load_module",
    "unload_module",
]

APPS: Final = ("cooperation", "discovery", "members", "profile", "push")
"""The apps ``consortium run`` serves, by folder name under ``functions/``."""

MAX_REQUEST_BODY: Final = 20 * 1024 * 1024
"""The largest request body the server reads (bytes); a route's own limit is smaller."""

WORKER_HEADER: Final = "X-Consortium-Worker"
"""The header naming the worker process that answered (``consortium run --workers N``: 1 to N)."""

_HOP_BY_HOP: Final = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade"})
_counter = itertools.count()


def _reason(status: int) -> str:
    """The reason phrase of ``status`` (``Request Entity Too Large`` for 413)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def load_app(functions_dir: Path, name: str) -> Chalice:
    """The ``app`` object of a new import of ``functions/<name>/app.py`` (see :func:`load_module`)."""
    app: Chalice = load_module(functions_dir, name).app
    return app


def load_module(functions_dir: Path, name: str) -> ModuleType:
    """A new import of ``functions/<name>/app.py``: a new Lambda environment, with its own container. Each app
    module has ``app`` (the Chalice app) and ``routes`` (its route table).

    Raises
    ------
    ConfigError
        When the folder has no such app (the hub was installed without its ``functions/`` folder).
    """
    path = functions_dir / name / "app.py"
    if not path.is_file():
        raise ConfigError(f"no app {path}: consortium run serves the apps under functions/ (CONSORTIUM_FUNCTIONS_DIR)")
    module_name = f"consortium_local_{name}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


def unload_module(module: ModuleType, *, close: bool = True) -> None:
    """Undo :func:`load_module`: close the container the app built (its database files), if it built one, and
    drop the import from ``sys.modules`` (which would otherwise keep it, and its open files, for the life of the
    process). Only the thread that built the container may close it; another passes ``close=False``: the
    container is then only forgotten, its files closed when it is freed."""
    container = getattr(module, "container", None)
    if isinstance(container, LambdaContainer):
        if close:
            container.close()
        else:
            container.reset()
    if sys.modules.get(module.__name__) is module:
        del sys.modules[module.__name__]


@dataclass(frozen=True)
class _Route:
    """A route pattern of one app: its regex, its parameters, its methods."""

    app: str
    pattern: str
    regex: re.Pattern[str]
    params: tuple[str, ...]
    methods: frozenset[str]
    literal_segments: int


def _compile(app_name: str, pattern: str, methods: Iterable[str]) -> _Route:
    parts = pattern.strip("/").split("/") if pattern != "/" else []
    regex, params, literal = "", [], 0
    for part in parts:
        found = re.fullmatch(r"\{(\w+)(\+?)\}", part)
        if found:
            params.append(found.group(1))
            regex += "/(?P<{}>{})".format(found.group(1), ".+" if found.group(2) else "[^/]+")
        else:
            literal += 1
            regex += "/" + re.escape(part)
    return _Route(app_name, pattern, re.compile((regex or "/") + r"\Z"), tuple(params), frozenset(methods), literal)


class LocalGateway:
    """A WSGI application serving the Chalice apps (see the module notes).

    Parameters
    ----------
    load
        Makes a new import of an app's module by name (:func:`load_module`); called once per app per worker
        thread. :meth:`close` undoes them all (:func:`unload_module`).
    names
        The apps to serve.
    worker
        The worker process's number under ``consortium run --workers N``: every answer then says which worker
        gave it (``X-Consortium-Worker``), for administrators checking that every worker serves.
    origins
        The origins of a portal served elsewhere (the setting ``portal_origins``): their preflights are answered
        as API Gateway answers them on AWS, and the gateway's own answers (404, 405) carry CORS headers for them.

    Example
    -------
    >>> gateway = LocalGateway(lambda name: load_module(Path("functions"), name), APPS)
    >>> serve(gateway, "127.0.0.1", 8000).run()  # consortium.http.serving
    """

    def __init__(
        self,
        load: Callable[[str], ModuleType],
        names: Sequence[str],
        *,
        worker: int | None = None,
        origins: Sequence[str] = (),
    ) -> None:
        self._load = load
        self._origins = tuple(origins)
        self._names = tuple(names)
        self._worker: tuple[tuple[str, str], ...] = () if worker is None else ((WORKER_HEADER, str(worker)),)
        self._local = threading.local()
        self._loaded: dict[int, list[ModuleType]] = {}  # each thread's imports, by thread id, for closing
        self._loaded_lock = threading.Lock()
        first = [load(name) for name in self._names]  # only for the routes: dropped at once, having built nothing
        routes: list[_Route] = []
        owner: dict[tuple[str, str], str] = {}
        try:
            for name, module in zip(self._names, first, strict=True):
                for pattern, methods in module.app.routes.items():
                    for method in methods:
                        if (method, pattern) in owner:
                            raise ConfigError(
                                f"{method} {pattern} is a route of both {owner[method, pattern]} and {name}"
                            )
                        owner[method, pattern] = name
                    routes.append(_compile(name, pattern, methods))
        finally:
            for module in first:
                unload_module(module)
        # API Gateway prefers the most literal match: /readers/{reader_id}/export before /readers/{reader_id}/{x}
        self.routes = sorted(routes, key=lambda route: (-route.literal_segments, route.pattern))

    def _apps(self) -> dict[str, Chalice]:
        apps: dict[str, Chalice] | None = getattr(self._local, "apps", None)
        if apps is None:
            modules = [self._load(name) for name in self._names]
            with self._loaded_lock:
                self._loaded.setdefault(threading.get_ident(), []).extend(modules)
            apps = {name: module.app for name, module in zip(self._names, modules, strict=True)}
            self._local.apps = apps
        return apps

    def release_thread(self) -> None:
        """Close this thread's imports of the apps (their containers' database files, which only the thread
        that opened them may close) and drop them; the thread's next request imports the apps again. A server's
        thread calls it as it ends (:class:`~consortium.http.serving.LocalServer`)."""
        with self._loaded_lock:
            mine = self._loaded.pop(threading.get_ident(), [])
        if hasattr(self._local, "apps"):
            del self._local.apps
        for module in mine:
            unload_module(module)

    def close(self) -> None:
        """Close this thread's imports (:meth:`release_thread`) and drop every other thread's: call it once the
        threads that served have ended (:meth:`~consortium.http.serving.LocalServer.close` does); those released
        what they opened as they ended. An import of a thread still running is only dropped, its files closed
        when it is freed."""
        self.release_thread()
        with self._loaded_lock:
            others, self._loaded = self._loaded, {}
        for modules in others.values():
            for module in modules:
                unload_module(module, close=False)

    def app(self, name: str) -> Chalice:
        """This thread's object of app ``name``."""
        return self._apps()[name]

    def match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | tuple[None, list[str]]:
        """The route and path parameters for ``method`` on ``path``; else ``None`` and the methods the path has
        (empty: no route has the path)."""
        allowed: list[str] = []
        for route in self.routes:
            found = route.regex.match(path)
            if found is None:
                continue
            if method in route.methods:
                return route, {name: unquote(value) for name, value in found.groupdict().items()}
            allowed.extend(route.methods)
        return None, sorted(set(allowed))

    @property
    def worker_headers(self) -> tuple[tuple[str, str], ...]:
        """The headers naming this process's worker (none when the hub serves in its own process)."""
        return self._worker

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw_path = environ.get("PATH_INFO") or "/"
        path = raw_path.encode("latin-1").decode("utf-8", "replace") if isinstance(raw_path, str) else "/"
        route, found = self.match("GET" if method == "HEAD" else method, path)
        if route is None:
            origin = environ.get("HTTP_ORIGIN")
            shared = {**dict(self._worker), **cors.answer_headers(origin, self._origins)}
            if found and method == "OPTIONS" and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
                # a browser's preflight, answered as API Gateway's mock integration answers it on AWS
                allowed = cors.preflight_headers(origin, self._origins, found)
                fields = [*allowed.items(), *self._worker] if allowed else list(shared.items())
                start_response("204 No Content", fields)
                return [b""]
            if found:
                refused = error_body(
                    "MethodNotAllowedError", f"{method} is not allowed on {path}", "method_not_allowed"
                )
                return _answer(start_response, 405, refused, {"Allow": ", ".join(found), **shared})
            missing = error_body("NotFoundError", f"no route {path}", "no_route")
            return _answer(start_response, 404, missing, shared)
        assert isinstance(found, dict)
        event = _event(environ, method, path, route, found)
        context = _Context(route.app)
        answer = self.app(route.app)(event, context)
        body = answer.get("body") or ""
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode("utf-8")
        headers: list[tuple[str, str]] = []
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers.extend((name, str(value)) for value in values)
        for name, value in (answer.get("headers") or {}).items():
            if not any(h[0].lower() == name.lower() for h in headers):
                headers.append((name, str(value)))
        headers = [h for h in headers if h[0].lower() not in _HOP_BY_HOP and h[0].lower() != "content-length"]
        if data and not any(h[0].lower() == "content-type" for h in headers):
            headers.append(("Content-Type", "application/json"))  # API Gateway's default for a proxy answer
        headers.append(("Content-Length", str(len(data))))
        headers.extend(self._worker)
        status = int(answer.get("statusCode", 200))
        start_response(f"{status} {_reason(status)}", headers)
        return [b""] if method == "HEAD" else [data]


class _Context:
    """The Lambda context an app is called with."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 1024

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _event(environ: dict[str, Any], method: str, path: str, route: _Route, params: dict[str, str]) -> dict[str, Any]:
    """The REST proxy event API Gateway would send for this request."""
    headers: dict[str, list[str]] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.setdefault(key[5:].replace("_", "-").title(), []).append(str(value))
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = [str(environ[key])]
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True):
        query.setdefault(name, []).append(value)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        body, encoded = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(raw).decode("ascii"), True
    return {
        "resource": route.pattern,
        "path": path,
        "httpMethod": "GET" if method == "HEAD" else method,
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.pattern,
            "httpMethod": "GET" if method == "HEAD" else method,
            "path": path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": str(environ.get("REMOTE_ADDR", "unknown"))},
        },
        "body": body if raw else None,
        "isBase64Encoded": encoded,
    }


def _answer(
    start_response: Callable[..., Any], status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> list[bytes]:
    data = json.dumps(body).encode("utf-8")
    fields = [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(headers or {}).items()]
    start_response(f"{status} {_reason(status)}", fields)
    return [data]
