"""Staff console in headless Chromium: the main flows of the roles whose API is built on other
branches (appointments and queue, cases, payments, supervision). Each test skips, naming the
missing endpoints, until this server's /openapi.json lists them."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from bson import ObjectId
from playwright.sync_api import expect

from backend.core.clock import TZ
from tests.support import Api, AppServer, new_resident, staff_login
from tests.support_cases import move, rated_refusal, submit
from tests.support_console import require_endpoints

pytestmark = pytest.mark.browser


# -- factories (through the API, keyword-only) ---------------------------------------------------

def _code() -> str:
    return "C-" + uuid.uuid4().hex[:8].upper()


def make_hall_with_slots(api: Api, server: AppServer, *, capacity: int = 3) -> dict[str, Any]:
    """A hall of its own open every day 08:30–12:00, with one bookable service (slots 09:00–12:00),
    one window, and the day after tomorrow opened and released."""
    mgr = staff_login(api, role="hall_manager")["access_token"]
    dept = api.get("/api/v1/departments").json()["items"][0]["id"]
    name = f"浏览器测试大厅{uuid.uuid4().hex[:4]}"
    hall = api.post("/api/v1/staff/halls", {"code": _code(), "name": name, "address": "测试路 7 号", "opening_hours": [
        {"weekday": d, "start": "08:30", "end": "12:00"} for d in range(1, 8)]}, token=mgr)
    assert hall.status_code == 201, hall.text
    hall_id = hall.json()["id"]
    svc = api.post("/api/v1/staff/services", {
        "code": _code(), "name": "测试证明开具", "department_id": dept, "hall_ids": [hall_id], "guide": {
            "materials": [{"key": "id_card", "name": "居民身份证", "required": True}], "fee_fen": 0,
            "statutory_days": 5, "promised_days": 1, "online": False, "bookable": True, "visit_required": True,
            "max_visits": 1, "location": "一楼"}}, token=mgr)
    assert svc.status_code == 201, svc.text
    service_id = svc.json()["id"]
    r = api.patch(f"/api/v1/staff/halls/{hall_id}", {"windows": [
        {"number": "07", "name": "综合窗口", "area_prefix": "T", "service_ids": [service_id]}]}, token=mgr)
    assert r.status_code == 200, r.text
    window_id = r.json()["windows"][0]["id"]
    r = api.request("PUT", f"/api/v1/staff/halls/{hall_id}/schedules", token=mgr, json_body={"items": [{
        "service_id": service_id, "periods": [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(1, 8)],
        "slot_minutes": 60, "windows": capacity}]})
    assert r.status_code == 200, r.text
    day = server.clock.now().astimezone(TZ).date() + dt.timedelta(days=2)
    r = api.post(f"/api/v1/staff/halls/{hall_id}/exceptions",
                 {"date": day.isoformat(), "kind": "open", "periods": [{"start": "09:00", "end": "12:00"}]}, token=mgr)
    assert r.status_code == 201, r.text
    r = api.post("/api/v1/staff/slots/release", {"hall_id": hall_id, "date": day.isoformat()}, token=mgr)
    assert r.status_code == 200, r.text
    return {"hall_id": hall_id, "name": name, "service_id": service_id, "window_id": window_id, "day": day}


def make_case(api: Api, server: AppServer, *, resident=None, code: str = "BDC-BF") -> dict[str, Any]:  # noqa: ANN001
    """A submitted case of a verified resident, through POST /applications (contract)."""
    resident = resident or new_resident(api, verified=True)
    return {"resident": resident, **submit(api, resident, code=code, form={"说明": "浏览器测试"})}


# -- clerk: check-in, queue board, walk-in ------------------------------------------------------

def test_clerk_checks_in_by_code_and_scanner_then_calls_the_queue(console, api: Api, server: AppServer, clock) -> None:
    require_endpoints(server, "/staff/checkin", "/staff/appointments", "/staff/queue", "/staff/tickets",
                      "/staff/windows/{window_id}/call-next", "/staff/tickets/{id}/recall",
                      "/staff/tickets/{id}/served", "/staff/tickets/{id}/absent", "/staff/halls/{id}/schedules")
    hall = make_hall_with_slots(api, server)
    slots = api.get(f"/api/v1/services/{hall['service_id']}/slots",
                    params={"date": hall["day"].isoformat(), "hall_id": hall["hall_id"]}).json()["items"]
    residents = [new_resident(api, verified=True) for _ in range(3)]
    appts = []
    for r in residents:
        b = api.post("/api/v1/appointments", {"slot_id": slots[0]["id"]}, token=r.access_token)
        assert b.status_code == 201, b.text
        appts.append(b.json())
    start = dt.datetime.fromisoformat(appts[0]["start"])
    clock.offset += (start - dt.timedelta(minutes=10)) - clock.now()  # the desk's morning, 10 min before

    c = console("clerk-flow").login_as("clerk").go("clerk/checkin")
    p = c.page
    p.get_by_label("大厅").select_option(hall["hall_id"])
    p.get_by_label("日期").fill(hall["day"].isoformat())
    p.get_by_label("日期").dispatch_event("change")
    p.locator(f'tr[data-code="{appts[0]["code"]}"]').wait_for()
    # Typed: the code and the button.
    code = p.get_by_label("预约码")
    code.fill(appts[0]["code"].lower())
    p.get_by_role("button", name="签到").click()
    first = p.locator(".checkin-result .ticket-number")
    first.wait_for()
    assert first.inner_text().startswith("T")
    # Scanned: a scanner types into the focused field and presses Enter.
    expect(code).to_be_focused()
    p.keyboard.type(appts[1]["code"] + "\n", delay=5)
    p.get_by_text("前面还有 1 人").wait_for()
    # An unknown code: the API's Chinese message.
    p.keyboard.type("ZZZZ9999\n", delay=5)
    p.locator('.checkin-result [data-code="not_found"]').wait_for()
    c.shot("checkin")
    p.keyboard.type(appts[2]["code"] + "\n", delay=5)
    p.get_by_text("前面还有 2 人").wait_for()

    # Queue board at window 07: call, recall, served; call, absent; walk-in.
    c.go("clerk/queue")
    p.get_by_label("大厅").select_option(hall["hall_id"])
    p.get_by_label("本窗口").select_option(hall["window_id"])
    p.get_by_role("button", name="叫下一位").click()
    current = p.locator(".current-ticket .called")
    current.wait_for()
    number = current.get_attribute("data-ticket")
    assert number.startswith("T")
    current.get_by_role("button", name="重呼").click()
    p.get_by_text(f"{number}：已重呼").wait_for()
    current.get_by_role("button", name="已办结").click()
    p.get_by_text(f"{number}：已办结").wait_for()
    p.get_by_role("button", name="叫下一位").click()
    p.locator(".current-ticket .called").wait_for()
    second = p.locator(".current-ticket .called").get_attribute("data-ticket")
    assert second != number
    p.locator(".current-ticket .called").get_by_role("button", name="过号").click()
    p.get_by_text(f"{second}：未到，已排到队尾（再次过号即记为过号）").wait_for()
    p.get_by_label("事项", exact=True).select_option(hall["service_id"])
    p.get_by_role("button", name="现场取号").click()
    p.locator(".walkin-number").wait_for()
    c.shot("queue")
    q = api.get("/api/v1/staff/queue", params={"hall_id": hall["hall_id"]},
                token=staff_login(api, role="clerk")["access_token"]).json()
    statuses = {t["ticket_number"]: t["status"] for t in q["items"]}
    assert statuses[number] == "served" and statuses[second] == "waiting"   # once back to the end of the line


# -- clerk and approver: a case from acceptance to completion --------------------------------------

def test_case_goes_from_clerk_to_approver_and_back_to_completion(console, api: Api, server: AppServer) -> None:
    require_endpoints(server, "/applications", "/staff/applications", "/staff/applications/{id}",
                      "/staff/applications/{id}/transition")
    case = make_case(api, server)
    other = make_case(api, server)
    # Clerk: the submitted case is listed; accept it. Ask for a correction on the other.
    c = console("case-clerk").login_as("clerk").go("clerk/cases")
    p = c.page
    c.listed(f'tr[data-serial="{case["serial"]}"]').locator("a").click()
    p.locator(".case-detail").wait_for()
    p.get_by_role("button", name="受理", exact=True).click()
    p.get_by_role("button", name="确认提交").click()
    p.locator(".case-detail .status").filter(has_text="已受理").wait_for()
    c.shot("accepted")
    c.go(f"case/{other['id']}")
    p.get_by_role("button", name="要求补正").click()
    p.get_by_label("其他缺少的材料").fill("户口簿原件")
    p.get_by_role("button", name="确认提交").click()
    p.locator(".case-detail .status").filter(has_text="待补正").wait_for()
    assert "户口簿原件" in p.locator(".timeline").inner_text()

    # Approver: start the review, try to reject without a reason, then approve.
    # A third case the clerk accepts and sends on for review (送审) from its page.
    third = make_case(api, server)
    assert move(api, staff_login(api, role="clerk")["access_token"], third["id"], "accepted").status_code == 200
    c.go(f"case/{third['id']}")
    p.get_by_role("button", name="送审").click()
    p.get_by_role("button", name="确认提交").click()
    p.locator(".case-detail .status").filter(has_text="审查中").wait_for()
    p.get_by_text("已送审").wait_for()

    # The approver lands on what waits: accepted and in review together, oldest first, counted.
    a = console("case-approver").login_as("approver").go("approver/queue")
    ap = a.page
    rows = ap.locator("tr[data-serial]")
    a.listed(f'tr[data-serial="{case["serial"]}"]')
    a.listed(f'tr[data-serial="{third["serial"]}"]')
    serials = [rows.nth(i).get_attribute("data-serial") for i in range(rows.count())]
    assert serials.index(case["serial"]) < serials.index(third["serial"])   # submitted first, listed first
    assert "待我处理（" in ap.get_by_label("状态").locator("option").first.inner_text()
    ap.locator(f'tr[data-serial="{case["serial"]}"] a').click()
    ap.get_by_role("button", name="开始审查").click()
    ap.get_by_role("button", name="确认提交").click()
    ap.locator(".case-detail .status").filter(has_text="审查中").wait_for()
    ap.get_by_role("button", name="不予批准", exact=True).click()
    ap.get_by_role("button", name="确认提交").click()
    ap.get_by_text("请填写理由").wait_for()
    ap.get_by_role("button", name="取消").click()
    ap.get_by_role("button", name="批准", exact=True).click()
    ap.get_by_label("办理意见（可选）").fill("材料齐全，符合条件")
    ap.get_by_role("button", name="确认提交").click()
    ap.locator(".case-detail .status").filter(has_text="已批准").wait_for()
    assert ap.locator(".timeline li").count() >= 3
    a.shot("approved")
    # A move the state machine forbids is refused by the API with its Chinese message.
    r = a.fetch("POST", f"/api/v1/staff/applications/{case['id']}/transition", {"to": "accepted"})
    assert r["status"] == 409 and r["body"]["error"]["code"] == "invalid_state"

    # Clerk completes it.
    c.go(f"case/{case['id']}")
    p.get_by_role("button", name="办结（出件）").click()
    p.get_by_role("button", name="确认提交").click()
    p.locator(".case-detail .status").filter(has_text="已办结").wait_for()
    mine = api.get(f"/api/v1/applications/{case['id']}", token=case["resident"].access_token).json()
    assert mine["status"] == "completed"


# -- finance: order, payment by the resident, partial refund, receipt, reconciliation -------------

def test_finance_creates_an_order_refunds_part_and_finds_the_receipt(console, api: Api, server: AppServer) -> None:
    require_endpoints(server, "/staff/payments", "/staff/payments/{id}", "/staff/payments/{id}/refunds",
                      "/staff/receipts", "/staff/reconciliation", "/payments/{id}/pay")
    resident = new_resident(api, verified=True)
    serial = make_case(api, server, resident=resident)["serial"]
    c = console("finance-flow").login_as("finance").go("finance/payments")
    p = c.page
    form = p.locator("form.create-payment")
    form.get_by_label("办件编号").fill(serial)
    form.get_by_label("收费项目").fill("证照工本费")
    form.get_by_label("金额（元）").fill("abc")
    form.get_by_role("button", name="开具缴款单").click()
    form.get_by_text("请填写收费项目名称和金额").wait_for()
    form.get_by_label("金额（元）").fill("30.00")
    form.get_by_role("button", name="开具缴款单").click()
    dialog = p.get_by_role("dialog")
    assert "¥30.00" in dialog.inner_text() and serial in dialog.inner_text()
    assert f"缴款人 {resident.name[0]}*" in dialog.inner_text()
    dialog.get_by_role("button", name="确认").click()
    form.get_by_text("已开具缴款单").wait_for()
    p.locator(".payment-detail .status").filter(has_text="待支付").wait_for()
    order = api.get("/api/v1/payments", token=resident.access_token).json()["items"][0]
    assert order["amount_fen"] == 3000

    # The resident pays with WeChat Pay (sandbox stand-in sends the signed notice).
    pay = api.post(f"/api/v1/payments/{order['id']}/pay", {"channel": "wechat"}, token=resident.access_token)
    assert pay.status_code == 200, pay.text
    prepay = pay.json()["request_payment"]["package"].removeprefix("prepay_id=")
    assert api.post("/sandbox/wechatpay/confirm", {"prepay_id": prepay}).status_code == 200
    for _ in range(50):
        paid = api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()
        if paid["status"] == "paid" and paid.get("receipt_id"):
            break
        p.wait_for_timeout(200)
    assert paid["status"] == "paid"

    # Partial refund with confirmation; an amount above what was paid is refused in the page.
    lookup = p.locator("form.payment-lookup")
    lookup.get_by_label("查找缴款单").fill(serial)
    lookup.get_by_role("button", name="查找").click()
    lookup.locator(f'tr[data-payment="{order["id"]}"]').get_by_role("button", name="详情").click()
    refund = p.locator("form.refund")
    refund.get_by_label("部分退款").check()
    refund.get_by_label("退款金额（元）").fill("40")
    refund.get_by_label("退款原因").fill("多收部分费用")
    refund.get_by_role("button", name="退款").click()
    p.get_by_text("退款金额须大于 0 且不超过 ¥30.00").wait_for()
    refund.get_by_label("退款金额（元）").fill("10.5")
    refund.get_by_role("button", name="退款").click()
    dialog = p.get_by_role("dialog")
    assert "部分退款 ¥10.50" in dialog.inner_text()
    c.shot("refund-confirm")
    dialog.get_by_role("button", name="确认退款").click()
    p.get_by_text("已提交退款 ¥10.50").wait_for()
    c.shot("refunded")

    # Receipt lookup by number.
    receipt = api.get(f"/api/v1/receipts/{paid['receipt_id']}", token=resident.access_token).json()
    c.go("finance/receipts")
    p.get_by_label("票据号码").fill(receipt["number"])
    p.get_by_role("button", name="查找").click()
    p.locator(".receipt .amount").filter(has_text="¥30.00").wait_for()
    p.get_by_label("票据号码").fill("00000000")
    p.get_by_role("button", name="查找").click()
    p.get_by_text("未找到该票据").wait_for()

    # Today's bill cannot be reconciled yet (the day is not over); tests/test_console_finance.py
    # reconciles a finished day.
    c.go("finance/reconciliation")
    today = server.clock.now().astimezone(TZ).date().isoformat()
    p.get_by_label("账单日期").fill(today)
    p.get_by_label("渠道").select_option("wechat")
    p.get_by_role("button", name="运行对账").click()
    p.get_by_text("该日尚未结束").wait_for()
    c.shot("reconciliation")


def test_clerk_may_not_refund_or_reconcile(console, server: AppServer) -> None:
    require_endpoints(server, "/staff/payments/{id}/refunds", "/staff/reconciliation")
    c = console("clerk-no-refund").login_as("clerk")
    assert "对账" not in c.nav_items()
    r = c.fetch("POST", "/api/v1/staff/reconciliation", {"date": "2026-01-05", "channel": "wechat"})
    assert r["status"] == 403 and r["body"]["error"]["code"] == "forbidden"
    r = c.fetch("POST", f"/api/v1/staff/payments/{ObjectId()}/refunds",
                {"amount_fen": 100, "reason": "x", "request_id": "abcdefgh12"})
    assert r["status"] == 403


# -- supervisor: lights, ratings, charts -----------------------------------------------------------

def test_supervisor_sees_lights_by_department_ratings_and_charts(console, api: Api, server: AppServer) -> None:
    require_endpoints(server, "/applications", "/staff/supervision/cases", "/staff/supervision/summary",
                      "/staff/ratings", "/staff/rectifications")
    make_case(api, server)
    rated_refusal(api, score=2)
    c = console("supervisor-flow").login_as("supervisor").go("supervisor/board")
    p = c.page
    p.locator(".light-card").first.wait_for()
    total = sum(int(p.locator(f'.kpi[data-light="{light}"] .v').inner_text()) for light in ("green", "yellow", "red"))
    assert total >= 1
    card = p.locator(".light-card").first
    card.locator('button[data-light="green"]').click()
    p.locator(".light-list h2").wait_for()
    c.shot("board")
    c.go("supervisor/ratings")
    p.locator("table.grid").nth(1).wait_for()
    c.go("supervisor/stats")
    p.locator('.kpi[data-kpi="on_time"]').wait_for()
    c.shot("stats")
    # Satisfaction is an average of 1–5 stars: every bar to scale against 5, its value beside it.
    summary = api.get("/api/v1/staff/supervision/summary", token=c.token()).json()
    rated = [d for d in summary["departments"] if d.get("satisfaction") is not None]
    bars = p.locator('figure:has(figcaption:text-is("各部门满意度")) rect.bar')
    assert bars.count() == len(summary["departments"])
    for bar in bars.all():
        value = bar.get_attribute("data-value")
        if value:
            assert abs(float(bar.get_attribute("width")) - float(value) / 5 * 360) < 0.5
    assert rated and any(bar.get_attribute("data-value") for bar in bars.all())


