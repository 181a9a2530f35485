"""The API reference page (``GET /docs``) in the browser, at both viewports: accessible (axe-core, WCAG 2.1
A/AA), as wide as the screen (long paths wrap on a phone), every operation listed, literals as code; no request
beyond the hub and no cookie (checked after each test by conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .browsing import Tab


def test_the_api_reference_reads_in_the_browser(tab: Tab) -> None:
    tab.goto("/docs")
    page = tab.page
    assert page.title() == "Consortium hub API"
    assert page.get_by_role("heading", level=1).inner_text() == "Consortium hub API"
    assert page.locator(".op .path", has_text="/readers/{reader_id}/export").count() >= 1
    assert page.get_by_role("link", name="openapi.json").get_attribute("href") == "openapi.json"
    assert "``" not in page.inner_text("body") and page.locator("p code", has_text="days").count() >= 1
    tab.check_axe()
    tab.check_fits()
    assert tab.screenshot().stat().st_size > 0
