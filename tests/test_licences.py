"""E-licences and case materials through the API: a licence issued on completion verifies, a
tampered one does not, a revoked or expired one verifies as such; the e-licence library is asked
only for a verified resident's own ID number and every fetch is recorded; licences stand in for
materials (an application satisfied by licences needs no upload); staff judge materials and the
correction names them; resubmission attaches new files to them."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from bson import ObjectId

from tests.support import (
    Api,
    AppServer,
    ResidentHandle,
    assert_error,
    at_window_start,
    fetch_licences,
    new_resident,
    staff_login,
)
from tests.support_cases import move, service
from tests.support_files import jpeg_bytes, uploaded


@pytest.fixture(scope="module")
def staff(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver", "finance")}


def give(api: Api, resident: ResidentHandle, type_: str, **extra: str) -> dict:
    r = api.post("/sandbox/licences", {"id_number": resident.id_number, "type": type_, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def refresh(api: Api, resident: ResidentHandle, **body: str) -> list[dict]:
    r = fetch_licences(api, resident, {"purpose": "wallet", **body})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def complete(api: Api, staff: dict[str, str], case_id: str) -> dict:
    for token, to in ((staff["clerk"], "accepted"), (staff["clerk"], "in_review"), (staff["approver"], "approved"),
                      (staff["clerk"], "completed")):
        # a tolerable material left missing (容缺) is waived with the clerk's reason
        r = move(api, token, case_id, to, **({"promise_reason": "经营场所已现场核验"} if to == "completed" else {}))
        assert r.status_code == 200, r.text
    return r.json()


def issued_licence(api: Api, staff: dict[str, str]) -> tuple[ResidentHandle, dict]:
    """A resident whose 个体工商户设立登记 was completed, and the business licence it issued."""
    r = new_resident(api, verified=True)
    svc = service(api, "SC-GTH")
    case = api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"name": "张记早点铺"},
                                             "materials": ["id_card"]}, token=r.access_token)
    assert case.status_code == 201, case.text
    complete(api, staff, case.json()["id"])
    items = api.get("/api/v1/me/licences", token=r.access_token).json()["items"]
    assert len(items) == 1
    return r, items[0]


def verify(api: Api, number: str, check: str, ip: str = "198.51.100.7"):  # noqa: ANN201
    return api.get("/api/v1/licences/verify", params={"number": number, "check": check},
                   headers={"X-Forwarded-For": ip})


def test_a_licence_issued_on_completion_verifies(api: Api, staff: dict[str, str]) -> None:
    r, lic = issued_licence(api, staff)
    assert lic["type"] == "business_licence" and lic["name"] == "营业执照（个体工商户）"
    assert lic["status"] == "valid" and lic["source"] == "issued" and lic["expires_at"] is None
    assert lic["holder_masked"] == r.name[0] + "*" * (len(r.name) - 1) and lic["issuer"] == "市市场监督管理局"
    assert lic["number"].startswith("YYZZ")
    got = verify(api, lic["number"], lic["check_code"])
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["valid"] is True and body["status"] == "valid" and body["name"] == lic["name"]
    assert lic["verify_url"].endswith(f"/verify/licence?number={lic['number']}&check={lic['check_code']}")
    assert_error(verify(api, lic["number"], "000000"), 404, "not_found")
    assert_error(verify(api, "YYZZ2099000001", lic["check_code"]), 404, "not_found")
    # The PDF: the licence's fields, the QR's address, the signature.
    from pypdf import PdfReader
    pdf = api.get(f"/api/v1/me/licences/{lic['id']}/pdf", token=r.access_token)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert lic["number"] in text and "营业执照" in text and lic["check_code"] in text
    # Only the holder sees it.
    other = new_resident(api, verified=True)
    for path in (f"/api/v1/me/licences/{lic['id']}", f"/api/v1/me/licences/{lic['id']}/pdf"):
        assert_error(api.get(path, token=other.access_token), 404, "not_found")
    assert api.get("/api/v1/me/licences", token=other.access_token).json()["items"] == []


def test_the_signature_checks_offline_with_the_published_key(api: Api, server: AppServer,
                                                             staff: dict[str, str]) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from backend.core.signing import canonical, verify_signature
    _, lic = issued_licence(api, staff)
    key = api.get("/api/v1/licences/public-key").json()
    doc = server.run(server.ctx.db["licences"].find_one({"_id": ObjectId(lic["id"])}))
    assert verify_signature(load_pem_public_key(key["public_key_pem"].encode()), canonical(doc["content"]),
                            doc["signature"])


def test_a_tampered_licence_does_not_verify(api: Api, server: AppServer, staff: dict[str, str]) -> None:
    _, lic = issued_licence(api, staff)
    # A holder no masked name can be (a mask keeps one character), and an expiry added.
    changed = server.run(server.ctx.db["licences"].update_one(
        {"_id": ObjectId(lic["id"])}, {"$set": {"content.holder": "伪造人*", "content.expires_at": "2099-12-31"}}))
    assert changed.modified_count == 1
    body = verify(api, lic["number"], lic["check_code"]).json()
    assert body == {"valid": False, "status": "invalid", "number": lic["number"]}


def test_a_revoked_licence_verifies_as_revoked(api: Api, staff: dict[str, str]) -> None:
    r, lic = issued_licence(api, staff)
    assert_error(api.post(f"/api/v1/staff/licences/{lic['id']}/revoke", {"reason": "登记事项有误"},
                          token=staff["clerk"]), 403, "forbidden")
    done = api.post(f"/api/v1/staff/licences/{lic['id']}/revoke", {"reason": "登记事项有误，依申请撤销"},
                    token=staff["approver"])
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    body = verify(api, lic["number"], lic["check_code"]).json()
    assert body["valid"] is False and body["status"] == "revoked" and body["number"] == lic["number"]
    assert api.get(f"/api/v1/me/licences/{lic['id']}", token=r.access_token).json()["status"] == "revoked"
    assert_error(api.post(f"/api/v1/staff/licences/{lic['id']}/revoke", {"reason": "再次撤销"},
                          token=staff["approver"]), 409, "invalid_state")


def test_one_licence_per_case_with_gap_free_numbers(api: Api, staff: dict[str, str]) -> None:
    _, a = issued_licence(api, staff)
    _, b = issued_licence(api, staff)
    assert int(b["number"][-6:]) == int(a["number"][-6:]) + 1


def test_the_library_is_asked_only_for_a_verified_residents_own_number_and_each_fetch_is_recorded(
        api: Api) -> None:
    unverified = new_resident(api)
    assert_error(api.post("/api/v1/me/licences/refresh", {"purpose": "wallet"}, token=unverified.access_token),
                 403, "realname_required")
    r = new_resident(api, verified=True)
    other = new_resident(api, verified=True)
    give(api, r, "id_card")
    give(api, r, "hukou")
    give(api, other, "marriage")
    items = refresh(api, r)
    assert sorted(i["type"] for i in items) == ["hukou", "id_card"]
    assert all(i["source"] == "library" and i["status"] == "valid" and i["issuer"] == "市公安局" for i in items)
    svc = service(api, "SB-YL")
    refresh(api, r, purpose="application", service_id=svc["id"])
    assert len(refresh(api, r)) == 2  # fetched again: the same two, not copies
    seen = api.get("/sandbox/licences/queries", params={"id_number": r.id_number}).json()["items"]
    assert [q["purpose"] for q in seen] == ["查看本人电子证照", "申办事项时使用电子证照：城乡居民养老保险参保登记",
                                            "查看本人电子证照"]
    assert {q["requester"] for q in seen} == {r.id}
    assert api.get("/sandbox/licences/queries", params={"id_number": other.id_number}).json()["count"] == 0
    log = api.get("/api/v1/me/licences/fetches", token=r.access_token).json()["items"]
    assert [(x["purpose"], x["count"], x["outcome"]) for x in log] == [("wallet", 2, "ok"), ("application", 2, "ok"),
                                                                      ("wallet", 2, "ok")]
    assert log[1]["service_name"] == "城乡居民养老保险参保登记"


def test_library_licences_expired_or_revoked_there_show_as_such(api: Api) -> None:
    r = new_resident(api, verified=True)
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)).isoformat(timespec="seconds")
    old = give(api, r, "id_card", expires_at=past)
    give(api, r, "marriage", status="revoked")
    items = {i["type"]: i for i in refresh(api, r)}
    assert items["id_card"]["status"] == "expired" and items["marriage"]["status"] == "revoked"
    body = verify(api, old["number"], items["id_card"]["check_code"]).json()
    assert body["valid"] is False and body["status"] == "expired"


def test_an_application_satisfied_by_licences_needs_no_upload(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    give(api, r, "id_card")
    give(api, r, "hukou")
    held = {i["type"]: i for i in refresh(api, r)}
    svc = service(api, "SB-YL")
    assert {m["key"]: m["licence_type"] for m in svc["guide"]["materials"]} == {"id_card": "id_card", "hukou": "hukou"}
    before = server.run(server.ctx.db["files"].count_documents({"owner_id": r.id}))
    resp = api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"note": "参保"}, "licences": [
        {"material_key": "id_card", "licence_id": held["id_card"]["id"]},
        {"material_key": "hukou", "licence_id": held["hukou"]["id"]}]}, token=r.access_token)
    assert resp.status_code == 201, resp.text
    mats = {m["key"]: m for m in resp.json()["materials"]}
    for key in ("id_card", "hukou"):
        assert mats[key]["provided"] and mats[key]["source"] == "licence" and mats[key]["file_ids"] == []
        assert mats[key]["licence_id"] == held[key]["id"] and mats[key]["licence"]["number"] == held[key]["number"]
    assert server.run(server.ctx.db["files"].count_documents({"owner_id": r.id})) == before == 0


def test_a_licence_must_be_the_applicants_own_valid_and_of_the_named_type(api: Api) -> None:
    r = new_resident(api, verified=True)
    other = new_resident(api, verified=True)
    give(api, r, "id_card")
    give(api, r, "marriage", status="revoked")
    give(api, other, "hukou")
    mine = {i["type"]: i for i in refresh(api, r)}
    theirs = refresh(api, other)[0]
    svc = service(api, "SB-YL")

    def apply(licences: list[dict]) -> dict:
        return assert_error(api.post("/api/v1/applications", {"service_id": svc["id"], "form": {},
                                                              "materials": ["id_card", "hukou"], "licences": licences},
                                     token=r.access_token), 400, "invalid_input")
    apply([{"material_key": "hukou", "licence_id": mine["id_card"]["id"]}])      # wrong type
    apply([{"material_key": "hukou", "licence_id": theirs["id"]}])               # someone else's
    qianru = service(api, "HJ-QIANRU")
    err = assert_error(api.post("/api/v1/applications", {
        "service_id": qianru["id"], "form": {}, "materials": ["id_card", "hukou"],
        "licences": [{"material_key": "relation", "licence_id": mine["marriage"]["id"]}]}, token=r.access_token),
        400, "invalid_input")
    assert err["details"]["status"] == "revoked"
    assert api.get("/api/v1/applications", token=r.access_token).json()["items"] == []


def test_staff_judge_materials_and_the_correction_names_them(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    first = uploaded(api, r, jpeg_bytes(colour=(100, 1, 1)))
    svc = service(api, "HJ-QIANRU")
    case = api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"reason": "投靠父母"},
                                             "materials": ["id_card", "hukou", "relation"],
                                             "attachments": [{"material_key": "housing", "file_id": first["id"]}]},
                    token=r.access_token).json()
    path = f"/api/v1/staff/applications/{case['id']}/materials"
    assert_error(api.post(f"{path}/housing/review", {"verdict": "rejected"}, token=staff["clerk"]), 400,
                 "invalid_input")  # a refusal needs a reason
    assert_error(api.post(f"{path}/housing/review", {"verdict": "accepted"}, token=staff["finance"]), 403, "forbidden")
    assert_error(api.post(f"{path}/nope/review", {"verdict": "accepted"}, token=staff["clerk"]), 404, "not_found")
    ok = api.post(f"{path}/id_card/review", {"verdict": "accepted"}, token=staff["clerk"])
    assert ok.status_code == 200, ok.text
    judged = api.post(f"{path}/housing/review", {"verdict": "rejected", "reason": "照片模糊，看不清地址"},
                      token=staff["clerk"]).json()
    mats = {m["key"]: m for m in judged["materials"]}
    assert mats["id_card"]["review"]["status"] == "accepted"
    assert mats["housing"]["review"]["status"] == "rejected" and mats["housing"]["review"]["by"]["name"]
    asked = move(api, staff["clerk"], case["id"], "correction_requested")  # no list: the judged ones
    assert asked.status_code == 200, asked.text
    mine = api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()
    assert mine["correction"]["missing"] == ["合法稳定住所证明：照片模糊，看不清地址"]
    assert mine["correction"]["materials"] == ["housing"]
    housing = next(m for m in mine["materials"] if m["key"] == "housing")
    assert housing["review"] == {"status": "rejected", "reason": "照片模糊，看不清地址", "at": housing["review"]["at"]}
    resubmit = f"/api/v1/applications/{case['id']}/resubmit"
    assert_error(api.post(resubmit, {"note": "已补正"}, token=r.access_token), 400, "invalid_input")
    second = uploaded(api, r, jpeg_bytes(colour=(1, 100, 1)))
    assert_error(api.post(resubmit, {"attachments": [{"material_key": "relation", "file_id": second["id"]}]},
                          token=r.access_token), 400, "invalid_input")  # only what was asked
    back = api.post(resubmit, {"attachments": [{"material_key": "housing", "file_id": second["id"]}]},
                    token=r.access_token)
    assert back.status_code == 200, back.text
    housing = next(m for m in back.json()["materials"] if m["key"] == "housing")
    assert housing["file_ids"] == [second["id"]] and housing["review"] is None and back.json()["status"] == "submitted"
    got = api.get(f"/api/v1/staff/files/{second['id']}/content", token=staff["clerk"])
    assert got.status_code == 200  # the new file is attached to the case


def test_verification_is_rate_limited_per_client_address(make_server, api: Api) -> None:  # noqa: ANN001
    srv = make_server(licences={"verify_per_ip_per_minute": 3})
    a = Api(srv.base)
    at_window_start(srv)
    for _ in range(3):
        assert_error(verify(a, "YYZZ2026999999", "ABCDEF", ip="203.0.113.9"), 404, "not_found")
    err = assert_error(verify(a, "YYZZ2026999999", "ABCDEF", ip="203.0.113.9"), 429, "rate_limited")
    assert err["details"]["retry_after_seconds"] >= 1
    assert_error(verify(a, "YYZZ2026999999", "ABCDEF", ip="203.0.113.10"), 404, "not_found")  # another address
    a.session.close()
