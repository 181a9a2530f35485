"""What the browser tests use on a page: the hub under test, a tab (a page in its own browser context, at one
viewport and language), the axe-core check, screenshots, logging in, and the privacy guard.

The guard
    Every request of a tab's context is recorded (``BrowserContext`` ``request`` events: pages, frames and
    workers). A request to any origin but the hub's is also refused before it leaves the browser (route
    interception), so a page that relies on a CDN breaks visibly in its screenshot too. After a test that passed,
    ``conftest.py`` calls :meth:`Tab.check_private` on each of its tabs: the test fails when a page asked for
    another host, or when a tab that never logged in holds a cookie.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import requests
from chromium import AXE, VIEWPORTS

from consortium.auth import StaffRole

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Route

    from consortium.bootstrap import Container

ROOT: Final = Path(__file__).resolve().parents[2]
SCREENSHOTS: Final = ROOT / "test-artifacts" / "screenshots"
WCAG_TAGS: Final = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
"""The axe-core rules checked: WCAG 2.0 and 2.1, levels A and AA."""

TOKEN_KEY: Final = "consortium.token"
"""The ``sessionStorage`` key the portal reads a reader's bearer token from."""

LOCALES: Final = {"en": "en-US", "zh": "zh-CN"}
"""The browser locale of each language of the portal."""

LOCAL_SCHEMES: Final = ("data:", "blob:", "about:")
"""URLs that never leave the browser."""


@dataclass(frozen=True)
class Hub:
    """The hub under test: its address and the container of the test process (same data folder and keys)."""

    url: str
    container: Container

    def token(self, reader_id: str, member: str) -> str:
        """A reader's bearer token, signed by the hub's local token issuer (as ``consortium login`` signs it)."""
        return self.container.token_issuer.issue(reader_id, member=member)

    def create_reader(self, reader_id: str, member: str, consents: tuple[str, ...] = ()) -> dict[str, Any]:
        """Create a reader with these consents through ``POST /readers``, as their library's system does."""
        key = self.container.api_keys.create(member, "browser tests").secret
        answer = requests.post(
            f"{self.url}/readers",
            json={"reader_id": reader_id, "member": member, "consents": list(consents)},
            headers={"X-Api-Key": key},
            timeout=30,
        )
        assert answer.status_code == 201, f"creating reader {reader_id}: {answer.status_code} {answer.text}"
        created: dict[str, Any] = answer.json()
        return created


def check_axe(page: Page) -> None:
    """Run axe-core in ``page`` and fail unless no WCAG 2.1 A/AA rule is violated; the message lists each
    violation's rule id, impact and help, and the selectors of the elements at fault.

    axe.min.js is evaluated in the page (not added as a ``<script>``), so a Content-Security-Policy that forbids
    inline scripts does not stop it.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = page.evaluate(
        "async (options) => (await window.axe.run(document, options)).violations", options
    )
    assert not violations, f"axe-core: {len(violations)} WCAG 2.1 A/AA violations on {page.url}\n" + "\n".join(
        _violation_text(v) for v in violations
    )


def _violation_text(violation: dict[str, Any]) -> str:
    nodes = "\n".join(
        f"    {' '.join(json.dumps(t, ensure_ascii=False) for t in node['target'])} {node.get('html', '')[:160]}: "
        + "; ".join(line.strip() for line in (node.get("failureSummary") or "").splitlines()[1:])
        for node in violation["nodes"]
    )
    return f"  {violation['id']} ({violation.get('impact')}): {violation['help']}\n{nodes}"


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot of ``page`` at CSS pixels, as ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    page.screenshot(path=str(path), full_page=True, scale="css", animations="disabled")
    return path


def log_in(page: Page, hub_url: str, token: str) -> None:
    """Put ``token`` where the portal reads it (``sessionStorage["consortium.token"]`` of the hub's origin),
    without loading any page of the hub: the tab opens an empty document answered by the test itself at the
    hub's address. The tab's next page of the hub is the reader's."""
    blank = f"{hub_url}/__browser-tests-login"

    def empty(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>login</title>")

    page.route(blank, empty)
    try:
        page.goto(blank)
        page.evaluate("([key, token]) => sessionStorage.setItem(key, token)", [TOKEN_KEY, token])
    finally:
        page.unroute(blank, empty)


_STICKING_OUT: Final = """(width) => {
  if (document.documentElement.scrollWidth <= width) return [];
  const out = [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > width + 0.5);
  return out.filter(e => !out.some(other => other !== e && e.contains(other))).slice(0, 10).map(e =>
    `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.classList.length ? '.' + [...e.classList].join('.') : ''}`
    + ` (to ${Math.round(e.getBoundingClientRect().right)} px: ${JSON.stringify(e.textContent.trim().slice(0, 50))})`);
}"""


@dataclass
class Tab:
    """A page in a browser context of its own (no cookie or storage shared with other tabs).

    Attributes
    ----------
    page
        The Playwright page.
    viewport, lang
        ``"desktop"`` or ``"phone"``; ``"en"`` or ``"zh"`` (the browser's locale).
    label
        The test's name, used in screenshot file names.
    requested
        Every URL the context asked for, in order.
    also
        Origins besides the hub's the tab may ask for (an identity provider the reader signs in at).
    """

    page: Page
    hub: Hub
    viewport: str
    lang: str
    label: str
    requested: list[str] = field(default_factory=list)
    logged_in: bool = False
    also: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.page.context.on("request", self._record)
        self.page.context.route("**/*", self._refuse_outside)

    def _record(self, request: Request) -> None:
        self.requested.append(request.url)

    def _refuse_outside(self, route: Route) -> None:
        if self._is_hub(route.request.url):
            route.fallback()
        else:
            route.abort("blockedbyclient")

    def _is_hub(self, url: str) -> bool:
        if url.startswith(LOCAL_SCHEMES):
            return True
        hub = urlsplit(self.hub.url)
        there = urlsplit(url)
        allowed = {(hub.scheme, hub.netloc), ("ws", hub.netloc)}
        allowed |= {(urlsplit(origin).scheme, urlsplit(origin).netloc) for origin in self.also}
        return (there.scheme, there.netloc) in allowed

    def goto(self, path: str) -> None:
        """Open ``path`` of the hub (``"/"``, ``"/docs"``...) and wait until the network is idle; fail unless the
        hub answered 2xx."""
        answer = self.page.goto(self.hub.url + path, wait_until="networkidle")
        assert answer is not None and answer.ok, f"GET {path}: {answer.status if answer else 'no answer'}"

    def check_axe(self) -> None:
        """:func:`check_axe` on this tab's page."""
        check_axe(self.page)

    def check_fits(self) -> None:
        """Fail when the page is wider than the viewport, so that a reader must scroll sideways (on a phone,
        WCAG's reflow); the message names the elements that stick out. A box that scrolls on its own (a wide
        table in ``overflow: auto``) is fine."""
        width = VIEWPORTS[self.viewport]["viewport"]["width"]
        wide: list[str] = self.page.evaluate(_STICKING_OUT, width)
        assert not wide, f"{self.page.url} is wider than the {self.viewport}'s {width} px: " + "; ".join(wide)

    def screenshot(self, step: str = "") -> Path:
        """A full-page screenshot as ``<test>[-<step>]-<viewport>-<lang>.png`` (see :func:`save_screenshot`)."""
        test = f"{self.label}-{step}" if step else self.label
        return save_screenshot(self.page, f"{test}-{self.viewport}-{self.lang}")

    def log_in(self, reader_id: str, member: str) -> str:
        """Log in as a reader (see :func:`log_in`): their token, which the tab's pages then use. A logged-in
        tab may hold cookies; an anonymous one may not."""
        token = self.hub.token(reader_id, member)
        log_in(self.page, self.hub.url, token)
        self.logged_in = True
        return token

    def log_in_staff(self, account: str, member: str, *roles: StaffRole) -> str:
        """Log in as a staff account of ``member`` with ``roles`` (a member administrator unless given), as
        ``consortium login ACCOUNT --member M --role R`` signs it: its token."""
        token = self.hub.container.token_issuer.issue(account, member=member, roles=roles or (StaffRole.MEMBER_ADMIN,))
        log_in(self.page, self.hub.url, token)
        self.logged_in = True
        return token

    def outside_requests(self) -> list[str]:
        """The URLs asked for of any host but the hub (and those in ``also``)."""
        return [url for url in self.requested if not self._is_hub(url)]

    def check_private(self) -> None:
        """Fail when a page of this tab asked for another host, or (anonymous tabs) set a cookie."""
        outside = self.outside_requests()
        assert not outside, f"requests to hosts other than the hub ({self.hub.url}): {outside}"
        if not self.logged_in:
            cookies = [f"{c.get('name')} ({c.get('domain')})" for c in self.page.context.cookies()]
            assert not cookies, f"an anonymous page set cookies: {cookies}"
