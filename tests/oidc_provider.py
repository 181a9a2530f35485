"""A fake OpenID Connect provider on 127.0.0.1 that behaves as Cognito's hosted sign-in does, for the tests of the
portal's sign-in (the authorization code flow with PKCE, RFC 6749 and RFC 7636): a small WSGI application served by
waitress in a thread.

``GET /oauth2/authorize``
    Checks ``client_id`` and ``redirect_uri`` (an exact match to the registered one; otherwise an error page, never
    a redirect), then ``response_type=code``, ``code_challenge_method=S256`` and a ``code_challenge`` (otherwise a
    redirect back with ``error``); then sends the browser to ``/login`` with the same query, as Cognito does.
``GET /login``, ``POST /login``
    The sign-in form (username, password). A good password redirects to ``redirect_uri?code=...&state=...``; a bad
    one shows the form again with a message. Its *Cancel* link (``GET /login/cancel``) redirects back with
    ``error=access_denied``, as an OpenID Connect provider does when the user declines.
``POST /oauth2/token``
    ``application/x-www-form-urlencoded`` only; checks ``grant_type=authorization_code``, ``client_id``,
    ``redirect_uri`` (the authorization request's), the code (single use: any exchange spends it; valid for
    :attr:`FakeOidcProvider.code_lifetime`) and the PKCE verifier against the challenge. Answers an RS256 ID token
    (``iss``, ``aud`` the client id, ``sub``, ``token_use=id``, ``custom:member``, ``iat``, ``exp``), an access
    token and ``expires_in``; errors are Cognito's ``{"error": "invalid_grant"}`` and the like. CORS headers allow
    the registered origin (the portal's), as Cognito's token endpoint sends them.
``GET /.well-known/jwks.json``, ``GET /.well-known/openid-configuration``
    The signing key; the endpoints.

What happened is kept for the tests: :attr:`FakeOidcProvider.exchanges` (each token request's code and outcome).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from wsgi_thread import ServedApp

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["Exchange", "FakeOidcProvider", "FakeUser"]

MAX_BODY: Final = 16 * 1024


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class FakeUser:
    """An account at the provider: ``sub`` is the hub's reader id (or a staff account), ``member`` the
    ``custom:member`` claim, ``groups`` the ``cognito:groups`` claim (a staff account's roles; none for a reader)."""

    username: str
    password: str
    sub: str
    member: str
    groups: tuple[str, ...] = ()


@dataclass
class _Grant:
    code: str
    user: FakeUser
    redirect_uri: str
    challenge: str
    issued: dt.datetime
    spent: bool = False


@dataclass(frozen=True)
class Exchange:
    """One request to the token endpoint: the code it carried and the outcome (``ok`` or the error code)."""

    code: str
    outcome: str


@dataclass
class FakeOidcProvider:
    """``with FakeOidcProvider(client_id, redirect_uri, users) as provider:`` serves it at ``provider.url``.

    Attributes
    ----------
    token_lifetime, code_lifetime
        How long ID tokens and authorization codes are valid (Cognito: one hour, five minutes).
    clock
        The provider's time: tokens' ``iat``/``exp`` and codes' age.
    """

    client_id: str
    redirect_uri: str
    users: list[FakeUser]
    token_lifetime: dt.timedelta = dt.timedelta(hours=1)
    code_lifetime: dt.timedelta = dt.timedelta(minutes=5)
    clock: Callable[[], dt.datetime] = _now
    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._served = ServedApp(self.app, name="fake-oidc", threads=2)
        self.url = self._served.url
        parts = urlsplit(self.redirect_uri)
        self.portal_origin = f"{parts.scheme}://{parts.netloc}"

    def __enter__(self) -> FakeOidcProvider:
        self._served.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._served.stop()

    # ---- tokens ---------------------------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The public key, as ``/.well-known/jwks.json`` serves it."""
        public = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, user: FakeUser, **changes: Any) -> str:
        """An ID token for ``user`` as the token endpoint issues it; ``changes`` replace claims (a test's
        expired or foreign token)."""
        now = self.clock()
        claims: dict[str, Any] = {
            "sub": user.sub,
            "aud": self.client_id,
            "iss": self.url,
            "token_use": "id",
            "auth_time": int(now.timestamp()),
            "iat": int(now.timestamp()),
            "exp": int((now + self.token_lifetime).timestamp()),
            "cognito:username": user.username,
            "custom:member": user.member,
        }
        if user.groups:
            claims["cognito:groups"] = list(user.groups)
        claims.update(changes)
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def _access_token(self, user: FakeUser) -> str:
        now = self.clock()
        claims = {
            "sub": user.sub,
            "client_id": self.client_id,
            "iss": self.url,
            "token_use": "access",
            "scope": "openid",
            "iat": int(now.timestamp()),
            "exp": int((now + self.token_lifetime).timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    # ---- the WSGI application -------------------------------------------------------------------------------

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO") or "/")
        query = {name: values[0] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/oauth2/authorize" and method == "GET":
            return self._authorize(query, start_response)
        if path == "/login" and method == "GET":
            return self._form(query, start_response, "")
        if path == "/login/cancel" and method == "GET":
            problem = self._client_problem(query)
            if problem:
                return _page(start_response, 400, "Error", f"<p role='alert'>{html.escape(problem)}</p>")
            back = {
                "error": "access_denied",
                "error_description": "the sign-in was cancelled",
                "state": query.get("state", ""),
            }
            return _redirect(start_response, f"{self.redirect_uri}?{urlencode(back)}")
        if path == "/login" and method == "POST":
            return self._sign_in(_form_body(environ), start_response)
        if path == "/oauth2/token":
            return self._token(method, environ, start_response)
        if path == "/.well-known/jwks.json":
            return _send(start_response, 200, json.dumps(self.jwks()).encode(), "application/json")
        if path == "/.well-known/openid-configuration":
            document = {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/oauth2/authorize",
                "token_endpoint": f"{self.url}/oauth2/token",
                "jwks_uri": f"{self.url}/.well-known/jwks.json",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
            return _send(start_response, 200, json.dumps(document).encode(), "application/json")
        return _send(start_response, 404, b"not found", "text/plain")

    def _client_problem(self, query: dict[str, str]) -> str | None:
        """Why the request cannot be answered at its redirect_uri at all (then only an error page is safe)."""
        if query.get("client_id") != self.client_id:
            return "unknown client_id"
        if query.get("redirect_uri") != self.redirect_uri:
            return "redirect_mismatch: redirect_uri is not the client's registered one"
        return None

    def _authorize(self, query: dict[str, str], start_response: Callable[..., Any]) -> Iterable[bytes]:
        problem = self._client_problem(query)
        if problem:
            return _page(start_response, 400, "Error", f"<p role='alert'>{html.escape(problem)}</p>")
        error = None
        if query.get("response_type") != "code":
            error = ("unsupported_response_type", "response_type must be code")
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            error = ("invalid_request", "a code_challenge with code_challenge_method S256 is required")
        if error:
            back = {"error": error[0], "error_description": error[1], "state": query.get("state", "")}
            return _redirect(start_response, f"{self.redirect_uri}?{urlencode(back)}")
        return _redirect(start_response, f"/login?{urlencode(query)}")

    def _form(self, query: dict[str, str], start_response: Callable[..., Any], message: str) -> Iterable[bytes]:
        problem = self._client_problem(query)
        if problem:
            return _page(start_response, 400, "Error", f"<p role='alert'>{html.escape(problem)}</p>")
        hidden = "".join(
            f"<input type='hidden' name='{html.escape(name)}' value='{html.escape(value)}'>"
            for name, value in query.items()
            if name in ("client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")
        )
        alert = f"<p id='error' role='alert'>{html.escape(message)}</p>" if message else ""
        body = (
            f"<h1>Sign in with your library account</h1>{alert}<form method='post' action='/login'>{hidden}"
            "<p><label for='username'>Username</label> <input id='username' name='username' autocomplete='username'"
            " required></p><p><label for='password'>Password</label> <input id='password' name='password'"
            " type='password' autocomplete='current-password' required></p>"
            "<p><button type='submit'>Sign in</button></p></form>"
            f"<p><a href='/login/cancel?{html.escape(urlencode(query))}'>Cancel</a></p>"
        )
        return _page(start_response, 200 if not message else 401, "Sign in", body)

    def _sign_in(self, form: dict[str, str], start_response: Callable[..., Any]) -> Iterable[bytes]:
        problem = self._client_problem(form)
        if problem:
            return _page(start_response, 400, "Error", f"<p role='alert'>{html.escape(problem)}</p>")
        user = next((u for u in self.users if u.username == form.get("username")), None)
        if user is None or not secrets.compare_digest(user.password, form.get("password", "")):
            return self._form(form, start_response, "Incorrect username or password.")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(code, user, form["redirect_uri"], form.get("code_challenge", ""), self.clock())
        back = {"code": code, "state": form.get("state", "")}
        return _redirect(start_response, f"{self.redirect_uri}?{urlencode(back)}")

    def _token(self, method: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        cors = [("Access-Control-Allow-Origin", self.portal_origin), ("Vary", "Origin")]
        if environ.get("HTTP_ORIGIN") != self.portal_origin:
            cors = []
        if method == "OPTIONS":
            allow = [("Access-Control-Allow-Methods", "POST"), ("Access-Control-Allow-Headers", "Content-Type")]
            return _send(start_response, 204, b"", "text/plain", [*cors, *allow])
        if method != "POST":
            return _send(start_response, 405, b"", "text/plain", [("Allow", "POST, OPTIONS")])
        if not str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
            return self._error(start_response, cors, "", "invalid_request")
        form = _form_body(environ)
        code = form.get("code", "")
        if form.get("grant_type") != "authorization_code":
            return self._error(start_response, cors, code, "unsupported_grant_type")
        if form.get("client_id") != self.client_id:
            return self._error(start_response, cors, code, "invalid_client", status=401)
        with self._lock:
            grant = self._grants.get(code)
            first = grant is not None and not grant.spent
            if grant is not None:
                grant.spent = True  # single use: any exchange spends it
        if grant is None or not first or self.clock() - grant.issued > self.code_lifetime:
            return self._error(start_response, cors, code, "invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._error(start_response, cors, code, "invalid_grant")
        verifier = form.get("code_verifier", "")
        if not verifier or _b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest()) != grant.challenge:
            return self._error(start_response, cors, code, "invalid_grant")
        self.exchanges.append(Exchange(code, "ok"))
        answer = {
            "id_token": self.id_token(grant.user),
            "access_token": self._access_token(grant.user),
            "token_type": "Bearer",
            "expires_in": int(self.token_lifetime.total_seconds()),
        }
        private = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        return _send(start_response, 200, json.dumps(answer).encode(), "application/json", [*cors, *private])

    def _error(
        self, start_response: Callable[..., Any], cors: list[tuple[str, str]], code: str, error: str, status: int = 400
    ) -> Iterable[bytes]:
        self.exchanges.append(Exchange(code, error))
        return _send(start_response, status, json.dumps({"error": error}).encode(), "application/json", cors)


def _form_body(environ: dict[str, Any]) -> dict[str, str]:
    length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
    text = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    return {name: values[0] for name, values in parse_qs(text).items()}


def _send(
    start_response: Callable[..., Any],
    status: int,
    body: bytes,
    kind: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    phrases = {200: "OK", 204: "No Content", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
    fields = [("Content-Type", kind), ("Content-Length", str(len(body))), *(headers or [])]
    start_response(f"{status} {phrases.get(status, 'Method Not Allowed')}", fields)
    return [body]


def _redirect(start_response: Callable[..., Any], location: str) -> list[bytes]:
    return _send(start_response, 302, b"", "text/plain", [("Location", location)])


def _page(start_response: Callable[..., Any], status: int, title: str, body: str) -> list[bytes]:
    text = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title} · Fake Cognito</title></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return _send(start_response, status, text.encode(), "text/html; charset=utf-8")
