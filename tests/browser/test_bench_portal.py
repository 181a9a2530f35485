"""bench/portal.py measures what it says, before the portal exists: the bytes of a first visit of ``/docs``,
and search-to-results times on a small search page over the hub's real ``GET /search``, both by the page's own
performance marks (as the portal sets them) and by watching the results element. No figure is judged here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import pytest
import requests

if TYPE_CHECKING:
    from types import ModuleType

    from playwright.sync_api import Browser

    from .browsing import Hub, Tab

SEARCH_PAGE = """<!doctype html><html lang="en"><head><title>Search</title></head><body><main><h1>Search</h1>
<form role="search"><label for="q">Search</label> <input id="q" type="search"> <button>Search</button></form>
<ol id="results" aria-live="polite"></ol>
<script>
document.querySelector('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  performance.mark('search-start');
  const answer = await fetch('/search?q=' + encodeURIComponent(document.querySelector('#q').value));
  const found = await answer.json();
  document.querySelector('#results').replaceChildren(
    ...found.hits.map(hit => Object.assign(document.createElement('li'), {textContent: hit.title})));
  performance.mark('results-shown');
  performance.measure('search', 'search-start', 'results-shown');
});
</script></main></body></html>"""
"""A search page that marks its searches as the portal does (``bench/portal.py`` documents the marks)."""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """bench/portal.py (bench/ is on the path: see conftest.py)."""
    return importlib.import_module("portal")


def test_a_first_visit_adds_up_what_came_over_the_wire(bench: ModuleType, browser: Browser, hub: Hub) -> None:
    body = requests.get(f"{hub.url}/docs", timeout=30).content
    visit, page = bench.first_visit(browser, f"{hub.url}/docs", "phone")
    page.context.close()
    assert visit["requests"] == 1 and visit["failed"] == []
    assert visit["decoded_body_bytes"] == len(body)
    assert len(body) < visit["transferred_bytes"] < len(body) + 1_000  # the body and the response's headers
    assert visit["transferred_by_type"] == {"document": visit["transferred_bytes"]}
    assert 0 < visit["gzip_estimate_bytes"] < visit["transferred_bytes"]
    assert 0 < visit["dom_content_loaded_ms"] <= visit["load_ms"]


@pytest.mark.parametrize("results", [None, "#results"], ids=["marks", "results-selector"])
def test_searches_are_timed_in_the_page(bench: ModuleType, desktop: Tab, results: str | None) -> None:
    page = desktop.page
    page.route(
        f"{desktop.hub.url}/search-page", lambda route: route.fulfill(content_type="text/html", body=SEARCH_PAGE)
    )
    desktop.goto("/search-page")
    times = bench.search_times(page, ["红楼梦", "learning", "三体"], 6, "input[type=search]", results)
    assert len(times) == 6 and all(0 < ms < bench.WAIT_MS for ms in times)
    assert page.locator("#results li").first.inner_text() == "三体"  # the sixth search's first hit
    assert len(page.evaluate("() => performance.getEntriesByName('search', 'measure')")) == 6
    desktop.check_axe()
