"""Journey 6, through HTTP only: 帮办代办. A mother grants her son the right to act for her → the
son is told and files a case in her name → the mother is told who filed what (inbox and WeChat push
opening the case) → the window's console shows the case as hers, filed by an agent → she revokes the
grant → the son is told and can file no more."""
from __future__ import annotations

from tests.support import Api, assert_error, new_resident, staff_login
from tests.support_cases import consent, service
from tests.support_journeys import pushed, read


def test_an_agent_files_the_grantor_is_told_and_the_grant_is_revoked(api: Api) -> None:
    mother = new_resident(api, verified=True)
    son = new_resident(api, verified=True)
    consent(api, mother, "case_progress", n=5)
    svc = service(api, "HJ-QIANRU")

    # The grant: the son reads who granted what, until when.
    g = api.post("/api/v1/me/authorizations", {"grantee": {"type": "resident", "id_number": son.id_number},
                                                "days": 7, "service_ids": [svc["id"]]}, token=mother.access_token)
    assert g.status_code == 201, g.text
    g = g.json()
    got = read(api, son, "authorization.granted")[0]
    assert got["title"] == "您收到一项代办授权"
    assert got["text"].startswith(mother.name[0]) and f"“{svc['name']}”" in got["text"] and "有效期至" in got["text"]
    received = api.get("/api/v1/me/authorizations/received", token=son.access_token).json()["items"]
    assert [x["id"] for x in received] == [g["id"]]

    # The son files in her name; the case is hers.
    body = {"service_id": svc["id"], "form": {"reason": "投靠子女"}, "materials": ["id_card", "hukou", "relation"],
            "on_behalf_of": g["id"]}
    filed = api.post("/api/v1/applications", body, token=son.access_token,
                     headers={"Idempotency-Key": "agent-tap-000001"})
    assert filed.status_code == 201, filed.text
    case = filed.json()
    # A retry of the same tap is the same case.
    again = api.post("/api/v1/applications", body, token=son.access_token,
                     headers={"Idempotency-Key": "agent-tap-000001"})
    assert again.status_code == 200 and again.json()["id"] == case["id"]
    hers = api.get("/api/v1/applications", token=mother.access_token).json()["items"]
    assert [c["id"] for c in hers] == [case["id"]]
    assert api.get("/api/v1/applications", token=son.access_token).json()["items"] == []

    # The grantor is told who filed what, and the push opens the case.
    used = read(api, mother, "authorization.used")
    assert len(used) == 1 and used[0]["title"] == "有人按您的授权代办了事项"
    assert f"（办件编号 {case['serial']}）" in used[0]["text"] and "如非本人授权" in used[0]["text"]
    assert used[0]["ref"]["application_id"] == case["id"]
    p = pushed(api, mother, "phrase2", "代为提交")
    assert p["page"] == f"pages/case/detail/index?id={case['id']}"
    assert p["data"]["character_string3"]["value"] == case["serial"]
    progress = read(api, mother, "case.status_changed")
    assert len(progress) == 1 and "已提交" in progress[0]["text"]

    # The window's console: the case is the mother's, filed by an agent shown masked.
    clerk = staff_login(api, role="clerk")["access_token"]
    seen = api.get(f"/api/v1/staff/applications/{case['serial']}", token=clerk).json()
    assert seen["applicant"]["id"] == mother.id
    assert seen["timeline"][0]["agent"]["type"] == "resident"
    assert seen["timeline"][0]["agent"]["name_masked"].startswith(son.name[0])
    assert son.name not in str(seen)

    # She revokes: the son is told and can no longer act for her.
    rv = api.post(f"/api/v1/me/authorizations/{g['id']}/revoke", token=mother.access_token)
    assert rv.status_code == 200 and rv.json()["status"] == "revoked"
    got = read(api, son, "authorization.revoked")[0]
    assert got["title"] == "代办授权已撤销" and "不能再代其办理" in got["text"]
    err = assert_error(api.post("/api/v1/applications", {**body, "form": {"reason": "投靠父母"}},
                                token=son.access_token), 403, "authorization_required")
    assert err["details"]["reason"] == "revoked"
