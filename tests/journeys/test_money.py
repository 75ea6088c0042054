"""Money, through HTTP only — the residents' API, the staff API, the stand-ins and the sandbox clock
(``POST /sandbox/clock``):

- journey 3: a clerk at the window opens an order, the resident pays it with WeChat Pay and by
  mistake with Alipay too (the double payment goes back by itself and the resident is told), a
  second order is paid with Alipay; receipts; a partial and a full refund, each with its red-letter
  receipt named in the resident's message; the next day's reconciliation balances on every total,
  and 清分 credits each fee to its payee unit;
- journey 4's money half: one order for a 一件事, each fee credited to its own unit (the 80 元
  不动产转移登记 fee to 不动产登记中心, the 400 元 医保 fee to 医疗保障局); a per-case order for a
  fee the bundle already charges is 409 ``duplicate_order`` naming the bundle's order, and the case
  shows it was paid through its bundle.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests.support import Api, ResidentHandle, assert_error, new_resident, staff_login
from tests.support_cases import eventually, inbox, move, relogin, service, submit
from tests.support_payments import confirm_wechat, pay_wechat, prepay_id

TZ8 = dt.timezone(dt.timedelta(hours=8))
REAL = ("示例市不动产登记中心", "110101005")
YB = ("示例市医疗保障局", "110101007")


def _now(api: Api) -> dt.datetime:
    return dt.datetime.fromisoformat(api.get("/api/v1/time").json()["now"])


def _next_day_after_bills(api: Api) -> dt.date:
    """Move the sandbox clock to 10:30 tomorrow (the providers' bills are out); today's date."""
    now = _now(api).astimezone(TZ8)
    day = now.date()
    target = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10, 30), TZ8)
    assert api.post("/sandbox/clock", {"advance_seconds": int((target - now).total_seconds())}).status_code == 200
    return day


def _texts(api: Api, resident: ResidentHandle, title: str) -> list[str]:
    return [m["text"] for m in inbox(api, resident) if m["title"] == title]


def _wait_texts(api: Api, resident: ResidentHandle, title: str, n: int = 1) -> list[str]:
    return eventually(lambda: (t := _texts(api, resident, title)) and len(t) >= n and t)


def _accepted_case(api: Api, resident: ResidentHandle, code: str = "BDC-BF") -> dict[str, Any]:
    case = submit(api, resident, code=code)
    assert move(api, staff_login(api, role="clerk")["access_token"], case["id"], "accepted").status_code == 200
    return case


def _refund(api: Api, token: str, payment_id: str, amount_fen: int, reason: str) -> dict[str, Any]:
    r = api.post(f"/api/v1/staff/payments/{payment_id}/refunds",
                 {"amount_fen": amount_fen, "reason": reason, "request_id": uuid.uuid4().hex}, token=token)
    assert r.status_code == 201, r.text
    return r.json()


def _order(api: Api, resident: ResidentHandle, payment_id: str) -> dict[str, Any]:
    return api.get(f"/api/v1/payments/{payment_id}", token=resident.access_token).json()


def test_wechat_and_alipay_receipts_refunds_red_receipts_reconciliation_and_clearing(make_server) -> None:
    srv = make_server()
    api = Api(srv.base)
    alice = new_resident(api, verified=True)
    bob = new_resident(api, verified=True)
    case_a = _accepted_case(api, alice)
    case_b = _accepted_case(api, bob)

    # At the window: the clerk opens an order by the case's serial. The name typed with a zero-width
    # character is the guide's 证书工本费, identified by its code and credited to 不动产登记中心.
    clerk = staff_login(api, role="clerk")["access_token"]
    r = api.post("/api/v1/staff/payments", {"serial": case_a["serial"],
                                            "items": [{"name": "证书工本费\u200b", "amount_fen": 1000}]}, token=clerk)
    assert r.status_code == 201, r.text
    order_a = r.json()
    assert [(i["name"], i["item_code"], i["payee_unit"], i["unit_code"]) for i in order_a["items"]] == [
        ("证书工本费", "103044606003", *REAL)]
    # The same fee again — by another name of the same item, from the finance office — is refused,
    # naming the open order and how it was raised.
    finance = staff_login(api, role="finance")["access_token"]
    for name in ("证书工本费", "工本费", " 证书 工本费 ".replace(" ", "\u200b")):
        err = assert_error(api.post("/api/v1/staff/payments", {"application_id": case_a["id"], "items": [
            {"name": name, "amount_fen": 1000}]}, token=finance), 409, "duplicate_order")
        assert err["details"]["payment_id"] == order_a["id"] and err["details"]["raised_via"] == "case"
        assert err["details"]["item_code"] == "103044606003"
    assert "需缴费10.00元" in _wait_texts(api, alice, "待缴费")[0]

    # Alice opens both payment sheets and pays twice: WeChat Pay first, then Alipay.
    wx = pay_wechat(api, alice, order_a["id"])
    ali = api.post(f"/api/v1/payments/{order_a['id']}/pay", {"channel": "alipay"}, token=alice.access_token)
    assert ali.status_code == 200, ali.text
    confirm_wechat(api, prepay_id(wx))
    assert api.post("/sandbox/alipay/confirm", {"out_trade_no": ali.json()["out_trade_no"]}).json()[
        "notify_answer"] == "success"
    eventually(lambda: _order(api, alice, order_a["id"])["status"] == "paid")
    assert "已成功缴纳" in _wait_texts(api, alice, "缴费成功")[0]
    receipt_text = _wait_texts(api, alice, "电子票据已开具")[0]
    # The Alipay payment could not be taken: it goes back by itself, and Alice reads why.
    auto = _wait_texts(api, alice, "重复支付已自动退款")
    assert auto == [f"您为“不动产权证书补发”（办件编号 {case_a['serial']}）支付的10.00元未能入账："
                    f"该缴款单已通过其他方式缴清，这笔重复支付已自动原路退回到您的支付宝，到账时间以支付渠道为准。"
                    f"您无需再做任何操作。"]
    receipts_a = api.get("/api/v1/receipts", token=alice.access_token).json()["items"]
    assert [(x["kind"], x["amount_fen"]) for x in receipts_a] == [("blue", 1000)]
    assert receipts_a[0]["number"] in receipt_text

    # Bob's order (two fees of 不动产登记中心), paid with Alipay.
    r = api.post("/api/v1/staff/payments", {"application_id": case_b["id"], "items": [
        {"name": "证书工本费", "amount_fen": 1000}, {"name": "不动产登记费", "amount_fen": 8000}]}, token=finance)
    assert r.status_code == 201, r.text
    order_b = r.json()
    pay = api.post(f"/api/v1/payments/{order_b['id']}/pay", {"channel": "alipay"}, token=bob.access_token)
    assert api.post("/sandbox/alipay/confirm", {"out_trade_no": pay.json()["out_trade_no"]}).json()[
        "notify_answer"] == "success"
    eventually(lambda: _order(api, bob, order_b["id"])["status"] == "paid")
    blue_b = eventually(lambda: api.get("/api/v1/receipts", token=bob.access_token).json()["items"])[0]

    # A partial refund of Bob's order: one message naming its red-letter receipt.
    _refund(api, finance, order_b["id"], 3000, "部分事项未办理")
    red_b = eventually(lambda: [x for x in api.get("/api/v1/receipts", token=bob.access_token).json()["items"]
                                if x["kind"] == "red"])[0]
    assert red_b["amount_fen"] == -3000 and red_b["original"]["number"] == blue_b["number"]
    told = _wait_texts(api, bob, "退款通知")
    assert told == [f"“不动产权证书补发”（办件编号 {case_b['serial']}）的费用已退款30.00元，款项将原路退回，"
                    f"到账时间以支付渠道为准。已开具红字票据（票据号码 {red_b['number']}），"
                    f"冲销原电子票据 {blue_b['number']} 的相应金额，可在小程序“票据”中查看。"]
    # A partly refunded fee is still charged: no second order for it.
    assert_error(api.post("/api/v1/staff/payments", {"application_id": case_b["id"], "items": [
        {"name": "不动产登记费", "amount_fen": 8000}]}, token=finance), 409, "duplicate_order")

    # A full refund of Alice's WeChat order: the stand-in's bank finishes it, the receipt is voided.
    _refund(api, finance, order_a["id"], 1000, "申请人撤回申请")
    eventually(lambda: _order(api, alice, order_a["id"])["status"] == "refunded", timeout=30)
    red_a = eventually(lambda: [x for x in api.get("/api/v1/receipts", token=alice.access_token).json()["items"]
                                if x["kind"] == "red"])[0]
    told = _wait_texts(api, alice, "退款通知")
    assert len(told) == 1 and f"红字票据（票据号码 {red_a['number']}）" in told[0]
    blue_a = receipts_a[0]
    verified = api.get("/api/v1/receipts/verify", params={"code": blue_a["code"], "number": blue_a["number"],
                                                          "check": blue_a["check_code"]}).json()
    assert verified["status"] == "voided"
    # once refunded in full, the fee may be charged again
    again = api.post("/api/v1/staff/payments", {"application_id": case_a["id"], "items": [
        {"name": "证书工本费", "amount_fen": 1000}]}, token=finance)
    assert again.status_code == 201, again.text
    assert api.post(f"/api/v1/staff/payments/{again.json()['id']}/close", {"reason": "staff"},
                    token=finance).status_code == 200

    # The next morning the bills are out: both channels balance on every total.
    day = _next_day_after_bills(api)
    finance = staff_login(api, role="finance")["access_token"]
    relogin(api, alice)
    expected = {"wechat": {"payments": 1, "refunds": 1, "gross_fen": 1000, "refunds_fen": 1000, "net_fen": 0},
                "alipay": {"payments": 2, "refunds": 2, "gross_fen": 10000, "refunds_fen": 4000, "net_fen": 6000}}
    for channel, totals in expected.items():
        rep = api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": channel}, token=finance)
        assert rep.status_code == 200, rep.text
        rep = rep.json()
        assert rep["totals"] == {"bill": totals, "local": totals}, rep
        assert rep["balanced"] is True and rep["differences"] == [] and rep["alert"] is False
    assert api.get("/api/v1/staff/reconciliation/alerts", token=finance).json()["items"] == []

    # 清分: every fee to its payee unit, every line naming it; nothing unassigned.
    clearing = api.get("/api/v1/staff/clearing", params={"date": day.isoformat()}, token=finance).json()
    assert [(u["name"], u["unit_code"]) for u in clearing["units"]] == [REAL]
    unit = clearing["units"][0]
    assert (unit["collected_fen"], unit["refunded_fen"], unit["due_fen"]) == (11000, 5000, 6000)
    assert {(i["item_code"], i["name"], i["unit_code"]): i["collected_fen"] for i in unit["items"]} == {
        ("103044606001", "不动产登记费", "110101005"): 8000, ("103044606003", "证书工本费", "110101005"): 3000}
    assert clearing["unassigned"] == [] and clearing["agrees_with_bills"] is True
    assert all(c["balanced"] is True and c["net_fen"] == c["bill_net_fen"] for c in clearing["channels"])


def _two_unit_event(api: Api) -> str:
    """A life event whose fees go to two units: 不动产转移登记 (80 元, 不动产登记中心) and 新生儿医保
    (400 元, 医疗保障局)."""
    mgr = staff_login(api, role="hall_manager")["access_token"]
    event_id = "m-" + uuid.uuid4().hex[:8]
    body = {"name": "安家落户一件事", "summary": "测试用主题", "services": [
        {"service_id": service(api, "BDC-ZY")["id"], "fields": ["contact_phone"]},
        {"service_id": service(api, "YB-XSE")["id"], "fields": ["contact_phone"]}],
        "form": [{"key": "contact_phone", "label": "联系电话", "type": "phone", "required": True}]}
    r = api.request("PUT", f"/api/v1/staff/life-events/{event_id}", token=mgr, json_body=body)
    assert r.status_code == 200, r.text
    return event_id


def test_one_bundle_order_credits_each_unit_and_its_fees_are_not_charged_again(make_server) -> None:
    srv = make_server()
    api = Api(srv.base)
    event_id = _two_unit_event(api)
    carol = new_resident(api, verified=True)
    materials = [m["key"] for m in api.get(f"/api/v1/life-events/{event_id}").json()["materials"]
                 if m.get("required", True) and not m.get("tolerable")]
    b = api.post(f"/api/v1/life-events/{event_id}/applications",
                 {"form": {"contact_phone": "13700003333"}, "materials": materials}, token=carol.access_token)
    assert b.status_code == 201, b.text
    b = b.json()
    cases = {c["service_name"]: c for c in b["applications"]}
    yb_case = cases["新生儿城乡居民医保参保登记"]
    finance = staff_login(api, role="finance")["access_token"]
    order = api.post(f"/api/v1/staff/bundles/{b['id']}/payment", token=finance)
    assert order.status_code == 201, order.text
    order = order.json()
    assert [(i["name"], i["amount_fen"], i["item_code"], i["payee_unit"]) for i in order["items"]] == [
        ("住宅登记费", 8000, "103044606002", REAL[0]), ("城乡居民基本医疗保险个人缴费", 40000, "103050101001", YB[0])]
    assert order["raised_via"] == "bundle" and order["amount_fen"] == 48000

    # The 医保 fee is the bundle's: a per-case order for it, whatever it is called, is refused.
    for item in ({"name": "城乡居民医保个人缴费", "amount_fen": 40000},
                 {"name": "城乡居民基本医疗保险个人缴费\u200b", "amount_fen": 40000},
                 {"name": "医保", "item_code": "103050101001", "amount_fen": 40000}):
        err = assert_error(api.post("/api/v1/staff/payments", {"application_id": yb_case["id"], "items": [item]},
                                    token=finance), 409, "duplicate_order")
        assert err["details"]["payment_id"] == order["id"] and err["details"]["raised_via"] == "bundle"
        assert err["details"]["bundle_serial"] == b["serial"]

    pay = pay_wechat(api, carol, order["id"])
    confirm_wechat(api, prepay_id(pay))
    eventually(lambda: _order(api, carol, order["id"])["status"] == "paid")
    # The case shows it was paid through its bundle, to the resident and to the clerk.
    mine = api.get("/api/v1/payments", params={"application_id": yb_case["id"]}, token=carol.access_token).json()
    assert [(p["id"], p["case_note"], p["case_amount_fen"]) for p in mine["items"]] == [
        (order["id"], f"已通过一件事缴费（一件事编号 {b['serial']}）", 40000)]
    clerk = staff_login(api, role="clerk")["access_token"]
    theirs = api.get("/api/v1/staff/payments", params={"application_id": yb_case["id"]}, token=clerk).json()
    assert [p["case_note"] for p in theirs["items"]] == [f"已通过一件事缴费（一件事编号 {b['serial']}）"]
    assert_error(api.post("/api/v1/staff/payments", {"application_id": yb_case["id"], "items": [
        {"name": "城乡居民医保个人缴费", "amount_fen": 40000}]}, token=clerk), 409, "duplicate_order")

    day = _next_day_after_bills(api)
    finance = staff_login(api, role="finance")["access_token"]
    for channel in ("wechat", "alipay"):
        rep = api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": channel}, token=finance)
        assert rep.status_code == 200 and rep.json()["balanced"] is True, rep.text
    clearing = api.get("/api/v1/staff/clearing", params={"date": day.isoformat()}, token=finance).json()
    assert {(u["name"], u["unit_code"]): (u["collected_fen"], [i["item_code"] for i in u["items"]])
            for u in clearing["units"]} == {REAL: (8000, ["103044606002"]), YB: (40000, ["103050101001"])}
    assert clearing["agrees_with_bills"] is True and clearing["unassigned"] == []
