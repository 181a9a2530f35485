"""The portal's "My library" page in the browser, as a signed-in reader uses it: the drift prompt, interests
(declare one, edit a weight), the inbox of a push run with each work's reason (not interested, mute its class and
undo), a subscription, a consent, export and erasure; signed out it says so. axe-core, the width check and a
screenshot at each step, at both viewports, in English and in Chinese.

Each test makes a reader of its own (the hub is shared by every browser test): their history is recorded through
the profile service (a year of history books, then two months of computing: a drift), their subscriptions made
and a push run, behind the page's back."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from playwright.sync_api import expect

from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole, EventType, ReaderEvent
from consortium.push.models import Channel, ServiceId

if TYPE_CHECKING:
    from collections.abc import Callable

    from .browsing import Hub, Tab

MEMBER = "riverside"


def _works(hub: Hub, query: str) -> list[str]:
    hits = requests.get(f"{hub.url}/search", params={"q": query}, timeout=10).json()["hits"]
    return [str(hit["cluster_id"]) for hit in hits]


def a_reader(hub: Hub, reader_id: str) -> None:
    """A reader of riverside who read history for a year and computing these two months, follows CLC I247,
    subscribes to two services by the portal inbox, and has had a push run."""
    hub.create_reader(reader_id, MEMBER, (Purpose.PERSONALIZATION.value, Purpose.PUSH.value))
    profiles, library = hub.container.profiles, Actor(actor_id=MEMBER, role=ActorRole.MEMBER_STAFF)
    now = dt.datetime.now(dt.UTC)
    history, computing = _works(hub, "history"), _works(hub, "computer")
    moments = [(now - dt.timedelta(weeks=w), EventType.VIEW, history[w % len(history)]) for w in range(60, 16, -1)]
    moments += [(now - dt.timedelta(days=d), EventType.BORROW, computing[d % len(computing)]) for d in range(40, 0, -2)]
    for number, (at, kind, work) in enumerate(moments):
        event = ReaderEvent(event_id=f"e{number}", type=kind, at=at, cluster_id=work)
        profiles.record_event(reader_id, event, library)
    reader = Actor(actor_id=reader_id, role=ActorRole.READER)
    profiles.declare_interest(reader_id, "class:clc:I247", reader, 8)
    for service in (ServiceId.INTERESTED_NEW, ServiceId.NEW_IN_CLASS):
        hub.container.push.subscribe(reader_id, service, Channel.INBOX, actor=reader, since=dt.timedelta(days=30))
    hub.container.push.run()


def _open(tab: Tab, reader_id: str) -> None:
    tab.log_in(reader_id, MEMBER)
    tab.goto("/me.html")
    expect(tab.page.locator("#inbox .digest").first).to_be_visible()


def _check(tab: Tab, step: str) -> None:
    tab.check_axe()
    tab.check_fits()
    tab.screenshot(step)


def test_signed_out_the_page_says_so_and_links_to_sign_in(tab: Tab) -> None:
    tab.goto("/me.html")
    expect(tab.page.locator("#me")).to_contain_text("You are not signed in")
    expect(tab.page.locator("#me a")).to_have_attribute("href", "login.html?next=me.html")
    _check(tab, "signed-out")


def test_the_prompt_interests_and_the_inbox(tab: Tab) -> None:
    reader_id = f"mylib-{tab.viewport}"
    a_reader(tab.hub, reader_id)
    page = tab.page
    _open(tab, reader_id)
    expect(page.locator("#prompt")).to_be_visible()
    expect(page.locator("#prompt .prompt-text")).to_contain_text("Your recent reading centres on")
    declared, learned = page.locator("#interests .column").nth(0), page.locator("#interests .column").nth(1)
    expect(declared).to_contain_text("CLC I247")
    # strength in words, next to the strongest learned interest (a bare number has no scale a reader knows)
    expect(learned.locator(".interest .strength").first).to_have_text("strong interest")
    levels = set(learned.locator(".strength span").all_inner_texts())
    assert levels <= {"strong interest", "some interest", "slight interest"} and len(levels) > 1, levels
    expect(learned).to_contain_text("How strong each is, next to the strongest")
    expect(page.locator("#inbox .digest .reason").first).to_contain_text("Why:")
    _check(tab, "page")

    page.click("#prompt-dismiss")
    expect(page.locator("#prompt")).to_be_hidden()
    expect(page.locator("#status")).to_have_text("Dismissed: your interests stay as they were.")
    expect(page.locator("#interests-heading")).to_be_focused()  # the interests drawn again: a value typed sticks

    weight = declared.locator(".interest", has_text="CLC I247").locator("input")
    weight.fill("12")
    weight.press("Enter")
    expect(page.locator("#status")).to_have_text("Class CLC I247: weight 12 saved.")
    expect(declared.locator(".interest", has_text="CLC I247").locator("input")).to_have_value("12")
    page.check("input[name=add-kind][value=author]")
    page.fill("#add-author", "Liu, Cixin")
    page.click("#add-submit")
    expect(declared).to_contain_text("cixin liu")  # kept as works name the author

    item = page.locator("#inbox .item").first
    title = item.locator("h4").inner_text()
    item.get_by_role("button", name=f"Not interested {title}").click()
    expect(page.locator("#inbox .item", has_text=title).first).to_contain_text("Marked not interested")
    item = page.locator("#inbox .item", has=page.locator(".menu")).first
    item.locator("summary").click()
    mute = item.locator(".menu button").first
    expect(mute).to_contain_text("Never send class")
    mute.click()
    expect(page.locator("#inbox .mute-list li")).to_have_count(1)
    _check(tab, "muted")
    page.locator("#inbox .mute-list button").click()
    expect(page.locator("#inbox .mute-list li")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text("is no longer muted")


def test_in_chinese_with_each_reason_in_chinese(open_tab: Callable[..., Tab]) -> None:
    for viewport in ("desktop", "phone"):
        reader_id = f"mylib-zh-{viewport}"
        tab = open_tab(viewport, "zh")
        a_reader(tab.hub, reader_id)
        _open(tab, reader_id)
        page = tab.page
        expect(page.get_by_role("heading", level=1)).to_have_text("我的图书馆")
        expect(page.locator("#interests-heading")).to_have_text("兴趣")
        learned = page.locator("#interests .column").nth(1)
        expect(learned.locator(".interest .strength").first).to_have_text("兴趣浓厚")
        reasons = page.locator("#inbox .reason").all_inner_texts()
        assert reasons and all(text.startswith("推荐理由：") for text in reasons)
        assert all(re.search(r"[\u4e00-\u9fff]", text.removeprefix("推荐理由：")) for text in reasons), reasons
        expect(page.locator("#consents")).to_contain_text("个性化服务")
        _check(tab, "page")
        page.click("#erase-open")
        expect(page.locator("#erase-dialog")).to_contain_text("此操作无法撤销")
        _check(tab, "erase")


def test_subscribe_consent_export_and_erase(desktop: Tab) -> None:
    reader_id = "mylib-data"
    a_reader(desktop.hub, reader_id)
    reader = Actor(actor_id=reader_id, role=ActorRole.READER)
    desktop.hub.container.profiles.put_profile(reader_id, {"name": "Mia", "email": "mia@example.org"}, reader)
    page = desktop.page
    _open(desktop, reader_id)

    page.select_option("#channel-interested_new", "email")  # the address starts as the profile's
    expect(page.locator("#email-interested_new")).to_have_value("mia@example.org")
    page.click("#subscribe-interested_new")
    expect(page.locator("#service-interested_new .state")).to_contain_text("· Email ·")

    page.select_option("#channel-saved_search", "atom")
    page.fill("#query-saved_search", "title:programming")
    page.click("#subscribe-saved_search")
    expect(page.locator("#service-saved_search .state")).to_contain_text("Subscribed since")
    expect(page.locator("#feed-saved_search")).to_have_value(re.compile(r"/push/feeds/"))
    page.click("#unsubscribe-new_in_class")
    expect(page.locator("#service-new_in_class .state")).to_have_text("Not subscribed.")

    page.click("#consent-toggle-analytics")
    expect(page.locator("#consent-state-analytics")).to_contain_text("Given on")

    with page.expect_download() as started:
        page.click("#export")
    download = started.value
    assert download.suggested_filename.startswith(f"my-library-{reader_id}-")
    exported = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert exported["reader"]["reader_id"] == reader_id and exported["inbox"]

    page.click("#erase-open")
    assert page.evaluate("document.activeElement.id") == "erase-word"  # focus moved into the dialog
    expect(page.locator("#erase-dialog")).to_contain_text("the record of your consents")
    _check(desktop, "erase")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "erase-open"
    page.click("#erase-open")
    page.fill("#erase-word", "please")
    page.click("#erase-confirm")
    expect(page.locator("#erase-dialog [role=alert]")).to_have_text("Type ERASE exactly to confirm.")
    page.fill("#erase-word", "ERASE")
    page.click("#erase-confirm")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is erased")
    assert page.evaluate("sessionStorage.getItem('consortium.token')") is None
    token = desktop.hub.token(reader_id, MEMBER)
    gone = requests.get(
        f"{desktop.hub.url}/readers/{reader_id}/consents", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert gone.status_code == 404
    _check(desktop, "erased")
