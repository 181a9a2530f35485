"""The catalogue-out handlers served over HTTP on 127.0.0.1 for the real clients of the tests (sickle, yaz-client,
the hub's own harvester): a small WSGI adapter (GET query strings and POST form bodies to
:func:`~consortium.catalogue_out.handle_oai` at ``/oai`` and :func:`~consortium.catalogue_out.handle_sru` at
``/sru``) on waitress, on an ephemeral port. It stands in for the hub's own local server until the routes are in
the Chalice apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wsgi_thread import ServedApp

from consortium.catalogue_out import handle_oai, handle_sru
from consortium.ports import system_clock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from consortium.catalogue_out import PublishedCatalogue
    from consortium.ports import Clock

__all__ = ["ProviderServer", "provider_app"]

MAX_BODY = 1 << 20


def provider_app(catalogue: PublishedCatalogue, clock: Clock = system_clock) -> Callable[..., Iterable[bytes]]:
    """The WSGI application: ``/oai`` and ``/sru``, GET or POST; anything else is a 404."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] == "POST":
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
            params: bytes = environ["wsgi.input"].read(length)
        else:
            params = environ.get("QUERY_STRING", "").encode("latin-1")  # PEP 3333: the bytes, as latin-1
        base = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}{path}"
        if path == "/oai":
            response = handle_oai(params, base, catalogue, clock)
        elif path == "/sru":
            response = handle_sru(params, base, catalogue)
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} OK", headers)
        return [response.body]

    return app


class ProviderServer:
    """``with ProviderServer(catalogue) as server:`` serves it at ``server.oai_url`` and ``server.sru_url``.

    ``threads`` is waitress's worker count; keep 1 for stores that must be used from one thread at a time.
    """

    def __init__(self, catalogue: PublishedCatalogue, clock: Clock = system_clock, *, threads: int = 1) -> None:
        self._served = ServedApp(provider_app(catalogue, clock), name="provider-server", threads=threads)
        self.port = self._served.port
        self.base_url = self._served.url
        self.oai_url = f"{self.base_url}/oai"
        self.sru_url = f"{self.base_url}/sru"

    def __enter__(self) -> ProviderServer:
        self._served.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._served.stop()
