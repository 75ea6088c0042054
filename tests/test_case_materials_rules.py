"""The rules of case materials where they meet other domains, through HTTP:

- a correction (补正) asks for something new: the rejected file again is a 400 naming the material,
  and what it replaced stays in the material's history with the rejection and its reason;
- licences wherever materials are asked: 一件事 accepts the licence the stand-alone service accepts,
  every demo material the library can hold names its type, and an agent gives the grantor's;
- staff read how each material was given (file, licence, declared online, shared, promised), a
  bundle case's form with its labels and masked ID numbers, and an approval's final judgement;
- 容缺 promises: a due date in working days, one reminder, staff's open and overdue lists, 409
  ``promise_open`` at completion unless a clerk says why, kept by supplying the material later.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.support import (
    Api,
    AppServer,
    ResidentHandle,
    assert_error,
    fetch_licences,
    make_id_number,
    new_resident,
    staff_login,
)
from tests.support_cases import eventually, inbox, move, relogin, service
from tests.support_files import pdf_bytes, uploaded

TZ8 = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def staff(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver")}


def _licence(api: Api, resident: ResidentHandle, type_: str) -> dict:
    assert api.post("/sandbox/licences", {"id_number": resident.id_number, "type": type_}).status_code == 201
    r = fetch_licences(api, resident, {"purpose": "application"})
    assert r.status_code == 200, r.text
    return next(x for x in r.json()["items"] if x["type"] == type_ and x["status"] == "valid")


def _staff_case(api: Api, token: str, case_id: str) -> dict:
    r = api.get(f"/api/v1/staff/applications/{case_id}", token=token)
    assert r.status_code == 200, r.text
    return r.json()


def _material(case: dict, key: str) -> dict:
    return next(m for m in case["materials"] if m["key"] == key)


def test_a_correction_must_supply_something_not_already_rejected(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    id_card = _licence(api, r, "id_card")
    notice = uploaded(api, r, pdf_bytes("Lost notice"), name="遗失声明.pdf", content_type="application/pdf")
    svc = service(api, "BDC-BF")
    case = api.post("/api/v1/applications", {
        "service_id": svc["id"], "form": {}, "licences": [{"material_key": "id_card", "licence_id": id_card["id"]}],
        "attachments": [{"material_key": "notice", "file_id": notice["id"]}]}, token=r.access_token).json()
    path = f"/api/v1/staff/applications/{case['id']}"
    assert api.post(f"{path}/materials/notice/review", {"verdict": "rejected", "reason": "未见报刊名称和日期"},
                    token=staff["clerk"]).status_code == 200
    assert move(api, staff["clerk"], case["id"], "correction_requested").status_code == 200

    resubmit = f"/api/v1/applications/{case['id']}/resubmit"
    same = {"attachments": [{"material_key": "notice", "file_id": notice["id"]}]}
    err = assert_error(api.post(resubmit, same, token=r.access_token), 400, "invalid_input")
    assert "遗失声明" in str(err) and err["details"]["reason"] == "already_rejected"
    err = assert_error(api.post(resubmit, {"materials": ["notice"]}, token=r.access_token), 400, "invalid_input")
    assert "遗失声明" in str(err)  # a tick is not a new material
    assert api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()["status"] == \
        "correction_requested"  # nothing changed

    second = uploaded(api, r, pdf_bytes("Lost notice, with the paper's name"), name="遗失声明（报刊）.pdf",
                      content_type="application/pdf")
    back = api.post(resubmit, {"attachments": [{"material_key": "notice", "file_id": second["id"]}]},
                    token=r.access_token)
    assert back.status_code == 200, back.text
    seen = _material(_staff_case(api, staff["clerk"], case["id"]), "notice")
    assert seen["source"] == "file" and seen["review"] is None and seen["file_ids"] == [second["id"]]
    (old,) = seen["history"]
    assert old["files"][0]["name"] == "遗失声明.pdf" and old["file_ids"] == [notice["id"]]
    assert old["review"]["status"] == "rejected" and old["review"]["reason"] == "未见报刊名称和日期"
    assert old["review"]["by"]["name"] and old["replaced_at"]
    assert _material(_staff_case(api, staff["clerk"], case["id"]), "id_card")["source"] == "licence"


def test_every_demo_material_the_library_holds_names_its_type(api: Api) -> None:
    services = {s["code"]: s for s in api.get("/api/v1/services").json()["items"]}

    def types(code: str) -> dict[str, str | None]:
        return {m["key"]: m.get("licence_type") for m in services[code]["guide"]["materials"]}
    assert types("SB-XSESBK")["birth_cert"] == "birth_cert" and types("SB-XSESBK")["parents_hukou"] == "hukou"
    assert types("YB-XSE")["birth_cert"] == "birth_cert"
    assert types("SW-CLF")["cert"] == "property"
    for code in ("GA-YZ", "GJJ-DWJC", "SB-DWCB", "SW-XBNS"):
        assert types(code)["license"] == "business_licence", code
    housing = api.get("/api/v1/life-events/housing").json()
    assert next(m for m in housing["materials"] if m["key"] == "cert")["licence_type"] == "property"


def test_a_bundle_takes_the_licence_and_staff_read_it_truly(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    cert = _licence(api, r, "property")
    seller_id = make_id_number()
    form = {"property_cert_no": "黑（2020）齐齐哈尔市不动产权第0012345号", "property_address": "龙沙区卜奎大街 1 号",
            "floor_area": "89.5", "deal_price_yuan": 600000, "contract_no": "WQ2026000123", "seller_name": "李四",
            "seller_id_number": seller_id, "buyer_name": "王五", "buyer_id_number": make_id_number(),
            "buyer_first_home": "是", "buyer_share": "单独所有", "contact_phone": "13800001234"}
    made = api.post("/api/v1/life-events/housing/applications", {
        "form": form, "materials": ["ids", "contract"],
        "licences": [{"material_key": "cert", "licence_id": cert["id"]}]}, token=r.access_token)
    assert made.status_code == 201, made.text
    cases = {a["service_name"]: a["id"] for a in made.json()["applications"]}
    tax_case = _staff_case(api, staff["clerk"], cases["存量房交易税费申报（契税、个人所得税）"])
    transfer = _staff_case(api, staff["clerk"], cases["不动产转移登记（二手房买卖）"])
    for c in (tax_case, transfer):
        given = _material(c, "cert")
        assert given["source"] == "licence" and given["licence"]["number"] == cert["number"]
        assert _material(c, "ids")["source"] == "declared"  # ticked online, nothing uploaded
    tax = _material(transfer, "tax")
    assert tax["source"] == "shared" and tax["shared_from"] == "存量房交易税费申报（契税、个人所得税）"
    assert _material(transfer, "marriage")["source"] == "promised"
    labels = {f["key"]: f["label"] for f in transfer["form_fields"]}
    assert labels["seller_id_number"] == "卖方身份证号" and labels["deal_price_yuan"] == "成交价格（元）"
    assert set(transfer["form"]) <= set(labels)  # every row has its Chinese label
    assert transfer["form"]["seller_id_number"] == seller_id[:4] + "*" * 10 + seller_id[-4:]
    assert seller_id not in str(transfer)


def test_an_agent_gives_the_grantors_licence(api: Api) -> None:
    grantor, agent, other = (new_resident(api, verified=True) for _ in range(3))
    id_card, hukou = _licence(api, grantor, "id_card"), _licence(api, grantor, "hukou")
    svc = service(api, "SB-YL")
    grant = api.post("/api/v1/me/authorizations", {"grantee": {"type": "resident", "id_number": agent.id_number},
                                                   "service_ids": [svc["id"]], "days": 7},
                     token=grantor.access_token).json()
    path = f"/api/v1/me/authorizations/received/{grant['id']}/licences"
    held = api.get(path, token=agent.access_token)
    assert held.status_code == 200, held.text
    assert {x["id"] for x in held.json()["items"]} >= {id_card["id"], hukou["id"]}
    assert all("*" in x["holder_masked"] for x in held.json()["items"])
    assert_error(api.get(path, token=other.access_token), 404, "not_found")  # another's grant: not found
    case = api.post("/api/v1/applications", {
        "service_id": svc["id"], "form": {}, "on_behalf_of": grant["id"],
        "licences": [{"material_key": "id_card", "licence_id": id_card["id"]},
                     {"material_key": "hukou", "licence_id": hukou["id"]}]}, token=agent.access_token)
    assert case.status_code == 201, case.text
    assert {m["source"] for m in case.json()["materials"]} == {"licence"}
    assert api.post(f"/api/v1/me/authorizations/{grant['id']}/revoke", token=grantor.access_token).status_code == 200
    assert_error(api.get(path, token=agent.access_token), 403, "authorization_required")


def test_an_approval_is_every_materials_final_judgement(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    svc = service(api, "SB-YL")
    case = api.post("/api/v1/applications", {"service_id": svc["id"], "form": {}, "materials": ["id_card", "hukou"]},
                    token=r.access_token).json()
    assert api.post(f"/api/v1/staff/applications/{case['id']}/materials/id_card/review", {"verdict": "accepted"},
                    token=staff["clerk"]).status_code == 200
    for token, to in ((staff["clerk"], "accepted"), (staff["clerk"], "in_review"), (staff["approver"], "approved"),
                      (staff["clerk"], "completed")):
        assert move(api, token, case["id"], to).status_code == 200
    done = _staff_case(api, staff["clerk"], case["id"])
    reviews = {m["key"]: m["review"] for m in done["materials"]}
    assert reviews["id_card"]["status"] == "accepted" and not reviews["id_card"].get("implied")
    assert reviews["hukou"]["status"] == "accepted" and reviews["hukou"]["implied"] is True


def test_promises_are_due_reminded_listed_and_block_completion(api: Api, server: AppServer,
                                                               staff: dict[str, str]) -> None:
    """Last in the module: it moves the clock past the promise's due date."""
    r = new_resident(api, verified=True)
    svc = service(api, "HJ-QIANRU")
    made = [api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"reason": "投靠配偶"},
                                              "materials": ["id_card", "hukou", "relation"]},
                     token=r.access_token).json() for _ in range(2)]
    kept, waived = made
    housing = _material(kept, "housing")
    assert housing["source"] == "promised" and housing["promise"]["status"] == "open"
    submitted = dt.datetime.fromisoformat(kept["created_at"]).astimezone(TZ8).date()
    due = dt.datetime.fromisoformat(housing["promise"]["due"]).astimezone(TZ8)
    assert due.time() == dt.time(23, 59, 59) and (due.date() - submitted).days >= 12  # 10 working days
    listed = api.get("/api/v1/staff/applications", params={"promise": "open"}, token=staff["clerk"]).json()
    assert {kept["id"], waived["id"]} <= {c["id"] for c in listed["items"]}
    overdue = api.get("/api/v1/staff/applications", params={"promise": "overdue"}, token=staff["clerk"]).json()
    assert kept["id"] not in {c["id"] for c in overdue["items"]}

    def reminders() -> list[dict]:
        return [m for m in inbox(api, r) if m["title"] == "请按承诺补齐材料"]
    assert reminders() == []
    now = dt.datetime.fromisoformat(api.get("/api/v1/time").json()["now"])
    assert api.post("/sandbox/clock", {"advance_seconds": int((due - now).total_seconds()) + 3600}).status_code == 200
    relogin(api, r)
    clerk = staff_login(api, role="clerk")["access_token"]
    approver = staff_login(api, role="approver")["access_token"]
    eventually(lambda: len(reminders()) == 2, timeout=30)
    text = reminders()[0]["text"]
    assert "合法稳定住所证明" in text and "补交" in text and "前" in text
    overdue = api.get("/api/v1/staff/applications", params={"promise": "overdue"}, token=clerk).json()
    assert {kept["id"], waived["id"]} <= {c["id"] for c in overdue["items"]}
    assert _material(_staff_case(api, clerk, kept["id"]), "housing")["promise"]["overdue"] is True

    for c in made:
        for token, to in ((clerk, "accepted"), (clerk, "in_review"), (approver, "approved")):
            assert move(api, token, c["id"], to).status_code == 200
    err = assert_error(move(api, clerk, kept["id"], "completed"), 409, "promise_open")
    assert err["details"]["materials"] == ["合法稳定住所证明"]

    deed = uploaded(api, r, pdf_bytes("Tenancy record"), name="租赁备案.pdf", content_type="application/pdf")
    supplied = api.post(f"/api/v1/applications/{kept['id']}/materials",
                        {"attachments": [{"material_key": "housing", "file_id": deed["id"]}]}, token=r.access_token)
    assert supplied.status_code == 200, supplied.text
    assert_error(api.post(f"/api/v1/applications/{kept['id']}/materials",
                          {"attachments": [{"material_key": "hukou", "file_id": deed["id"]}]}, token=r.access_token),
                 400, "invalid_input")  # only a promised material
    got = _material(_staff_case(api, clerk, kept["id"]), "housing")
    assert got["source"] == "file" and got["promise"]["status"] == "kept"
    assert move(api, clerk, kept["id"], "completed").status_code == 200

    done = move(api, clerk, waived["id"], "completed", promise_reason="申请人已到窗口出示房产证原件，经核验无误")
    assert done.status_code == 200, done.text
    promise = _material(done.json(), "housing")["promise"]
    assert promise["status"] == "waived" and promise["waiver_reason"].startswith("申请人已到窗口")
    overdue = api.get("/api/v1/staff/applications", params={"promise": "overdue"}, token=clerk).json()
    assert not {kept["id"], waived["id"]} & {c["id"] for c in overdue["items"]}
    audit = api.get("/api/v1/staff/audit", params={"target_id": waived["id"], "action": "case.completed"},
                    token=staff_login(api, role="supervisor")["access_token"])
    assert audit.status_code == 200, audit.text
    (entry,) = audit.json()["items"]
    assert entry["details"]["promise_reason"].startswith("申请人已到窗口")
    assert entry["details"]["promise_waived"] == ["housing"]
