"""The portal served from another address than the API, as on AWS (the portal on CloudFront, the API on API
Gateway): every call of its pages is cross-origin, and works only because the API answers CORS for the portal's
origin (``CONSORTIUM_PORTAL_ORIGINS``, which the AWS deployment sets).

Here the portal's files are served by a plain static server on one port, with a ``config.json`` naming the API,
and the hub on another port (another origin), started as ``consortium run`` starts it with the setting. A reader
searches and opens a work, then signs in and reads "My library" (calls with a bearer token: the browser sends
a preflight first). Over plain HTTP: the preflight names the portal's origin and the headers it may send, every
answer, a refusal and a missing route included, carries ``Access-Control-Allow-Origin`` for it, and an origin
not in the setting is given none, so a page elsewhere cannot read readers' answers.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
import requests
from mail_peers import free_port
from playwright.sync_api import expect

from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.profiles.consent import Purpose

from .browsing import Hub, Tab

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

MEMBER = "riverside"
EVIL = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Elsewhere:
    portal: Hub
    """The portal's origin (with the package hub's container, for tokens and readers)."""
    api: str
    """The hub's API, on another origin."""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture(scope="module")
def elsewhere(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Elsewhere]:
    site = tmp_path_factory.mktemp("portal-elsewhere") / "site"
    shutil.copytree(hub.container.settings.portal_dir, site)
    api_port = free_port()
    api = f"http://127.0.0.1:{api_port}"
    (site / "config.json").write_text(json.dumps({"api": api}), encoding="utf-8")
    static = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    portal = f"http://127.0.0.1:{static.server_address[1]}"
    serving = threading.Thread(target=static.serve_forever, daemon=True)
    serving.start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CONSORTIUM_PORTAL_ORIGINS", portal)
        container = bootstrap()
        server, thread = start_server(container, "127.0.0.1", api_port)
        try:
            yield Elsewhere(Hub(portal, hub.container), api)
        finally:
            server.close()
            thread.join(timeout=10)
            container.close()
            static.shutdown()
            static.server_close()


def test_a_reader_searches_opens_a_work_and_reads_my_library_on_a_portal_elsewhere(
    open_tab: Callable[..., Tab], elsewhere: Elsewhere
) -> None:
    tab: Tab = open_tab("desktop", at=elsewhere.portal, also=(elsewhere.api,))
    page = tab.page
    tab.goto("/")
    box = page.locator("#q")
    box.fill("history")
    box.press("Enter")
    expect(page.locator("#results-heading")).to_have_text(re.compile(r"^\d+ works$"))
    first = page.locator(".hits .hit").first
    first.locator("h3 a").click()
    expect(page.locator("table.holdings tbody tr").first).to_be_visible()

    Hub(elsewhere.api, elsewhere.portal.container).create_reader("far-reader", MEMBER, (Purpose.PERSONALIZATION.value,))
    tab.log_in("far-reader", MEMBER)
    tab.goto("/me.html")
    expect(page.locator("#me")).not_to_contain_text("You are not signed in")
    expect(page.locator("#interests-heading")).to_be_visible()  # the reader's profile, read with their token


def test_preflights_and_answers_name_the_portal_and_no_other_origin(elsewhere: Elsewhere) -> None:
    portal, api = elsewhere.portal.url, elsewhere.api
    preflight = requests.options(
        f"{api}/readers/anyone/profile",
        headers={
            "Origin": portal,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == portal
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]

    for path in ("/search?q=history", "/readers/anyone/profile", "/nowhere"):  # 200, 401 from the guard, 404
        answer = requests.get(f"{api}{path}", headers={"Origin": portal}, timeout=10)
        assert answer.headers.get("Access-Control-Allow-Origin") == portal, (path, answer.status_code)
        assert "Origin" in answer.headers["Vary"]
        other = requests.get(f"{api}{path}", headers={"Origin": EVIL}, timeout=10)
        assert "Access-Control-Allow-Origin" not in other.headers, path
        assert other.status_code == answer.status_code

    refused = requests.options(
        f"{api}/search", headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}, timeout=10
    )
    assert "Access-Control-Allow-Origin" not in refused.headers
