"""Journey 4, the whole 一件事, through HTTP only — the resident's API, the staff API (what the
console's calls return), the stand-ins (the e-licence library, WeChat Pay) and the sandbox clock:

二手房交易一件事 with the buyer's 不动产权证书 from the e-licence library → one form, one set of
materials, three cases → one payment order for the bundle, paid once (a per-case order for a fee it
holds is refused) → every case accepted, approved and completed → the bundle done, its resident told
once → the next day's reconciliation balances and 清分 credits each fee to its own payee unit.
At each step: what the resident reads (bundle, cases, inbox, pushes and their pages) and what the
staff read.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support import Api, assert_error, fetch_licences, make_id_number, new_resident, staff_login
from tests.support_cases import consent, eventually, inbox, move, relogin, wechat_messages
from tests.support_journeys import APP_PAGES
from tests.support_payments import confirm_wechat, pay_wechat, prepay_id

TZ8 = dt.timezone(dt.timedelta(hours=8))
FORM = {"property_cert_no": "黑（2020）齐齐哈尔市不动产权第0012345号",
        "property_address": "龙沙区明月花园 5 号楼 2 单元 301 室",
        "floor_area": "89.36", "deal_price_yuan": 560000, "contract_no": "CLF2026112900123", "seller_name": "王芳",
        "buyer_name": "刘洋", "buyer_first_home": "是", "buyer_share": "单独所有", "water_account": "SW0012345",
        "contact_phone": "13900002222"}


def _now(api: Api) -> dt.datetime:
    return dt.datetime.fromisoformat(api.get("/api/v1/time").json()["now"])


def _advance(api: Api, seconds: int) -> None:
    assert api.post("/sandbox/clock", {"advance_seconds": seconds}).status_code == 200


def test_a_life_event_with_a_licence_one_payment_every_case_done_and_cleared(make_server) -> None:
    srv = make_server(bundles={"watch_interval_seconds": 0.5})
    api = Api(srv.base)
    r = new_resident(api, verified=True)
    consent(api, r, "case_progress", n=10)
    consent(api, r, "payment", n=5)

    # The library holds the buyer's 不动产权证书; the 一件事 asks for it by type.
    assert api.post("/sandbox/licences", {"id_number": r.id_number, "type": "property"}).status_code == 201
    held = fetch_licences(api, r, {"purpose": "application"}).json()["items"]
    cert = next(x for x in held if x["type"] == "property" and x["status"] == "valid")
    event = api.get("/api/v1/life-events/housing").json()
    asked = {m["key"]: m for m in event["materials"]}
    assert asked["cert"]["licence_type"] == "property"

    body = {"form": {**FORM, "seller_id_number": make_id_number(), "buyer_id_number": r.id_number},
            "materials": ["ids", "contract"], "licences": [{"material_key": "cert", "licence_id": cert["id"]}]}
    made = api.post("/api/v1/life-events/housing/applications", body, token=r.access_token,
                    headers={"Idempotency-Key": "housing-tap-1"})
    assert made.status_code == 201, made.text
    bundle = made.json()
    assert len(bundle["applications"]) == 3 and bundle["status_name"]
    # The same tap again (a retry after a dropped answer) answers the same bundle, not a second one.
    again = api.post("/api/v1/life-events/housing/applications", body, token=r.access_token,
                     headers={"Idempotency-Key": "housing-tap-1"})
    assert again.status_code == 200 and again.json()["id"] == bundle["id"], again.text
    mine = api.get("/api/v1/bundles", token=r.access_token).json()["items"]
    assert [b["id"] for b in mine] == [bundle["id"]]
    cases = {c["service_name"]: c for c in bundle["applications"]}
    transfer = cases["不动产转移登记（二手房买卖）"]
    assert next(m for m in transfer["materials"] if m["key"] == "cert")["source"] == "licence"

    # The resident reads one message for the bundle, numbered as a 一件事, its push opening the bundle.
    submitted = eventually(lambda: [m for m in inbox(api, r) if bundle["serial"] in m["text"]])
    assert len(submitted) == 1 and "一件事编号" in submitted[0]["text"] and "办件编号" not in submitted[0]["text"]
    push = eventually(lambda: [p for p in wechat_messages(api, r.openid)
                               if p["data"].get("character_string3", {}).get("value") == bundle["serial"]])[0]
    assert push["page"].partition("?")[0] in APP_PAGES and "bundle" in push["page"]

    # One payment order for the whole bundle, each fee with its payee unit; paid once.
    finance = staff_login(api, role="finance")["access_token"]
    order = api.post(f"/api/v1/staff/bundles/{bundle['id']}/payment", token=finance)
    assert order.status_code == 201, order.text
    order = order.json()
    assert order["raised_via"] == "bundle" and all(i["payee_unit"] and i["item_code"] for i in order["items"])
    fee = next(i for i in order["items"] if i["payee_unit"] == "示例市不动产登记中心")
    err = assert_error(api.post("/api/v1/staff/payments", {"application_id": transfer["id"], "items": [
        {"name": fee["name"] + "\u200b", "amount_fen": fee["amount_fen"]}]}, token=finance), 409, "duplicate_order")
    assert err["details"]["payment_id"] == order["id"]
    confirm_wechat(api, prepay_id(pay_wechat(api, r, order["id"])))
    eventually(lambda: api.get(f"/api/v1/payments/{order['id']}", token=r.access_token).json()["status"] == "paid")
    paid = eventually(lambda: [m for m in inbox(api, r) if m["title"] == "缴费成功"])
    assert len(paid) == 1 and bundle["serial"] in paid[0]["text"]
    shown = api.get("/api/v1/payments", params={"application_id": transfer["id"]}, token=r.access_token).json()
    assert [p["case_note"] for p in shown["items"]] == [f"已通过一件事缴费（一件事编号 {bundle['serial']}）"]

    # Every case: accepted, reviewed, approved, completed (the promised 婚姻状况证明 brought to the window).
    clerk = staff_login(api, role="clerk")["access_token"]
    approver = staff_login(api, role="approver")["access_token"]
    for c in bundle["applications"]:
        seen = api.get(f"/api/v1/staff/applications/{c['id']}", token=clerk).json()
        for m in seen["materials"]:
            if m["source"] == "promised":
                got = api.post(f"/api/v1/staff/applications/{c['id']}/materials/{m['key']}/received", {},
                               token=clerk)
                assert got.status_code == 200, got.text
        for token, to in ((clerk, "accepted"), (clerk, "in_review"), (approver, "approved"), (clerk, "completed")):
            moved = move(api, token, c["id"], to)
            assert moved.status_code == 200, (to, moved.text)
        done = api.get(f"/api/v1/staff/applications/{c['id']}", token=clerk).json()
        assert all(m["review"] for m in done["materials"])  # a completed case's materials are judged

    # The bundle is done and its resident told once (not once per case).
    _advance(api, 120)
    relogin(api, r)
    finished = eventually(lambda: (b := api.get(f"/api/v1/bundles/{bundle['id']}", token=r.access_token).json())
                          ["done"] and b, timeout=30)
    assert finished["status"] == "completed" and {c["status"] for c in finished["applications"]} == {"completed"}
    told = eventually(lambda: [m for m in inbox(api, r) if m["kind"] == "bundle.completed"])
    assert len(told) == 1 and bundle["serial"] in told[0]["text"]
    per_case_done = [m for m in inbox(api, r) if m["kind"] == "case.status_changed" and "已办结" in m["text"]]
    assert per_case_done == []

    # The next day: the bills match, and 清分 credits each fee to its own unit.
    now = _now(api).astimezone(TZ8)
    day = now.date()
    _advance(api, int((dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10, 30), TZ8) - now).total_seconds()))
    finance = staff_login(api, role="finance")["access_token"]
    rep = api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": "wechat"}, token=finance)
    assert rep.status_code == 200 and rep.json()["balanced"] is True, rep.text
    clearing = api.get("/api/v1/staff/clearing", params={"date": day.isoformat()}, token=finance).json()
    credited: dict[str, int] = {}
    for u in clearing["units"]:
        credited[u["name"]] = u["collected_fen"]
    expected: dict[str, Any] = {}
    for i in order["items"]:
        expected[i["payee_unit"]] = expected.get(i["payee_unit"], 0) + i["amount_fen"]
    assert credited == expected and "示例市政务服务中心" not in credited
    assert clearing["unassigned"] == []
