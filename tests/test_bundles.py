"""一件事 through the API: life events with one merged form and material list; a submission creates
its bundle and every case or nothing at all (a failure injected between cases leaves nothing
visible); the merged form reaches every case; one overall status, the resident told once when all
is done; one payment order for the bundle, paid once, its receipt listing each item."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from bson import ObjectId

from backend.core.clock import TZ
from tests.support import Api, AppServer, ResidentHandle, assert_error, make_id_number, new_resident, staff_login
from tests.support_cases import eventually, inbox, move, relogin, service, waive_promises
from tests.support_files import pdf_bytes, uploaded
from tests.support_payments import confirm_wechat, db_find, pay_wechat, prepay_id

BIRTH_SERVICES = ["出生医学证明首次签发", "新生儿入户", "新生儿城乡居民医保参保登记", "新生儿社会保障卡申领"]


def birth_form(**over: Any) -> dict[str, Any]:
    born = dt.datetime.now(TZ).date() - dt.timedelta(days=5)
    return {"baby_name": "张小宝", "baby_gender": "男", "birth_date": born.isoformat(), "birth_hospital": "市第一医院",
            "birth_weight_g": 3250, "mother_name": "李娜", "mother_id_number": make_id_number(), "father_name": "张伟",
            "father_id_number": make_id_number(), "hukou_follow": "随父落户", "hukou_address": "龙沙区卜奎大街 100 号",
            "card_delivery": "邮寄到家", "mailing_address": "龙沙区卜奎大街 100 号 3 单元 501 室",
            "contact_phone": "13800001111", **over}


def apply(api: Api, resident: ResidentHandle, event: str, form: dict[str, Any], materials: list[str]):  # noqa: ANN201
    return api.post(f"/api/v1/life-events/{event}/applications", {"form": form, "materials": materials},
                    token=resident.access_token)


def outbox_of(server: AppServer, user_id: str) -> list[dict[str, Any]]:
    return db_find(server, "outbox", {"user_id": user_id})


def test_life_events_ask_each_field_and_material_once(api: Api) -> None:
    events = {e["id"]: e for e in api.get("/api/v1/life-events").json()["items"]}
    assert {"birth", "housing", "business"} <= set(events)
    birth = api.get("/api/v1/life-events/birth").json()
    assert [s["name"] for s in birth["services"]] == BIRTH_SERVICES
    props = birth["form_schema"]["properties"]
    assert props["baby_name"]["title"] == "新生儿姓名" and len(props["baby_name"]["x-services"]) == 4
    assert props["hukou_follow"]["x-services"] == ["新生儿入户"]
    assert birth["form_schema"]["x-order"][0] == "baby_name"
    assert "mailing_address" not in birth["form_schema"]["required"]
    keys = [m["key"] for m in birth["materials"]]
    assert len(keys) == len(set(keys)) and {"parents_id", "parents_hukou", "birth_info"} <= set(keys)
    assert next(m for m in birth["materials"] if m["key"] == "parents_id")["services"] == [
        "出生医学证明首次签发", "新生儿入户", "新生儿城乡居民医保参保登记"]
    # The 出生医学证明 the first service issues is shared with the others, never asked.
    assert "birth_cert" not in keys
    assert birth["shared_materials"] == [{"key": "birth_cert", "name": "出生医学证明",
                                          "from_service": "出生医学证明首次签发"}]
    assert birth["fee_fen"] == 40000
    business = events["business"]
    assert len(business["services"]) == 5 and "license" not in [m["key"] for m in business["materials"]]
    assert_error(api.get("/api/v1/life-events/moon-landing"), 404, "not_found")
    # The catalogue no longer answers for life events: one owner.
    assert "life_events" not in api.get("/api/v1/services").json()["items"][0]


def test_one_submission_creates_every_case_and_feeds_each_its_fields(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    form = birth_form()
    resp = apply(api, r, "birth", form, ["birth_info", "parents_id", "parents_hukou"])
    assert resp.status_code == 201, resp.text
    b = resp.json()
    assert b["serial"].startswith("YJS") and b["status"] == "submitted" and b["status_name"] == "已提交"
    cases = {c["service_name"]: c for c in b["applications"]}
    assert sorted(cases) == sorted(BIRTH_SERVICES) and all(c["status"] == "submitted" for c in cases.values())
    # Each case got exactly the fields that feed it, with the values typed once.
    spec = {s["name"]: set() for s in api.get("/api/v1/life-events/birth").json()["services"]}
    for key, prop in api.get("/api/v1/life-events/birth").json()["form_schema"]["properties"].items():
        for name in prop["x-services"]:
            spec[name].add(key)
    for name, case in cases.items():
        assert set(case["form"]) == spec[name], name
        assert all(case["form"][k] == form[k] for k in case["form"])
    assert cases["新生儿入户"]["form"]["hukou_follow"] == "随父落户"
    assert "hukou_follow" not in cases["新生儿城乡居民医保参保登记"]["form"]
    # The shared 出生医学证明 counts as provided for the services that need it.
    hukou = {m["key"]: m["provided"] for m in cases["新生儿入户"]["materials"]}
    assert hukou["birth_cert"] is True and hukou["parents_id"] is True
    assert cases["新生儿入户"]["timeline"][0]["note"] == f"“新生儿出生一件事”一并申报（一件事编号 {b['serial']}）"
    # The resident's lists: the bundle once, its four cases.
    mine = api.get("/api/v1/applications", token=r.access_token).json()["items"]
    assert {c["id"] for c in mine} == {c["id"] for c in cases.values()}
    listed = api.get("/api/v1/bundles", token=r.access_token).json()["items"]
    assert [x["id"] for x in listed] == [b["id"]]
    one = api.get(f"/api/v1/bundles/{b['id']}", token=r.access_token).json()
    assert [c["status"] for c in one["cases"]] == ["submitted"] * 4 and one["done"] is False
    # One name for the bundle's cases, in the answer that made them and when it is read.
    assert [c["id"] for c in one["applications"]] == [c["id"] for c in b["applications"]]
    assert one["cases"] == one["applications"] and listed[0]["applications"] == one["applications"]
    assert [m["payload"]["serial"] for m in outbox_of(server, r.id) if m["kind"] == "bundle.submitted"] == [b["serial"]]
    other = new_resident(api, verified=True)
    assert_error(api.get(f"/api/v1/bundles/{b['id']}", token=other.access_token), 404, "not_found")


def test_the_form_and_materials_are_checked_before_anything_is_written(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    err = assert_error(apply(api, r, "birth", birth_form(contact_phone="12345", baby_gender="未知"),
                             ["birth_info", "parents_id", "parents_hukou"]), 400, "invalid_input")
    assert set(err["details"]["fields"]) == {"form.contact_phone", "form.baby_gender"}
    err = assert_error(apply(api, r, "birth", {k: v for k, v in birth_form().items() if k != "baby_name"},
                             ["birth_info", "parents_id", "parents_hukou"]), 400, "invalid_input")
    assert err["details"]["fields"] == {"form.baby_name": "必填"}
    err = assert_error(apply(api, r, "birth", birth_form(), ["birth_info"]), 400, "invalid_input")
    assert "父母双方居民身份证" in err["details"]["fields"]["materials"]
    assert_error(apply(api, r, "birth", birth_form(), ["birth_info", "parents_id", "parents_hukou", "birth_cert"]),
                 400, "invalid_input")
    assert_error(apply(api, new_resident(api), "birth", birth_form(), ["birth_info"]), 403, "realname_required")
    assert api.get("/api/v1/applications", token=r.access_token).json()["items"] == []
    assert outbox_of(server, r.id) == []


def test_a_failure_between_cases_leaves_nothing_visible(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    bundles = server.ctx.service("bundles")

    async def fail_after_second(i: int) -> None:
        if i == 1:
            raise RuntimeError("injected failure between the second and third case")
    bundles.between_cases = fail_after_second
    try:
        resp = apply(api, r, "birth", birth_form(), ["birth_info", "parents_id", "parents_hukou"])
    finally:
        bundles.between_cases = None
    assert_error(resp, 500, "internal_error")
    # Nothing of it anywhere: no case, no bundle, no message.
    assert api.get("/api/v1/applications", token=r.access_token).json()["items"] == []
    assert api.get("/api/v1/bundles", token=r.access_token).json()["items"] == []
    assert db_find(server, "cases", {"applicant_id": r.id}) == []
    assert db_find(server, "bundles", {"user_id": r.id}) == []
    assert outbox_of(server, r.id) == []
    # The same submission without the failure creates all of it.
    ok = apply(api, r, "birth", birth_form(), ["birth_info", "parents_id", "parents_hukou"])
    assert ok.status_code == 201 and len(ok.json()["applications"]) == 4
    assert len(db_find(server, "cases", {"applicant_id": r.id})) == 4


def _finish(api: Api, case_id: str, outcome: str = "completed", *, accepted: bool = False) -> None:
    clerk = staff_login(api, role="clerk")["access_token"]
    approver = staff_login(api, role="approver")["access_token"]
    if outcome == "rejected":
        assert move(api, clerk, case_id, "rejected", reason="不符合受理条件").status_code == 200
        return
    steps = ((clerk, "accepted"), (clerk, "in_review"), (approver, "approved"), (clerk, "completed"))
    for token, to in steps[1:] if accepted else steps:
        # promised (容缺) materials left missing are waived with the clerk's reason
        r = move(api, token, case_id, to, **waive_promises(to))
        assert r.status_code == 200, r.text


HOUSING = {"property_cert_no": "黑（2020）齐齐哈尔市不动产权第0012345号",
           "property_address": "龙沙区明月花园 5 号楼 2 单元 301 室",
           "floor_area": "89.36", "deal_price_yuan": 560000, "contract_no": "CLF2026112900123", "seller_name": "王芳",
           "buyer_name": "刘洋", "buyer_first_home": "是", "buyer_share": "单独所有", "water_account": "SW0012345",
           "contact_phone": "13900002222"}


def test_one_overall_status_and_the_resident_told_once_when_all_is_done(api: Api, server: AppServer,
                                                                        clock) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    form = {**HOUSING, "seller_id_number": make_id_number(), "buyer_id_number": make_id_number()}
    b = apply(api, r, "housing", form, ["ids", "cert", "contract"]).json()
    ids = [c["id"] for c in b["applications"]]
    assert len(ids) == 3

    def status() -> dict[str, Any]:
        return api.get(f"/api/v1/bundles/{b['id']}", token=relogin(api, r).access_token).json()
    clerk = staff_login(api, role="clerk")["access_token"]
    assert move(api, clerk, ids[0], "accepted").status_code == 200
    assert status()["status"] == "in_progress"
    assert move(api, clerk, ids[1], "correction_requested", missing=["婚姻状况证明"]).status_code == 200
    assert status()["status"] == "correction_requested" and status()["status_name"] == "待补正"
    bundles = server.ctx.service("bundles")
    _finish(api, ids[0], accepted=True)
    api.post(f"/api/v1/applications/{ids[1]}/resubmit", {"note": "已补婚姻状况证明"},
             token=relogin(api, r).access_token)
    _finish(api, ids[1])
    clock.advance(seconds=61)
    server.run(bundles.watch())
    assert status()["done"] is False
    assert not [m for m in outbox_of(server, r.id) if m["kind"] == "bundle.completed"]
    _finish(api, ids[2], "rejected")
    clock.advance(seconds=61)
    assert server.run(bundles.watch()) == 1
    assert server.run(bundles.watch()) == 0
    done = status()
    assert done["status"] == "partly_completed" and done["done"] is True and done["done_at"]
    assert [c["status"] for c in done["cases"]] == ["completed", "completed", "rejected"]
    told = [m for m in outbox_of(server, r.id) if m["kind"] == "bundle.completed"]
    assert len(told) == 1 and told[0]["payload"]["status"] == "partly_completed"
    words = eventually(lambda: [m for m in inbox(api, relogin(api, r)) if m["title"] == "“一件事”已办结"])
    assert "其中部分事项未办结" in words[0]["text"]


def _fee_event(api: Api) -> str:
    """A life event of our own whose two services carry fees (不动产转移登记 80 元, 补证 10 元)."""
    mgr = staff_login(api, role="hall_manager")["access_token"]
    event_id = "t-" + uuid.uuid4().hex[:8]
    body = {"name": "房产过户补证一件事", "summary": "测试用主题", "services": [
        {"service_id": service(api, "BDC-ZY")["id"], "fields": ["property_address", "contact_phone"]},
        {"service_id": service(api, "BDC-BF")["id"], "fields": ["property_address", "contact_phone"]}],
        "form": [{"key": "property_address", "label": "房屋坐落", "type": "string", "required": True},
                 {"key": "contact_phone", "label": "联系电话", "type": "phone", "required": True}]}
    assert_error(api.request("PUT", f"/api/v1/staff/life-events/{event_id}", token=staff_login(api, role="finance")[
        "access_token"], json_body=body), 403, "forbidden")
    bad = {**body, "services": [{**body["services"][0], "fields": ["property_address", "nowhere"]}]}
    assert_error(api.request("PUT", f"/api/v1/staff/life-events/{event_id}", token=mgr, json_body=bad), 400,
                 "invalid_input")
    r = api.request("PUT", f"/api/v1/staff/life-events/{event_id}", token=mgr, json_body=body)
    assert r.status_code == 200, r.text
    assert r.json()["fee_fen"] == 9000
    return event_id


def test_one_payment_order_for_the_bundle_paid_once_with_each_item_on_the_receipt(api: Api,
                                                                                  server: AppServer) -> None:
    event_id = _fee_event(api)
    r = new_resident(api, verified=True)
    b = apply(api, r, event_id,
              {"property_address": "建华区新明大街 28 号 1 单元 602 室", "contact_phone": "13700003333"},
              ["ids", "cert", "contract", "tax", "id_card", "notice"])
    assert b.status_code == 201, b.text
    b = b.json()
    finance = staff_login(api, role="finance")["access_token"]
    assert_error(api.post(f"/api/v1/staff/bundles/{b['id']}/payment", token=staff_login(api, role="clerk")[
        "access_token"]), 403, "forbidden")
    order = api.post(f"/api/v1/staff/bundles/{b['id']}/payment", token=finance)
    assert order.status_code == 201, order.text
    order = order.json()
    assert order["amount_fen"] == 9000 and order["serial"] == b["serial"]
    assert order["service_name"] == "房产过户补证一件事"
    assert [i["amount_fen"] for i in order["items"]] == [8000, 1000]
    # Once: a second order for the same bundle is refused while this one is open.
    err = assert_error(api.post(f"/api/v1/staff/bundles/{b['id']}/payment", token=finance), 409,
                       "bundle_payment_exists")
    assert err["details"]["payment_id"] == order["id"]
    found = api.get("/api/v1/staff/bundles", params={"serial": b["serial"]}, token=finance).json()["items"]
    assert found[0]["payment"]["id"] == order["id"]

    pay = pay_wechat(api, r, order["id"])
    confirm_wechat(api, prepay_id(pay))
    eventually(lambda: api.get(f"/api/v1/payments/{order['id']}", token=r.access_token).json()["status"] == "paid")
    assert api.post("/sandbox/wechatpay/resend", {"prepay_id": prepay_id(pay)}).status_code == 200
    receipts = eventually(lambda: db_find(server, "receipts", {"payment_id": ObjectId(order["id"])}))
    assert len(receipts) == 1
    paid = api.get(f"/api/v1/payments/{order['id']}", token=r.access_token).json()
    receipt = api.get(f"/api/v1/receipts/{paid['receipt_id']}", token=r.access_token).json()
    assert [(i["name"], i["amount_fen"]) for i in receipt["items"]] == [("住宅登记费", 8000), ("证书工本费", 1000)]
    assert [(i["item_code"], i["payee_unit"], i["unit_code"]) for i in paid["items"]] == [
        ("103044606002", "示例市不动产登记中心", "110101005"), ("103044606003", "示例市不动产登记中心", "110101005")]
    assert receipt["amount_fen"] == 9000
    mine = api.get(f"/api/v1/bundles/{b['id']}", token=r.access_token).json()["payment"]
    assert mine["status"] == "paid" and mine["receipt_id"] == paid["receipt_id"]
    assert_error(api.post(f"/api/v1/staff/bundles/{b['id']}/payment", token=finance), 409, "bundle_payment_exists")
    assert len(db_find(server, "payments", {"bundle_id": b["id"]})) == 1


def test_a_bundle_without_fees_has_nothing_to_pay(api: Api) -> None:
    r = new_resident(api, verified=True)
    form = {"company_name": "齐齐哈尔市鹤城餐饮有限公司", "company_type": "有限责任公司（自然人独资）",
            "registered_capital_wan": 50, "business_scope": "餐饮服务；食品销售",
            "company_address": "建华区新明大街 28 号",
            "legal_rep_name": "赵敏", "legal_rep_id_number": make_id_number(), "seal_count": 3, "invoice_needed": "是",
            "staff_count": 6, "contact_phone": "13600004444"}
    b = apply(api, r, "business", form, ["application", "articles", "shareholders", "legal_id"])
    assert b.status_code == 201, b.text
    assert len(b.json()["applications"]) == 5
    finance = staff_login(api, role="finance")["access_token"]
    assert_error(api.post(f"/api/v1/staff/bundles/{b.json()['id']}/payment", token=finance), 409, "nothing_to_pay")


@pytest.mark.parametrize("event", ["birth", "housing", "business"])
def test_every_seeded_form_is_complete_chinese(api: Api, event: str) -> None:
    e = api.get(f"/api/v1/life-events/{event}").json()
    assert e["summary"] and all(p["title"] for p in e["form_schema"]["properties"].values())
    assert all(m["name"] for m in e["materials"]) and all(s["department_name"] for s in e["services"])


def test_a_material_uploaded_once_reaches_every_case_that_needs_it(api: Api) -> None:
    r = new_resident(api, verified=True)
    scan = uploaded(api, r, pdf_bytes("parents ID cards"), name="ids.pdf", content_type="application/pdf")
    resp = api.post("/api/v1/life-events/birth/applications",
                    {"form": birth_form(), "materials": ["birth_info", "parents_hukou"],
                     "attachments": [{"material_key": "parents_id", "file_id": scan["id"]}]}, token=r.access_token)
    assert resp.status_code == 201, resp.text
    needing = {"出生医学证明首次签发", "新生儿入户", "新生儿城乡居民医保参保登记"}
    for case in resp.json()["applications"]:
        given = {m["key"]: m for m in case["materials"]}.get("parents_id")
        if case["service_name"] in needing:
            assert given["provided"] is True and given["file_ids"] == [scan["id"]], case["service_name"]
        else:
            assert given is None, case["service_name"]


def test_a_renamed_service_is_named_so_in_the_life_events_form(make_server) -> None:  # noqa: ANN001
    srv = make_server()
    api = Api(srv.base)
    mgr = staff_login(api, role="hall_manager")["access_token"]
    birth = api.get("/api/v1/life-events/birth").json()
    assert birth["form_schema"]["properties"]["hukou_follow"]["x-services"] == ["新生儿入户"]
    sid = next(s["service_id"] for s in birth["services"] if s["name"] == "新生儿入户")
    r = api.patch(f"/api/v1/staff/services/{sid}", {"name": "新生儿户口登记"}, token=mgr)
    assert r.status_code == 200, r.text

    def renamed() -> bool:
        props = api.get("/api/v1/life-events/birth").json()["form_schema"]["properties"]
        return props["hukou_follow"]["x-services"] == ["新生儿户口登记"]
    eventually(renamed)
