"""帮办代办 through the API: a clerk files for a resident only with the resident's active grant or
their current 办事码; a resident grantee files in the grantor's name; revoked, expired, other
services' and other people's grants open nothing; the grantor is told and the audit log says who
acted for whom under which grant."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support import Api, AppServer, ResidentHandle, assert_error, new_resident, staff_login
from tests.support_cases import eventually, inbox, relogin, service


@pytest.fixture
def clerk(api: Api) -> str:
    return staff_login(api, role="clerk")["access_token"]


def grant(api: Api, resident: ResidentHandle, grantee: dict[str, Any], *, days: int = 7,
          services: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"grantee": grantee, "days": days}
    if services is not None:
        body["service_ids"] = services
    r = api.post("/api/v1/me/authorizations", body, token=resident.access_token)
    assert r.status_code == 201, r.text
    return r.json()


def file_at_window(api: Api, clerk: str, svc: dict[str, Any], **how: Any):  # noqa: ANN201
    mats = [m["key"] for m in svc["guide"]["materials"] if m["required"] and not m["tolerable"]]
    return api.post("/api/v1/staff/applications", {"service_id": svc["id"], "form": {"申请原因": "证件到期换领"},
                                                   "materials": mats, **how}, token=clerk)


def messages(server: AppServer, user_id: str, kind: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        return await server.ctx.db["outbox"].find({"user_id": user_id, "kind": kind}).to_list(None)
    return server.run(read())


def test_a_clerk_files_only_with_a_grant_and_stops_when_it_is_revoked(api: Api, server: AppServer,
                                                                      clerk: str) -> None:
    elder = new_resident(api, verified=True)
    svc = service(api, "HJ-SFZ")
    # Without a grant or a 办事码: refused, even knowing the resident's account.
    assert_error(file_at_window(api, clerk, svc, resident_id=elder.id), 403, "authorization_required")
    assert_error(file_at_window(api, clerk, svc), 403, "authorization_required")

    g = grant(api, elder, {"type": "staff", "username": "clerk1"}, services=[svc["id"]])
    assert g["status"] == "active" and g["grantee"] == {"type": "staff", "name_masked": "王**", "username": "clerk1"}
    assert [x["id"] for x in api.get("/api/v1/me/authorizations",
                                     token=elder.access_token).json()["items"]] == [g["id"]]
    r = file_at_window(api, clerk, svc, authorization_id=g["id"])
    assert r.status_code == 201, r.text
    case = r.json()
    # The case is the elder's, the agent shown masked, the elder told.
    mine = api.get(f"/api/v1/applications/{case['id']}", token=elder.access_token).json()
    first = mine["timeline"][0]
    assert first["agent"] == {"type": "staff", "name_masked": "王**"} and "帮办员王**" in first["note"]
    assert "actor" not in first
    assert len(messages(server, elder.id, "authorization.used")) == 1
    told = eventually(lambda: [m for m in inbox(api, elder) if m["title"] == "有人按您的授权代办了事项"])
    assert told[0]["text"].startswith(f"帮办员王**按您的授权为您申请了“{svc['name']}”（办件编号 {case['serial']}）")
    # The audit log: who acted for whom, under which grant.
    admin = staff_login(api, role="admin")["access_token"]
    entries = api.get("/api/v1/staff/audit", params={"action": "case.file_for", "target_id": case["id"]},
                      token=admin).json()["items"]
    assert len(entries) == 1
    e = entries[0]
    assert e["actor"]["username"] == "clerk1" and e["details"]["for"] == elder.id
    assert e["details"]["authorization_id"] == g["id"] and e["details"]["via"] == "grant"

    # Revoked: refused at once.
    rv = api.post(f"/api/v1/me/authorizations/{g['id']}/revoke", token=elder.access_token)
    assert rv.status_code == 200 and rv.json()["status"] == "revoked"
    err = assert_error(file_at_window(api, clerk, svc, authorization_id=g["id"]), 403, "authorization_required")
    assert err["details"]["reason"] == "revoked"
    assert_error(api.post(f"/api/v1/me/authorizations/{g['id']}/revoke", token=elder.access_token), 409,
                 "invalid_state")


def test_a_grant_for_one_service_does_not_open_another_and_expires(api: Api, clock, clerk: str) -> None:  # noqa: ANN001
    elder = new_resident(api, verified=True)
    sfz, qianru = service(api, "HJ-SFZ"), service(api, "HJ-QIANRU")
    g = grant(api, elder, {"type": "staff", "username": "clerk1"}, services=[sfz["id"]], days=1)
    assert g["services"] == [{"id": sfz["id"], "name": sfz["name"]}]
    err = assert_error(file_at_window(api, clerk, qianru, authorization_id=g["id"]), 403, "authorization_required")
    assert err["details"]["reason"] == "service_not_granted"
    # Another clerk cannot use a grant made to clerk1.
    other = api.post("/api/v1/staff/login", {"username": "hall1", "password": "Zjb-demo-2026"}).json()["access_token"]
    assert_error(file_at_window(api, other, sfz, authorization_id=g["id"]), 403, "forbidden")
    assert file_at_window(api, clerk, sfz, authorization_id=g["id"]).status_code == 201
    clock.advance(days=1, seconds=1)
    clerk = staff_login(api, role="clerk")["access_token"]
    err = assert_error(file_at_window(api, clerk, sfz, authorization_id=g["id"]), 403, "authorization_required")
    assert err["details"]["reason"] == "expired"
    relogin(api, elder)
    assert api.get("/api/v1/me/authorizations", token=elder.access_token).json()["items"][0]["status"] == "expired"


def test_a_resident_grantee_files_in_the_grantors_name_and_nobody_else_can(api: Api, server: AppServer) -> None:
    mother = new_resident(api, verified=True)
    son = new_resident(api, verified=True)
    stranger = new_resident(api, verified=True)
    svc = service(api, "HJ-QIANRU")
    g = grant(api, mother, {"type": "resident", "id_number": son.id_number})
    assert g["grantee"]["type"] == "resident" and g["services"] is None
    assert messages(server, son.id, "authorization.granted")
    received = api.get("/api/v1/me/authorizations/received", token=son.access_token).json()["items"]
    assert [x["id"] for x in received] == [g["id"]] and received[0]["grantor"]["name_masked"].startswith(mother.name[0])

    body = {"service_id": svc["id"], "form": {"reason": "投靠子女"}, "materials": ["id_card", "hukou", "relation"],
            "on_behalf_of": g["id"]}
    r = api.post("/api/v1/applications", body, token=son.access_token)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["id"] in [c["id"] for c in api.get("/api/v1/applications", token=mother.access_token).json()["items"]]
    assert case["id"] not in [c["id"] for c in api.get("/api/v1/applications", token=son.access_token).json()["items"]]
    assert case["timeline"][0]["agent"]["type"] == "resident"
    assert messages(server, mother.id, "authorization.used")
    # Someone else's grant opens nothing for a third person.
    assert_error(api.post("/api/v1/applications", body, token=stranger.access_token), 403, "authorization_required")
    # Nor for the grantor's clerk-less path: a grant to a resident is not a grant to staff.
    clerk = staff_login(api, role="clerk")["access_token"]
    assert_error(file_at_window(api, clerk, svc, authorization_id=g["id"]), 403, "authorization_required")
    api.post(f"/api/v1/me/authorizations/{g['id']}/revoke", token=mother.access_token)
    assert_error(api.post("/api/v1/applications", body, token=son.access_token), 403, "authorization_required")


def test_grants_are_checked_when_given(api: Api) -> None:
    r = new_resident(api, verified=True)
    unverified = new_resident(api)
    assert_error(api.post("/api/v1/me/authorizations", {"grantee": {"type": "staff", "username": "clerk1"}, "days": 3},
                          token=unverified.access_token), 403, "realname_required")
    for grantee in ({"type": "staff", "username": "hall1"},            # not a window clerk
                    {"type": "staff", "username": "nobody"},
                    {"type": "staff"},
                    {"type": "resident", "id_number": r.id_number},     # oneself
                    {"type": "resident", "id_number": "11010519491231002X"}):  # not registered here
        assert_error(api.post("/api/v1/me/authorizations", {"grantee": grantee, "days": 3}, token=r.access_token),
                     400, "invalid_input")
    assert_error(api.post("/api/v1/me/authorizations", {"grantee": {"type": "staff", "username": "clerk1"},
                                                        "days": 91}, token=r.access_token), 400, "invalid_input")
    other = new_resident(api, verified=True)
    g = grant(api, r, {"type": "staff", "username": "clerk1"})
    assert_error(api.post(f"/api/v1/me/authorizations/{g['id']}/revoke", token=other.access_token), 404, "not_found")


def test_the_identity_code_shows_presence_for_a_minute(api: Api, clock, clerk: str) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    svc = service(api, "HJ-SFZ")
    assert_error(api.get("/api/v1/me/identity-code", token=new_resident(api).access_token), 403, "realname_required")
    code = api.get("/api/v1/me/identity-code", token=r.access_token).json()
    assert code["code"].startswith("ZJB1.") and code["valid_seconds"] == 60
    who = api.post("/api/v1/staff/agency/identify", {"identity_code": code["code"]}, token=clerk)
    assert who.status_code == 200 and who.json()["id"] == r.id and who.json()["name_masked"].startswith(r.name[0])
    tampered = code["code"][:-3] + ("AAA" if not code["code"].endswith("AAA") else "BBB")
    assert_error(file_at_window(api, clerk, svc, identity_code=tampered), 403, "authorization_required")
    other = new_resident(api, verified=True)
    assert_error(file_at_window(api, clerk, svc, identity_code=code["code"], resident_id=other.id), 403,
                 "authorization_required")
    ok = file_at_window(api, clerk, svc, identity_code=code["code"])
    assert ok.status_code == 201 and ok.json()["timeline"][0]["note"] == "窗口收件（本人到场，已核验办事码）"
    clock.advance(seconds=61)
    clerk = staff_login(api, role="clerk")["access_token"]
    err = assert_error(file_at_window(api, clerk, svc, identity_code=code["code"]), 403, "authorization_required")
    assert err["details"]["reason"] == "identity_code_invalid"


def test_the_clerk_finds_residents_with_their_grants(api: Api, clerk: str) -> None:
    r = new_resident(api, verified=True, name="欧阳春晓")
    g = grant(api, r, {"type": "staff", "username": "clerk1"})
    by_id = api.get("/api/v1/staff/agency/residents", params={"q": r.id_number}, token=clerk).json()["items"]
    assert [x["id"] for x in by_id] == [r.id] and [x["id"] for x in by_id[0]["grants"]] == [g["id"]]
    assert by_id[0]["id_number_masked"] == r.id_number[:4] + "*" * 10 + r.id_number[-4:]
    by_name = api.get("/api/v1/staff/agency/residents", params={"q": "欧阳春晓"}, token=clerk).json()["items"]
    assert r.id in [x["id"] for x in by_name]
    case = file_at_window(api, clerk, service(api, "HJ-SFZ"), authorization_id=g["id"]).json()
    by_serial = api.get("/api/v1/staff/agency/residents", params={"q": case["serial"]}, token=clerk).json()["items"]
    assert [x["id"] for x in by_serial] == [r.id]
    hall = staff_login(api, role="hall_manager")["access_token"]
    assert_error(api.get("/api/v1/staff/agency/residents", params={"q": "欧阳春晓"}, token=hall), 403, "forbidden")


def test_repeated_identical_grants_fold_into_one_and_the_grantee_is_told_once(api: Api, server: AppServer) -> None:
    grantor, grantee = new_resident(api, verified=True), new_resident(api, verified=True)
    to = {"type": "resident", "id_number": grantee.id_number}
    ids = {grant(api, grantor, to)["id"] for _ in range(20)}
    assert len(ids) == 1
    assert [g["id"] for g in api.get("/api/v1/me/authorizations", token=grantor.access_token).json()["items"]] \
        == list(ids)
    assert len(messages(server, grantee.id, "authorization.granted")) == 1
    # a different scope is a different grant
    narrower = grant(api, grantor, to, services=[service(api)["id"]])
    assert narrower["id"] not in ids
    assert len(messages(server, grantee.id, "authorization.granted")) == 2


def test_a_resident_holds_a_bounded_number_of_grants_in_force(api: Api, server: AppServer) -> None:
    limit = server.ctx.config.authorizations.max_active_grants
    grantor = new_resident(api, verified=True)
    grantees = [new_resident(api, verified=True) for _ in range(limit + 1)]
    given = [grant(api, grantor, {"type": "resident", "id_number": g.id_number}) for g in grantees[:limit]]
    last = {"grantee": {"type": "resident", "id_number": grantees[limit].id_number}, "days": 7}
    assert_error(api.post("/api/v1/me/authorizations", last, token=grantor.access_token), 409, "too_many_grants")
    assert messages(server, grantees[limit].id, "authorization.granted") == []
    revoked = api.post(f"/api/v1/me/authorizations/{given[0]['id']}/revoke", token=grantor.access_token)
    assert revoked.status_code == 200
    assert api.post("/api/v1/me/authorizations", last, token=grantor.access_token).status_code == 201



def _another_clerk(api: Api) -> str:
    admin = staff_login(api, role="admin")["access_token"]
    username = f"c{uuid.uuid4().hex[:10]}"
    r = api.post("/api/v1/staff/accounts", {"username": username, "password": "Strong-pass-2026", "roles": ["clerk"],
                                            "display_name": "窗口二"}, token=admin)
    assert r.status_code == 201, r.text
    return staff_login(api, username=username, password="Strong-pass-2026")["access_token"]


def test_an_identity_code_makes_one_filing_by_the_clerk_who_holds_it(api: Api, clerk: str) -> None:
    r = new_resident(api, verified=True)
    sfz, qianru = service(api, "HJ-SFZ"), service(api, "HJ-QIANRU")
    other_clerk = _another_clerk(api)
    code = api.get("/api/v1/me/identity-code", token=r.access_token).json()["code"]
    assert api.post("/api/v1/staff/agency/identify", {"identity_code": code}, token=clerk).status_code == 200
    assert api.post("/api/v1/staff/agency/identify", {"identity_code": code}, token=clerk).status_code == 200
    # Scanned by one clerk: another clerk can neither scan it nor file with it.
    err = assert_error(api.post("/api/v1/staff/agency/identify", {"identity_code": code}, token=other_clerk),
                       403, "identity_code_taken")
    assert "其他工作人员" in err["message"]
    assert_error(file_at_window(api, other_clerk, qianru, identity_code=code), 403, "identity_code_taken")
    first = file_at_window(api, clerk, sfz, identity_code=code)
    assert first.status_code == 201, first.text
    # The same clerk sending the same filing again gets the same case; nothing new is made.
    again = file_at_window(api, clerk, sfz, identity_code=code)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    mine = api.get("/api/v1/applications", token=r.access_token).json()["items"]
    assert [c["id"] for c in mine] == [first.json()["id"]]
    # Another filing with the same code, even by the clerk holding it, is refused.
    err = assert_error(file_at_window(api, clerk, qianru, identity_code=code), 409, "identity_code_used")
    assert "另一件办件" in err["message"] and err["details"]["application_id"] == first.json()["id"]
    admin = staff_login(api, role="admin")["access_token"]
    denied = api.get(f"/api/v1/staff/audit?action=resident.identify&target_id={r.id}", token=admin).json()["items"]
    assert [e["outcome"] for e in denied].count("denied") == 1


def test_two_clerks_filing_with_one_code_at_once_make_one_case(api: Api, clerk: str) -> None:
    r = new_resident(api, verified=True)
    sfz, qianru = service(api, "HJ-SFZ"), service(api, "HJ-QIANRU")
    other_clerk = _another_clerk(api)
    code = api.get("/api/v1/me/identity-code", token=r.access_token).json()["code"]
    calls = [(clerk, sfz), (other_clerk, qianru), (clerk, qianru), (other_clerk, sfz)]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        answers = list(pool.map(lambda c: file_at_window(Api(api.base), c[0], c[1], identity_code=code), calls))
    made = [a for a in answers if a.status_code == 201]
    assert len(made) == 1, [a.text for a in answers]
    assert {a.json()["error"]["code"] for a in answers if a.status_code != 201} <= {
        "identity_code_taken", "identity_code_used"}
    mine = api.get("/api/v1/applications", token=r.access_token).json()["items"]
    assert [c["id"] for c in mine] == [made[0].json()["id"]]
