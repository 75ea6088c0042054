"""Staff console in headless Chromium: the admin's accounts, roles and audit log; the hall
manager's halls, windows and services (all on this branch), schedules and calendar (appointments)."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.sync_api import expect

from tests.support import Api, AppServer, cli_staff, staff_login
from tests.support_console import require_endpoints

pytestmark = pytest.mark.browser


def test_admin_creates_an_account_changes_roles_and_finds_it_in_the_audit_log(console, api: Api,
                                                                             server: AppServer) -> None:
    c = console("admin-flow").login_as("admin").go("admin/accounts")
    p = c.page
    username = f"desk{uuid.uuid4().hex[:6]}"
    form = p.locator("form.create-account")
    # A bad password first: the API's field reasons are shown in Chinese.
    form.get_by_label("用户名").fill(username)
    form.get_by_label("姓名").fill("陈窗口")
    form.get_by_label("初始密码").fill("short")
    form.get_by_label("窗口受理").check()
    form.get_by_role("button", name="新建账号").click()
    err = form.locator('[data-code="invalid_input"]')
    err.wait_for()
    assert "密码至少" in err.inner_text()
    # A taken username: the 409's Chinese message.
    form.get_by_label("用户名").fill("clerk1")
    form.get_by_label("初始密码").fill("Window-desk-2026")
    form.get_by_role("button", name="新建账号").click()
    form.locator('[data-code="username_taken"]').filter(has_text="用户名已存在").wait_for()
    form.get_by_label("用户名").fill(username)
    form.get_by_role("button", name="新建账号").click()
    form.get_by_text(f"已新建账号 {username}").wait_for()
    row = p.locator(f'tr[data-username="{username}"]')
    row.wait_for()
    assert "窗口受理" in row.inner_text()
    c.shot("created")

    # Give the account the finance role as well: not by the administrator who set its password
    # (the reason is shown), but by another one.
    row.get_by_role("button", name="编辑角色").click()
    row.get_by_label("财务").check()
    row.get_by_role("button", name="保存").click()
    p.locator('[data-code="controlled_account"]').filter(has_text="另一位管理员").wait_for()
    other = cli_staff(server, api, roles=["admin"])
    d = console("admin-flow-other").open().login(other["staff"]["username"], "Cli-made-pass-2026")
    d.go("admin/accounts")
    row = d.page.locator(f'tr[data-username="{username}"]')
    row.get_by_role("button", name="编辑角色").click()
    row.get_by_label("财务").check()
    row.get_by_role("button", name="保存").click()
    row = d.page.locator(f'tr[data-username="{username}"]')
    row.filter(has_text="财务").wait_for()
    admin = staff_login(api, role="admin")["access_token"]
    acct = next(a for a in api.get("/api/v1/staff/accounts", token=admin).json()["items"] if a["username"] == username)
    assert acct["roles"] == ["clerk", "finance"] and acct["display_name"] == "陈窗口"

    # The new account logs in with the password the administrator set: it sees nothing but the form
    # to change it (mismatched entries are caught here, the same password by the server), then both
    # roles' pages; the administrator's password no longer signs in.
    n = console("admin-flow-new").open().login(username, "Window-desk-2026")
    first = n.page.locator("form.first-password")
    first.get_by_role("heading", name="请先修改初始密码").wait_for()
    expect(n.page.locator("#nav")).to_be_hidden()
    first.get_by_label("当前密码").fill("Window-desk-2026")
    first.get_by_label("新密码", exact=True).fill("Window-desk-2026")
    first.get_by_label("再次输入新密码").fill("Window-desk-2027")
    first.get_by_role("button", name="修改密码").click()
    first.get_by_role("alert").filter(has_text="不一致").wait_for()
    first.get_by_label("再次输入新密码").fill("Window-desk-2026")
    first.get_by_role("button", name="修改密码").click()
    first.locator('[data-code="invalid_input"]').filter(has_text="不能与当前密码相同").wait_for()
    first.get_by_label("新密码", exact=True).fill("Chen-own-choice-26")
    first.get_by_label("再次输入新密码").fill("Chen-own-choice-26")
    first.get_by_role("button", name="修改密码").click()
    n.page.locator("#nav a").first.wait_for()
    assert {"叫号", "缴款单"} <= set(n.nav_items())
    assert api.post("/api/v1/staff/login", {"username": username, "password": "Window-desk-2026"}).status_code == 401

    # Disabling asks for confirmation, then the account can no longer log in.
    row = p.locator(f'tr[data-username="{username}"]')
    row.get_by_role("button", name="停用").click()
    dialog = p.get_by_role("dialog")
    assert username in dialog.inner_text()
    dialog.get_by_role("button", name="停用").click()
    p.locator(f'tr[data-username="{username}"]').filter(has_text="已停用").wait_for()
    n2 = console("admin-flow-disabled").open().login(username, "Chen-own-choice-26")
    n2.page.get_by_role("alert").filter(has_text="账号已停用").wait_for()

    # Audit log: search by the username finds the creation and the update.
    c.go("admin/audit")
    p.get_by_label("关键字").fill("admin1")
    p.get_by_label("操作", exact=True).select_option("staff.update")
    p.get_by_role("button", name="检索").click()
    expect(p.locator('tr[data-action="staff.create"]')).to_have_count(0)
    p.locator('tr[data-action="staff.update"]').filter(has_text=username).first.wait_for()
    c.shot("audit-search")


def test_admin_limits_an_account_to_departments_on_creation_and_edit(console, api: Api) -> None:
    departments = api.get("/api/v1/departments").json()["items"]
    assert len(departments) >= 2
    first, second = departments[0], departments[1]
    c = console("admin-departments").login_as("admin").go("admin/accounts")
    p = c.page
    username = f"dept{uuid.uuid4().hex[:6]}"
    form = p.locator("form.create-account")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("初始密码").fill("Dept-desk-2026x")
    form.get_by_label("审批").check()
    form.locator("fieldset.scope-departments").get_by_label(first["name"], exact=True).check()
    form.get_by_role("button", name="新建账号").click()
    form.get_by_text(f"已新建账号 {username}").wait_for()
    row = p.locator(f'tr[data-username="{username}"]')
    expect(row.locator("td").nth(4)).to_have_text(first["name"])
    admin = staff_login(api, role="admin")["access_token"]

    def account() -> dict:
        return next(a for a in api.get("/api/v1/staff/accounts", token=admin).json()["items"]
                    if a["username"] == username)

    assert account()["department_ids"] == [first["id"]] and account()["hall_ids"] == []

    # Edit: the ticked departments are the account's; the other one is added, the first taken away.
    row.get_by_role("button", name="编辑角色").click()
    boxes = row.locator("fieldset.scope-departments")
    expect(boxes.get_by_label(first["name"], exact=True)).to_be_checked()
    boxes.get_by_label(second["name"], exact=True).check()
    boxes.get_by_label(first["name"], exact=True).uncheck()
    row.get_by_role("button", name="保存").click()
    row = p.locator(f'tr[data-username="{username}"]')
    expect(row.locator("td").nth(4)).to_have_text(second["name"])
    assert account()["department_ids"] == [second["id"]]
    # None ticked: all departments again.
    row.get_by_role("button", name="编辑角色").click()
    row.locator("fieldset.scope-departments").get_by_label(second["name"], exact=True).uncheck()
    row.get_by_role("button", name="保存").click()
    expect(p.locator(f'tr[data-username="{username}"] td').nth(4)).to_have_text("全部")
    assert account()["department_ids"] == []


def test_supervisor_reads_the_audit_log_but_not_accounts(console) -> None:
    c = console("supervisor-audit").login_as("supervisor").go("admin/audit")
    c.page.locator("tbody tr").first.wait_for()
    assert "账号与角色" not in c.nav_items()
    r = c.fetch("GET", "/api/v1/staff/accounts")
    assert r["status"] == 403


def test_hall_manager_edits_hall_windows_and_a_service_guide(console, api: Api) -> None:
    c = console("hall-edit").login_as("hall_manager").go("hall/halls")
    p = c.page
    editor = p.locator("form.hall-editor")
    editor.wait_for()
    hall_name = editor.locator("h2").inner_text()
    before_closed = next(h for h in api.get("/api/v1/halls").json()["items"] if h["name"] == hall_name)["closed_dates"]
    windows_before = editor.locator("tr.window").count()
    # Add a window serving the first service, and a closed date.
    editor.get_by_role("button", name="添加窗口").click()
    new = editor.locator("tr.window").last
    new.get_by_label("窗口号").fill("88")
    new.get_by_label("窗口名称").fill("综合受理（测试）")
    new.get_by_label("排队号前缀").fill("Z")
    options = new.locator("select.services option")
    if options.count():
        new.locator("select.services").select_option(index=0)
    editor.get_by_label("闭厅日（逗号分隔）").fill("2031-10-01, 2031-10-02")
    editor.get_by_role("button", name="保存大厅").click()
    p.get_by_text("大厅已保存").wait_for()
    c.shot("hall-saved")
    halls = api.get("/api/v1/halls").json()["items"]
    hall = next(h for h in halls if h["name"] == hall_name)
    assert len(hall["windows"]) == windows_before + 1
    added = next(w for w in hall["windows"] if w["number"] == "88")
    assert added["area_prefix"] == "Z" and added["name"] == "综合受理（测试）"
    assert {"2031-10-01", "2031-10-02"} <= set(hall["closed_dates"])
    # Existing windows keep their ids (the console sends them back).
    assert all(w["id"] for w in hall["windows"])

    # A bad window number shows the API's reason and changes nothing.
    editor = p.locator("form.hall-editor")
    editor.locator("tr.window").last.get_by_label("窗口号").fill("太长的窗口号")
    editor.get_by_role("button", name="保存大厅").click()
    editor.locator('[data-code="invalid_input"]').wait_for()
    # Remove the test window again.
    editor.locator("tr.window").last.get_by_role("button").click()
    editor.get_by_role("button", name="保存大厅").click()
    p.get_by_text("大厅已保存").wait_for()

    # Services: change the promised days and fee of the first service.
    c.go("hall/services")
    p.locator("table.grid button.link").first.click()
    form = p.locator("form.service-editor")
    name = form.locator("h2").inner_text()
    before_guide = next(s for s in api.get("/api/v1/services").json()["items"] if s["name"] == name)["guide"]
    form.get_by_label("承诺时限（工作日）").fill("3")
    form.get_by_label("收费（元）").fill("12.5")
    form.get_by_role("button", name="保存事项").click()
    p.get_by_text("事项已保存").wait_for()
    svc = next(s for s in api.get("/api/v1/services").json()["items"] if s["name"] == name)
    assert svc["guide"]["promised_days"] == 3 and svc["guide"]["fee_fen"] == 1250
    # A guide of one fee item keeps its item at the fee (code and payee unit unchanged).
    assert [i["amount_fen"] for i in svc["guide"].get("fee_items", [])] in ([], [1250])
    # Put the shared demo data back for the tests that follow.
    mgr = staff_login(api, role="hall_manager")["access_token"]
    assert api.patch(f"/api/v1/staff/halls/{hall['id']}", {"closed_dates": before_closed}, token=mgr).status_code == 200
    guide = {k: v for k, v in before_guide.items() if v is not None}
    guide["materials"] = [{k: v for k, v in m.items() if v is not None} for m in guide["materials"]]
    r = api.patch(f"/api/v1/staff/services/{svc['id']}", {"guide": guide}, token=mgr)
    assert r.status_code == 200, r.text
    c.shot("service-saved")
    form = p.locator("form.service-editor")
    form.get_by_label("收费（元）").fill("12.345")
    form.get_by_role("button", name="保存事项").click()
    p.get_by_role("alert").or_(p.locator(".alert.error")).first.wait_for()


def test_hall_manager_schedules_and_exceptions(console, server) -> None:
    require_endpoints(server, "/staff/halls/{id}/schedules", "/staff/halls/{id}/exceptions")
    c = console("hall-schedules").login_as("hall_manager").go("hall/schedules")
    p = c.page
    p.locator(".card.schedule").first.wait_for()
    first = p.locator(".card.schedule").first
    first.get_by_label("每窗口每时段人数").fill("4")
    p.get_by_role("button", name="保存全部排班").click()
    p.get_by_text("排班已保存").wait_for()
    ex = p.locator("section.exceptions")
    day = dt.date.today() + dt.timedelta(days=10)  # a day the working-day calendar knows
    ex.get_by_label("日期", exact=True).fill(day.isoformat())
    ex.get_by_label("类型", exact=True).select_option("closed")
    ex.get_by_label("说明", exact=True).fill("设备检修")
    ex.get_by_role("button", name="添加例外日").click()
    p.locator("section.exceptions").get_by_text("设备检修").wait_for()
    c.shot("schedules")


def test_hall_manager_slot_calendar_with_fill_rates(console, server) -> None:
    require_endpoints(server, "/staff/halls/{id}/calendar", "/staff/slots/release")
    c = console("hall-calendar").login_as("hall_manager").go("hall/calendar")
    p = c.page
    p.locator("table.grid").first.wait_for()
    p.locator("table.grid tbody tr").first.get_by_role("button", name="立即放号").click()
    p.get_by_text("已放号").wait_for()
    p.locator("table.calendar td").first.wait_for()
    assert "%" in p.locator("table.calendar").first.inner_text()
    c.shot("calendar")


def test_network_failure_and_server_error_are_shown_in_chinese(console) -> None:
    c = console("failures").login_as("admin")
    p = c.page
    p.route("**/api/v1/staff/audit*", lambda route: route.abort())
    c.go("admin/audit")
    p.locator('main [data-code="network_error"]').filter(has_text="网络连接失败").wait_for()
    p.unroute("**/api/v1/staff/audit*")
    p.route("**/api/v1/staff/audit*", lambda route: route.fulfill(status=502, body="<html>Bad Gateway</html>",
                                                                 content_type="text/html"))
    p.get_by_role("button", name="检索").click()
    p.locator('main [data-code="server_error"]').filter(has_text="服务暂时不可用（502）").wait_for()
    c.shot("server-error")
    p.unroute("**/api/v1/staff/audit*")
    p.get_by_role("button", name="检索").click()
    expect(p.locator("main .alert.error")).to_have_count(0)
