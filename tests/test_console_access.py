"""Staff console in headless Chromium: serving, login with throttle feedback, role-based navigation,
role separation (pages and direct API calls), logout."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.support import Api, staff_login

pytestmark = pytest.mark.browser

# What each demo role must see in the navigation, and what it must not.
EXPECTED_NAV = {
    "clerk": ({"今日预约与签到", "叫号", "办件受理", "帮办代办", "12345 工单答复"},
              {"缴款单", "账号与角色", "审计日志", "大厅与窗口", "12345 工单分派"}),
    "approver": ({"待审批", "12345 工单答复"}, {"叫号", "缴款单", "账号与角色", "帮办代办"}),
    "hall_manager": ({"大厅与窗口", "事项与指南", "排班与例外", "时段日历"}, {"缴款单", "账号与角色", "待审批"}),
    "finance": ({"缴款单", "对账", "票据查询"}, {"叫号", "账号与角色", "大厅与窗口"}),
    "supervisor": ({"红黄绿灯", "评价与整改", "统计图表", "审计日志", "12345 考核"}, {"账号与角色", "缴款单", "叫号"}),
    "admin": ({"账号与角色", "登录限制", "审计日志"}, {"叫号", "缴款单", "待审批", "大厅与窗口"}),
    "hotline": ({"12345 工单分派"}, {"叫号", "缴款单", "账号与角色", "12345 工单答复", "帮办代办"}),
}


def test_console_is_served_with_strict_headers(server) -> None:
    r = requests.get(server.base + "/console/", timeout=30)
    assert r.status_code == 200 and "工作台" in r.text
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in r.text  # no inline script: modules only
    js = requests.get(server.base + "/console/js/api.js", timeout=30)
    assert js.status_code == 200 and "javascript" in js.headers["Content-Type"]
    assert requests.get(server.base + "/console", timeout=30, allow_redirects=False).status_code == 302
    assert requests.get(server.base + "/console/nope.js", timeout=30).status_code == 404
    assert requests.get(server.base + "/console/../backend/app.py", timeout=30).status_code in (403, 404)


@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_each_role_logs_in_and_sees_only_its_pages(console, role: str) -> None:
    c = console(f"nav-{role}").login_as(role)
    items = set(c.nav_items())
    must, must_not = EXPECTED_NAV[role]
    assert must <= items, items
    assert not (must_not & items), items
    assert c.page.locator("main h1").first.is_visible()
    c.shot("home")


def test_wrong_password_then_throttle_feedback(console, api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    username = f"lock{uuid.uuid4().hex[:8]}"
    password = "Desk-pass-2026"
    r = api.post("/api/v1/staff/accounts", {"username": username, "password": password, "roles": ["clerk"]},
                 token=admin)
    assert r.status_code == 201, r.text
    staff_login(api, username=username, password=password)  # its holder has changed the admin's password
    c = console("throttle").open()
    p = c.page
    c.login(username, "wrong-password-1")
    alert = p.get_by_role("alert")
    alert.filter(has_text="用户名或密码错误").wait_for()
    assert "再失败 4 次" in alert.inner_text()
    c.shot("wrong-password")
    for _ in range(4):
        c.login(username, "wrong-password-1")
        p.locator("[role=alert]").first.wait_for()
    throttled = p.locator('[data-code="rate_limited"]')
    throttled.wait_for()
    text = throttled.inner_text()
    assert "登录失败次数过多" in text and "其他地址不受影响" in text and "联系管理员" in text
    c.shot("throttled")
    # From this address even the right password waits; the page says so.
    c.login(username, password)
    p.locator('[data-code="rate_limited"]').wait_for()
    # The admin sees the throttle on the console and clears it; the clerk then gets in.
    a = console("throttle-admin").login_as("admin").go("admin/throttles")
    row = a.page.locator("tr[data-throttle]").filter(has_text=username)
    assert "账号 + 地址" in row.inner_text() and "127.0.0.1" in row.inner_text()
    a.shot("throttles")
    row.get_by_role("button", name="解除").click()
    row.get_by_text("已解除").wait_for()
    c.login(username, password)
    c.page.locator("#nav a").first.wait_for()
    assert "今日预约与签到" in c.nav_items()


def test_clerk_cannot_open_admin_or_finance_pages_nor_call_their_api(console) -> None:
    c = console("separation").login_as("clerk")
    for path in ("admin/accounts", "finance/payments", "admin/audit"):
        c.go(path)
        c.page.get_by_role("alert").filter(has_text="无权访问").wait_for()
    c.shot("forbidden-page")
    # The console is only a client: the API itself refuses, in the contract's shape.
    r = c.fetch("GET", "/api/v1/staff/accounts")
    assert r["status"] == 403 and r["body"]["error"]["code"] == "forbidden"
    r = c.fetch("POST", "/api/v1/staff/accounts",
                {"username": "sneaky1", "password": "Sneaky-pass-1", "roles": ["admin"]})
    assert r["status"] == 403
    r = c.fetch("PATCH", "/api/v1/staff/halls/000000000000000000000000", {"name": "x"})
    assert r["status"] == 403


def test_logout_ends_the_session_and_tab_sessions_are_separate(console) -> None:
    c = console("logout").login_as("finance")
    refresh_token = c.page.evaluate("() => JSON.parse(sessionStorage.getItem('zjb.console.session')).refresh_token")
    other = console("logout-other").open()
    other.page.get_by_label("用户名").wait_for()  # a new tab starts logged out (sessionStorage)
    c.page.get_by_role("button", name="退出登录").click()
    c.page.get_by_text("您已退出登录").wait_for()
    assert c.page.evaluate("() => sessionStorage.getItem('zjb.console.session')") is None
    r = requests.post(c.base + "/api/v1/staff/refresh", json={"refresh_token": refresh_token}, timeout=30)
    assert r.status_code == 401, r.text  # the session cannot be renewed after logout
    c.open("finance/payments")
    c.page.get_by_label("用户名").wait_for()


def test_expired_session_returns_to_login_with_a_message(console) -> None:
    c = console("expired").login_as("admin")
    c.page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('zjb.console.session'));
        s.access_token = 'broken'; s.refresh_token = 'also-broken-refresh-token';
        sessionStorage.setItem('zjb.console.session', JSON.stringify(s));
    }""")
    c.go("admin/audit")
    c.page.get_by_label("用户名").wait_for()
    assert c.page.locator(".login .alert").count() == 1


@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_every_page_of_a_role_renders_without_errors(console, role: str) -> None:
    """Each page loads; one whose endpoints are not on this server says so instead of failing."""
    c = console(f"pages-{role}").login_as(role)
    p = c.page
    for link in c.page.locator("#nav a").all():
        title = link.inner_text().strip()
        link.click()
        p.locator("main h1").filter(has_text=title).wait_for()
        p.wait_for_load_state("networkidle")
        errors = p.locator("main .alert.error")
        assert errors.count() == 0, (title, errors.all_inner_texts())
        assert p.evaluate(UNLABELLED) == [], title
        assert p.evaluate("() => document.documentElement.scrollWidth") <= 1366, f"{title}: wider than 1366 px"
        c.shot(link.get_attribute("data-page") or title)


# Form controls in the page without an accessible name (label[for], a wrapping label, aria-label).
UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
    .filter(el => el.type !== 'hidden' && el.type !== 'submit')
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby'))
    .map(el => el.outerHTML.slice(0, 120))"""


def test_keyboard_only_login_and_navigation(console) -> None:
    c = console("keyboard").open()
    p = c.page
    p.get_by_label("用户名").focus()
    p.keyboard.type("admin1")
    p.keyboard.press("Tab")
    p.keyboard.type("Zjb-demo-2026")
    p.keyboard.press("Enter")
    p.locator("#nav a").first.wait_for()
    # Within the navigation, Tab moves to the next page's link and Enter follows it.
    audit = p.locator('#nav a[data-page="admin/audit"]')
    p.locator('#nav a[data-page="admin/accounts"]').focus()
    p.keyboard.press("Tab")
    assert p.evaluate("() => document.activeElement.dataset.page") == "admin/audit"
    p.keyboard.press("Enter")
    p.locator("main h1").filter(has_text="审计日志").wait_for()
    assert audit.get_attribute("aria-current") == "page"


def test_money_and_time_helpers_in_the_browser(console) -> None:
    c = console("helpers").open()
    got = c.page.evaluate("""async () => {
        const ui = await import('/console/js/ui.js');
        return [ui.fen(0), ui.fen(1250), ui.fen(100000005), ui.yuanToFen('12.5'), ui.yuanToFen('0.07'),
                ui.yuanToFen('3'), Number.isNaN(ui.yuanToFen('1.234')), Number.isNaN(ui.yuanToFen('-1')),
                ui.fmtTime('2026-11-23T02:05:00+00:00'), ui.fmtTime('2026-11-23T10:05:00+08:00'), ui.fmtTime(null)];
    }""")
    assert got == ["¥0.00", "¥12.50", "¥1000000.05", 1250, 7, 300, True, True,
                   "2026-11-23 10:05", "2026-11-23 10:05", "—"]


def test_api_module_drops_query_parameters_the_endpoint_does_not_declare(console) -> None:
    """The API answers 400 to an undeclared query parameter; the generated clients send only the
    declared ones (console/js/api/, from /openapi.json), so a screen keeps working when an endpoint
    takes fewer filters."""
    c = console("declared-query").login_as("admin")
    raw = c.fetch("GET", "/api/v1/staff/audit?q=admin1&bogus=1")
    assert raw["status"] == 400 and raw["body"]["error"]["code"] == "invalid_input"
    got = c.page.evaluate("""async () => {
        const { getStaffAudit } = await import('/console/js/api/staff.js');
        const r = await getStaffAudit({ query: { q: 'admin1', bogus: '1', limit: 5 } });
        return r.items.length;
    }""")
    assert 1 <= got <= 5
