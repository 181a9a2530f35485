"""Fixtures of the browser tests: the hub on the sample members, served on 127.0.0.1, and tabs of Debian's
Chromium driven by Playwright (``bench/chromium.py`` says how it is launched and kept off the network).

``hub`` (the package)
    A temporary data folder with the sample members of ``members.toml`` harvested once (clustered and indexed),
    served by :func:`consortium.cli.api.start_server` on a free port, as ``consortium run`` serves it. Its
    ``container`` is the test process's own over the same data folder and keys: ``hub.token(reader, member)``,
    ``hub.create_reader(...)``, and anything a test needs to set up behind the pages' back. Shared by every
    browser test: a test that changes the hub's data makes readers and data of its own.
``browser`` (the package)
    Headless Chromium. The browser tests skip, saying what to install, when Chromium, Playwright or
    ``node_modules`` (axe-core) is missing: ``make test`` installs all three.
``tab``, ``desktop``, ``phone``, ``open_tab``
    A :class:`browsing.Tab` (a page in a fresh context) at 1280x800 (``desktop``) or at 375x812 with touch and a
    phone's user agent (``phone``), in English; ``tab`` runs the test once at each; ``open_tab(viewport, lang)``
    opens more (``lang`` ``"en"`` or ``"zh"``, the browser's locale).

``tests/browser`` is a package (``__init__.py``), so that the package-scoped fixtures, and the hub's
``CONSORTIUM_*`` settings in the environment, end with its last test instead of lasting into the other suites;
test modules import the helpers as ``from .browsing import Tab``.

After a test passes, each of its tabs is checked (:meth:`browsing.Tab.check_private`): the test fails if a page
asked for any host but the hub, or if a tab that did not log in holds a cookie.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))

import chromium

from .browsing import LOCALES, Hub, Tab

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Sequence

    from playwright.sync_api import Browser

TABS = pytest.StashKey[list[Tab]]()


@pytest.fixture(scope="package")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The hub on the sample members, served on 127.0.0.1 (see the module notes)."""
    from consortium.bootstrap import bootstrap
    from consortium.cli.api import start_server
    from consortium.cli.common import writing
    from consortium.cli.harvest import harvest_all

    folder = tmp_path_factory.mktemp("browser-hub")
    with pytest.MonkeyPatch.context() as env:
        # The served apps build their containers from these settings, in the server's threads.
        env.setenv("CONSORTIUM_DATA_DIR", str(folder / "var"))
        env.setenv("CONSORTIUM_KEY_DIR", str(folder / "keys"))
        container = bootstrap()
        with writing(container):
            reports, failed = harvest_all(container)
        assert not failed, [failure.line() for failure in failed]
        assert sum(r.counts.added for r in reports) > 0
        server, thread = start_server(container, "127.0.0.1", 0)
        try:
            yield Hub(f"http://127.0.0.1:{server.effective_port}", container)
        finally:
            server.close()
            thread.join(timeout=10)
            container.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Chromium, shared by the browser tests; they skip when it cannot run here."""
    reason = chromium.missing()
    if reason:
        pytest.skip(f"browser tests need Chromium, Playwright and axe-core: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, chromium.launch(playwright) as launched:
        yield launched


@pytest.fixture
def open_tab(browser: Browser, hub: Hub, request: pytest.FixtureRequest) -> Iterator[Callable[..., Tab]]:
    """Open a tab at a viewport (``"desktop"``, ``"phone"``) and language (``"en"``, ``"zh"``); closed after the
    test. ``at`` is another hub than the package's; ``also``, origins besides the hub's the tab may ask for."""
    opened = request.node.stash.setdefault(TABS, [])

    def open_one(
        viewport: str = "desktop", lang: str = "en", *, at: Hub | None = None, also: Sequence[str] = ()
    ) -> Tab:
        context = browser.new_context(**chromium.VIEWPORTS[viewport], locale=LOCALES[lang])
        page = context.new_page()
        tab = Tab(page, at or hub, viewport, lang, _label(request.node, viewport), also=tuple(also))
        opened.append(tab)
        return tab

    yield open_one
    for tab in opened:
        tab.page.context.close()


def _label(node: pytest.Item, viewport: str) -> str:
    """The test's name for file names: without the viewport's own parameter id."""
    callspec = getattr(node, "callspec", None)
    if callspec is None:
        return node.name
    ids = [part for part in callspec.id.split("-") if part != viewport]
    return "-".join([node.originalname, *ids])


@pytest.fixture
def desktop(open_tab: Callable[..., Tab]) -> Tab:
    """A 1280x800 tab, in English."""
    return open_tab("desktop")


@pytest.fixture
def phone(open_tab: Callable[..., Tab]) -> Tab:
    """A 375x812 touch tab with a phone's user agent, in English."""
    return open_tab("phone")


@pytest.fixture(params=list(chromium.VIEWPORTS))
def tab(open_tab: Callable[..., Tab], request: pytest.FixtureRequest) -> Tab:
    """A tab at each viewport in turn (the test runs once per viewport), in English."""
    viewport: str = request.param
    return open_tab(viewport)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """After a test body that passed: no page asked for another host, no anonymous tab holds a cookie."""
    result = yield
    for tab in item.stash.get(TABS, []):
        tab.check_private()
    return result
