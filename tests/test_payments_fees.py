"""Fees identified by code, whichever way an order is raised, under races; a fee without a payee
unit refused; a reconciliation whose totals differ never balances and lists its lines."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from backend.core.clock import TZ
from tests.support import Api, assert_error, new_resident, staff_login
from tests.support_cases import eventually, move, submit
from tests.support_payments import create_case, finance_token, paid_order, refund, settle_wechat_refunds


def _order(api: Api, token: str, case_id: str, name: str, amount: int = 1000):  # noqa: ANN202
    return api.post("/api/v1/staff/payments", {"application_id": case_id,
                                               "items": [{"name": name, "amount_fen": amount}]}, token=token)


def test_two_orders_for_the_same_case_and_item_at_once_make_one(api, server) -> None:
    case_id = create_case(api, resident=new_resident(api, verified=True))
    token = finance_token(api)
    clerk = staff_login(api, role="clerk")["access_token"]
    # six at once, under three names of one fee, from finance and from the window
    names = ["证书工本费", "工本费", "证书工本费\u200b", "\u200d证书工本费 ", "工本费", "证书工本费"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda k: _order(Api(server.base), token if k % 2 else clerk, case_id, names[k]),
                                range(6)))
    created = [r for r in answers if r.status_code == 201]
    assert len(created) == 1, [r.text for r in answers]
    for r in answers:
        if r.status_code != 201:
            assert assert_error(r, 409, "duplicate_order")["details"]["payment_id"] == created[0].json()["id"]
    listed = api.get("/api/v1/staff/payments", params={"application_id": case_id}, token=token).json()["items"]
    assert len(listed) == 1 and listed[0]["items"][0]["item_code"] == "103044606003"


def test_a_bundle_order_and_a_case_order_racing_for_one_fee_make_one(api, server) -> None:
    from tests.journeys.test_money import _two_unit_event
    event_id = _two_unit_event(api)
    r = new_resident(api, verified=True)
    materials = [m["key"] for m in api.get(f"/api/v1/life-events/{event_id}").json()["materials"]
                 if m.get("required", True) and not m.get("tolerable")]
    b = api.post(f"/api/v1/life-events/{event_id}/applications",
                 {"form": {"contact_phone": "13700003333"}, "materials": materials}, token=r.access_token).json()
    yb = next(c for c in b["applications"] if c["service_name"] == "新生儿城乡居民医保参保登记")
    token = finance_token(api)

    def one(k: int):  # noqa: ANN202
        a = Api(server.base)
        if k % 2:
            return a.post(f"/api/v1/staff/bundles/{b['id']}/payment", token=token)
        return _order(a, token, yb["id"], "城乡居民医保个人缴费", 40000)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(one, range(4)))
    created = [x for x in answers if x.status_code == 201]
    assert len(created) == 1, [x.text for x in answers]
    for x in answers:
        if x.status_code != 201:
            assert x.json()["error"]["code"] in ("duplicate_order", "bundle_payment_exists"), x.text


def test_a_fee_without_a_payee_unit_is_refused(api, server) -> None:
    resident = new_resident(api, verified=True)
    case = submit(api, resident, code="SB-SBK")  # 市人力资源和社会保障局: no payee unit
    assert move(api, staff_login(api, role="clerk")["access_token"], case["id"], "accepted").status_code == 200
    err = assert_error(_order(api, finance_token(api), case["id"], "工本费"), 409, "payee_unit_missing")
    assert err["details"]["item"] == "工本费"
    assert api.get("/api/v1/staff/payments", params={"application_id": case["id"]},
                   token=finance_token(api)).json()["items"] == []
    # an item code the guide does not list is refused too
    case_id = create_case(api, resident=resident)
    r = api.post("/api/v1/staff/payments", {"application_id": case_id, "items": [
        {"name": "证书工本费", "item_code": "999", "amount_fen": 1000}]}, token=finance_token(api))
    assert_error(r, 400, "invalid_input")


def test_totals_that_differ_never_balance(make_server) -> None:
    """The refund's bill row is on one day and our record on the next: every line matches by number,
    yet the nets differ (bill 6000, here 9000) — a difference, listed, alerted, never 平账."""
    srv = make_server()
    api = Api(srv.base)
    token = finance_token(api)
    day = srv.clock.now().astimezone(TZ).date()
    _, order = paid_order(api, srv)
    rf = refund(api, token, order["id"], 3000, "部分退款")
    settle_wechat_refunds(srv)
    eventually(lambda: api.get(f"/api/v1/staff/payments/{order['id']}", token=token).json()["refunds"][0]["status"]
               == "success")

    async def shift() -> None:  # our record says the refund succeeded the next day
        await srv.ctx.db["refunds"].update_one({"out_refund_no": rf["out_refund_no"]},
                                               {"$set": {"succeeded_at": dt.datetime.combine(
                                                   day + dt.timedelta(days=1), dt.time(1), TZ)}})
    srv.run(shift())
    srv.clock.advance(days=1, hours=12)
    token = finance_token(api)
    rep = api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": "wechat"}, token=token).json()
    assert (rep["bill_net_fen"], rep["local_net_fen"]) == (6000, 9000)
    assert rep["balanced"] is False and rep["alert"] is True
    assert [(d["total"], d["bill"], d["local"]) for d in rep["differences"]] == [
        ("refunds", 1, 0), ("refunds_fen", 3000, 0), ("net_fen", 6000, 9000)]
    assert [(x["kind"], x["out_refund_no"], x["local_date"]) for x in rep["other_day"]] == [
        ("refund", rf["out_refund_no"], (day + dt.timedelta(days=1)).isoformat())]
    alipay = api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": "alipay"}, token=token)
    assert alipay.json()["balanced"] is True, alipay.text
    clearing = api.get("/api/v1/staff/clearing", params={"date": day.isoformat()}, token=token).json()
    wechat = next(c for c in clearing["channels"] if c["channel"] == "wechat")
    assert wechat["balanced"] is False and clearing["agrees_with_bills"] is False
    assert [a["id"] for a in api.get("/api/v1/staff/reconciliation/alerts", token=token).json()["items"]] == [
        f"wechat:{day}"]
