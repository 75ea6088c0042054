"""One clock: the stand-ins stamp their times from the server's clock (the sandbox clock), so the
providers' bills agree with the payments on a moved day; ``GET /api/v1/time`` tells clients the
server's time."""
from __future__ import annotations

import datetime as dt

from backend.core.clock import TZ
from tests.support import Api, assert_error
from tests.support_payments import (
    confirm_wechat,
    create_order,
    finance_token,
    pay_wechat,
    prepay_id,
    refund,
    settle_wechat_refunds,
)


def _move_to(srv, day: dt.date, hh: int, mm: int) -> None:  # noqa: ANN001
    """Move the server's clock forward to ``day`` at ``hh:mm`` Beijing time."""
    target = dt.datetime.combine(day, dt.time(hh, mm), TZ)
    srv.clock.advance(seconds=(target - srv.clock.now()).total_seconds())


def _day_of(value: str) -> dt.date:
    return dt.datetime.fromisoformat(value).astimezone(TZ).date()


def test_payments_and_refunds_on_a_moved_day_land_on_that_days_bills_and_reconcile(make_server) -> None:  # noqa: ANN001
    srv = make_server()
    api = Api(srv.base)
    real_day = dt.datetime.now(TZ).date()
    moved = real_day + dt.timedelta(days=3)
    _move_to(srv, moved, 11, 0)
    token = finance_token(api)

    resident, wx = create_order(api, srv)
    sent = confirm_wechat(api, prepay_id(pay_wechat(api, resident, wx["id"])))
    assert sent["notify_status"] in (200, 204), sent  # the notice's signature window is real time, not the moved clock
    wx = api.get(f"/api/v1/payments/{wx['id']}", token=resident.access_token).json()
    assert wx["status"] == "paid" and _day_of(wx["paid_at"]) == moved, wx

    resident, ali = create_order(api, srv)
    pay = api.post(f"/api/v1/payments/{ali['id']}/pay", {"channel": "alipay"}, token=resident.access_token).json()
    assert api.post("/sandbox/alipay/confirm", {"out_trade_no": pay["out_trade_no"]}).json()["notify_answer"] \
        == "success"
    ali = api.get(f"/api/v1/payments/{ali['id']}", token=resident.access_token).json()
    assert ali["status"] == "paid" and _day_of(ali["paid_at"]) == moved, ali

    refund(api, token, wx["id"], 1000, "部分退款")
    settle_wechat_refunds(srv)
    refund(api, token, ali["id"], 500, "部分退款")

    # the providers' own records carry the moved day
    standins = srv.ctx.wired.sandbox.standins
    bill = standins["wechatpay"].trade_bill(moved.isoformat())
    assert wx["out_trade_no"] in bill and f"`{moved:%Y-%m-%d} " in bill
    assert wx["out_trade_no"] not in standins["wechatpay"].trade_bill(real_day.isoformat())
    trade = standins["alipay"].query({"out_trade_no": ali["out_trade_no"]}, {})
    assert trade["send_pay_date"].startswith(moved.isoformat()) and trade["trade_no"].startswith(f"{moved:%Y%m%d}")

    # the next morning by the moved clock: the moved day's bills hold both payments and both refunds,
    # the real day's hold none, and reconciliation of the moved day balances without an alert
    _move_to(srv, moved + dt.timedelta(days=1), 10, 30)
    token = finance_token(api)
    for channel, net in (("wechat", 9000 - 1000), ("alipay", 9000 - 500)):
        report = api.post("/api/v1/staff/reconciliation", {"date": moved.isoformat(), "channel": channel},
                          token=token).json()
        assert report["balanced"] is True and report["alert"] is False, report
        assert report["bill_rows"] == 2 and report["matched"] == 2 and report["bill_net_fen"] == net, report
        before = api.post("/api/v1/staff/reconciliation", {"date": real_day.isoformat(), "channel": channel},
                          token=token).json()
        assert before["bill_rows"] == 0 and before["balanced"] is True, before
    assert api.get("/api/v1/staff/reconciliation/alerts", token=token).json()["items"] == []


def test_time_is_the_servers_and_moves_with_the_sandbox_clock(api: Api, clock) -> None:  # noqa: ANN001
    r = api.get("/api/v1/time")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["timezone"] == "Asia/Shanghai" and body["now"].endswith("+08:00")
    now = dt.datetime.fromisoformat(body["now"])
    assert abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert body["today"] == now.date().isoformat()

    assert api.post("/sandbox/clock", {"advance_seconds": 5 * 24 * 3600}).status_code == 200
    moved = api.get("/api/v1/time").json()
    moved_now = dt.datetime.fromisoformat(moved["now"])
    assert dt.timedelta(days=5) <= moved_now - now < dt.timedelta(days=5, minutes=1)
    assert moved["today"] == moved_now.date().isoformat() == (now + dt.timedelta(days=5)).date().isoformat()
    assert "/api/v1/time" in api.get("/openapi.json").json()["paths"]


def test_login_codes_expire_by_the_servers_clock(api: Api, clock) -> None:  # noqa: ANN001
    code = api.post("/sandbox/wechat/login-codes", {"openid": "o-clock-code"}).json()["code"]
    clock.advance(minutes=6)  # a wx.login code lives five minutes
    err = assert_error(api.post("/api/v1/auth/wechat-login", {"code": code}), 401, "unauthenticated")
    assert err["details"]["wechat_errcode"] == 40029
    fresh = api.post("/sandbox/wechat/login-codes", {"openid": "o-clock-code"}).json()["code"]
    assert api.post("/api/v1/auth/wechat-login", {"code": fresh}).status_code == 200
