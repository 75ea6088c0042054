"""Races: two pay attempts and a notice at once; both channels paid; the query job and a notice."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bson import ObjectId

from tests.support import Api
from tests.support_cases import eventually
from tests.support_payments import confirm_wechat, create_order, db_find, pay_wechat, prepay_id


def test_two_pay_attempts_and_a_notice_racing(api, server) -> None:
    resident, order = create_order(api, server)
    first = pay_wechat(api, resident, order["id"])

    def pay(_: int):
        return Api(server.base).post(f"/api/v1/payments/{order['id']}/pay", {"channel": "wechat"},
                                     token=resident.access_token)

    def notice(_: int):
        return Api(server.base).post("/sandbox/wechatpay/confirm", {"prepay_id": prepay_id(first)})

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(pay, i) for i in range(4)] + [pool.submit(notice, i) for i in range(2)]
        results = [f.result() for f in futures]
    pays, notices = results[:4], results[4:]
    assert all(r.status_code in (200, 409) for r in pays), [r.text for r in pays]
    assert {prepay_id(r.json()) for r in pays if r.status_code == 200} <= {prepay_id(first)}  # one attempt, shared
    assert all(r.status_code == 200 for r in notices)
    attempts = db_find(server, "pay_attempts", {"payment_id": ObjectId(order["id"])})
    assert len(attempts) == 1 and attempts[0]["status"] == "paid"
    assert len(db_find(server, "receipts", {"payment_id": ObjectId(order["id"])})) == 1
    assert len(db_find(server, "outbox", {"kind": "payment.paid", "payload.payment_id": order["id"]})) == 1


def test_paid_on_both_channels_second_is_refunded(api, server) -> None:
    resident, order = create_order(api, server)
    wx = pay_wechat(api, resident, order["id"])
    ali = api.post(f"/api/v1/payments/{order['id']}/pay", {"channel": "alipay"}, token=resident.access_token).json()
    confirm_wechat(api, prepay_id(wx))
    r = api.post("/sandbox/alipay/confirm", {"out_trade_no": ali["out_trade_no"]})
    assert r.json()["notify_answer"] == "success"
    p = api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()
    assert p["status"] == "paid" and p["paid_channel"] == "wechat" and p["amount_fen"] == 9000
    # Alipay refunds answer synchronously, but the answer the stand-in got may be a repeated
    # notice's ("repeat"), given while the first one, slowed by a loaded machine, still writes
    # the refund's outcome.
    refunds = eventually(lambda: [r for r in db_find(server, "refunds", {"payment_id": ObjectId(order["id"])})
                                  if r["status"] == "success"])
    assert len(refunds) == 1 and refunds[0]["kind"] == "late_payment" and refunds[0]["channel"] == "alipay"
    assert len(db_find(server, "refunds", {"payment_id": ObjectId(order["id"])})) == 1
    assert len(db_find(server, "receipts", {"payment_id": ObjectId(order["id"])})) == 1


def test_query_job_and_notice_racing_apply_once(api, server) -> None:
    resident, order = create_order(api, server)
    pay = pay_wechat(api, resident, order["id"])
    confirm_wechat(api, prepay_id(pay), notify=False)
    server.run(server.ctx.db["pay_attempts"].update_many({"payment_id": ObjectId(order["id"])},
                                                         {"$set": {"next_query_at": server.clock.now()}}))
    with ThreadPoolExecutor(max_workers=3) as pool:
        fs = [pool.submit(lambda: server.run(server.ctx.service("payments").query_due())),
              pool.submit(lambda: Api(server.base).post("/sandbox/wechatpay/resend", {"prepay_id": prepay_id(pay)})),
              pool.submit(lambda: server.run(server.ctx.service("payments").query_due()))]
        [f.result() for f in fs]
    # The server's own query job races too: when it applies first, the three above answer
    # "already paid" while it is still writing the receipt. Every applier but it has finished.
    receipts = {"payment_id": ObjectId(order["id"])}
    paid_events = {"kind": "payment.paid", "payload.payment_id": order["id"]}
    eventually(lambda: db_find(server, "receipts", receipts) and db_find(server, "outbox", paid_events))
    assert len(db_find(server, "receipts", receipts)) == 1
    assert len(db_find(server, "outbox", paid_events)) == 1


def test_a_notice_closes_the_orders_other_attempt_and_only_asks_when_there_is_one(api, server, monkeypatch) -> None:
    store = server.ctx.service("payments").store
    asked: list[str] = []
    close = store.close_open_attempts

    async def counted(payment_id, *args, **kwargs):
        asked.append(str(payment_id))
        return await close(payment_id, *args, **kwargs)

    monkeypatch.setattr(store, "close_open_attempts", counted)
    resident, single = create_order(api, server)
    confirm_wechat(api, prepay_id(pay_wechat(api, resident, single["id"])))
    assert db_find(server, "payments", {"_id": ObjectId(single["id"])})[0]["status"] == "paid"
    assert single["id"] not in asked, "an order with one attempt has no other to close"

    resident, both = create_order(api, server)
    wx = pay_wechat(api, resident, both["id"])
    ali = api.post(f"/api/v1/payments/{both['id']}/pay", {"channel": "alipay"}, token=resident.access_token)
    assert ali.status_code == 200, ali.text
    confirm_wechat(api, prepay_id(wx))
    assert both["id"] in asked
    other = db_find(server, "pay_attempts", {"payment_id": ObjectId(both["id"]), "channel": "alipay"})
    assert [a["status"] for a in other] == ["closing"]
