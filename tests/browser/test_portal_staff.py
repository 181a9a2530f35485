"""The staff pages in the browser, as a member library's staff use them: a member administrator reads the member's
contribution (the catalogue, loans of its works by other members' readers once ten of them are counted in a closed
month, the inter-library loan balance) and moves a lending request through accepted and shipped with a note; a subject
librarian sees only the curated lists, starts one, finds a work and adds it with a note, publishes and withdraws
it, edits a list (a change made meanwhile by a colleague is said) and deletes a draft (a published list says to
withdraw it first); a reader and a signed-out visitor are told the page is not theirs; on a demo hub the sign-in
page lists the demo staff beside the demo readers. axe-core, the width check and a screenshot at each step, at both
viewports, in English and in Chinese.

Each test makes data of its own in the shared hub (works, readers and requests named after the test)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster
from playwright.sync_api import expect

from consortium.auth import StaffRole
from consortium.cooperation.lists import ListChange, NewList
from consortium.dedup.state import ClusterChange
from consortium.models import Availability, Holding
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole, ReaderEvent

from .browsing import Hub

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .browsing import Tab

MEMBER = "riverside"


def _check(tab: Tab, step: str) -> None:
    tab.check_axe()
    tab.check_fits()
    tab.screenshot(step)


def a_lending_request(hub: Hub, name: str, availability: Availability = Availability.AVAILABLE) -> str:
    """A work only riverside holds (a copy available, or of ``availability``), asked for by a reader of westfield:
    riverside lends it."""
    cluster_id = f"staff-{name}"
    holding = Holding(member=MEMBER, location="Main stacks", call_number="QA76.6 .S7", availability=availability)
    work = make_cluster(cluster_id, f"Staff pages test work {name}", [MEMBER], holdings=[holding])
    hub.container.cluster_store.apply(ClusterChange(saved=[work]))
    reader_id = f"wendy-{name}"
    hub.container.profiles.create_reader(reader_id, "westfield", [Purpose.PERSONALIZATION])
    reader = Actor(actor_id=reader_id, role=ActorRole.READER)
    made = hub.container.interlibrary_loans.ask(reader_id, "westfield", cluster_id, actor=reader, note="chapter 2")
    return made.request_id


def test_the_administrator_moves_a_lending_request_and_reads_the_balance(tab: Tab) -> None:
    request_id = a_lending_request(tab.hub, f"ill-{tab.viewport}")
    tab.log_in_staff(f"desk-{tab.viewport}", MEMBER)
    tab.goto("/staff.html")
    page = tab.page
    expect(page.locator("#contribution #cross-loans")).to_be_visible()
    expect(page.locator("#staff-scope")).to_have_count(0)  # an administrator reaches every section
    expect(page.locator("header nav")).to_contain_text("Staff")
    expect(page.locator("header nav")).not_to_contain_text("My library")
    card = page.locator(".ill-request", has_text=f"Staff pages test work ill-{tab.viewport}")
    expect(card).to_contain_text("Requested")
    expect(card).to_contain_text("For readers of Westfield")
    expect(card).not_to_contain_text(f"wendy-{tab.viewport}")  # the lending library does not learn who asked
    _check(tab, "lending-queue")

    card.get_by_label("Note for the reader").fill("posting on Monday")
    card.get_by_role("button", name="Accept").click()
    expect(page.locator("#status")).to_contain_text("Accepted")
    card = page.locator(".ill-request", has_text=f"Staff pages test work ill-{tab.viewport}")
    expect(card).to_contain_text("Accepted")
    card.get_by_role("button", name="Mark shipped").click()
    expect(card.locator("h3 .tag")).to_have_text("Shipped")
    expect(card.get_by_role("button")).to_have_count(0)  # the next step is the borrowing library's
    card.locator("summary").click()
    expect(card.locator(".ill-history")).to_contain_text("posting on Monday")
    stored = tab.hub.container.interlibrary_loans.request(MEMBER, request_id)
    assert [step.state.value for step in stored.history] == ["requested", "accepted", "shipped"]
    expect(page.locator("#ill-balance")).to_contain_text(re.compile(r"Copies we lent\s*[1-9]"))
    expect(page.locator("#ill-balance")).to_contain_text("every request so far whose copy was shipped")  # a period
    expect(page.locator("#ill-summary")).to_contain_text(re.compile(r"Copies lent [1-9]"))
    _check(tab, "shipped")

    page.locator("#ill-side-borrowing").check()
    expect(page.locator("#ill .empty, #ill .ill-list").first).to_be_visible()
    expect(page.locator("#ill-side-borrowing")).to_be_checked()
    _check(tab, "borrowing")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_request_for_a_copy_of_unknown_status_asks_the_staff_to_check_the_shelf(
    open_tab: Callable[..., Tab], lang: str
) -> None:
    tab = open_tab("desktop", lang)
    request_id = a_lending_request(tab.hub, f"shelf-{lang}", Availability.UNKNOWN)
    tab.log_in_staff(f"desk-shelf-{lang}", MEMBER)
    tab.goto("/staff.html")
    page = tab.page
    card = page.locator(".ill-request", has_text=f"Staff pages test work shelf-{lang}")
    expect(card).to_contain_text("请先核查" if lang == "zh" else "check it, then accept or refuse")
    _check(tab, "check-the-shelf")
    card.get_by_role("button", name="拒绝" if lang == "zh" else "Refuse").click()
    card = page.locator(".ill-request", has_text=f"Staff pages test work shelf-{lang}")
    expect(card.locator("h3 .tag")).to_have_text("已拒绝" if lang == "zh" else "Refused")
    expect(card).not_to_contain_text("请先核查" if lang == "zh" else "check it, then accept or refuse")
    stored = tab.hub.container.interlibrary_loans.request(MEMBER, request_id)
    assert stored.state.value == "refused" and stored.availability is Availability.UNKNOWN


def _counted_month(now: dt.datetime) -> dt.datetime:
    """A day late in the latest month closed at ``now`` (over for a week) that the analytics page's test does not
    seed (October 2026): a month with no fact yet, so the build here is the one that freezes it, whichever module
    runs first; within the 90 days activity is kept for analytics."""
    start = now.replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    while True:
        start = (start - dt.timedelta(days=1)).replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        if end + dt.timedelta(days=7) <= now and start.strftime("%Y-%m") != "2026-10":
            return end - dt.timedelta(days=4)


@pytest.fixture(scope="module", autouse=True)
def counted_loans(hub: Hub) -> Hub:
    """Twelve readers of lakeside who let their loans be counted borrowed a work only riverside holds, in a closed
    month; the analytics job then counts it (the contribution page reads the report it keeps)."""
    cluster_id = "staff-counted"
    hub.container.cluster_store.apply(ClusterChange(saved=[make_cluster(cluster_id, "Counted loans", [MEMBER])]))
    library = Actor(actor_id="lakeside/desk", role=ActorRole.MEMBER_STAFF)
    at = _counted_month(dt.datetime.now(dt.UTC))
    for n in range(12):
        reader_id = f"counted-{n}"
        hub.container.profiles.create_reader(reader_id, "lakeside", [Purpose.PERSONALIZATION, Purpose.ANALYTICS])
        event = ReaderEvent(event_id=f"loan-{n}", type="borrow", at=at - dt.timedelta(hours=n), cluster_id=cluster_id)
        hub.container.profiles.record_event(reader_id, event, library)
    hub.container.analytics.build()
    return hub


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_contribution_shows_other_members_loans_once_ten_readers_count(
    counted_loans: Hub, open_tab: Callable[..., Tab], lang: str
) -> None:
    tab = open_tab("desktop", lang)
    tab.log_in_staff(f"figures-{lang}", MEMBER)
    tab.goto("/staff.html")
    cross = tab.page.locator("#cross-loans")
    expect(cross.locator("table").first).to_be_visible()
    library = "Lakeside" if lang == "en" else "湖滨"
    period = tab.hub.container.analytics.report().periods[-1]
    expect(cross.locator("table").first.locator("tbody tr").first).to_contain_text(re.compile(library))
    expect(cross.locator("table").nth(1)).to_contain_text(period)  # the months counted, the latest first
    expect(tab.page.locator("#contribution dl").first).to_contain_text(
        "仅本馆收藏的作品" if lang == "zh" else "Works only we hold"
    )
    _check(tab, "contribution")


def test_the_subject_librarian_keeps_a_list_and_sees_nothing_else(tab: Tab) -> None:
    tab.log_in_staff(f"li-{tab.viewport}", MEMBER, StaffRole.SUBJECT_LIBRARIAN)
    tab.goto("/staff.html")
    page = tab.page
    expect(page.locator("#lists")).to_be_visible()
    expect(page.locator("#contribution")).to_have_count(0)
    expect(page.locator("#ill")).to_have_count(0)
    expect(page.locator("#staff-scope")).to_contain_text("Our contribution")
    tab.goto("/me.html")  # a staff account has no reader's library: sent to its own pages
    expect(page.locator("#me")).to_contain_text("library staff account")
    expect(page.locator("#me a.button")).to_have_attribute("href", "staff.html")
    tab.goto("/staff.html")
    title = f"Histories to start with ({tab.viewport})"
    page.locator("#list-title").fill(title)
    page.locator("#list-class").fill("clc:K")
    page.get_by_role("button", name="Create the list").click()
    block = page.locator("article.curated", has_text=title)
    expect(block).to_contain_text("Draft")
    # an empty list cannot be published: no button the API would refuse, but what to do first
    expect(block.get_by_role("button", name="Publish")).to_have_count(0)
    expect(block.locator(".actions")).to_contain_text("Add a work to the list to publish it.")
    _check(tab, "new-list")

    block.get_by_label("Find a work in the catalogue").fill("history")
    block.get_by_label("Note", exact=True).fill("a clear first overview")
    block.get_by_role("button", name="Find").click()
    first = block.locator(".found-list li").first
    expect(first).to_be_visible()
    first.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("added to")
    block = page.locator("article.curated", has_text=title)
    expect(block.locator(".items > li")).to_have_count(1)
    expect(block.locator(".items input")).to_have_value("a clear first overview")
    expect(block.locator(".items input")).to_be_focused()  # the work just added, not the top of the section
    block.get_by_role("button", name="Publish").click()
    expect(block.locator("h3 .tag")).to_have_text("Published")
    expect(block.locator("h3")).to_be_focused()  # the heading that says the list's new state
    published = [one for one in tab.hub.container.curated_list_store.lists(MEMBER) if one.title == title]
    assert published and published[0].state.value == "published"
    _check(tab, "published")
    block.get_by_role("button", name="Withdraw").click()
    expect(block.locator("h3 .tag")).to_have_text("Draft")


def test_a_refused_section_says_why_instead_of_failing(desktop: Tab) -> None:
    """A token whose roles the page trusts but the API does not honour for this member (another member's path):
    the API's 403 is said in the section."""
    desktop.log_in_staff("desk-other", "lakeside")
    desktop.page.route(
        "**/members/lakeside/contribution",
        lambda route: route.fulfill(status=403, content_type="application/json", body='{"Code":"ForbiddenError"}'),
    )
    desktop.goto("/staff.html")
    expect(desktop.page.locator("#contribution .notice")).to_contain_text("may not see this")
    expect(desktop.page.locator("#ill .ill-list, #ill .empty").first).to_be_visible()  # the others still work
    desktop.check_axe()


def test_a_reader_and_a_signed_out_visitor_are_told_the_page_is_not_theirs(tab: Tab) -> None:
    tab.goto("/staff.html")
    expect(tab.page.locator("#staff a.button")).to_have_attribute("href", "login.html?next=staff.html")
    _check(tab, "signed-out")
    tab.hub.create_reader(f"staffpage-reader-{tab.viewport}", MEMBER, (Purpose.PERSONALIZATION.value,))
    tab.log_in(f"staffpage-reader-{tab.viewport}", MEMBER)
    tab.goto("/staff.html")
    expect(tab.page.locator("#staff")).to_contain_text("You are signed in as a reader")
    expect(tab.page.locator("header nav")).to_contain_text("My library")
    tab.check_axe()


@pytest.fixture(scope="module")
def demo_hub(hub: Hub) -> Iterator[Hub]:
    """The same hub served again with a demo sign-in: one demo reader and the demo staff of every member."""
    from consortium.cli.api import start_server
    from consortium.cli.run import demo_staff
    from consortium.http.portal import DemoReader

    hub.create_reader("demo-staffpage", MEMBER, (Purpose.PERSONALIZATION.value,))
    logins = [DemoReader("demo-staffpage", MEMBER, "Demo reader"), *demo_staff(hub.container)]
    server, thread = start_server(hub.container, "127.0.0.1", 0, demo_readers=logins)
    try:
        yield Hub(f"http://127.0.0.1:{server.effective_port}", hub.container)
    finally:
        server.close()
        thread.join(timeout=10)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_demo_sign_in_lists_staff_and_lands_on_the_staff_pages(
    demo_hub: Hub, open_tab: Callable[..., Tab], lang: str
) -> None:
    tab = open_tab("desktop", lang, at=demo_hub)
    tab.goto("/login.html")
    page = tab.page
    staff = page.locator("ul.demo-staff button")
    expect(staff).to_have_count(8)  # an administrator and a subject librarian of each of the four members
    expect(page.locator("ul.demo-readers").first.locator("button")).to_have_count(1)
    tab.check_axe()
    tab.screenshot("demo-sign-in")
    label = "Subject librarian, Eastlake" if lang == "en" else "学科馆员"
    page.locator("ul.demo-staff button", has_text=re.compile(label)).first.click()
    tab.logged_in = True
    page.wait_for_url(re.compile(r"/staff\.html$"))
    expect(page.locator("#lists")).to_be_visible()
    expect(page.locator("#contribution")).to_have_count(0)
    tab.check_axe()


def _a_work(hub: Hub, name: str) -> str:
    cluster_id = f"staff-list-{name}"
    hub.container.cluster_store.apply(ClusterChange(saved=[make_cluster(cluster_id, f"Poems {name}", [MEMBER])]))
    return cluster_id


def test_the_subject_librarian_edits_a_list_and_deletes_a_draft(tab: Tab) -> None:
    lists = tab.hub.container.curated_lists
    librarian = f"{MEMBER}/li-edit-{tab.viewport}"
    title = f"Poems to start with ({tab.viewport})"
    draft = lists.create(MEMBER, NewList(title=title, class_code="clc:I222"), actor_id=librarian)
    shown = f"Tang and Song poems ({tab.viewport})"
    published = lists.create(MEMBER, NewList(title=f"Published poems ({tab.viewport})"), actor_id=librarian)
    lists.put_work(MEMBER, published.list_id, _a_work(tab.hub, f"edit-{tab.viewport}"), None, actor_id=librarian)
    lists.publish(MEMBER, published.list_id, actor_id=librarian)
    tab.log_in_staff(f"li-edit-{tab.viewport}", MEMBER, StaffRole.SUBJECT_LIBRARIAN)
    tab.goto("/staff.html")
    page = tab.page

    block = page.locator("article.curated", has_text=title)
    block.get_by_text("Edit the title, class, subject and description").click()
    block.get_by_label("Title", exact=True).fill(shown)
    block.get_by_label("Title in Chinese (optional)").fill("唐宋诗词")
    block.get_by_label("Class range (optional)").fill("")
    _check(tab, "edit-list")
    block.get_by_role("button", name="Save the changes").click()
    expect(page.locator("#status")).to_have_text(f"List {shown} saved.")
    block = page.locator("article.curated", has_text=shown)
    expect(block.locator("h3")).to_be_focused()
    expect(block.locator(".meta")).to_have_count(0)  # the class cleared
    kept = tab.hub.container.curated_list_store.get(draft.list_id)
    assert kept is not None and (kept.title, kept.title_zh, kept.class_code) == (shown, "唐宋诗词", None)

    block.get_by_text("Edit the title, class, subject and description").click()
    block.get_by_label("Class range (optional)").fill("I222")  # no scheme: refused, said at the form
    block.get_by_role("button", name="Save the changes").click()
    alert = block.locator(".edit-list [role=alert]")  # the field by its label, as the form names it
    expect(alert).to_have_text("Class range: 'I222' is not a class with its scheme (clc:TP3, lcc:QA76, ddc:005)")
    lists.edit(MEMBER, draft.list_id, ListChange(description="changed by a colleague"), actor_id=librarian)
    block.get_by_label("Class range (optional)").fill("clc:I22")
    block.get_by_role("button", name="Save the changes").click()  # the page read version 2: now 3
    expect(page.locator("#status")).to_contain_text("Someone changed this list since this page read it")
    expect(block).to_contain_text("changed by a colleague")

    other = page.locator("article.curated", has_text=f"Published poems ({tab.viewport})")
    expect(other.get_by_role("button", name="Delete the draft")).to_have_count(0)
    expect(other).to_contain_text("To delete this list, withdraw it first")
    block.get_by_role("button", name="Delete the draft").click()
    expect(block.get_by_role("button", name="Delete it")).to_be_focused()
    expect(block).to_contain_text(f"Delete the draft {shown}, with the works on it and their notes?")
    _check(tab, "delete-draft")
    block.get_by_role("button", name="Keep it").click()
    expect(block.get_by_role("button", name="Delete the draft")).to_be_focused()
    block.get_by_role("button", name="Delete the draft").click()
    block.get_by_role("button", name="Delete it").click()
    expect(page.locator("#status")).to_have_text(f"Draft {shown} deleted.")
    expect(page.locator("article.curated", has_text=shown)).to_have_count(0)
    assert tab.hub.container.curated_list_store.get(draft.list_id) is None
