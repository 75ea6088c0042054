"""Staff console in headless Chromium: each role lands on what waits for it, counted and oldest
first, and every list has one search box (serial, full name or full ID number) that says when it
finds nothing and never leaves an earlier search's results behind."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, AppServer, make_id_number, staff_login
from tests.support_cases import move, submit
from tests.support_console import require_endpoints
from tests.support_people import masked, verified

pytestmark = pytest.mark.browser

PLACEHOLDER = "办件编号、姓名或身份证号"


def counts(api: Api, path: str, role: str) -> dict[str, int]:
    r = api.get(path, token=staff_login(api, role=role)["access_token"])
    assert r.status_code == 200, r.text
    return {x["status"]: x["count"] for x in r.json()["items"]}


def figure(page: Any, status: str) -> int:
    return int(page.locator(f'.worklist-counts li[data-status="{status}"]').get_attribute("data-count"))


def test_clerk_and_approver_land_on_their_counted_worklists_and_search(console, api: Api,
                                                                       server: AppServer) -> None:
    require_endpoints(server, "/staff/applications", "/staff/applications/counts")
    person, other = verified(api), verified(api)
    older, newer = submit(api, person), submit(api, other)
    waiting = counts(api, "/api/v1/staff/applications/counts", "clerk")

    c = console("worklist-clerk").login_as("clerk").go("clerk/cases")
    p = c.page
    p.locator(".worklist-counts").wait_for()
    for status in ("submitted", "accepted", "approved"):
        assert figure(p, status) == waiting[status]
    assert p.get_by_label("状态").locator("option").first.inner_text() \
        == f"待我处理（{waiting['submitted'] + waiting['accepted'] + waiting['approved']}）"
    # Oldest first: the earlier of the two cases is listed above the later one.
    c.listed(f'tr[data-serial="{newer["serial"]}"]')
    serials = p.locator("main section tr[data-serial]").evaluate_all("rs => rs.map(r => r.dataset.serial)")
    assert serials.index(older["serial"]) < serials.index(newer["serial"])
    c.shot("clerk-worklist")

    # One search box: by ID number only that resident's case; nothing found says so and clears the rest.
    lookup = p.locator("form.case-lookup")
    box = lookup.get_by_label("查找办件")
    assert box.get_attribute("placeholder") == PLACEHOLDER
    box.fill(person.id_number)
    lookup.get_by_role("button", name="查找").click()
    lookup.locator(f'tr[data-serial="{older["serial"]}"]').wait_for()
    assert lookup.locator("tr[data-serial]").count() == 1
    assert masked(person.name) in lookup.inner_text() and person.id_number not in lookup.inner_text()
    box.fill(make_id_number())
    lookup.get_by_role("button", name="查找").click()
    lookup.get_by_text("未找到办件，请核对后重试").wait_for()
    assert lookup.locator("tr[data-serial]").count() == 0
    c.shot("clerk-search")

    # The approver's figures follow a case the clerk sends on.
    clerk = staff_login(api, role="clerk")["access_token"]
    assert move(api, clerk, older["id"], "accepted").status_code == 200
    a = console("worklist-approver").login_as("approver").go("approver/queue")
    a.page.locator(".worklist-counts").wait_for()
    assert figure(a.page, "accepted") == counts(api, "/api/v1/staff/applications/counts", "approver")["accepted"]
    a.listed(f'tr[data-serial="{older["serial"]}"]')
    a.shot("approver-worklist")


def _complaint(api: Api, server: AppServer, content: str) -> tuple[Any, dict[str, Any]]:
    """A verified resident and the complaint they just filed (the hotline's endpoints required)."""
    require_endpoints(server, "/staff/complaints", "/staff/complaints/counts")
    person = verified(api)
    r = api.post("/api/v1/complaints", {"category": "request", "content": content}, token=person.access_token)
    assert r.status_code == 201, r.text
    return person, r.json()


def test_hotline_lands_on_complaints_to_assign_and_finds_one_by_id_number(console, api: Api,
                                                                           server: AppServer) -> None:
    person, complaint = _complaint(api, server, "小区门口路灯坏了一个月没人修")
    waiting = counts(api, "/api/v1/staff/complaints/counts", "hotline")

    c = console("worklist-hotline").login_as("hotline").go("hotline/triage")
    p = c.page
    p.locator(".worklist-counts").wait_for()
    assert figure(p, "received") == waiting["received"] and figure(p, "assigned") == waiting["assigned"]
    lookup = p.locator("form.complaint-lookup")
    box = lookup.get_by_label("查找工单")
    box.fill(person.id_number)
    lookup.get_by_role("button", name="查找").click()
    lookup.locator(f'article.complaint[data-serial="{complaint["serial"]}"]').wait_for()
    assert lookup.locator("article.complaint").count() == 1
    box.fill(make_id_number())
    lookup.get_by_role("button", name="查找").click()
    lookup.get_by_text("未找到工单，请核对后重试").wait_for()
    assert lookup.locator("article.complaint").count() == 0
    c.shot("hotline-search")


def test_what_the_hotline_chose_and_typed_on_a_card_survives_the_lists_refresh(console, api: Api,
                                                                               server: AppServer) -> None:
    _complaint(api, server, "公交站台的顶棚漏雨")
    p = console("triage-typed").login_as("hotline").go("hotline/triage").page
    card = p.locator("div.complaint-list:not(form *) article.complaint").first
    card.wait_for()
    serial = card.get_attribute("data-serial")
    card = p.locator(f'div.complaint-list:not(form *) article.complaint[data-serial="{serial}"]')
    department = card.locator('select[name="department"]')
    chosen = department.locator("option").nth(1).get_attribute("value")
    department.select_option(chosen)
    card.locator('textarea[name="reply"]').fill("已转交公交公司，三日内修复")
    card.evaluate("el => { el.dataset.before = 'refresh'; }")
    p.locator(".card").get_by_role("button", name="刷新").click()
    # the card is drawn again from the new answer, and what was chosen and typed is put back
    p.locator(f'article.complaint[data-serial="{serial}"]:not([data-before])').first.wait_for()
    assert card.count() == 1
    assert department.input_value() == chosen
    assert card.locator('textarea[name="reply"]').input_value() == "已转交公交公司，三日内修复"
