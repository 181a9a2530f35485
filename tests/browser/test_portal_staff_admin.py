"""The staff pages' sections for a member administrator's own library: harvests (the latest runs with what each
read and did, the records in quarantine with their reasons and where they are, the raw record downloaded as
harvested, a harvest asked for and followed to its end) and the sharing policy (changed and saved; a change made
meanwhile by someone else said, and the policy shown again). axe-core, the width check and a screenshot at each
step; the harvests at both viewports and in Chinese; a subject librarian sees neither.

The hub's sample members are harvested once for the package: lakeside's KBART file has one row the hub cannot read
(an empty ``title_url``), so lakeside has one record in quarantine."""

from __future__ import annotations

import base64
import datetime as dt
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from consortium.auth import StaffRole
from consortium.registry.sharing import SharingChange

if TYPE_CHECKING:
    from collections.abc import Callable

    from .browsing import Hub, Tab

MEMBER = "lakeside"


def _check(tab: Tab, step: str) -> None:
    tab.check_axe()
    tab.check_fits()
    tab.screenshot(step)


def test_the_administrator_reads_the_quarantine_downloads_a_record_and_harvests_again(tab: Tab) -> None:
    tab.log_in_staff(f"harvest-desk-{tab.viewport}", MEMBER)
    tab.goto("/staff.html")
    page = tab.page
    section = page.locator("#harvests")
    expect(section.locator("h2")).to_have_text("Harvests and quarantine")
    expect(page.locator("nav.contents")).to_contain_text("Harvests and quarantine")
    runs = section.locator("#harvest-runs table")
    expect(runs.locator("caption")).to_contain_text("counts in records")
    expect(runs.locator("tbody tr").first).to_contain_text("Complete")
    quarantined = section.locator("#quarantine li.quarantined")
    expect(quarantined).to_have_count(1)
    expect(quarantined).to_contain_text("eresources, lakeside-kbart.txt:")
    expect(quarantined.locator(".reason")).to_contain_text("title_url")
    expect(section.locator("#quarantine")).to_contain_text("One record in quarantine.")
    _check(tab, "harvests")

    item = tab.hub.container.member_quarantine.page(MEMBER, include_raw=True).items[0]
    assert item.raw_base64 is not None
    with page.expect_download() as download:
        quarantined.get_by_role("button", name="Download the record as harvested").click()
    assert download.value.suggested_filename.startswith("eresources-")
    assert download.value.path().read_bytes() == base64.b64decode(item.raw_base64)
    expect(page.locator("#status")).to_contain_text(f"Downloaded {download.value.suggested_filename}")

    before = runs.locator("tbody tr").count()
    section.get_by_role("button", name="Harvest now").click()
    expect(page.locator("#status")).to_contain_text("Harvest asked for")
    # the run may be over before the section is drawn again: "Check again" while it is queued or running
    expect(page.locator("#harvest-now")).to_be_focused()  # focus stays on the control after the redraw
    _check(tab, "harvest-asked")
    button = page.locator("#harvest-now")
    for _ in range(40):  # the hub's worker takes the run within a second; follow it as staff would
        if button.inner_text() == "Harvest now":
            break
        expect(section.locator(".actions")).to_contain_text("A harvest is under way")
        page.wait_for_timeout(500)
        button.click()
        expect(section.locator(".section-body")).not_to_have_attribute("aria-busy", "true")
    expect(button).to_have_text("Harvest now")
    expect(runs.locator("tbody tr")).to_have_count(min(before + 1, 5))
    expect(runs.locator("tbody tr").first).to_contain_text("Library staff or system")
    expect(runs.locator("tbody tr").first).to_contain_text("Complete")


def test_the_section_speaks_chinese_and_a_librarian_does_not_see_it(open_tab: Callable[..., Tab]) -> None:
    chinese = open_tab("phone", "zh")
    chinese.log_in_staff("harvest-desk-zh", MEMBER)
    chinese.goto("/staff.html")
    section = chinese.page.locator("#harvests")
    expect(section.locator("h2")).to_have_text("采集与隔离记录")
    expect(section.locator("#quarantine")).to_contain_text("共 1 条隔离记录。")
    expect(section.get_by_role("button", name="立即采集")).to_be_visible()
    _check(chinese, "harvests-zh")

    librarian = open_tab("desktop")
    librarian.log_in_staff("harvest-li", MEMBER, StaffRole.SUBJECT_LIBRARIAN)
    librarian.goto("/staff.html")
    expect(librarian.page.locator("#lists h2")).to_be_visible()
    expect(librarian.page.locator("#harvests")).to_have_count(0)
    expect(librarian.page.locator("#sharing")).to_have_count(0)
    expect(librarian.page.locator("#staff-scope")).to_contain_text("Harvests and quarantine")


def test_the_administrator_changes_the_sharing_policy_and_a_change_made_meanwhile_is_said(desktop: Tab) -> None:
    sharing = desktop.hub.container.member_sources.sharing
    member = "westfield"
    before = sharing.get(member).sharing
    desktop.log_in_staff("sharing-desk", member)
    desktop.goto("/staff.html")
    page = desktop.page
    section = page.locator("#sharing")
    try:
        expect(section.get_by_label("Show our holdings to readers of other member libraries")).to_be_checked(
            checked=before.share_holdings
        )
        _check(desktop, "sharing")
        section.get_by_label("Only readers of these libraries:").check()
        section.get_by_role("button", name="Save the policy").click()
        expect(section.get_by_role("alert")).to_have_text(
            "Choose at least one library, or choose readers of every member library."
        )
        section.get_by_label("Lakeside Public Library").check()
        section.get_by_label("Never counted", exact=False).check()
        section.get_by_role("button", name="Save the policy").click()
        expect(page.locator("#status")).to_have_text("Sharing policy saved: it applies from the next request.")
        expect(page.locator("#sharing-origin")).to_contain_text("by westfield/sharing-desk")
        expect(page.locator("#sharing-save")).to_be_focused()
        now = sharing.get(member)
        assert now.sharing.lend_to_members == ["lakeside"] and now.sharing.share_circulation == "none"
        _check(desktop, "sharing-saved")

        # someone else changes it behind the page's back: the page's version is old, the API says 409
        sharing.change(member, SharingChange(share_circulation="aggregate"), actor_id="westfield/other-desk")
        section.get_by_label("Readers of every member library").check()
        section.get_by_role("button", name="Save the policy").click()
        expect(page.locator("#status")).to_contain_text("Someone changed the policy since this page read it")
        expect(section.get_by_label("Counted, as aggregates only", exact=False)).to_be_checked()
        expect(section.get_by_label("Only readers of these libraries:")).to_be_checked()  # as it is now
        assert sharing.get(member).sharing.lend_to_members == ["lakeside"]
    finally:
        sharing.change(member, SharingChange(**before.model_dump()), actor_id="westfield/sharing-desk")


def test_a_failed_harvest_is_said_in_the_librarians_language_with_the_servers_own_words(
    open_tab: Callable[..., Tab], hub: Hub
) -> None:
    """The CNMARC library's source failed (its server answered 503): the page says what happened by the run's
    code, in Chinese, and keeps the hub's English details beside it, marked as English."""
    from consortium.harvest.runs import HarvestRun, RunState, RunTrigger, SourceRun, SourceRunState, new_run_id

    member = "eastlake"
    runs = hub.container.harvest_runs
    at = dt.datetime.now(dt.UTC)
    error = "UpstreamError: HTTP 503 from https://opac.eastlake.example.edu/oai"
    failed = SourceRun(source="cnmarc", state=SourceRunState.FAILED, error=error, error_code="upstream_error")
    runs.store.add(
        HarvestRun(
            run_id=new_run_id(at), member=member, trigger=RunTrigger.SCHEDULE, state=RunState.FAILED,
            requested_at=at, updated_at=at, finished_at=at, sources=[failed], error=f"cnmarc: {error}",
            error_code="upstream_error",
        )
    )  # fmt: skip
    chinese = open_tab("desktop", "zh")
    chinese.log_in_staff("eastlake-desk-zh", member)
    chinese.goto("/staff.html")
    problem = chinese.page.locator("#harvests .problems li").first
    expect(problem).to_contain_text("cnmarc：失败。")
    expect(problem).to_contain_text("本馆服务器或文件未能正常提供数据")
    expect(problem.locator('span[lang="en"]')).to_have_text(error)
    _check(chinese, "harvest-failed-zh")
