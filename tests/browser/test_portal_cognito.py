"""Signing in at the library's account in the browser: the portal's authorization code flow with PKCE against a fake
Cognito hosted sign-in on 127.0.0.1 (``tests/oidc_provider.py``), as on AWS.

The hub here is a second server over the package hub's data folder, started as ``consortium run`` starts it with
``CONSORTIUM_OIDC_ISSUER`` and ``CONSORTIUM_OIDC_CLIENT_ID`` naming the fake (its ``config.json`` says mode
``cognito``; its policy lets the pages call the fake's token endpoint; its API verifies the fake's ID tokens
against the fake's JWKS). The reader presses Sign in, fills the fake's form, comes back and lands on "My library"
with their interests, which only the API gives to the holder of a token it accepted. And what must fail does: an
answer whose state was tampered with is refused before any code is spent, a code used twice is refused by the
provider and the portal says the sign-in failed, and a sign-in that has expired sends the reader back to sign in.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from mail_peers import free_port
from oidc_provider import FakeOidcProvider, FakeUser
from playwright.sync_api import expect

from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole

from .browsing import TOKEN_KEY, Hub, Tab, log_in

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from playwright.sync_api import Request, Route

CLIENT_ID = "portal-browser-tests"
MEMBER = "riverside"


@dataclass(frozen=True)
class SignInHub:
    """The hub that signs readers in at the fake provider, and the provider."""

    hub: Hub
    provider: FakeOidcProvider


@pytest.fixture(scope="module")
def signin_hub(hub: Hub) -> Iterator[SignInHub]:
    """The package hub's data, served on a port of its own with the fake provider as its sign-in."""
    port = free_port()
    users = [FakeUser(f"reader{n}", f"pass-word-{n}", f"cognito-reader-{n}", MEMBER) for n in range(1, 7)]
    users.append(FakeUser("librarian", "pass-word-lib", "cognito-librarian", MEMBER, ("subject-librarian",)))
    with FakeOidcProvider(CLIENT_ID, f"http://127.0.0.1:{port}/login.html", users) as provider:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("CONSORTIUM_PUBLIC_URL", f"http://127.0.0.1:{port}")
            env.setenv("CONSORTIUM_OIDC_ISSUER", provider.url)
            env.setenv("CONSORTIUM_OIDC_CLIENT_ID", CLIENT_ID)
            container = bootstrap()
            server, thread = start_server(container, "127.0.0.1", port)
            try:
                yield SignInHub(Hub(f"http://127.0.0.1:{port}", hub.container), provider)
            finally:
                server.close()
                thread.join(timeout=10)
                container.close()


def a_reader(signin: SignInHub, number: int) -> FakeUser:
    """Provider account ``reader<number>``, a reader of riverside in the hub (created by the library with consent
    to personalization), who declared an interest in CLC I247."""
    user = signin.provider.users[number - 1]
    signin.hub.create_reader(user.sub, MEMBER, (Purpose.PERSONALIZATION.value,))
    reader = Actor(actor_id=user.sub, role=ActorRole.READER)
    signin.hub.container.profiles.declare_interest(user.sub, "class:clc:I247", reader, 8)
    return user


@pytest.fixture
def signin_tab(open_tab: Callable[..., Tab], signin_hub: SignInHub) -> Tab:
    """A desktop tab on the sign-in hub, which may also ask the provider."""
    tab: Tab = open_tab("desktop", at=signin_hub.hub, also=(signin_hub.provider.url,))
    return tab


def _press_sign_in(tab: Tab, signin: SignInHub, next_page: str = "me.html") -> None:
    tab.goto(f"/login.html?next={next_page}")
    tab.page.get_by_role("button", name="Sign in").click()
    tab.page.wait_for_url(f"{signin.provider.url}/login?*")


def _fill_form(tab: Tab, user: FakeUser) -> None:
    tab.page.get_by_label("Username").fill(user.username)
    tab.page.get_by_label("Password").fill(user.password)
    tab.page.get_by_role("button", name="Sign in").click()


def _token(tab: Tab) -> str | None:
    token: str | None = tab.page.evaluate("(key) => sessionStorage.getItem(key)", TOKEN_KEY)
    return token


def _signed_in_on_my_library(tab: Tab, signin: SignInHub, user: FakeUser) -> None:
    page = tab.page
    page.wait_for_url(f"{signin.hub.url}/me.html")
    tab.logged_in = True
    expect(page.locator("#me .lead")).to_contain_text(f"Signed in as {user.sub}")
    # the interests come from the API, which gives them only to the holder of a token it accepted
    expect(page.locator("#interests .interest", has_text="CLC I247").first).to_be_visible()
    token = _token(tab)
    assert token is not None
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["sub"]) == (signin.provider.url, CLIENT_ID, user.sub)


def test_a_reader_signs_in_at_the_library_and_lands_on_my_library(signin_tab: Tab, signin_hub: SignInHub) -> None:
    user = a_reader(signin_hub, 1)
    page = signin_tab.page
    signin_tab.goto("/login.html?next=me.html")
    expect(page.locator("#login")).to_contain_text("You will sign in with your library's account.")
    signin_tab.check_axe()
    signin_tab.screenshot("login-cognito")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{signin_hub.provider.url}/login?*")
    asked = parse_qs(urlsplit(page.url).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["redirect_uri"] == [f"{signin_hub.hub.url}/login.html"]
    _fill_form(signin_tab, user)
    _signed_in_on_my_library(signin_tab, signin_hub, user)
    assert "code=" not in page.url and page.evaluate("() => sessionStorage.getItem('consortium.pkce')") is None
    assert signin_hub.provider.exchanges[-1].outcome == "ok"
    signin_tab.screenshot("signed-in")


def test_an_answer_with_a_tampered_state_is_refused_before_the_code_is_spent(
    signin_tab: Tab, signin_hub: SignInHub
) -> None:
    user = a_reader(signin_hub, 2)
    page, base = signin_tab.page, signin_hub.hub.url
    held: list[str] = []

    def hold(route: Route) -> None:  # the provider's answer, kept from the browser (the portal never reads it)
        answer = route.fetch(max_redirects=0)
        held.append(answer.headers["location"])
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>held</title>")

    form_post = f"{signin_hub.provider.url}/login"
    _press_sign_in(signin_tab, signin_hub)
    page.route(form_post, hold)
    _fill_form(signin_tab, user)
    page.wait_for_url(form_post)
    page.unroute(form_post, hold)
    assert held and held[0].startswith(f"{base}/login.html?code=")
    sent = {name: values[0] for name, values in parse_qs(urlsplit(held[0]).query).items()}
    before = len(signin_hub.provider.exchanges)
    signin_tab.goto("/login.html?" + urlencode({"code": sent["code"], "state": sent["state"] + "x"}))
    expect(page.locator("#login-message")).to_contain_text("Sign-in failed: this answer does not belong")
    assert signin_hub.provider.exchanges[before:] == []  # the portal never sent the code
    assert _token(signin_tab) is None and page.url == f"{base}/login.html"  # nor kept it in the address
    signin_tab.check_axe()
    signin_tab.screenshot("state-refused")
    page.get_by_role("button", name="Sign in again").click()  # starting again works
    page.wait_for_url(f"{signin_hub.provider.url}/login?*")
    _fill_form(signin_tab, user)
    _signed_in_on_my_library(signin_tab, signin_hub, user)


def test_a_code_used_twice_is_refused_and_the_portal_says_the_sign_in_failed(
    signin_tab: Tab, signin_hub: SignInHub
) -> None:
    user = a_reader(signin_hub, 3)
    page, provider = signin_tab.page, signin_hub.provider
    exchanges: list[Request] = []
    page.on("request", lambda r: exchanges.append(r) if r.url == f"{provider.url}/oauth2/token" else None)
    _press_sign_in(signin_tab, signin_hub)
    _fill_form(signin_tab, user)
    _signed_in_on_my_library(signin_tab, signin_hub, user)
    (first,) = exchanges
    form = {name: values[0] for name, values in parse_qs(first.post_data or "").items()}
    assert form["grant_type"] == "authorization_code" and form["client_id"] == CLIENT_ID
    answer = next(url for url in signin_tab.requested if url.startswith(f"{signin_hub.hub.url}/login.html?code="))
    state = parse_qs(urlsplit(answer).query)["state"][0]
    # The reader signs out, and the same answer comes again (a replayed link) with this tab's own PKCE verifier.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{signin_hub.hub.url}/index.html")
    kept = {"verifier": form["code_verifier"], "state": state, "next": "me.html"}
    page.evaluate("(kept) => sessionStorage.setItem('consortium.pkce', kept)", json.dumps(kept))
    page.goto(answer, wait_until="networkidle")
    expect(page.locator("#login-message")).to_have_text(
        "Sign-in failed (invalid_grant). You are not signed in; please try again."
    )
    assert len(exchanges) == 2 and _token(signin_tab) is None
    assert [e.outcome for e in provider.exchanges if e.code == form["code"]] == ["ok", "invalid_grant"]
    signin_tab.check_axe()
    signin_tab.screenshot("code-reused")


def test_an_expired_sign_in_sends_the_reader_back_to_sign_in(signin_tab: Tab, signin_hub: SignInHub) -> None:
    user = a_reader(signin_hub, 4)
    page, base = signin_tab.page, signin_hub.hub.url
    now = int(dt.datetime.now(dt.UTC).timestamp())
    stale = signin_hub.provider.id_token(user, iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
    refused = requests.get(
        f"{base}/readers/{user.sub}/interests", headers={"Authorization": f"Bearer {stale}"}, timeout=10
    )
    assert refused.status_code == 401 and "expired" in refused.json()["Message"]
    log_in(page, base, stale)  # signed in two hours ago: the token lived one hour
    signin_tab.logged_in = True
    signin_tab.goto("/me.html")
    expect(page.locator("#me [role=alert]")).to_have_text(re.compile(r"^Your sign-in has expired\. Sign in again"))
    assert _token(signin_tab) is None
    signin_tab.check_axe()
    page.locator("#me").get_by_role("link", name="Sign in").click()
    page.wait_for_url(f"{base}/login.html?next=me.html")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{signin_hub.provider.url}/login?*")
    _fill_form(signin_tab, user)
    _signed_in_on_my_library(signin_tab, signin_hub, user)


def test_a_sign_in_the_reader_cancels_at_the_provider_says_so(signin_tab: Tab, signin_hub: SignInHub) -> None:
    page = signin_tab.page
    _press_sign_in(signin_tab, signin_hub)
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("#login-message")).to_have_text(
        "Sign-in failed (the sign-in was cancelled). You are not signed in; please try again."
    )
    assert _token(signin_tab) is None and page.url == f"{signin_hub.hub.url}/login.html"
    expect(page.get_by_role("button", name="Sign in again")).to_be_visible()


def test_a_subject_librarian_signs_in_at_the_library_and_lands_on_the_staff_pages(
    signin_tab: Tab, signin_hub: SignInHub
) -> None:
    """A staff account of the provider (its ``cognito:groups`` name its role): no page asked for, it lands on the
    staff pages, where the API gives it its member's lists and nothing a reader has."""
    librarian = signin_hub.provider.users[-1]
    page = signin_tab.page
    signin_tab.goto("/login.html")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{signin_hub.provider.url}/login?*")
    _fill_form(signin_tab, librarian)
    page.wait_for_url(f"{signin_hub.hub.url}/staff.html")
    signin_tab.logged_in = True
    expect(page.locator("#lists .section-body")).to_contain_text("Start a list")
    expect(page.locator("#contribution")).to_have_count(0)
    expect(page.locator("header nav")).to_contain_text("Staff")
    signin_tab.check_axe()
