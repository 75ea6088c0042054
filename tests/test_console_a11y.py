"""Accessibility and words of the staff console, in headless Chromium: axe-core on every page of
every role (failing on any serious or critical violation), and pages that show Chinese words
instead of codes, ids or raw JSON (audit log, ratings, a case's form)."""
from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.support import Api, AppServer, new_resident, staff_login
from tests.support_cases import rated_refusal

pytestmark = pytest.mark.browser

ROLES = ["clerk", "approver", "hall_manager", "finance", "supervisor", "hotline", "admin"]
# Roles that open a case's detail page (#/case/{id}), which is not in the navigation.
CASE_ROLES = {"clerk", "approver", "supervisor"}
BLOCKING = {"serious", "critical"}
AXE = Axe()


def axe_problems(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now, one line each."""
    results = AXE.run(page).response
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["html"][:120] for n in v["nodes"][:3])
            for v in results["violations"] if v["impact"] in BLOCKING]


@pytest.fixture(scope="module")
def rated_case(server: AppServer) -> dict[str, Any]:
    """A case refused and rated 1 star (so there is a rating and a rectification order to show)."""
    return rated_refusal(Api(server.base))[1]


def test_login_page_has_no_serious_accessibility_problem(console) -> None:
    c = console("a11y-login").open()
    c.page.get_by_label("用户名").wait_for()
    assert axe_problems(c.page) == []
    # The check does see problems in this page (the policy lets axe-core run): a nameless button.
    c.page.evaluate("() => document.querySelector('form').append(document.createElement('button'))")
    assert [p.split(" ")[0] for p in axe_problems(c.page)] == ["button-name"]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_passes_axe(console, role: str, rated_case: dict[str, Any]) -> None:
    c = console(f"a11y-{role}").login_as(role)
    p = c.page
    problems: dict[str, list[str]] = {}
    pages = [(link.get_attribute("data-page"), link.inner_text().strip()) for link in p.locator("#nav a").all()]
    if role in CASE_ROLES:
        pages.append((f"case/{rated_case['id']}", "办件详情"))
    for path, title in pages:
        c.go(path)
        p.locator("main h1").filter(has_text=title).wait_for()
        p.wait_for_load_state("networkidle")
        found = axe_problems(p)
        if found:
            problems[title] = found
            c.shot(f"axe-{path}")
    assert problems == {}


def test_audit_log_is_in_words(console, api: Api) -> None:
    assert api.post("/api/v1/staff/login", {"username": "clerk1", "password": "not-the-password"}).status_code == 401
    admin = staff_login(api, role="admin")["access_token"]
    username = "a11y" + new_resident(api).id[-6:]
    created = api.post("/api/v1/staff/accounts", {"username": username, "password": "Desk-pass-2026",
                                                  "roles": ["clerk", "finance"]}, token=admin)
    assert created.status_code == 201, created.text
    c = console("audit-words").login_as("admin").go("admin/audit")
    p = c.page
    p.get_by_label("关键字").fill("clerk1")
    p.get_by_role("button", name="检索").click()
    failed = p.locator('tr[data-action="staff.login"][data-outcome="failed"]').first
    failed.wait_for()
    text = failed.inner_text()
    assert "登录" in text and "失败" in text and "工作人员账号" in text
    assert "staff.login" not in text and "failed" not in text
    # Details are labelled fields, never JSON.
    p.get_by_label("关键字").fill("")
    p.get_by_label("操作", exact=True).select_option(label="新建账号")
    p.get_by_role("button", name="检索").click()
    row = p.locator('tr[data-action="staff.create"]').filter(has_text=username)
    row.wait_for()
    assert p.locator("tbody tr:not([data-action='staff.create'])").count() == 0
    details = row.locator("dl.details")
    assert details.locator("dt").all_inner_texts() == ["用户名", "角色"]
    assert details.locator("dd").all_inner_texts() == [username, "窗口受理、财务"]
    assert "{" not in row.inner_text() and "新建账号" in row.inner_text()
    c.shot("audit-words")


def test_ratings_page_names_service_and_department(console, rated_case: dict[str, Any]) -> None:
    c = console("ratings-words").login_as("supervisor").go("supervisor/ratings")
    p = c.page
    row = p.locator("table tr").filter(has_text=rated_case["serial"])
    row.first.wait_for()
    texts = row.all_inner_texts()
    assert len(texts) == 2  # the rectification order and the rating
    for text in texts:
        assert "户口迁入（投靠落户）" in text and "市公安局户政" in text
    assert all(h.strip() for h in p.locator("main th").all_inner_texts())  # no empty header
    c.shot("ratings")


def test_case_page_labels_the_form_from_the_services_definition(console, rated_case: dict[str, Any]) -> None:
    c = console("case-form").login_as("approver").go(f"case/{rated_case['id']}")
    form = c.page.locator("dl.case-form")
    form.wait_for()
    labels = form.locator("dt").all_inner_texts()
    assert labels == ["联系电话", "补充说明", "迁入原因"]
    assert "reason" not in form.inner_text() and "投靠配偶" in form.inner_text()
