"""The staff analytics page: a consortium office account sees searches by member library as an ECharts chart
(served by the hub, no CDN: the tab may ask for nothing else) and as a table, downloads the CSV, and a reader is
told the page is for staff; a subject librarian finds the zero-result searches and is told what to type to follow a
class range. Twelve consenting readers searched in October; one reader of another library searched
too, and is hidden in no figure of their own."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from consortium.auth.callers import StaffRole
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ReaderEvent

from .browsing import log_in

if TYPE_CHECKING:
    from collections.abc import Callable

    from .browsing import Hub, Tab

OCTOBER = dt.datetime(2026, 10, 15, 9, 0, tzinfo=dt.UTC)
DESK = Actor(actor_id="riverside/desk", role="member_staff")


def _seed(hub: Hub) -> None:
    profiles = hub.container.profiles
    if "analytics-r0" in profiles.reader_ids():
        return
    consents = [Purpose.PERSONALIZATION, Purpose.ANALYTICS]
    readers = [(f"analytics-r{n}", "riverside") for n in range(12)] + [("analytics-alone", "lakeside")]
    for reader_id, member in readers:
        profiles.create_reader(reader_id, member, consents, {"discipline": "History"}, actor=DESK)
        event = ReaderEvent(event_id="s1", type="search", at=OCTOBER, query="a book no member has, surely")
        profiles.record_event(reader_id, event, DESK)
    assert OCTOBER + dt.timedelta(days=40) < dt.datetime.now(dt.UTC), "October must be over for a week"
    hub.container.analytics.build()


def _office(tab: Tab) -> None:
    token = tab.hub.container.token_issuer.issue(
        "office", member="consortium-office", roles=[StaffRole.CONSORTIUM_OFFICE]
    )
    log_in(tab.page, tab.hub.url, token)
    tab.logged_in = True


def test_staff_see_searches_by_library_as_a_chart_and_a_table_and_download_the_csv(tab: Tab) -> None:
    _seed(tab.hub)
    _office(tab)
    tab.goto("/analytics.html?table=member&metric=searches&start=2026-10&end=2026-10")
    page = tab.page
    rows = page.locator("#an-rows tbody tr")
    expect(rows).to_have_count(1)  # riverside (12) and lakeside (1) together: riverside alone would give lakeside
    expect(rows.first).to_contain_text("other (small groups together)")
    expect(rows.first).to_contain_text("13")
    expect(page.locator("#an-chart canvas")).to_have_count(1)
    assert page.evaluate("() => typeof window.echarts.init") == "function"
    tab.check_axe()
    tab.check_fits()

    page.select_option("#an-table", "discipline")
    page.locator("#an-controls button[type=submit]").click()
    expect(page.locator("#an-rows tbody tr").first).to_contain_text("history")
    with page.expect_download() as downloading:
        page.locator("#an-csv").click()
    download = downloading.value
    assert download.suggested_filename == "analytics-discipline-searches.csv"
    path = download.path()
    lines = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    assert lines[0] == ["table", "metric", "period", "parent", "value", "events", "readers"]
    assert ["discipline", "searches", "2026-10", "*", "history", "13", "13"] in lines
    tab.screenshot("analytics")


@pytest.mark.parametrize(("lang", "told"), [("en", "for library staff"), ("zh", "仅供图书馆工作人员")])
def test_a_reader_is_told_analytics_are_for_staff(open_tab: Callable[..., Tab], lang: str, told: str) -> None:
    tab = open_tab("desktop", lang)
    _seed(tab.hub)
    tab.log_in("analytics-r0", "riverside")
    tab.goto("/analytics.html")
    expect(tab.page.locator("#an-message")).to_contain_text(told)
    expect(tab.page.locator("#an-results")).to_be_hidden()
    tab.check_axe()


def test_a_subject_librarian_finds_what_readers_searched_for_and_found_nothing(desktop: Tab) -> None:
    _seed(desktop.hub)
    desktop.log_in_staff("analytics-li", "riverside", StaffRole.SUBJECT_LIBRARIAN)
    desktop.goto("/analytics.html?table=zero_result&metric=searches")
    page = desktop.page
    rows = page.locator("#an-rows tbody tr")
    expect(rows.first).to_contain_text("a book no member has, surely")
    expect(rows.first).to_contain_text("13")
    desktop.check_axe()

    # zero-result searches are searches: another metric says so, not "fewer than ten readers"
    page.select_option("#an-metric", "views")
    page.locator("#an-controls button[type=submit]").click()
    expect(page.locator("#an-figures")).to_have_text(
        "Zero-result searches are counted as searches only: choose the metric Searches."
    )
    # following a class range: the field under a main class says what to type
    page.select_option("#an-table", "subclass")
    parent = page.get_by_label("Under")
    expect(parent).to_be_visible()
    expect(parent).to_have_accessible_description(re.compile(r"a main class with its scheme \(clc:I"))
    desktop.check_axe()
