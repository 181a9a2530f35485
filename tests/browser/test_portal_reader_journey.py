"""A reader's first hour with the portal, where an audit of it found the page saying nothing or the wrong thing: a
reader the hub does not know yet (a first sign-in with their library's account, or after erasing) is offered a
profile instead of "Not found" in every section; each learned interest says which of the reader's searches, views
and loans taught it; the downloaded export says what each of its parts holds; a class code the hub refuses is said
in the reader's words, at the field; withdrawing a consent says what it deleted, and a given consent says
beforehand what withdrawing it deletes; one result, one digest, one holding are counted in the singular. axe-core
at each step, in English and in Chinese.

Each test makes readers of its own (the hub is shared by every browser test)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from playwright.sync_api import expect

from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole, EventType, ReaderEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from .browsing import Tab

MEMBER = "lakeside"
NEW = {
    "en": ("Start using My library", "Start my profile", "Your profile is ready. Nothing is used yet"),
    "zh": ("开始使用“我的图书馆”", "建立我的档案", "您的档案已建立，目前尚未使用任何数据"),
}
NOT_GIVEN = {"en": "Not given.", "zh": "未同意。"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_reader_the_hub_does_not_know_is_offered_a_profile_with_nothing_consented(
    open_tab: Callable[..., Tab], lang: str
) -> None:
    tab = open_tab("desktop", lang)
    reader_id = f"journey-new-{lang}"
    tab.log_in(reader_id, MEMBER)  # a valid token of their library, but no profile at the hub
    tab.goto("/me.html")
    page = tab.page
    title, start, done = NEW[lang]
    expect(page.locator("#new-reader-heading")).to_have_text(title)
    expect(page.locator("#me")).not_to_contain_text("Not found")
    expect(page.locator(".me-section")).to_have_count(1)  # no section failing on the missing profile
    tab.check_axe()
    tab.screenshot("new-reader")

    page.get_by_role("button", name=start).click()
    expect(page.locator("#status")).to_contain_text(done)
    expect(page.locator("#consents-heading")).to_be_focused()
    expect(page.locator("#consents .consent .state")).to_have_count(len(Purpose))
    for state in page.locator("#consents .consent .state").all():
        expect(state).to_have_text(NOT_GIVEN[lang])  # nothing given for the reader
    expect(page.locator("#interests")).not_to_contain_text("Not found")
    token = tab.hub.token(reader_id, MEMBER)
    answer = requests.get(
        f"{tab.hub.url}/readers/{reader_id}/consents", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 200 and not any(answer.json()["current"].values())
    tab.check_axe()


def test_after_erasing_the_reader_signs_in_again_to_a_fresh_start(desktop: Tab) -> None:
    reader_id = "journey-erased"
    desktop.hub.create_reader(reader_id, MEMBER, (Purpose.PERSONALIZATION.value,))
    desktop.log_in(reader_id, MEMBER)
    desktop.goto("/me.html")
    page = desktop.page
    page.click("#erase-open")
    page.fill("#erase-word", "ERASE")
    page.click("#erase-confirm")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is erased")

    desktop.log_in(reader_id, MEMBER)
    desktop.goto("/me.html")
    expect(page.locator("#new-reader-heading")).to_have_text("Start using My library")
    page.click("#start-profile")
    expect(page.locator("#consent-state-personalization")).to_have_text("Not given.")
    expect(page.locator("#consent-changes-heading + p")).to_have_text(
        "You have not given or withdrawn any consent yet."
    )


WITHDRAWN = {
    "en": (
        "Withdrawing it deletes your searches, views and loans kept here",
        "Consent withdrawn: Personalization. Your searches, views and loans kept here, the interests learned from"
        " them and any question about your changing interests were deleted; the interests you declared stay.",
        "Consent withdrawn: News of new books. Your subscriptions ended, and your inbox",
    ),
    "zh": (
        "撤回后，系统保存的您的检索、浏览和借阅记录",
        "已撤回：个性化服务。系统保存的您的检索、浏览和借阅记录、据此学到的兴趣以及关于兴趣变化的提问已删除；您声明的兴趣保留。",
        "已撤回：新书推送。您的订阅已全部终止",
    ),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_consent_says_what_withdrawing_it_deletes_and_then_what_was_deleted(
    open_tab: Callable[..., Tab], lang: str
) -> None:
    tab = open_tab("desktop", lang)
    reader_id = f"journey-withdraw-{lang}"
    tab.hub.create_reader(reader_id, MEMBER, (Purpose.PERSONALIZATION.value, Purpose.PUSH.value))
    tab.log_in(reader_id, MEMBER)
    tab.goto("/me.html")
    page = tab.page
    before, personalization, push = WITHDRAWN[lang]
    effect = page.locator("#consent-effect-personalization")
    expect(effect).to_contain_text(before)
    described = page.locator("#consent-toggle-personalization").get_attribute("aria-describedby") or ""
    assert "consent-effect-personalization" in described.split()
    expect(page.locator("#consent-effect-analytics")).to_have_count(0)  # not given: nothing to withdraw
    tab.check_axe()

    page.click("#consent-toggle-personalization")
    expect(page.locator("#status")).to_have_text(personalization)
    expect(effect).to_have_count(0)
    page.click("#consent-toggle-push")
    expect(page.locator("#status")).to_contain_text(push)


@pytest.mark.parametrize(("lang", "expected"), [("en", re.compile(r"^1 work$")), ("zh", re.compile(r"^共 1 种作品$"))])
def test_one_result_is_counted_in_the_singular(
    open_tab: Callable[..., Tab], lang: str, expected: re.Pattern[str]
) -> None:
    tab = open_tab("desktop", lang)
    tab.goto("/?q=" + requests.utils.quote('title:"Introduction to algorithms" language:eng'))
    expect(tab.page.locator("#results-heading")).to_have_text(expected)
    expect(tab.page.locator("#status")).to_have_text(expected)


BECAUSE = {
    "en": re.compile(r"^Learned from 2 loans, the latest “[^”]+”; your search “algorithms class:lcc:QA76”\.$"),
    "zh": re.compile(r"^学自：借阅 2 次，最近为《[^》]+》；检索“algorithms class:lcc:QA76”。$"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_learned_interest_says_what_taught_it(open_tab: Callable[..., Tab], lang: str) -> None:
    tab = open_tab("desktop", lang)
    reader_id = f"journey-because-{lang}"
    tab.hub.create_reader(reader_id, MEMBER, (Purpose.PERSONALIZATION.value,))
    found = requests.get(f"{tab.hub.url}/search", params={"q": "class:lcc:QA76.6"}, timeout=10).json()["hits"]
    works = sorted(found, key=lambda hit: str(hit["cluster_id"]))  # two works of QA76.6, the same every run
    library = Actor(actor_id=MEMBER, role=ActorRole.MEMBER_STAFF)
    now = dt.datetime.now(dt.UTC)
    for number, work in enumerate(works[:2]):
        at = now - dt.timedelta(days=10 - number)
        event = ReaderEvent(event_id=f"b{number}", type=EventType.BORROW, at=at, cluster_id=work["cluster_id"])
        tab.hub.container.profiles.record_event(reader_id, event, library)
    reader = Actor(actor_id=reader_id, role=ActorRole.READER)
    search = ReaderEvent(event_id="s", type=EventType.SEARCH, at=now, query="algorithms class:lcc:QA76")
    tab.hub.container.profiles.record_event(reader_id, search, reader)
    tab.hub.container.profiles.declare_interest(reader_id, "class:lcc:QA76", reader, 50)  # weight, not strength
    tab.log_in(reader_id, MEMBER)
    tab.goto("/me.html")
    qa76 = tab.page.locator(".key-text", has_text=re.compile(r"^LCC QA76$"))  # not QA76.6, which the loans taught
    row = tab.page.locator("#interests .column").nth(1).locator(".interest").filter(has=qa76)
    expect(row.locator(".because")).to_have_text(BECAUSE[lang])
    meters = tab.page.locator("#interests .column").nth(1).locator(".strength meter")
    strengths = [float(value or 0) for value in meters.evaluate_all("all => all.map((m) => m.getAttribute('value'))")]
    assert strengths == sorted(strengths, reverse=True), strengths  # the strongest learned first
    tab.check_axe()


def test_the_downloaded_export_says_what_each_part_holds(desktop: Tab) -> None:
    reader_id = "journey-export"
    desktop.hub.create_reader(reader_id, MEMBER, (Purpose.PERSONALIZATION.value,))
    desktop.log_in(reader_id, MEMBER)
    desktop.goto("/me.html")
    page = desktop.page
    expect(page.locator("#data")).to_contain_text("your loan requests")
    with page.expect_download() as started:
        page.click("#export")
    exported = json.loads(Path(started.value.path()).read_text(encoding="utf-8"))
    assert exported["loan_requests"] == []
    assert set(exported["about"]["en"]) == set(exported) and set(exported["about"]["zh"]) == set(exported)


REFUSED = {
    "en": "“ZZZ999” is not a class of the Chinese Library Classification (CLC). Pick one in the tree above, or check"
    " the code.",
    "zh": "“ZZZ999”不是中国图书馆分类法（中图法）的分类号。请在上方分类树中选择，或核对分类号。",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_class_code_the_hub_refuses_is_said_in_the_readers_words_at_the_field(
    open_tab: Callable[..., Tab], lang: str
) -> None:
    tab = open_tab("desktop", lang)
    reader_id = f"journey-refused-{lang}"
    tab.hub.create_reader(reader_id, MEMBER, (Purpose.PERSONALIZATION.value,))
    tab.log_in(reader_id, MEMBER)
    tab.goto("/me.html")
    page = tab.page
    page.fill("#add-code", "ZZZ999")
    page.click("#add-submit")
    expect(page.locator(".add-interest [role=alert]")).to_have_text(REFUSED[lang])  # not the API's "field 'key'"
    expect(page.locator("#add-code")).to_be_focused()
    expect(page.locator("#add-code")).to_have_attribute("aria-invalid", "true")
    tab.check_axe()
    page.fill("#add-code", "TP312")
    page.click("#add-submit")
    expect(page.locator("#declared-heading + ul")).to_contain_text("CLC TP312")
    expect(page.locator("#add-code")).not_to_have_attribute("aria-invalid", "true")
