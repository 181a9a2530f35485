"""The browser tests' own checks catch what they are for: an axe-core violation, a page wider than a phone, a
request to another host, a cookie on an anonymous page; and logging in gives the page a token the API takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .browsing import TOKEN_KEY

if TYPE_CHECKING:
    from .browsing import Hub, Tab

_FETCH = "(url) => fetch(url).then(answer => answer.status, () => 'refused')"


def test_axe_names_each_violation_and_where_it_is(desktop: Tab) -> None:
    desktop.page.set_content(
        '<!doctype html><html lang="en"><title>t</title><main><h1>Covers</h1>'
        '<img id="cover" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button class="go"></button></main></html>'
    )
    with pytest.raises(AssertionError) as failure:
        desktop.check_axe()
    message = str(failure.value)
    assert "image-alt (critical): Images must have alternative text" in message and '"#cover"' in message
    assert "button-name" in message and '"button" <button class="go"></button>' in message


def test_a_page_wider_than_the_phone_is_named(phone: Tab) -> None:
    phone.page.set_content('<!doctype html><html lang="en"><body><p class="call">/a/very/long/path/' + "x" * 80)
    with pytest.raises(AssertionError, match=r"wider than the phone's 375 px: p\.call"):
        phone.check_fits()


def test_a_request_to_another_host_is_refused_and_fails_the_test(desktop: Tab) -> None:
    desktop.goto("/docs")
    assert desktop.page.evaluate(_FETCH, "/openapi.json") == 200
    assert desktop.page.evaluate(_FETCH, "https://cdn.example.org/lib.js") == "refused"
    assert desktop.outside_requests() == ["https://cdn.example.org/lib.js"]
    with pytest.raises(AssertionError, match=r"cdn\.example\.org"):
        desktop.check_private()
    desktop.requested.clear()  # this test's own request: the check after the test passes


def test_a_cookie_on_an_anonymous_page_fails_the_test(desktop: Tab) -> None:
    desktop.goto("/docs")
    desktop.page.evaluate("() => { document.cookie = 'visitor=42; path=/'; }")
    with pytest.raises(AssertionError, match=r"an anonymous page set cookies: \['visitor"):
        desktop.check_private()
    desktop.page.context.clear_cookies()


def test_a_logged_in_page_calls_the_api_as_the_reader(desktop: Tab, hub: Hub) -> None:
    hub.create_reader("r-browser", "riverside", consents=("personalization",))
    token = desktop.log_in("r-browser", "riverside")
    desktop.goto("/docs")
    assert desktop.page.evaluate("(key) => sessionStorage.getItem(key)", TOKEN_KEY) == token
    profile = desktop.page.evaluate(
        """async (key) => {
          const answer = await fetch('/readers/r-browser/profile',
                                     {headers: {Authorization: 'Bearer ' + sessionStorage.getItem(key)}});
          return [answer.status, await answer.json()];
        }""",
        TOKEN_KEY,
    )
    assert profile == [200, {"reader_id": "r-browser", "profile": {}}]
    assert desktop.page.evaluate(_FETCH, "/readers/r-browser/profile") == 401
