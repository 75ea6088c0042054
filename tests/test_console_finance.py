"""Staff console in headless Chromium, finance: red-letter receipts, voided receipts, reconciliation
alerts handled in the page, and clearing (清分) per payee unit."""
from __future__ import annotations

import datetime as dt

import pytest
from bson import ObjectId

from backend.core.clock import TZ
from tests.support import Api, AppServer
from tests.support_console import require_endpoints
from tests.support_payments import create_order, finance_token, paid_order, refund, settle_wechat_refunds
from tests.support_people import verified

pytestmark = pytest.mark.browser


def _next_morning(server: AppServer, clock) -> str:  # noqa: ANN001
    """Move the server's clock to 10:30 tomorrow (the bills of today are out); answer today's date."""
    day = server.clock.now().astimezone(TZ).date()
    target = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10, 30), TZ)
    clock.advance(seconds=(target - clock.now()).total_seconds())
    return day.isoformat()


def test_finance_sees_red_letter_receipts_voided_receipts_and_clearing(console, api: Api, server: AppServer,
                                                                      clock) -> None:  # noqa: ANN001
    require_endpoints(server, "/staff/red-receipts", "/staff/clearing", "/staff/receipts")
    token = finance_token(api)
    resident, real = paid_order(api, server)
    _, samr = paid_order(api, server, channel="alipay", code="SC-GTH",
                         items=[{"name": "营业执照工本费", "amount_fen": 2000}])
    refund(api, token, real["id"], 9000, "申请撤回")
    settle_wechat_refunds(server)
    refund(api, token, samr["id"], 500, "多收")
    blue = api.get(f"/api/v1/receipts/{real['receipt_id']}", token=resident.access_token).json()
    day = _next_morning(server, clock)
    token = finance_token(api)
    for channel in ("wechat", "alipay"):
        assert api.post("/api/v1/staff/reconciliation", {"date": day, "channel": channel},
                        token=token).json()["balanced"]

    c = console("finance-red").login_as("finance")
    assert {"红字票据", "清分"} <= set(c.nav_items())
    p = c.page
    c.go("finance/red-receipts")
    rows = p.locator("tr[data-receipt]")
    rows.first.wait_for()
    full = p.locator(f'tr[data-original="{blue["id"]}"]')
    assert "-¥90.00" in full.inner_text() and f"{blue['code']}-{blue['number']}" in full.inner_text()
    assert "-¥5.00" in p.locator("table").inner_text()
    c.shot("red-receipts")

    # the voided original, looked up by its number, says so
    c.go("finance/receipts")
    p.get_by_label("票据号码").fill(blue["number"])
    p.get_by_role("button", name="查找").click()
    p.locator('.receipt[data-status="voided"]').get_by_text("已作废（全额退款）").wait_for()

    # clearing of that day: each payee unit, its items, and the agreement with the bills
    c.go("finance/clearing")
    p.get_by_label("日期").fill(day)
    p.get_by_role("button", name="查询").click()
    p.locator(".clearing").get_by_text("与渠道账单一致").wait_for()
    real_row = p.locator("tr").filter(has_text="示例市不动产登记中心")
    assert "¥90.00" in real_row.inner_text() and "103044606001" in real_row.inner_text()
    samr_row = p.locator("tr").filter(has_text="示例市市场监督管理局")
    assert "¥15.00" in samr_row.inner_text()  # 20.00 collected − 5.00 refunded
    assert "¥15.00" in p.locator('tr[data-unit="total"]').inner_text()  # 90 + 20 − 90 − 5
    c.shot("clearing")


def test_an_unbalanced_day_alerts_finance_until_handled(console, api: Api, server: AppServer,
                                                        clock) -> None:  # noqa: ANN001
    require_endpoints(server, "/staff/reconciliation/alerts", "/staff/reconciliation/{id}/acknowledge")
    # planted: a WeChat payment recorded here that the provider's bill does not have
    now = server.clock.now()
    otn = f"ZJBplanted{ObjectId()}"
    server.run(server.ctx.db["pay_attempts"].insert_one({
        "payment_id": ObjectId(), "channel": "wechat", "out_trade_no": otn, "amount_fen": 1234, "status": "paid",
        "transaction_id": "4200000000planted", "provider_paid_at": now, "created_at": now}))
    day = _next_morning(server, clock)

    c = console("finance-alert").login_as("finance").go("finance/reconciliation")
    p = c.page
    p.get_by_label("账单日期").fill(day)
    p.get_by_label("渠道").select_option("wechat")
    p.get_by_role("button", name="运行对账").click()
    card = p.locator(f'.alert-report[data-report="wechat:{day}"]')
    card.wait_for()
    assert "本地有、渠道无 1 笔" in card.inner_text()
    c.go("finance/payments")  # every finance page carries the alert
    p.locator(".reconcile-alert").filter(has_text=f"{day} 微信支付").wait_for()
    c.shot("alert-banner")
    p.locator(".reconcile-alert").get_by_role("link", name="前往对账").click()
    card.wait_for()
    card.get_by_role("button", name="记录处理结果").click()
    card.get_by_text("请填写处理说明").wait_for()
    card.get_by_label("处理说明").fill("测试数据，已删除")
    card.get_by_role("button", name="记录处理结果").click()
    card.wait_for(state="detached")
    p.locator(f'tr[data-report="wechat:{day}"]').get_by_text("不平（已处理）").wait_for()
    c.go("finance/payments")
    p.locator("form.create-payment").wait_for()  # drawn after the page has asked for alerts
    assert p.locator(".reconcile-alert").count() == 0
    stored = api.get(f"/api/v1/staff/reconciliation?date={day}&channel=wechat", token=finance_token(api)).json()
    assert stored["alert"] is False and stored["acknowledged"]["note"] == "测试数据，已删除"


def test_finance_finds_orders_by_serial_name_or_id_number(console, api: Api, server: AppServer) -> None:
    payer, order = create_order(api, server, resident=verified(api))
    serial = api.get(f"/api/v1/staff/payments/{order['id']}", token=finance_token(api)).json()["serial"]
    c = console("finance-search").login_as("finance").go("finance/payments")
    p = c.page
    lookup = p.locator("form.payment-lookup")
    box = lookup.get_by_label("查找缴款单")
    assert box.get_attribute("placeholder") == "办件编号、姓名或身份证号"
    row = lookup.locator(f'tr[data-payment="{order["id"]}"]')
    for typed in (serial.lower(), payer.id_number, payer.name):
        box.fill(typed)
        lookup.get_by_role("button", name="查找").click()
        row.wait_for()
        assert serial in row.inner_text()
        assert payer.name not in lookup.inner_text() and payer.id_number not in lookup.inner_text()
    # Nothing found says so and leaves no earlier results; too short a text is refused in the page.
    box.fill("ZJB20000101000001")
    lookup.get_by_role("button", name="查找").click()
    lookup.get_by_text("未找到缴款单，请核对后重试").wait_for()
    assert lookup.locator("tr[data-payment]").count() == 0
    box.fill("王")
    lookup.get_by_role("button", name="查找").click()
    lookup.get_by_text("请输入办件编号、姓名或身份证号").wait_for()
    c.shot("search")
