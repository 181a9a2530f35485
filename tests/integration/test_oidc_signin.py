"""A local hub whose readers sign in at an outside OpenID Connect provider (``CONSORTIUM_OIDC_*``), against the fake
Cognito hosted sign-in of ``tests/oidc_provider.py`` on 127.0.0.1: the settings, the API's verification of the
provider's ID tokens beside the hub's own, the portal's ``config.json`` and content security policy, and the
fake's own protocol checks (the browser test drives the whole flow)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from mail_peers import free_port
from oidc_provider import FakeOidcProvider, FakeUser

from consortium.auth.oidc import OidcProvider
from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.config import Settings
from consortium.errors import AuthenticationError, ConfigError
from consortium.http.portal import DemoReader

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.bootstrap import Container

CLIENT_ID = "portal-client-7"
MEI = FakeUser("mei", "correct horse battery", "mei-0001", "riverside")


@pytest.fixture
def provider() -> Iterator[FakeOidcProvider]:
    port = free_port()
    with FakeOidcProvider(CLIENT_ID, f"http://127.0.0.1:{port}/login.html", [MEI]) as fake:
        yield fake


def _settings(fake: FakeOidcProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_PUBLIC_URL", fake.portal_origin)
    monkeypatch.setenv("CONSORTIUM_OIDC_ISSUER", fake.url)
    monkeypatch.setenv("CONSORTIUM_OIDC_CLIENT_ID", CLIENT_ID)


@pytest.fixture
def hub(provider: FakeOidcProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """A hub on the port the provider's redirect URI names, signing readers in at the provider."""
    _settings(provider, tmp_path, monkeypatch)
    container = bootstrap()
    port = urlsplit(provider.portal_origin).port
    assert port is not None
    server, thread = start_server(container, "127.0.0.1", port)
    yield container
    server.close()
    thread.join(timeout=10)
    container.close()


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _code(fake: FakeOidcProvider, verifier: str, state: str = "s1") -> str:
    """Sign MEI in as the browser would (authorize, the form), and return the code sent back."""
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": fake.redirect_uri,
        "state": state,
        "code_challenge_method": "S256",
        "code_challenge": _challenge(verifier),
    }
    session = requests.Session()
    form = session.get(f"{fake.url}/oauth2/authorize", params=query, timeout=10)
    assert form.status_code == 200 and "<form" in form.text and form.url.startswith(f"{fake.url}/login?")
    wrong = session.post(f"{fake.url}/login", data={**query, "username": "mei", "password": "guess"}, timeout=10)
    assert wrong.status_code == 401 and "Incorrect username or password" in wrong.text
    back = session.post(
        f"{fake.url}/login",
        data={**query, "username": "mei", "password": MEI.password},
        allow_redirects=False,
        timeout=10,
    )
    assert back.status_code == 302 and back.headers["Location"].startswith(fake.redirect_uri + "?")
    sent = parse_qs(urlsplit(back.headers["Location"]).query)
    assert sent["state"] == [state]
    return sent["code"][0]


def _exchange(fake: FakeOidcProvider, code: str, verifier: str, **changes: str) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": code,
        "redirect_uri": fake.redirect_uri,
        "code_verifier": verifier,
        **changes,
    }
    return requests.post(f"{fake.url}/oauth2/token", data=form, headers={"Origin": fake.portal_origin}, timeout=10)


def test_the_oidc_settings_come_in_pairs_and_default_to_cognitos_paths(tmp_path: Path) -> None:
    assert OidcProvider.from_settings(Settings(data_dir=tmp_path)) is None
    with pytest.raises(ConfigError, match="CONSORTIUM_OIDC_CLIENT_ID must be set"):
        OidcProvider.from_settings(Settings(data_dir=tmp_path, oidc_issuer="https://id.example.edu"))
    with pytest.raises(ConfigError, match=r"CONSORTIUM_OIDC_TOKEN_URL: 'id\.example\.edu/token'"):
        OidcProvider.from_settings(
            Settings(oidc_issuer="https://id.example.edu/", oidc_client_id="c", oidc_token_url="id.example.edu/token")
        )
    provider = OidcProvider.from_settings(Settings(oidc_issuer="https://id.example.edu/", oidc_client_id="c"))
    assert provider is not None
    assert provider.jwks_url == "https://id.example.edu/.well-known/jwks.json"
    assert provider.authorize_url == "https://id.example.edu/oauth2/authorize"
    assert provider.token_url == "https://id.example.edu/oauth2/token"


def test_the_api_accepts_the_providers_id_tokens_and_the_hubs_own(hub: Container, provider: FakeOidcProvider) -> None:
    verifier = secrets.token_urlsafe(32)
    answer = _exchange(provider, _code(provider, verifier), verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == provider.portal_origin
    assert answer.headers["Cache-Control"] == "no-store"
    tokens = answer.json()
    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "RS256"
    caller = hub.token_verifier.verify(tokens["id_token"])
    assert (caller.subject, caller.member) == ("mei-0001", "riverside")
    local = hub.token_verifier.verify(hub.token_issuer.issue("alice", member="lakeside"))
    assert (local.subject, local.member) == ("alice", "lakeside")
    # through HTTP too: the API's own containers read the same settings
    consents = requests.get(
        f"{provider.portal_origin}/readers/mei-0001/consents",
        headers={"Authorization": f"Bearer {tokens['id_token']}"},
        timeout=10,
    )
    assert consents.status_code in (200, 404), consents.text  # mei has no profile here: not a 401
    refused = requests.get(
        f"{provider.portal_origin}/readers/mei-0001/consents",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},  # an access token has no aud
        timeout=10,
    )
    assert refused.status_code == 401


def test_the_api_refuses_expired_foreign_and_forged_provider_tokens(hub: Container, provider: FakeOidcProvider) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    cases = {
        "expired": provider.id_token(MEI, iat=now - 7200, exp=now - 3600),
        "another client": provider.id_token(MEI, aud="someone-else"),
        "another issuer": provider.id_token(MEI, iss="https://id.example.edu"),
    }
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(provider.id_token(MEI), options={"verify_signature": False})
    cases["forged"] = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": provider.kid})
    reasons = {}
    for name, token in cases.items():
        with pytest.raises(AuthenticationError) as refused:
            hub.token_verifier.verify(token)
        reasons[name] = str(refused.value)
    assert "expired" in reasons["expired"]
    assert "audience" in reasons["another client"].lower()
    assert "issuer" in reasons["another issuer"]
    assert "signature" in reasons["forged"]


def test_the_portal_sends_readers_to_the_provider_and_may_call_its_token_endpoint(
    hub: Container, provider: FakeOidcProvider
) -> None:
    base = provider.portal_origin
    auth = requests.get(f"{base}/config.json", timeout=10).json()["auth"]
    assert auth == {
        "mode": "cognito",
        "client_id": CLIENT_ID,
        "redirect_uri": f"{base}/login.html",
        "authorize_endpoint": f"{provider.url}/oauth2/authorize",
        "token_endpoint": f"{provider.url}/oauth2/token",
    }
    policy = requests.get(f"{base}/login.html", timeout=10).headers["Content-Security-Policy"]
    assert f"connect-src 'self' {provider.url};" in policy and "form-action 'self'" in policy


def test_a_demo_hub_keeps_its_demo_login_and_policy(
    provider: FakeOidcProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(provider, tmp_path, monkeypatch)
    server, thread = start_server(bootstrap(), "127.0.0.1", 0, demo_readers=[DemoReader("alice", "riverside", "A")])
    try:
        base = f"http://127.0.0.1:{server.effective_port}"
        assert requests.get(f"{base}/config.json", timeout=10).json()["auth"]["mode"] == "demo"
        assert "connect-src 'self';" in requests.get(f"{base}/", timeout=10).headers["Content-Security-Policy"]
    finally:
        server.close()
        thread.join(timeout=10)


def test_the_fake_checks_the_client_the_redirect_and_pkce_as_cognito_does(provider: FakeOidcProvider) -> None:
    good = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": provider.redirect_uri,
        "state": "s",
        "code_challenge_method": "S256",
        "code_challenge": _challenge("v"),
    }
    authorize = f"{provider.url}/oauth2/authorize"
    mismatch = requests.get(authorize, params={**good, "redirect_uri": provider.redirect_uri + "x"}, timeout=10)
    assert mismatch.status_code == 400 and "redirect_mismatch" in mismatch.text  # a page: never sent elsewhere
    plain = requests.get(
        authorize, params={**good, "code_challenge_method": "plain"}, allow_redirects=False, timeout=10
    )
    back = parse_qs(urlsplit(plain.headers["Location"]).query)
    assert back["error"] == ["invalid_request"] and back["state"] == ["s"]
    verifier = secrets.token_urlsafe(32)
    code = _code(provider, verifier)
    assert _exchange(provider, code, verifier, redirect_uri=provider.redirect_uri + "?x").json() == {
        "error": "invalid_grant"
    }
    code = _code(provider, verifier)
    assert _exchange(provider, code, "another verifier").json() == {"error": "invalid_grant"}
    code = _code(provider, verifier)
    assert _exchange(provider, code, verifier).status_code == 200
    again = _exchange(provider, code, verifier)
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}
    assert again.headers["Access-Control-Allow-Origin"] == provider.portal_origin  # the portal can read why
    assert _exchange(provider, code, verifier, grant_type="password").json() == {"error": "unsupported_grant_type"}
    provider.code_lifetime = dt.timedelta(seconds=-1)
    code = _code(provider, verifier)
    assert _exchange(provider, code, verifier).json() == {"error": "invalid_grant"}
    json_body = requests.post(f"{provider.url}/oauth2/token", json={"code": code}, timeout=10)
    assert json_body.status_code == 400 and json_body.json() == {"error": "invalid_request"}
    outcomes = [exchange.outcome for exchange in provider.exchanges]
    assert outcomes.count("ok") == 1 and outcomes.count("invalid_grant") == 4
