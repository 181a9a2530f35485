"""Inter-library loan in the portal, as a reader uses it: on a work's page, with no copy available at their own
library (riverside) and one at another member's (lakeside, which lends to riverside), the reader asks for it with
a note, reads where the request went, finds it under "My loan requests" in My library and cancels it; the
page sends a reader whose library has a copy to its desk, offers only members that lend to the reader's library (a
member lending only to lakeside is not offered, and the page says so), and says so in words when the hub refuses
(their library's copy came back meanwhile: a 400; no member may lend to riverside any more, or the only lender
refused the reader: a 409; the lender accepted before the reader's Cancel: a 409); when every lender refused, the
reader chooses one of them and asks it again by name; signed out, it invites to sign in. axe-core, the width check
and a screenshot at each step, in English and in Chinese.

Each test makes works and readers of its own (the hub is shared by every browser test): the works are saved to the
hub's cluster store behind the page's back, as a harvest would, with the holdings each case needs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster
from playwright.sync_api import expect

from consortium.cooperation.models import LoanState
from consortium.dedup.state import ClusterChange
from consortium.models import Availability, Holding
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from collections.abc import Callable

    from .browsing import Hub, Tab

MEMBER = "riverside"
TEXT = {
    "en": {
        "ask": "Ask another library for it",
        "sent": "Sent to Lakeside Public Library: they will check their shelf and accept or refuse",
        "asked": "You asked Lakeside Public Library for it on",
        "requested": "Requested",
        "cancelled": "Cancelled",
        "lender": "Lent by Lakeside Public Library",
        "cancel": "Cancel",
        "done": "request cancelled",
        "own": "Your library (Riverside University Library) has a copy available: ask for it at its desk.",
        "own_now": "Your library (Riverside University Library) has a copy available now: ask for it at its desk.",
        "no_lender": "No other library may lend it to readers of your library now",
        "sign_in": "Sign in to ask another library for it",
        "mine": "My loan requests",
        "accepted": "Accepted",
        "refused": "Refused",
        "too_late": "Too late to cancel: the lending library has already taken the next step.",
        "ask_again": "Ask for it again",
        "all_refused": "Every library that may lend it has refused your earlier request (Lakeside Public Library). "
        "You may ask one of them again (its copy may be back on the shelf), or ask your library's desk for help.",
        "refused_by": "Every library that may lend it has refused your earlier request (",
        "again_lakeside": "Ask Lakeside Public Library again",
        "again_westfield": "Ask Westfield Community College Library again",
        "lender_again": "Library to ask again",
        "lender_cannot": "Lakeside Public Library has no copy it may lend now",
        "sent_westfield": "Sent to Westfield Community College Library: they will check their shelf",
        "none_lend": "The libraries with a copy (Eastlake University Library) do not lend to readers of your library "
        "(Riverside University Library). Your library's desk may help you find it elsewhere.",
    },
    "zh": {
        "ask": "向其他图书馆申请借阅",
        "sent": "已发送至湖滨公共图书馆：对方将核查馆藏是否在架，然后接受或拒绝",
        "asked": "向湖滨公共图书馆申请借阅",
        "requested": "已申请",
        "cancelled": "已取消",
        "lender": "出借馆：湖滨公共图书馆",
        "cancel": "取消",
        "done": "申请已取消",
        "own": "本馆（河滨大学图书馆）有可借的馆藏：请到本馆服务台借阅。",
        "own_now": "本馆（河滨大学图书馆）现在有可借的馆藏：请到本馆服务台借阅。",
        "no_lender": "目前没有其他图书馆可以借给本馆读者",
        "sign_in": "登录后向其他图书馆申请借阅",
        "mine": "我的馆际互借申请",
        "accepted": "已接受",
        "refused": "已拒绝",
        "too_late": "无法取消：出借馆已进行下一步处理。",
        "ask_again": "重新申请借阅",
        "all_refused": "所有可出借的图书馆都拒绝了您之前的申请（湖滨公共图书馆）。"
        "您可以再次向其中一家申请（其馆藏可能已归还上架），或向本馆服务台求助。",
        "refused_by": "所有可出借的图书馆都拒绝了您之前的申请（",
        "again_lakeside": "再次向湖滨公共图书馆申请",
        "again_westfield": "再次向Westfield Community College Library申请",
        "lender_again": "再次申请的图书馆",
        "lender_cannot": "湖滨公共图书馆目前没有可出借的馆藏",
        "sent_westfield": "已发送至Westfield Community College Library：对方将核查馆藏是否在架",
        "none_lend": "有馆藏的图书馆（东湖大学图书馆）不向本馆（河滨大学图书馆）读者出借。"
        "本馆服务台可以帮您从其他途径获取。",
    },
}


def _check(tab: Tab, step: str) -> None:
    tab.check_axe()
    tab.check_fits()
    tab.screenshot(step)


def a_work(hub: Hub, cluster_id: str, *copies: tuple[str, Availability]) -> str:
    """A work held by each member of ``copies`` with a copy of that shelf status, saved as a harvest saves it."""
    holdings = [
        Holding(member=member, location="Main stacks", call_number=f"QA76.{n} .I4", availability=availability)
        for n, (member, availability) in enumerate(copies)
    ]
    members = [member for member, _ in copies]
    work = make_cluster(cluster_id, f"Portal loan test {cluster_id}", members, holdings=holdings)
    hub.container.cluster_store.apply(ClusterChange(saved=[work]))
    return cluster_id


def a_reader(hub: Hub, reader_id: str) -> str:
    hub.container.profiles.create_reader(reader_id, MEMBER, [Purpose.PERSONALIZATION])
    return reader_id


@pytest.mark.parametrize(("viewport", "lang"), [("desktop", "en"), ("phone", "zh")])
def test_a_reader_asks_another_library_follows_the_request_and_cancels_it(
    open_tab: Callable[..., Tab], viewport: str, lang: str
) -> None:
    text = TEXT[lang]
    tab = open_tab(viewport, lang)
    cluster_id = a_work(
        tab.hub, f"ill-ask-{lang}", ("lakeside", Availability.AVAILABLE), (MEMBER, Availability.ON_LOAN)
    )
    reader_id = a_reader(tab.hub, f"ilse-{lang}")
    tab.log_in(reader_id, MEMBER)
    tab.goto(f"/work.html?id={cluster_id}")
    page = tab.page
    ask = page.get_by_role("button", name=text["ask"])
    expect(ask).to_be_visible()
    _check(tab, "offer")

    page.locator("#ill-note").fill("chapter 3 will do")
    ask.click()
    expect(page.locator("#ill-result")).to_contain_text(text["sent"])
    expect(page.locator("#ill-result")).not_to_contain_text("{")
    expect(page.get_by_role("button", name=text["ask"])).to_have_count(0)
    _check(tab, "sent")
    (stored,) = tab.hub.container.interlibrary_loans.of_reader(reader_id)
    assert stored.lender == "lakeside" and stored.cluster_id == cluster_id and stored.state is LoanState.REQUESTED
    assert stored.history[0].note == "chapter 3 will do"

    tab.goto(f"/work.html?id={cluster_id}")  # the request under way is shown in place of the button
    expect(page.locator("#ill-open")).to_contain_text(text["asked"])
    expect(page.locator("#ill-open")).to_contain_text(text["requested"])
    expect(page.get_by_role("button", name=text["ask"])).to_have_count(0)

    page.get_by_role("link", name=text["mine"]).click()
    page.wait_for_url(re.compile(r"/me\.html#loans$"))
    expect(page.locator("#loans-heading")).to_be_focused()  # the link lands on the reader's requests
    card = page.locator("#loans .ill-request", has_text=f"Portal loan test {cluster_id}")
    expect(card.locator("h3 .tag")).to_have_text(text["requested"])
    expect(card).to_contain_text(text["lender"])
    expect(card).to_contain_text("QA76.0 .I4")
    _check(tab, "my-requests")

    card.get_by_role("button", name=text["cancel"]).click()
    expect(page.locator("#status")).to_contain_text(text["done"])
    card = page.locator("#loans .ill-request", has_text=f"Portal loan test {cluster_id}")
    expect(card.locator("h3 .tag")).to_have_text(text["cancelled"])
    expect(card.get_by_role("button")).to_have_count(0)  # nothing left to cancel
    (stored,) = tab.hub.container.interlibrary_loans.of_reader(reader_id)
    assert stored.state is LoanState.CANCELLED
    _check(tab, "cancelled")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_reader_whose_library_has_a_copy_is_sent_to_its_desk(open_tab: Callable[..., Tab], lang: str) -> None:
    text = TEXT[lang]
    tab = open_tab("desktop", lang)
    page = tab.page
    reader_id = a_reader(tab.hub, f"ivo-{lang}")
    tab.log_in(reader_id, MEMBER)

    held = a_work(tab.hub, f"ill-own-{lang}", (MEMBER, Availability.AVAILABLE), ("lakeside", Availability.AVAILABLE))
    tab.goto(f"/work.html?id={held}")
    expect(page.locator("#ill-own")).to_have_text(text["own"])
    expect(page.get_by_role("button", name=text["ask"])).to_have_count(0)
    _check(tab, "own-has-it")

    # the page offered to ask while riverside's copy was on loan; it came back before the reader clicked: a 400
    back = f"ill-back-{lang}"
    a_work(tab.hub, back, (MEMBER, Availability.ON_LOAN), ("lakeside", Availability.AVAILABLE))
    tab.goto(f"/work.html?id={back}")
    ask = page.get_by_role("button", name=text["ask"])
    expect(ask).to_be_visible()
    a_work(tab.hub, back, (MEMBER, Availability.AVAILABLE), ("lakeside", Availability.AVAILABLE))
    ask.click()
    expect(page.locator("#ill-result")).to_have_text(text["own_now"])
    expect(page.locator("#ill-result")).not_to_contain_text("cluster_id")
    assert tab.hub.container.interlibrary_loans.of_reader(reader_id) == []
    _check(tab, "own-has-it-now")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_offers_only_libraries_that_lend_to_the_readers_library(
    open_tab: Callable[..., Tab], lang: str
) -> None:
    # eastlake holds a copy on its shelf but lends only to lakeside (its sharing policy): the page offers nothing
    # and says why; with westfield (which lends to everyone) holding one too, the page offers to ask, and it asks
    # westfield
    text = TEXT[lang]
    tab = open_tab("desktop", lang)
    page = tab.page
    reader_id = a_reader(tab.hub, f"inga-{lang}")
    tab.log_in(reader_id, MEMBER)
    closed = a_work(tab.hub, f"ill-closed-{lang}", ("eastlake", Availability.AVAILABLE))
    tab.goto(f"/work.html?id={closed}")
    expect(page.locator("#ill-none-lend")).to_have_text(text["none_lend"])
    expect(page.get_by_role("button", name=text["ask"])).to_have_count(0)
    _check(tab, "none-lend")

    both = a_work(
        tab.hub, f"ill-open-{lang}", ("eastlake", Availability.AVAILABLE), ("westfield", Availability.AVAILABLE)
    )
    tab.goto(f"/work.html?id={both}")
    page.get_by_role("button", name=text["ask"]).click()
    expect(page.locator("#ill-result")).to_contain_text(text["sent_westfield"])
    expect(page.locator("#ill-none-lend")).to_have_count(0)
    (asked,) = tab.hub.container.interlibrary_loans.of_reader(reader_id)
    assert asked.lender == "westfield"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_member_may_lend_it_any_more_is_said_in_words(open_tab: Callable[..., Tab], lang: str) -> None:
    # the page offered lakeside's copy; behind its back only eastlake (lending only to lakeside) holds one: a 409
    text = TEXT[lang]
    tab = open_tab("desktop", lang)
    cluster_id = a_work(tab.hub, f"ill-none-{lang}", ("lakeside", Availability.AVAILABLE))
    reader_id = a_reader(tab.hub, f"ines-{lang}")
    tab.log_in(reader_id, MEMBER)
    tab.goto(f"/work.html?id={cluster_id}")
    page = tab.page
    ask = page.get_by_role("button", name=text["ask"])
    expect(ask).to_be_visible()
    a_work(tab.hub, cluster_id, ("eastlake", Availability.AVAILABLE))
    ask.click()
    expect(page.locator("#ill-result")).to_contain_text(text["no_lender"])
    expect(page.locator("#ill-result")).not_to_contain_text("eastlake")  # not the API's own message
    assert tab.hub.container.interlibrary_loans.of_reader(reader_id) == []
    _check(tab, "no-lender")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_signed_out_the_page_invites_to_sign_in(open_tab: Callable[..., Tab], lang: str) -> None:
    text = TEXT[lang]
    tab = open_tab("desktop", lang)
    cluster_id = a_work(tab.hub, f"ill-anon-{lang}", ("lakeside", Availability.AVAILABLE))
    tab.goto(f"/work.html?id={cluster_id}")
    page = tab.page
    invite = page.get_by_role("link", name=text["sign_in"])
    expect(invite).to_be_visible()
    expect(page.get_by_role("button", name=text["ask"])).to_have_count(0)
    _check(tab, "signed-out")
    invite.click()
    page.wait_for_url(re.compile(r"/login\.html\?next="))
    assert f"work.html%3Fid%3D{cluster_id}" in page.url


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refusal_and_a_cancel_too_late_are_said_in_words(open_tab: Callable[..., Tab], lang: str) -> None:
    # lakeside accepts while the reader's list still offers Cancel (a 409: too late); then refuses a second request,
    # and the only lender having refused, asking again is a 409 naming it
    text = TEXT[lang]
    tab = open_tab("desktop", lang)
    hub, page = tab.hub, tab.page
    desk = Actor(actor_id="lakeside/desk", role=ActorRole.MEMBER_STAFF)
    reader_id = a_reader(hub, f"iris-{lang}")
    reader = Actor(actor_id=reader_id, role=ActorRole.READER)
    late = a_work(hub, f"ill-late-{lang}", ("lakeside", Availability.AVAILABLE))
    asked = hub.container.interlibrary_loans.ask(reader_id, MEMBER, late, actor=reader)
    tab.log_in(reader_id, MEMBER)
    tab.goto("/me.html")
    card = page.locator("#loans .ill-request", has_text=f"Portal loan test {late}")
    cancel = card.get_by_role("button", name=text["cancel"])
    expect(cancel).to_be_visible()
    hub.container.interlibrary_loans.move("lakeside", asked.request_id, LoanState.ACCEPTED, actor=desk)
    cancel.click()
    expect(page.locator("#status")).to_have_text(text["too_late"])
    card = page.locator("#loans .ill-request", has_text=f"Portal loan test {late}")
    expect(card.locator("h3 .tag")).to_have_text(text["accepted"])
    expect(card.get_by_role("button")).to_have_count(0)
    _check(tab, "too-late")

    refused = a_work(hub, f"ill-refused-{lang}", ("lakeside", Availability.AVAILABLE))
    first = hub.container.interlibrary_loans.ask(reader_id, MEMBER, refused, actor=reader)
    hub.container.interlibrary_loans.move("lakeside", first.request_id, LoanState.REFUSED, actor=desk, note="lost")
    tab.goto("/me.html")
    card = page.locator("#loans .ill-request", has_text=f"Portal loan test {refused}")
    expect(card.locator("h3 .tag")).to_have_text(text["refused"])
    card.locator("summary").click()
    expect(card.locator(".ill-history")).to_contain_text("lost")  # the library's note
    card.get_by_role("link", name=text["ask_again"]).click()
    page.wait_for_url(re.compile(rf"/work\.html\?id={refused}$"))
    page.get_by_role("button", name=text["ask"]).click()
    expect(page.locator("#ill-result")).to_have_text(text["all_refused"])
    expect(page.locator("#ill-result")).to_be_focused()
    expect(page.get_by_role("button", name=text["again_lakeside"])).to_be_visible()  # the one that refused
    expect(page.locator("#ill-lender")).to_have_count(0)  # one library: nothing to choose
    assert len(hub.container.interlibrary_loans.of_reader(reader_id)) == 2
    _check(tab, "all-refused")


@pytest.mark.parametrize(("viewport", "lang"), [("desktop", "en"), ("phone", "zh")])
def test_after_every_lender_refused_the_reader_chooses_one_to_ask_again(
    open_tab: Callable[..., Tab], viewport: str, lang: str
) -> None:
    # lakeside and westfield both lend to riverside and both refused the reader: the page offers them by name; the
    # reader first picks lakeside, whose copy went out on loan meanwhile (a 400 on 'lender'), then westfield
    text = TEXT[lang]
    tab = open_tab(viewport, lang)
    hub, page = tab.hub, tab.page
    reader_id = a_reader(hub, f"irene-{lang}")
    reader = Actor(actor_id=reader_id, role=ActorRole.READER)
    both = (("lakeside", Availability.AVAILABLE), ("westfield", Availability.AVAILABLE))
    cluster_id = a_work(hub, f"ill-again-{lang}", *both)
    loans = hub.container.interlibrary_loans
    for _ in both:
        asked = loans.ask(reader_id, MEMBER, cluster_id, actor=reader)
        desk = Actor(actor_id=f"{asked.lender}/desk", role=ActorRole.MEMBER_STAFF)
        loans.move(asked.lender, asked.request_id, LoanState.REFUSED, actor=desk)
    assert {r.lender for r in loans.of_reader(reader_id)} == {"lakeside", "westfield"}

    tab.log_in(reader_id, MEMBER)
    tab.goto(f"/work.html?id={cluster_id}")
    page.get_by_role("button", name=text["ask"]).click()
    result = page.locator("#ill-result")
    expect(result).to_contain_text(text["refused_by"])
    expect(result).to_be_focused()
    choice = page.get_by_label(text["lender_again"])
    expect(choice.locator("option")).to_have_count(2)
    assert sorted(choice.locator("option").evaluate_all("(os) => os.map((o) => o.value)")) == ["lakeside", "westfield"]
    expect(page.get_by_role("button", name=text["ask"])).to_have_count(0)
    _check(tab, "ask-again-choice")

    a_work(hub, cluster_id, ("lakeside", Availability.ON_LOAN), ("westfield", Availability.AVAILABLE))
    choice.select_option("lakeside")
    page.get_by_role("button", name=text["again_lakeside"]).click()
    expect(result).to_contain_text(text["lender_cannot"])
    expect(result).not_to_contain_text("field 'lender'")  # not the API's own message
    assert len(loans.of_reader(reader_id)) == 2

    choice.select_option("westfield")
    page.locator("#ill-note").fill("any edition")
    page.get_by_role("button", name=text["again_westfield"]).click()
    expect(result).to_contain_text(text["sent_westfield"])
    expect(page.get_by_role("button", name=text["again_westfield"])).to_have_count(0)
    newest = [r for r in loans.of_reader(reader_id) if r.state is LoanState.REQUESTED]
    assert [(r.lender, r.history[0].note) for r in newest] == [("westfield", "any edition")]
    _check(tab, "asked-again")
