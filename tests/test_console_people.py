"""Staff console in headless Chromium: the clerk finds cases and residents by what people bring
to the window (a serial, an ID number, a name, a booking code) and sees them masked."""
from __future__ import annotations

import pytest

from tests.support import Api, AppServer, make_id_number, staff_login
from tests.support_appointments import book, day_ahead, make_bookable, open_day, slots
from tests.support_cases import move, service, submit
from tests.support_console import require_endpoints
from tests.support_people import id_masked, masked, verified

pytestmark = pytest.mark.browser


def test_clerk_looks_up_a_case_and_sees_the_applicant_masked(console, api: Api, server: AppServer) -> None:
    require_endpoints(server, "/staff/applications", "/staff/applications/{id}", "/staff/residents/{id}/reveal")
    person = verified(api)
    case = submit(api, person)
    # The clerk has acted on the case (accepted it): only then may they see the applicant in full.
    assert move(api, staff_login(api, role="clerk")["access_token"], case["id"], "accepted").status_code == 200
    c = console("people-lookup").login_as("clerk").go("clerk/cases")
    p = c.page
    lookup = p.locator("form.case-lookup")
    row = lookup.locator(f'tr[data-serial="{case["serial"]}"]')
    for typed in (case["serial"].lower(), person.id_number, person.name):
        lookup.get_by_label("查找办件").fill(typed)
        lookup.get_by_role("button", name="查找").click()
        row.wait_for()
        assert masked(person.name) in row.inner_text() and id_masked(person.id_number) in row.inner_text()
        lookup.get_by_label("查找办件").fill("")
    lookup.get_by_label("查找办件").fill(make_id_number())
    lookup.get_by_role("button", name="查找").click()
    lookup.get_by_text("未找到办件").wait_for()
    c.shot("lookup")

    # The case page names the applicant masked; the full identity only through the audited reveal.
    lookup.get_by_label("查找办件").fill(case["serial"])
    lookup.get_by_role("button", name="查找").click()
    row.locator("a").click()
    block = p.locator(".case-detail dd.applicant")
    block.filter(has_text=masked(person.name)).wait_for()
    assert id_masked(person.id_number) in block.inner_text()
    assert person.name not in p.locator("main").inner_text()
    assert person.id_number not in p.locator("main").inner_text()
    block.get_by_role("button", name="查看完整身份信息").click()
    block.get_by_role("button", name="查看").click()
    block.get_by_text("请填写查看理由").wait_for()
    block.get_by_label("查看理由（记入审计日志）").fill("核对窗口办件申请人身份")
    block.get_by_role("button", name="查看").click()
    block.locator(".revealed").filter(has_text=person.id_number).wait_for()
    assert person.name in block.inner_text()
    c.shot("revealed")


def test_clerk_registers_a_window_case_finding_the_resident_by_id_number_or_booking_code(
        console, api: Api, server: AppServer) -> None:
    require_endpoints(server, "/staff/applications", "/staff/residents", "/staff/appointments")
    person = verified(api)
    svc = service(api, "HJ-QIANRU")
    c = console("people-register").login_as("clerk").go("clerk/cases")
    p = c.page
    form = p.locator("form.walkin-case")
    form.get_by_label("事项").select_option(svc["id"])
    form.get_by_role("button", name="登记收件").click()
    form.get_by_text("请先查找并选择申请人").wait_for()
    form.get_by_label("申请人", exact=True).fill(person.id_number)
    form.get_by_role("button", name="查找申请人").click()
    candidate = form.locator("label.candidate")
    candidate.filter(has_text=masked(person.name)).wait_for()
    assert candidate.count() == 1 and candidate.locator("input").is_checked()
    assert id_masked(person.id_number) in candidate.inner_text()
    for box in form.locator("input[name=received]").all():
        box.check()
    form.get_by_label("联系电话").fill("13800138000")
    form.get_by_role("button", name="登记收件").click()
    form.get_by_text("请扫描申请人的办事码（本人到场）").wait_for()  # present in person, or under a grant
    code = api.get("/api/v1/me/identity-code", token=person.access_token).json()["code"]
    form.get_by_label("居民办事码").fill(code)
    form.get_by_role("button", name="登记收件").click()
    form.get_by_text("已登记办件 ZJB").wait_for()
    serial = form.locator(".messages .alert.ok").inner_text().split()[1].split("（")[0]
    mine = api.get("/api/v1/applications", token=person.access_token).json()["items"]
    assert [(x["serial"], x["service_id"]) for x in mine] == [(serial, svc["id"])]
    c.shot("registered")

    # The next resident brings a booking code: the code finds them; the booking list names them.
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    other = verified(api)
    appt = book(api, other.access_token, slots(api, b, day)[0]["id"]).json()
    form.get_by_label("申请人", exact=True).fill(appt["code"].lower())
    form.get_by_role("button", name="查找申请人").click()
    candidate.filter(has_text=masked(other.name)).wait_for()
    assert candidate.count() == 1 and id_masked(other.id_number) in candidate.inner_text()

    c.go("clerk/checkin")
    p.get_by_label("大厅").select_option(b.hall_id)
    p.get_by_label("日期").fill(day.isoformat())
    p.get_by_role("button", name="刷新").click()
    booked = p.locator(f'tr[data-code="{appt["code"]}"]')
    booked.filter(has_text=masked(other.name)).wait_for()
    assert other.name not in p.locator("main").inner_text()
