"""WeChat Pay notices: forged, tampered, stale, wrong amount or merchant, repeated, out of order."""
from __future__ import annotations

import json
import time

from bson import ObjectId

from tests.support_payments import confirm_wechat, create_order, db_find, pay_wechat, prepay_id

URL = "/api/v1/pay/notify/wechat"


def _post(api, headers, body):
    return api.request("POST", URL, data=body.encode() if isinstance(body, str) else body,
                       headers={"Content-Type": "application/json", **headers})


def _paid_without_notice(api, server):
    resident, order = create_order(api, server)
    pay = pay_wechat(api, resident, order["id"])
    confirm_wechat(api, prepay_id(pay), notify=False)
    standin = server.ctx.wired.sandbox.standins["wechatpay"]
    row = standin.store.one("SELECT * FROM orders WHERE prepay_id = ?", (prepay_id(pay),))
    resource = standin._transaction(row)
    return resident, order, pay, standin, resource


def _status(api, resident, order):
    return api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()["status"]


def test_bad_notices_change_nothing_and_answer_failure(api, server) -> None:
    resident, order, pay, standin, resource = _paid_without_notice(api, server)
    body = standin.notice_body(resource, "TRANSACTION.SUCCESS", "transaction", "支付成功")
    headers = standin.sign_headers(body)
    cases = {}
    # tampered: one byte of the signed body changed
    tampered = body.replace("支付成功", "支付成攻", 1)
    assert tampered != body
    cases["tampered"] = (headers, tampered)
    # forged: signed with some other key
    from cryptography.hazmat.primitives.asymmetric import rsa
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    real_key = standin.platform_private
    standin.platform_private = other
    cases["forged"] = (standin.sign_headers(body), body)
    standin.platform_private = real_key
    # stale: a correct signature, 10 minutes old
    old = dict(headers)
    ts = str(int(time.time()) - 600)
    import base64

    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256
    old["Wechatpay-Timestamp"] = ts
    old["Wechatpay-Signature"] = base64.b64encode(real_key.sign(f"{ts}\n{old['Wechatpay-Nonce']}\n{body}\n".encode(),
                                                                PKCS1v15(), SHA256())).decode()
    cases["stale"] = (old, body)
    # validly signed and encrypted, but wrong amount / merchant / app id / unknown order
    for name, change in (("amount", {"amount": {**resource["amount"], "total": 1}}), ("mchid", {"mchid": "1999999999"}),
                         ("appid", {"appid": "wx0000000000000bad"}), ("order", {"out_trade_no": "ZJBunknown0000001"})):
        b = standin.notice_body({**resource, **change}, "TRANSACTION.SUCCESS", "transaction", "支付成功")
        cases[name] = (standin.sign_headers(b), b)
    # encrypted with another APIv3 key
    real_v3 = standin.apiv3_key
    standin.apiv3_key = b"another-apiv3-key-000000000000000"[:32]
    b = standin.notice_body(resource, "TRANSACTION.SUCCESS", "transaction", "支付成功")
    standin.apiv3_key = real_v3
    cases["wrong_apiv3_key"] = (standin.sign_headers(b), b)
    cases["garbage"] = (headers, "not json at all")
    for name, (h, b) in cases.items():
        r = _post(api, h, b)
        assert r.status_code == 400 and r.json()["code"] == "FAIL", (name, r.status_code, r.text)
        assert _status(api, resident, order) == "unpaid", name
    assert db_find(server, "receipts", {"payment_id": ObjectId(order["id"])}) == []
    # the genuine notice is applied
    r = _post(api, headers, body)
    assert r.status_code == 204, r.text
    assert _status(api, resident, order) == "paid"


def test_query_first_then_late_notice_is_a_repeat(api, server) -> None:
    """Out of order: the active query (查单) learns of the payment before the notice arrives."""
    resident, order, pay, standin, resource = _paid_without_notice(api, server)
    otn = resource["out_trade_no"]
    server.run(server.ctx.db["pay_attempts"].update_one({"out_trade_no": otn},
                                                        {"$set": {"next_query_at": server.clock.now()}}))
    server.run(server.ctx.service("payments").query_due())
    assert _status(api, resident, order) == "paid"
    attempt = db_find(server, "pay_attempts", {"out_trade_no": otn})[0]
    assert attempt["paid_via"] == "query"
    r = api.post("/sandbox/wechatpay/resend", {"prepay_id": prepay_id(pay)})
    assert r.json()["notify_status"] == 204
    assert len(db_find(server, "receipts", {"payment_id": ObjectId(order["id"])})) == 1
    assert len(db_find(server, "outbox", {"kind": "receipt.issued", "payload.payment_id": order["id"]})) == 1


def test_failed_notice_is_retried_by_the_stand_in(make_server) -> None:
    """The stand-in retries on WeChat Pay's schedule (compressed): a notice that first fails gets through."""
    from tests.support import Api
    srv = make_server(payments={"sandbox_retry_factor": 0.01, "job_interval_seconds": 0.2})
    api = Api(srv.base)
    resident, order, pay, standin, resource = _paid_without_notice(api, srv)
    real_url = standin.store.one("SELECT notify_url FROM orders WHERE prepay_id = ?", (prepay_id(pay),))["notify_url"]
    standin.store.execute("UPDATE orders SET notify_url = ? WHERE prepay_id = ?",
                          (real_url.replace("/notify/wechat", "/notify/nowhere"), prepay_id(pay)))
    nid = standin.queue_payment_notice(prepay_id(pay))
    srv.run(standin.deliver(nid))
    notice = standin.notices(resource["out_trade_no"])[0]
    assert notice["state"] == "pending" and notice["attempts"] == 1 and notice["last_status"] == 404
    standin.store.execute("UPDATE notices SET url = ? WHERE id = ?", (real_url, nid))
    deadline = time.time() + 10
    while time.time() < deadline and standin.notices(resource["out_trade_no"])[0]["state"] != "delivered":
        time.sleep(0.1)
    notice = standin.notices(resource["out_trade_no"])[0]
    assert notice["state"] == "delivered" and notice["attempts"] == 2
    assert _status(api, resident, order) == "paid"
    assert json.loads(notice["body"])["id"] == nid
