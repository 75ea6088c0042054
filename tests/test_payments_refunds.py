"""Refunds (partial, full, over-refund refused, idempotent per request) and expiry with late payment."""
from __future__ import annotations

import time
import uuid

from bson import ObjectId

from tests.support import assert_error, staff_login
from tests.support_cases import eventually
from tests.support_payments import confirm_wechat, create_order, db_find, finance_token, pay_wechat, prepay_id


def _paid(api, server, channel="wechat"):
    resident, order = create_order(api, server)
    if channel == "wechat":
        confirm_wechat(api, prepay_id(pay_wechat(api, resident, order["id"])))
    else:
        r = api.post(f"/api/v1/payments/{order['id']}/pay", {"channel": "alipay"}, token=resident.access_token)
        api.post("/sandbox/alipay/confirm", {"out_trade_no": r.json()["out_trade_no"]})
    return resident, order


def _settle(server, standin_name="wechatpay"):
    """Let the stand-in's bank side finish refunds and send the refund notices."""
    server.run(server.ctx.wired.sandbox.standins[standin_name].run_due())


def _view(api, token, pid):
    return api.get(f"/api/v1/staff/payments/{pid}", token=token).json()


def test_partial_then_full_refund_wechat_and_over_refund_refused(api, server) -> None:
    resident, order = _paid(api, server)
    token = finance_token(api)
    url = f"/api/v1/staff/payments/{order['id']}/refunds"
    rid = uuid.uuid4().hex
    r = api.post(url, {"amount_fen": 3000, "reason": "部分事项未办理", "request_id": rid}, token=token)
    assert r.status_code == 201 and r.json()["status"] == "processing", r.text
    assert _view(api, token, order["id"])["status"] == "refunding"
    # a second refund while one is open is refused; the same request is answered with the first result
    assert_error(api.post(url, {"amount_fen": 100, "reason": "x", "request_id": uuid.uuid4().hex}, token=token),
                 409, "refund_in_progress")
    again = api.post(url, {"amount_fen": 3000, "reason": "部分事项未办理", "request_id": rid}, token=token)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    assert_error(api.post(url, {"amount_fen": 2000, "reason": "x", "request_id": rid}, token=token),
                 409, "idempotency_key_reused")
    _settle(server)  # the refund succeeds at the provider; its notice arrives (signed, encrypted)
    v = _view(api, token, order["id"])
    assert v["status"] == "paid" and v["refunded_fen"] == 3000 and v["refunding_fen"] == 0
    assert v["refunds"][0]["status"] == "success"
    # more than what is left: refused, nothing changes
    assert_error(api.post(url, {"amount_fen": 6001, "reason": "x", "request_id": uuid.uuid4().hex}, token=token),
                 409, "refund_exceeds_paid")
    r = api.post(url, {"amount_fen": 6000, "reason": "撤回申请", "request_id": uuid.uuid4().hex}, token=token)
    assert r.status_code == 201
    _settle(server)
    v = _view(api, token, order["id"])
    assert v["status"] == "refunded" and v["refunded_fen"] == 9000
    assert_error(api.post(url, {"amount_fen": 1, "reason": "x", "request_id": uuid.uuid4().hex}, token=token),
                 409, "invalid_state")
    # each refund's one message is written once its red-letter receipt is numbered, just after the
    # refund itself: wait for both, then check there are exactly two
    def refunded_messages() -> list[dict]:
        return db_find(server, "outbox", {"payload.payment_id": order["id"], "kind": "payment.refunded"})
    eventually(lambda: len(refunded_messages()) >= 2)
    assert len(refunded_messages()) == 2
    # the provider holds exactly what we hold
    standin = server.ctx.wired.sandbox.standins["wechatpay"]
    assert standin.store.one("SELECT refunded FROM orders WHERE out_trade_no = ?",
                             (v["out_trade_no"],))["refunded"] == 9000
    actions = [a["action"] for a in db_find(server, "audit_log", {"target.id": order["id"]})]
    assert actions.count("payment.refund.request") == 2 and actions.count("payment.refund.success") == 2


def test_alipay_refund_is_synchronous(api, server) -> None:
    resident, order = _paid(api, server, "alipay")
    token = finance_token(api)
    r = api.post(f"/api/v1/staff/payments/{order['id']}/refunds",
                 {"amount_fen": 9000, "reason": "全额退款", "request_id": uuid.uuid4().hex}, token=token)
    assert r.status_code == 201 and r.json()["status"] == "success", r.text
    assert _view(api, token, order["id"])["status"] == "refunded"


def test_refund_needs_finance_role(api, server) -> None:
    resident, order = _paid(api, server)
    clerk = staff_login(api, role="clerk")["access_token"]
    assert_error(api.post(f"/api/v1/staff/payments/{order['id']}/refunds",
                          {"amount_fen": 1, "reason": "x", "request_id": uuid.uuid4().hex}, token=clerk), 403,
                 "forbidden")
    assert_error(api.post(f"/api/v1/staff/payments/{order['id']}/refunds",
                          {"amount_fen": 1, "reason": "x", "request_id": uuid.uuid4().hex},
                          token=resident.access_token), 401, "unauthenticated")


def test_expiry_closes_at_provider_then_locally_and_late_payment_is_refunded(api, server, clock) -> None:
    resident, order = create_order(api, server)
    pay = pay_wechat(api, resident, order["id"])
    clock.advance(minutes=31)
    server.run(server.ctx.service("payments").expire_due())
    clock.reset()  # (access tokens last 15 minutes)
    got = api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()
    assert got["status"] == "closed" and got["close_reason"] == "expired"
    standin = server.ctx.wired.sandbox.standins["wechatpay"]
    assert standin.store.one("SELECT state FROM orders WHERE prepay_id = ?", (prepay_id(pay),))["state"] == "CLOSED"
    assert db_find(server, "outbox", {"kind": "payment.closed", "payload.payment_id": order["id"]})
    assert_error(api.post(f"/api/v1/payments/{order['id']}/pay", {"channel": "wechat"}, token=resident.access_token),
                 409, "invalid_state")


def test_payment_arriving_after_close_is_refunded_automatically(api, server, clock) -> None:
    """Real life: the resident paid just as the order was closed here (the provider had not closed it yet)."""
    resident, order = create_order(api, server)
    pay = pay_wechat(api, resident, order["id"])
    confirm_wechat(api, prepay_id(pay), notify=False)  # paid at WeChat, notice delayed
    # staff close: the provider refuses (ORDERPAID), the query finds the payment, and it is applied
    token = finance_token(api)
    assert_error(api.post(f"/api/v1/staff/payments/{order['id']}/close", {"reason": "重复开单"}, token=token),
                 409, "invalid_state")
    assert api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()["status"] == "paid"

    # now a truly late one: the order is closed locally first (as if the provider's close had won),
    # then money arrives through an attempt the provider still had open
    resident2, order2 = create_order(api, server)
    pay2 = pay_wechat(api, resident2, order2["id"])
    server.run(server.ctx.db["payments"].update_one({"_id": ObjectId(order2["id"])},
                                                    {"$set": {"status": "closed", "close_reason": "expired"}}))
    confirm_wechat(api, prepay_id(pay2))
    p2 = api.get(f"/api/v1/payments/{order2['id']}", token=resident2.access_token).json()
    assert p2["status"] == "closed" and p2["receipt_id"] is None
    refunds = db_find(server, "refunds", {"payment_id": ObjectId(order2["id"])})
    assert len(refunds) == 1 and refunds[0]["kind"] == "late_payment" and refunds[0]["amount_fen"] == 9000
    _settle(server)
    deadline = time.time() + 5
    while time.time() < deadline and db_find(server, "refunds", {"_id": refunds[0]["_id"]})[0]["status"] != "success":
        server.run(server.ctx.service("payments").refunds_due())
        time.sleep(0.1)
    assert db_find(server, "refunds", {"_id": refunds[0]["_id"]})[0]["status"] == "success"
    assert db_find(server, "pay_attempts", {"payment_id": ObjectId(order2["id"])})[0]["status"] == "late"
    # the repeat of that notice is answered success and refunds nothing more
    r = api.post("/sandbox/wechatpay/resend", {"prepay_id": prepay_id(pay2)})
    assert r.json()["notify_status"] == 204
    assert len(db_find(server, "refunds", {"payment_id": ObjectId(order2["id"])})) == 1
