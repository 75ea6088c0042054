"""WeChat Pay end to end through the real wechatpayv3 SDK against the stand-in."""
from __future__ import annotations

import base64

from bson import ObjectId
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from sandbox.paykeys import read
from tests.support import assert_error, new_resident
from tests.support_payments import confirm_wechat, create_order, db_find, pay_wechat, prepay_id


def test_order_pay_notice_paid_receipt(api, server) -> None:
    resident, order = create_order(api, server)
    assert order["status"] == "unpaid" and order["amount_fen"] == 9000 and order["receipt_id"] is None
    pay = pay_wechat(api, resident, order["id"])
    rp = pay["request_payment"]
    assert rp["signType"] == "RSA" and rp["package"].startswith("prepay_id=")
    # paySign is the merchant's RSA signature over appId, timeStamp, nonceStr, package
    pub = load_pem_public_key(read(server.config.data_dir, "wechatpay_merchant_pub.pem").encode())
    msg = f"{server.config.wechat.appid}\n{rp['timeStamp']}\n{rp['nonceStr']}\n{rp['package']}\n".encode()
    pub.verify(base64.b64decode(rp["paySign"]), msg, PKCS1v15(), SHA256())

    sent = confirm_wechat(api, prepay_id(pay))
    assert sent["notify_status"] == 204
    got = api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()
    assert got["status"] == "paid" and got["out_trade_no"] == sent["out_trade_no"] and got["receipt_id"]
    receipt = api.get(f"/api/v1/receipts/{got['receipt_id']}", token=resident.access_token).json()
    assert receipt["amount_fen"] == 9000 and receipt["amount_capitals"] == "玖拾元整"
    assert len(receipt["number"]) == 10 and receipt["payment_id"] == order["id"]
    events = [e["kind"] for e in db_find(server, "outbox", {"payload.payment_id": order["id"]})]
    assert sorted(events) == ["payment.created", "payment.paid", "receipt.issued"]
    audit = [a["action"] for a in db_find(server, "audit_log", {"target.id": order["id"]})]
    assert "payment.create" in audit and "payment.paid" in audit


def test_repeated_notices_change_nothing(api, server) -> None:
    resident, order = create_order(api, server)
    pay = pay_wechat(api, resident, order["id"])
    confirm_wechat(api, prepay_id(pay))
    before = db_find(server, "payments", {"_id": ObjectId(order["id"])})[0]
    for _ in range(3):
        r = api.post("/sandbox/wechatpay/resend", {"prepay_id": prepay_id(pay)})
        assert r.status_code == 200 and r.json()["notify_status"] == 204
    after = db_find(server, "payments", {"_id": ObjectId(order["id"])})[0]
    assert after == before
    assert len(db_find(server, "receipts", {"payment_id": ObjectId(order["id"])})) == 1
    assert len(db_find(server, "outbox", {"kind": "payment.paid", "payload.payment_id": order["id"]})) == 1


def test_pay_on_paid_or_someone_elses_order(api, server) -> None:
    resident, order = create_order(api, server)
    other = new_resident(api, verified=True)
    assert_error(api.post(f"/api/v1/payments/{order['id']}/pay", {"channel": "wechat"}, token=other.access_token),
                 404, "not_found")
    assert_error(api.get(f"/api/v1/payments/{order['id']}", token=other.access_token), 404, "not_found")
    pay = pay_wechat(api, resident, order["id"])
    confirm_wechat(api, prepay_id(pay))
    assert_error(api.post(f"/api/v1/payments/{order['id']}/pay", {"channel": "wechat"},
                          token=resident.access_token), 409, "invalid_state")
