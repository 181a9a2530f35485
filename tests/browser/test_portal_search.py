"""The portal's public pages in the browser, as an anonymous reader uses them: search in English and in Chinese,
facets, an empty result, a work's page, new books by class, the language switch, the keyboard alone; axe-core on
every page, at both viewports, in both languages, with a screenshot of each (no cookie, no request beyond the hub:
checked after each test by conftest.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
import requests
from playwright.sync_api import expect

if TYPE_CHECKING:
    from collections.abc import Callable

    from .browsing import Hub, Tab


def _work_id(hub: Hub, query: str) -> str:
    hits = requests.get(f"{hub.url}/search", params={"q": query}, timeout=10).json()["hits"]
    return str(hits[0]["cluster_id"])


def _search(tab: Tab, words: str) -> None:
    box = tab.page.locator("#q")
    box.fill(words)
    box.press("Enter")
    expect(tab.page.locator("#results-heading")).to_be_visible()


def test_search_facet_and_open_a_work(tab: Tab) -> None:
    page = tab.page
    tab.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search every member library")
    _search(tab, "history")
    expect(page.locator("#results-heading")).to_have_text(re.compile(r"^\d+ works$"))
    first = page.locator(".hits .hit").first
    expect(first.locator(".holders")).to_have_text(re.compile(r"held by \d+ librar(y|ies)"))
    expect(first.locator(".meta")).to_contain_text("English")
    total = int(page.locator("#results-heading").inner_text().split()[0])
    tab.check_axe()
    tab.check_fits()
    tab.screenshot("results")

    page.locator("#facet-format + ul a").first.click()
    expect(page.locator(".chips .chip")).to_have_count(1)
    assert "f=format" in page.url
    assert int(page.locator("#results-heading").inner_text().split()[0]) <= total
    page.locator(".chips .chip").click()
    expect(page.locator(".chips .chip")).to_have_count(0)

    title = first.locator("h3 a").inner_text()
    first.locator("h3 a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title.split(" : ")[0])
    expect(page.locator("table.holdings tbody tr").first).to_be_visible()
    assert page.locator(".permalink").inner_text().endswith(page.url.split("/")[-1])
    tab.check_axe()
    tab.check_fits()
    tab.screenshot("work")
    page.go_back()
    expect(page.locator("#q")).to_have_value("history")


def test_a_work_page_lists_other_editions_and_translations_apart(tab: Tab, hub: Hub) -> None:
    """Kuhn's *Structure of scientific revolutions* (riverside, lakeside) and eastlake's German translation, whose
    UNIMARC 500 names the original title: two manifestations, one work group."""
    page = tab.page
    tab.goto("/?q=author:kuhn")
    group = page.locator(".hits .hit .work-group")
    expect(group).to_have_count(2)  # the original and the translation: each names the other
    expect(group.first).to_have_text("1 other edition or translation")
    original = _work_id(hub, 'title:"structure of scientific revolutions"')
    tab.goto(f"/work.html?id={original}")
    expect(page.locator("#translations-heading")).to_have_text("Translations (1)")
    translation = page.locator("ul[aria-labelledby=translations-heading] li")
    expect(translation).to_have_count(1)
    expect(translation.locator("a")).to_have_text("Die Struktur wissenschaftlicher Revolutionen")
    expect(translation.locator(".meta")).to_contain_text("German")
    tab.check_axe()
    tab.check_fits()
    tab.screenshot("work-group")

    translation.locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Die Struktur wissenschaftlicher Revolutionen")
    expect(page.locator(".record")).to_contain_text("Structure of scientific revolutions")  # the original title
    expect(page.locator("#editions-heading")).to_have_text("Other editions (1)")  # the original, in English
    expect(page.locator("ul[aria-labelledby=editions-heading] li .meta")).to_contain_text("English")
    page.get_by_role("link", name="All editions and translations in the search").click()
    expect(page.locator("#results-heading")).to_have_text("2 works")


def test_search_in_chinese_and_the_language_is_remembered(open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("desktop", "zh")
    page = tab.page
    tab.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("检索所有成员馆")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    _search(tab, "红楼梦")
    expect(page.locator("#results-heading")).to_have_text(re.compile(r"^共 \d+ 种作品$"))
    expect(page.locator(".hits .hit h3 a").first).to_contain_text("红楼梦")
    expect(page.locator(".hits .hit .holders").first).to_have_text(re.compile(r"\d+ 个馆收藏"))
    tab.check_axe()
    tab.screenshot("results")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search every member library")
    tab.goto("/new.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("New books by class")


def test_an_empty_result_says_why_and_offers_other_searches(tab: Tab) -> None:
    page = tab.page
    tab.goto("/?q=histroy&f=format:video")
    expect(page.locator(".empty")).to_contain_text("No work in any member library matches histroy format:video")
    without = page.get_by_role("link", name="Search again without format:video")
    expect(without).to_be_visible()
    tab.check_axe()
    tab.screenshot("empty")
    without.click()
    expect(page.locator(".chips .chip")).to_have_count(0)


def test_the_query_box_offers_fields_and_works_by_keyboard(desktop: Tab) -> None:
    page = desktop.page
    desktop.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    box = page.locator("#q")
    box.focus()
    box.type("au")
    options = page.locator("#q-options [role=option]")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("author:")
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "q-option-0"
    box.press("Enter")
    expect(box).to_have_value("author:")
    box.type("Harari")
    box.press("Enter")
    expect(page.locator(".hits .hit h3 a").first).to_contain_text("Sapiens")
    page.locator(".hits .hit h3 a").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sapiens")


def test_new_books_by_class(tab: Tab) -> None:
    page = tab.page
    tab.goto("/new.html")
    expect(page.locator("#new-heading")).to_have_text(re.compile(r"new works"))
    expect(page.locator(".hits .hit").first).to_be_visible()
    tab.check_axe()
    tab.screenshot()
    page.get_by_label("Library of Congress Classification").check()
    expect(page).to_have_url(re.compile(r"scheme=lcc"))
    expect(page.locator("#classes")).not_to_have_attribute("aria-busy", "true")
    top = page.locator(".class-list a").first
    expect(top).to_have_text(re.compile(r"^[A-Z] \w"))  # a main class with its English label
    name = top.inner_text()
    top.click()
    expect(page.locator(".trail li").last).to_have_text(name)
    assert "scheme=lcc" in page.url and "class=" in page.url
    expect(page.locator(".hits .hit, .empty").first).to_be_visible()
    tab.screenshot("class")


PAGES = [("/", "search"), ("/new.html", "new"), ("/login.html", "login")]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_public_page_is_accessible_and_fits(
    open_tab: Callable[..., Tab], hub: Hub, viewport: str, lang: str
) -> None:
    tab = open_tab(viewport, lang)
    for path, name in [*PAGES, (f"/work.html?id={_work_id(hub, '红楼梦')}", "work")]:
        tab.goto(path)
        expect(tab.page.locator("#site-header nav")).to_be_visible()
        tab.page.wait_for_load_state("networkidle")
        tab.check_axe()
        tab.check_fits()
        tab.screenshot(name)
