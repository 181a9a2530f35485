"""The readers' portal served beside the API on one machine: its static files, its ``config.json``, and, for a
demo, a login that needs no identity provider.

On AWS the portal is the same files on S3 behind CloudFront, with a ``config.json`` the deployment writes (the
API's address and the Cognito user pool to log in with); locally :class:`PortalSite` serves them from the folder
``portal/`` in front of the :class:`~consortium.http.server.LocalGateway`. A request goes to the API when one of
its routes has the path; otherwise it is a file of the portal (``/`` is ``index.html``); else the API's 404.

Answers set no cookie. Every page and file carries the headers CloudFront's response policy adds on AWS
(:data:`SECURITY_HEADERS`): a content security policy that lets a page load and call nothing but the hub.

The demo login (``consortium run --demo``) hands out a token for one of the demo readers it created, or for one of
the demo staff accounts (an administrator and a subject librarian of each member), and for no one else. With an
OpenID Connect provider in the settings (``CONSORTIUM_OIDC_*``: a Cognito user pool, or a university's own
provider) the login page sends readers and staff there, as Cognito's hosted sign-in on AWS (:class:`SignIn`), and
the policy lets the pages call its token endpoint. Otherwise the login page asks for a token from ``consortium
login``.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from consortium.auth.oidc import OidcProvider
from consortium.errors import ValidationError
from consortium.http.errors import error_body
from consortium.json_input import read_json

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from pathlib import Path

    from consortium.auth.callers import StaffRole
    from consortium.auth.tokens import LocalTokenIssuer
    from consortium.config import Settings
    from consortium.http.server import LocalGateway

__all__ = [
    "SECURITY_HEADERS",
    "VENDOR_FILES",
    "DemoLogin",
    "DemoReader",
    "PortalSite",
    "SignIn",
    "content_security_policy",
    "portal_config",
    "security_headers",
    "vendor_file",
]


def content_security_policy(*connect: str) -> str:
    """The portal's content security policy: its pages load and call nothing but the hub, and the origins in
    ``connect`` (on AWS the API's and Cognito's; locally an OpenID Connect provider's token endpoint). The
    CloudFront response headers policy of the portal stack uses it too, so both send the same policy."""
    sources = " ".join(["'self'", *connect])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"connect-src {sources}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def security_headers(*connect: str) -> dict[str, str]:
    """The headers of every portal answer, the policy's ``connect-src`` with ``connect`` added."""
    return {
        "Content-Security-Policy": content_security_policy(*connect),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    }


SECURITY_HEADERS: Final[dict[str, str]] = security_headers()
"""Headers of every portal answer without an outside sign-in (the CloudFront response headers policy of the
portal stack sends the same, its ``connect-src`` naming the API and Cognito)."""

_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}

VENDOR_FILES: Final[dict[str, str]] = {"assets/vendor/echarts.min.js": "node_modules/echarts/dist/echarts.min.js"}
"""Files of front-end packages the pages load, by their path in the portal: where each is in the repository once
``npm ci`` (``make install``) installed ``package-lock.json``'s packages. Served from there locally; the portal
stack copies them into the portal's bucket on AWS (``infra/hubstack/portal.py``). Nothing is loaded from a CDN."""


def vendor_file(relative: str, repository: Path) -> Path | None:
    """The installed file of a front-end package at portal path ``relative`` (``None``: not one, or missing)."""
    installed = VENDOR_FILES.get(relative)
    if installed is None:
        return None
    found = repository / installed
    return found if found.is_file() else None


DEMO_LOGIN_PATH: Final = "/local/demo-login"
"""``GET``: the demo readers and demo staff accounts one may log in as; ``POST {"reader": id}``: a token for one of
them (a staff account's carries its member and roles)."""


@dataclass(frozen=True)
class DemoReader:
    """A reader ``consortium run --demo`` created, whom the portal lets anyone log in as; with ``roles``, a staff
    account of ``member`` instead (a member administrator or a subject librarian of a demo member)."""

    reader_id: str
    member: str
    label: str
    roles: tuple[StaffRole, ...] = ()

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"reader": self.reader_id, "member": self.member, "label": self.label}
        if self.roles:
            shown["roles"] = [role.value for role in self.roles]
        return shown


@dataclass(frozen=True)
class DemoLogin:
    """Tokens for the demo readers and demo staff accounts, from the hub's local signing key."""

    issuer: LocalTokenIssuer
    readers: tuple[DemoReader, ...]

    def token(self, reader_id: str) -> str | None:
        """A token for demo reader (or staff account) ``reader_id``; ``None`` for anyone else."""
        for reader in self.readers:
            if reader.reader_id == reader_id:
                return self.issuer.issue(reader.reader_id, member=reader.member, roles=reader.roles)
        return None

    def listing(self) -> dict[str, list[dict[str, Any]]]:
        """What ``GET`` answers: the readers, then the staff accounts."""
        return {
            "readers": [one.as_dict() for one in self.readers if not one.is_staff],
            "staff": [one.as_dict() for one in self.readers if one.is_staff],
        }


@dataclass(frozen=True)
class SignIn:
    """An outside sign-in for the portal: the authorization code flow with PKCE at an OpenID Connect provider (a
    public client), as Cognito's hosted sign-in on AWS.

    Attributes
    ----------
    client_id
        The portal's client at the provider.
    redirect_uri
        Where the provider sends the reader back (the portal's ``login.html``; registered there exactly).
    authorize_url, token_url
        The provider's authorization and token endpoints.
    """

    client_id: str
    redirect_uri: str
    authorize_url: str
    token_url: str

    @classmethod
    def of(cls, provider: OidcProvider, public_url: str) -> SignIn:
        """The sign-in at ``provider`` for the portal served at ``public_url``."""
        redirect = f"{public_url.rstrip('/')}/login.html"
        return cls(provider.client_id, redirect, provider.authorize_url, provider.token_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> SignIn | None:
        """The sign-in the ``CONSORTIUM_OIDC_*`` settings name (``None``: none, or the aws backend); raises
        :class:`~consortium.errors.ConfigError` when they are incomplete."""
        provider = None if settings.backend == "aws" else OidcProvider.from_settings(settings)
        return None if provider is None else cls.of(provider, settings.public_url)

    @property
    def origins(self) -> tuple[str, ...]:
        """What the pages call besides the hub: the token endpoint's origin."""
        parts = urlsplit(self.token_url)
        return (f"{parts.scheme}://{parts.netloc}",)

    def config(self) -> dict[str, str]:
        """The ``auth`` part of ``config.json`` (the portal stack's, on AWS, has the same fields)."""
        return {
            "mode": "cognito",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "authorize_endpoint": self.authorize_url,
            "token_endpoint": self.token_url,
        }


def portal_config(*, demo: bool, api: str = "", signin: SignIn | None = None) -> dict[str, Any]:
    """The portal's ``config.json`` on this machine: the API at the same address (``api`` empty), and how to log
    in: ``demo``, pick a demo reader; else with ``signin``, at the OpenID Connect provider (mode ``cognito``);
    else ``token``, paste a token from ``consortium login``."""
    if demo:
        return {"api": api, "auth": {"mode": "demo", "demo_login": DEMO_LOGIN_PATH}}
    if signin is not None:
        return {"api": api, "auth": signin.config()}
    return {"api": api, "auth": {"mode": "token"}}


class PortalSite:
    """A WSGI application: the API gateway, and the portal's files for every path no API route has.

    Parameters
    ----------
    gateway
        The API.
    root
        The portal's folder (``index.html`` and ``assets/``).
    demo
        Tokens for demo readers; ``None``: no demo login.
    signin
        Readers sign in at an OpenID Connect provider (unless ``demo``); ``None``: with a token.
    """

    def __init__(
        self, gateway: LocalGateway, root: Path, *, demo: DemoLogin | None = None, signin: SignIn | None = None
    ) -> None:
        self.gateway = gateway
        self.root = root.resolve()
        self.demo = demo
        self.signin = signin
        self.headers = security_headers(*(signin.origins if signin is not None and demo is None else ()))
        config = portal_config(demo=demo is not None, signin=signin)
        self._config = json.dumps(config, separators=(",", ":")).encode("utf-8")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO") or "/")
        start_response = self._stamped(start_response)
        if path == DEMO_LOGIN_PATH and self.demo is not None:
            return self._demo_login(method, environ, start_response)
        if method not in ("GET", "HEAD"):
            return self.gateway(environ, start_response)
        route, _ = self.gateway.match("GET", path)
        if route is not None:
            return self.gateway(environ, start_response)
        if path == "/config.json":
            return _send(self.headers, start_response, method, 200, self._config, headers={"Cache-Control": "no-cache"})
        found = self._file(path)
        if found is None:
            return self.gateway(environ, start_response)
        data = found.read_bytes()
        tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        headers = {"ETag": tag, "Cache-Control": "no-cache"}
        if environ.get("HTTP_IF_NONE_MATCH") == tag:
            return _send(self.headers, start_response, method, 304, b"", suffix=found.suffix, headers=headers)
        return _send(self.headers, start_response, method, 200, data, suffix=found.suffix, headers=headers)

    def release_thread(self) -> None:
        """Close the calling thread's imports of the API's apps (:meth:`LocalGateway.release_thread`)."""
        self.gateway.release_thread()

    def close(self) -> None:
        """Close the API behind the portal (:meth:`LocalGateway.close`)."""
        self.gateway.close()

    def _stamped(self, start_response: Callable[..., Any]) -> Callable[..., Any]:
        """``start_response`` adding the gateway's worker header to the portal's own answers (the gateway's
        carry it already)."""
        extra = list(self.gateway.worker_headers)
        if not extra:
            return start_response

        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            if not any(name == extra[0][0] for name, _ in headers):
                headers = [*headers, *extra]
            return start_response(status, headers, *rest)

        return start

    def _file(self, path: str) -> Path | None:
        """The portal file at ``path`` (``/`` and folders: their ``index.html``), never outside the folder."""
        relative = path.lstrip("/")
        if relative in VENDOR_FILES:
            return vendor_file(relative, self.root.parent)
        if "\\" in relative or "\x00" in relative or any(part.startswith(".") for part in relative.split("/") if part):
            return None
        candidate = (self.root / relative).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate if candidate.suffix in _TYPES else None

    def _demo_login(self, method: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.demo is not None
        private = {"Cache-Control": "no-store"}
        if method == "GET":
            listing = json.dumps(self.demo.listing(), ensure_ascii=False).encode("utf-8")
            return _send(self.headers, start_response, method, 200, listing, headers=private)
        if method != "POST":
            body = error_body(
                "MethodNotAllowedError", f"{method} is not allowed on {DEMO_LOGIN_PATH}", "method_not_allowed"
            )
            return _send(self.headers, start_response, method, 405, _json(body), headers={"Allow": "GET, POST"})
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), 4096)
            asked = read_json(environ["wsgi.input"].read(length) or b"{}")
            reader_id = asked.get("reader") if isinstance(asked, dict) else None
        except (ValueError, ValidationError):
            reader_id = None
        if not isinstance(reader_id, str):
            body = error_body(
                "BadRequestError", 'reader: give {"reader": "<a demo reader id>"}', "invalid_field", field="reader"
            )
            return _send(self.headers, start_response, method, 400, _json(body), headers=private)
        token = self.demo.token(reader_id)
        if token is None:
            body = error_body("ForbiddenError", "reader: only the demo readers may log in here", "forbidden")
            return _send(self.headers, start_response, method, 403, _json(body), headers=private)
        return _send(self.headers, start_response, method, 200, _json({"token": token}), headers=private)


def _json(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body).encode("utf-8")


def _send(
    security: Mapping[str, str],
    start_response: Callable[..., Any],
    method: str,
    status: int,
    data: bytes,
    *,
    suffix: str = ".json",
    headers: Mapping[str, str] | None = None,
) -> list[bytes]:
    kind = _TYPES.get(suffix) or mimetypes.types_map.get(suffix, "application/octet-stream")
    fields = [*security.items(), *(headers or {}).items()]
    if status != 304:
        fields += [("Content-Type", kind), ("Content-Length", str(len(data)))]
    start_response(f"{status} {HTTPStatus(status).phrase}", fields)
    return [b""] if method == "HEAD" or status == 304 else [data]
