"""The consent history on "My library": every grant and withdrawal, newest first, ten at a time, with its date and
time and the policy it was given under in the reader's locale (English and Chinese); and a date the portal cannot
read (a policy version that is not a date) shown as written instead of breaking the section; and, the push consent
not given, the empty inbox says that consent comes first and links to it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from consortium.profiles.consent import Purpose

if TYPE_CHECKING:
    from collections.abc import Callable

    from .browsing import Tab

MEMBER = "lakeside"
DATE = {
    "en": re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$"),
    "zh": re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$"),
}
POLICY = {
    "en": re.compile(r"\(the policy of \d{1,2} [A-Z][a-z]{2} \d{4}\)"),
    "zh": re.compile(r"（\d{4}年\d{1,2}月\d{1,2}日 生效的政策）"),
}
NEWEST = {"en": "Withdrawn: ", "zh": "撤回："}
SHOWN = {"en": ("Showing 10 of 13.", "Showing 13 of 13."), "zh": ("显示 13 条中的 10 条。", "显示 13 条中的 13 条。")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_consent_history_pages_newest_first_with_localized_dates(open_tab: Callable[..., Tab], lang: str) -> None:
    tab = open_tab("desktop", lang)
    reader_id = f"consents-{lang}"
    tab.hub.create_reader(reader_id, MEMBER, (Purpose.PERSONALIZATION.value,))
    profiles = tab.hub.container.profiles
    for _ in range(6):  # twelve changes after the first grant
        profiles.grant(reader_id, Purpose.ANALYTICS)
        profiles.withdraw(reader_id, Purpose.ANALYTICS)
    tab.log_in(reader_id, MEMBER)
    tab.goto("/me.html")
    page = tab.page
    rows = page.locator("#consent-changes > li")
    expect(rows).to_have_count(10)
    expect(rows.first).to_contain_text(NEWEST[lang])
    expect(rows.first.locator("time")).to_have_text(DATE[lang])
    expect(rows.first).to_contain_text(POLICY[lang])
    expect(page.locator("#consent-changes-shown")).to_have_text(SHOWN[lang][0])
    tab.check_axe()
    page.locator("#consent-changes-more").click()
    expect(rows).to_have_count(13)
    expect(page.locator("#consent-changes-shown")).to_have_text(SHOWN[lang][1])
    expect(page.locator("#consent-changes-more")).to_be_hidden()
    expect(rows.nth(10)).to_be_focused()  # the first of the new page, for keyboard and screen reader users
    expect(rows.last).not_to_contain_text(NEWEST[lang])  # the oldest: the library's first grant
    tab.screenshot("consent-history")


def test_a_date_the_portal_cannot_read_is_shown_as_written(desktop: Tab) -> None:
    desktop.goto("/")
    shown = desktop.page.evaluate(
        "async () => { const core = await import('/assets/js/core.js');"
        " return [core.formatDate('v2'), core.formatDate('2026-12-03T12:00:00Z')]; }"
    )
    assert shown[0] == "v2" and re.fullmatch(r"3 Dec 2026", shown[1]), shown


NEEDS_PUSH = {
    "en": ("first give the consent “News of new books”", "Give it under Consents.", "Subscribe to a service below"),
    "zh": ("请先同意“新书推送”", "请在“授权”中同意。", "在下方订阅服务"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_without_the_push_consent_the_empty_inbox_says_it_comes_first(open_tab: Callable[..., Tab], lang: str) -> None:
    tab = open_tab("desktop", lang)
    reader_id = f"inbox-consent-{lang}"
    tab.hub.create_reader(reader_id, MEMBER, (Purpose.PERSONALIZATION.value,))
    tab.log_in(reader_id, MEMBER)
    tab.goto("/me.html")
    page = tab.page
    needs, link, subscribe = NEEDS_PUSH[lang]
    note = page.locator("#inbox #inbox-needs-consent")
    expect(note).to_contain_text(needs)
    expect(note.get_by_role("link", name=link)).to_have_attribute("href", "#consents")
    tab.check_axe()
    page.click("#consent-toggle-push")
    expect(page.locator("#consent-state-push")).to_be_visible()
    expect(note).to_have_count(0)
    expect(page.locator("#inbox .help").first).to_contain_text(subscribe)
