"""``consortium openapi``, and the API server ``consortium run`` starts: the apps under ``functions/`` served on
127.0.0.1 (:mod:`consortium.http.server`), and their OpenAPI document."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import click

from consortium import __version__
from consortium.errors import ConsortiumError
from consortium.http.openapi import build_document
from consortium.http.portal import DemoLogin, DemoReader, PortalSite, SignIn
from consortium.http.server import APPS, LocalGateway, load_module, unload_module
from consortium.http.serving import LocalServer, serve

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from consortium.bootstrap import Container

__all__ = ["api_document", "openapi", "start_server"]

LOCAL_URL = "http://127.0.0.1:8000"
"""The server the kept document names (``consortium run``'s default address)."""

DOCUMENT_PATH = ("discovery", "openapi.json")
"""Where the document is kept, under ``functions/``: the discovery function serves it."""


def api_document(functions_dir: Path) -> dict[str, Any]:
    """The OpenAPI document of every app under ``functions_dir`` (their ``routes`` tables), for the local
    server's address."""
    modules = [load_module(functions_dir, name) for name in APPS]
    try:
        tables = [module.routes for module in modules]
        return build_document(tables, title="Consortium hub API", version=__version__, servers=[LOCAL_URL])
    finally:
        for module in modules:
            unload_module(module)


def document_text(document: dict[str, Any]) -> str:
    """The document as kept in the file: sorted keys, two-space indent, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@click.command()
@click.option("--check", is_flag=True, help="Only say whether the kept document is current (exit 1 if not).")
@click.pass_obj
def openapi(container: Container, check: bool) -> None:
    """Write the API's OpenAPI 3.1 document (functions/discovery/openapi.json), made from every app's routes."""
    functions_dir = container.settings.functions_dir
    path = functions_dir.joinpath(*DOCUMENT_PATH)
    text = document_text(api_document(functions_dir))
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            raise click.ClickException(f"{path} is out of date: run consortium openapi")
        click.echo(f"{path} is current")
        return
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}")


def start_server(
    container: Container, host: str, port: int, *, threads: int = 8, demo_readers: Sequence[DemoReader] = ()
) -> tuple[LocalServer, threading.Thread]:
    """The API server, and the portal beside it, on ``host``:``port``, running in a daemon thread; ``close()``
    the server to stop it (and close what the apps opened). With ``demo_readers``, the portal lets anyone log in
    as one of them (a demo); else, with an OpenID Connect provider in the settings (``CONSORTIUM_OIDC_*``),
    readers sign in there."""
    functions_dir = container.settings.functions_dir
    gateway = LocalGateway(lambda name: load_module(functions_dir, name), APPS, origins=container.settings.cors_origins)
    demo = DemoLogin(container.token_issuer, tuple(demo_readers)) if demo_readers else None
    try:
        signin = SignIn.from_settings(container.settings)
    except ConsortiumError as exc:
        gateway.close()
        raise click.ClickException(str(exc)) from exc
    site = PortalSite(gateway, container.settings.portal_dir, demo=demo, signin=signin)
    try:
        server = serve(site, host, port, threads=threads)
    except (OSError, ValueError) as exc:  # waitress: ValueError for a host it cannot resolve
        gateway.close()
        reason = getattr(exc, "strerror", None) or exc
        raise click.ClickException(
            f"cannot serve the API on {host}:{port}: {reason} (choose another with --port, or check --host)"
        ) from exc
    thread = threading.Thread(target=server.run, name="api-server", daemon=True)
    thread.start()
    return server, thread
