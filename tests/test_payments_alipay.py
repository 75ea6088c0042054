"""Alipay end to end through the real python-alipay-sdk against the stand-in."""
from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlencode

from bson import ObjectId

from tests.support_payments import create_order, db_find


def _pay(api, resident, payment_id, **extra):
    r = api.post(f"/api/v1/payments/{payment_id}/pay", {"channel": "alipay", **extra}, token=resident.access_token)
    assert r.status_code == 200, r.text
    return r.json()


def test_alipay_qr_pay_notice_paid_receipt(api, server) -> None:
    resident, order = create_order(api, server)
    pay = _pay(api, resident, order["id"])
    assert pay["qr_code"].startswith("https://qr.alipay.com/")
    assert base64.b64decode(pay["qr_png_base64"])[:8] == b"\x89PNG\r\n\x1a\n"
    r = api.post("/sandbox/alipay/confirm", {"out_trade_no": pay["out_trade_no"]})
    assert r.status_code == 200 and r.json()["notify_answer"] == "success", r.text
    got = api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()
    assert got["status"] == "paid" and got["paid_channel"] == "alipay" and got["receipt_id"]
    # Alipay resends with the same notify_id: answered success, nothing changes
    before = db_find(server, "payments", {"_id": ObjectId(order["id"])})[0]
    r = api.post("/sandbox/alipay/resend", {"out_trade_no": pay["out_trade_no"]})
    assert r.json()["notify_answer"] == "success"
    assert db_find(server, "payments", {"_id": ObjectId(order["id"])})[0] == before


def test_alipay_wap_pay_url(api, server) -> None:
    resident, order = create_order(api, server)
    pay = _pay(api, resident, order["id"], mode="wap")
    assert "method=alipay.trade.wap.pay" in pay["pay_url"] and "sign=" in pay["pay_url"]
    page = api.session.get(pay["pay_url"])
    assert page.status_code == 200 and "收银台" in page.text


def test_alipay_forged_tampered_wrong_app_notices_are_refused(api, server) -> None:
    resident, order = create_order(api, server)
    pay = _pay(api, resident, order["id"])
    api.post("/sandbox/alipay/confirm", {"out_trade_no": pay["out_trade_no"], "notify": False})
    standin = server.ctx.wired.sandbox.standins["alipay"]
    trade = standin.store.one("SELECT * FROM trades WHERE out_trade_no = ?", (pay["out_trade_no"],))
    url = "/api/v1/pay/notify/alipay"
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    good = standin.notice_params(trade, "n-1")
    tampered = {**good, "total_amount": "0.01"}
    forged = {**good, "sign": base64.b64encode(b"x" * 256).decode()}
    wrong_app = standin.notice_params(trade, "n-2", app_id="2021999999999999")
    wrong_amount = standin.notice_params(trade, "n-3", total_amount="1.00")
    unknown = standin.notice_params(trade, "n-4", out_trade_no="ZJB-unknown-order-000")
    for params in (tampered, forged, wrong_app, wrong_amount, unknown):
        r = api.request("POST", url, data=urlencode(params), headers=form)
        assert r.status_code == 200 and r.text == "fail", params
    assert api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()["status"] == "unpaid"
    r = api.request("POST", url, data=urlencode(good), headers=form)
    assert r.text == "success"
    assert api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()["status"] == "paid"
    assert dict(parse_qsl(urlencode(good)))["notify_id"] == "n-1"
