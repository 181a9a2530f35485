"""The portal says the API's errors in the reader's language by their code (README, "Error codes") and the field
they name, and a code it does not know by the API's English message; the staff page says quarantine reasons in
the librarian's language with the hub's English words a click away. All on Chinese pages (a list edited over a
bad class and over a colleague's change, an answer with a code of a newer hub, lakeside's quarantined KBART row),
axe-core and the width check at each step."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from consortium.auth import StaffRole
from consortium.cooperation.lists import ListChange, NewList

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import Route

    from .browsing import Tab

CHANGED_MEANWHILE = "本页读取后有人修改了此书单，现已重新显示当前书单。请再次进行修改。"


def _check(tab: Tab, step: str) -> None:
    tab.check_axe()
    tab.check_fits()
    tab.screenshot(step)


def test_a_list_edit_refused_is_said_in_chinese_by_its_code(open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("phone", "zh")
    member, librarian = "riverside", "riverside/li-errors-zh"
    lists = tab.hub.container.curated_lists
    made = lists.create(member, NewList(title="Errors in Chinese", class_code="clc:I222"), actor_id=librarian)
    tab.log_in_staff("li-errors-zh", member, StaffRole.SUBJECT_LIBRARIAN)
    tab.goto("/staff.html")
    page = tab.page
    block = page.locator("article.curated", has_text="Errors in Chinese")
    block.get_by_text("编辑标题、分类、主题和简介").click()
    alert = block.locator(".edit-list [role=alert]")

    # invalid_field, field class_code, reason class_with_scheme: each said in Chinese, no English left
    block.get_by_label("分类范围（可选）").fill("I222")
    block.get_by_role("button", name="保存修改").click()
    expect(alert).to_have_text("“分类范围”填写有误：不是带分类法的类号（例如 clc:TP3、lcc:QA76、ddc:005）")
    _check(tab, "invalid-field")

    # version_conflict: a colleague saved the list since the page read it
    lists.edit(member, made.list_id, ListChange(description="a colleague's words"), actor_id="riverside/other")
    block.get_by_label("分类范围（可选）").fill("clc:I22")
    block.get_by_role("button", name="保存修改").click()
    expect(page.locator("#status")).to_have_text(CHANGED_MEANWHILE)
    expect(block).to_contain_text("a colleague's words")  # shown again as it is now
    _check(tab, "version-conflict")

    # a code this page has no words for (a newer hub's): the API's English message, in a Chinese sentence
    def newer(route: Route) -> None:
        if route.request.method != "PATCH":
            route.fallback()
            return
        body = {"Code": "ConflictError", "Message": "the list is being moved to another member", "code": "moving"}
        route.fulfill(status=409, content_type="application/json", body=json.dumps(body))

    edited = re.compile(rf"/members/{member}/lists/{made.list_id}\?version=\d+$")
    page.route(edited, newer)
    block.get_by_text("编辑标题、分类、主题和简介").click()
    block.get_by_label("分类范围（可选）").fill("clc:I22")
    block.get_by_role("button", name="保存修改").click()
    expect(alert).to_have_text("系统拒绝了该请求（错误 409）：the list is being moved to another member")
    page.unroute(edited, newer)
    stored = tab.hub.container.curated_list_store.get(made.list_id)
    assert stored is not None and stored.class_code == "clc:I222"  # nothing of the refused edits was kept


def test_the_quarantine_reason_is_said_in_chinese_with_the_hubs_english_words(open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("desktop", "zh")
    tab.log_in_staff("harvest-desk-errors-zh", "lakeside")
    tab.goto("/staff.html")
    item = tab.page.locator("#quarantine li.quarantined")
    expect(item).to_have_count(1)
    expect(item.locator(".reason")).to_have_text("字段值不符合格式要求（title_url）。")
    english = item.locator(".reason-en")
    expect(english).to_be_hidden()
    item.get_by_text("系统原文（英文，可复制到工单中）").click()
    expect(english).to_have_text("title_url: '' is not an http(s) URL")
    expect(english).to_have_attribute("lang", "en")
    _check(tab, "quarantine-reason")

    shown = tab.hub.container.member_quarantine.page("lakeside").items[0]
    assert (shown.reason_code, shown.reason_field) == ("invalid_value", "title_url")


def test_an_english_page_keeps_the_hubs_own_words_for_a_quarantine_reason(desktop: Tab) -> None:
    desktop.log_in_staff("harvest-desk-errors-en", "lakeside")
    desktop.goto("/staff.html")
    item = desktop.page.locator("#quarantine li.quarantined")
    expect(item.locator(".reason")).to_have_text("title_url: '' is not an http(s) URL")
    expect(item.locator("details.original")).to_have_count(0)
