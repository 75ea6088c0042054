"""The application journey, through HTTP only — the resident's API, the staff API (what the console's
calls return), the stand-ins (the e-licence library, WeChat) and the sandbox clock:

apply online for 不动产权证书补发 with an upload (遗失声明.pdf) and a licence from the e-licence
library (居民身份证) → the clerk judges the materials → 补正 for the rejected one → the rejected
file again is refused, a new one supplied → the clerk sees the rejection in the material's history
→ approved → completed → the issued 不动产权证书 is in the resident's wallet → anyone verifies it.
At each step: what the resident reads (case, inbox, WeChat push and the page it opens) and what
the staff read.
"""
from __future__ import annotations

import json
from typing import Any

from tests.support import Api, AppServer, assert_error, fetch_licences, miniprogram_pages, new_resident, staff_login
from tests.support_cases import consent, eventually, inbox, move, service, wechat_messages
from tests.support_files import pdf_bytes, uploaded

PAGES = miniprogram_pages()


def _material(case: dict[str, Any], key: str) -> dict[str, Any]:
    return next(m for m in case["materials"] if m["key"] == key)


def test_apply_judge_correct_approve_complete_wallet_verify(api: Api, server: AppServer) -> None:
    clerk = staff_login(api, role="clerk")["access_token"]
    approver = staff_login(api, role="approver")["access_token"]
    r = new_resident(api, verified=True)
    consent(api, r, "case_progress", n=10)

    # The library holds the resident's ID card; the apply page asks it for this service.
    assert api.post("/sandbox/licences", {"id_number": r.id_number, "type": "id_card"}).status_code == 201
    svc = service(api, "BDC-BF")
    # The library is read only after a recent face verification of the resident (fetch_licences makes one).
    got = fetch_licences(api, r, {"purpose": "application", "service_id": svc["id"]})
    assert got.status_code == 200, got.text
    id_card = next(x for x in got.json()["items"] if x["type"] == "id_card")
    assert id_card["type_name"] == "居民身份证" and id_card["status"] == "valid" and "*" in id_card["holder_masked"]
    notice = uploaded(api, r, pdf_bytes("Lost notice"), name="遗失声明.pdf", content_type="application/pdf")

    # 1. Apply.
    made = api.post("/api/v1/applications", {
        "service_id": svc["id"], "form": {},
        "licences": [{"material_key": "id_card", "licence_id": id_card["id"]}],
        "attachments": [{"material_key": "notice", "file_id": notice["id"]}]}, token=r.access_token)
    assert made.status_code == 201, made.text
    case = made.json()
    cid, serial = case["id"], case["serial"]
    assert case["status"] == "submitted"
    assert _material(case, "id_card")["source"] == "licence" and _material(case, "notice")["source"] == "file"

    def told(title: str) -> list[dict[str, Any]]:
        return [m for m in inbox(api, r) if m["title"] == title and serial in m["text"]]

    def pushed(phrase: str) -> list[dict[str, Any]]:
        return [m for m in wechat_messages(api, r.openid)
                if any(v.get("value") == phrase for v in m["data"].values()) and serial in json.dumps(m["data"])]

    first = eventually(lambda: told("办件进度更新"))
    assert "不动产权证书补发" in first[0]["text"] and "已提交" in first[0]["text"]
    push = eventually(lambda: pushed("已提交"))[0]
    assert push["page"] == f"pages/case/detail/index?id={cid}" and push["page"].partition("?")[0] in PAGES
    assert push["data"]["thing1"]["value"] == "不动产权证书补发"

    # 2. The clerk's console: the case in the list, materials as given; judged one by one.
    listed = api.get("/api/v1/staff/applications", params={"status": "submitted"}, token=clerk).json()
    assert cid in {c["id"] for c in listed["items"]}
    seen = api.get(f"/api/v1/staff/applications/{cid}", token=clerk).json()
    assert _material(seen, "id_card")["licence"]["number"] == id_card["number"]
    assert _material(seen, "notice")["files"][0]["name"] == "遗失声明.pdf"
    assert all(m["review"] is None for m in seen["materials"])
    path = f"/api/v1/staff/applications/{cid}/materials"
    assert api.post(f"{path}/id_card/review", {"verdict": "accepted"}, token=clerk).status_code == 200
    judged = api.post(f"{path}/notice/review", {"verdict": "rejected", "reason": "未见报刊名称和刊登日期"}, token=clerk)
    assert judged.status_code == 200, judged.text

    # 3. 补正: the rejected one, worded with its reason.
    asked = move(api, clerk, cid, "correction_requested")
    assert asked.status_code == 200, asked.text
    mine = api.get(f"/api/v1/applications/{cid}", token=r.access_token).json()
    assert mine["status"] == "correction_requested"
    assert mine["correction"]["missing"] == ["遗失声明：未见报刊名称和刊登日期"]
    assert _material(mine, "notice")["review"]["reason"] == "未见报刊名称和刊登日期"
    correction = eventually(lambda: told("请补正材料"))[0]
    assert "遗失声明：未见报刊名称和刊登日期" in correction["text"]
    assert eventually(lambda: pushed("待补正"))[0]["page"].partition("?")[0] in PAGES

    # 4. The rejected file again is refused, naming the material; a new one is taken.
    again = assert_error(api.post(f"/api/v1/applications/{cid}/resubmit",
                                  {"attachments": [{"material_key": "notice", "file_id": notice["id"]}]},
                                  token=r.access_token), 400, "invalid_input")
    assert "遗失声明" in json.dumps(again, ensure_ascii=False)
    assert api.get(f"/api/v1/applications/{cid}", token=r.access_token).json()["status"] == "correction_requested"
    second = uploaded(api, r, pdf_bytes("Lost notice in the City Daily, 2026-11-02"), name="遗失声明（市报）.pdf",
                      content_type="application/pdf")
    back = api.post(f"/api/v1/applications/{cid}/resubmit",
                    {"attachments": [{"material_key": "notice", "file_id": second["id"]}], "note": "已补刊登报纸"},
                    token=r.access_token)
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "submitted"

    # 5. The clerk sees the new file awaiting judgement, and the rejected one in its history.
    seen = api.get(f"/api/v1/staff/applications/{cid}", token=clerk).json()
    notice_now = _material(seen, "notice")
    assert notice_now["review"] is None and notice_now["files"][0]["name"] == "遗失声明（市报）.pdf"
    (before,) = notice_now["history"]
    assert before["files"][0]["name"] == "遗失声明.pdf"
    assert before["review"]["status"] == "rejected" and before["review"]["reason"] == "未见报刊名称和刊登日期"
    assert [e["status"] for e in seen["timeline"]] == ["submitted", "correction_requested", "submitted"]
    assert api.post(f"{path}/notice/review", {"verdict": "accepted"}, token=clerk).status_code == 200

    # 6. Accepted, reviewed, approved, completed.
    for token, to in ((clerk, "accepted"), (clerk, "in_review"), (approver, "approved"), (clerk, "completed")):
        moved = move(api, token, cid, to)
        assert moved.status_code == 200, moved.text
    done = api.get(f"/api/v1/staff/applications/{cid}", token=clerk).json()
    assert done["status"] == "completed"
    assert {m["key"]: m["review"]["status"] for m in done["materials"]} == {"id_card": "accepted",
                                                                           "notice": "accepted"}
    finished = eventually(lambda: [m for m in told("办件进度更新") if "已办结" in m["text"]])
    assert finished and eventually(lambda: pushed("已办结"))[0]["page"].partition("?")[0] in PAGES

    # 7. The licence in the wallet, and anyone verifies it.
    wallet = api.get("/api/v1/me/licences", token=r.access_token).json()["items"]
    issued = next(x for x in wallet if x["application_id"] == cid)
    assert issued["type"] == "property" and issued["type_name"] == "不动产权证书" and issued["status"] == "valid"
    assert issued["issuer"] == "市不动产登记中心" and "*" in issued["holder_masked"]
    checked = api.get("/api/v1/licences/verify", params={"number": issued["number"], "check": issued["check_code"]})
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["valid"] is True and body["status"] == "valid" and body["number"] == issued["number"]
    assert body["holder_masked"] == issued["holder_masked"] and r.name not in json.dumps(body, ensure_ascii=False)
    # the QR on the licence opens the public page of the same check
    assert issued["verify_url"].endswith(f"/verify/licence?number={issued['number']}"
                                         f"&check={issued['check_code']}")
