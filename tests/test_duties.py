"""Separation of duties and scope on writes: which roles one account may hold together, who may
change whose roles, who may decide a case, and how an account limited to halls or departments is
kept to them when it changes things (halls, services, rectification orders, files)."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support import Api, AppServer, assert_error, cli_staff, new_resident, staff_login
from tests.support_cases import move, rated_refusal, service, submit
from tests.support_files import png_bytes, uploaded

NO_ONE = "000000000000000000000000"


def _code() -> str:
    return "D-" + uuid.uuid4().hex[:8].upper()


def _create(api: Api, token: str, roles: list[str], **fields: Any):  # noqa: ANN202
    return api.post("/api/v1/staff/accounts", {"username": f"d{uuid.uuid4().hex[:10]}", "password": "Duty-pass-2026",
                                               "roles": roles, **fields}, token=token)


def _denied(api: Api, admin: str, action: str, target_id: str | None = None) -> list[dict[str, Any]]:
    params = {"action": action, "limit": 20, **({"target_id": target_id} if target_id else {})}
    return [e for e in api.get("/api/v1/staff/audit", params=params, token=admin).json()["items"]
            if e.get("outcome") == "denied"]


# -- roles ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("roles", [["clerk", "approver"], ["approver", "finance"], ["admin", "finance"],
                                   ["supervisor", "clerk"]])
def test_exclusive_roles_are_refused_when_given(api: Api, server: AppServer, roles: list[str]) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    err = assert_error(_create(api, admin, roles), 409, "exclusive_roles")
    assert "职责分离" in err["message"] and sorted(err["details"]["roles"]) == sorted(roles)
    assert any(e["details"].get("reason") == "exclusive_roles" for e in _denied(api, admin, "staff.create"))
    # Changing an account's roles to such a pair is refused too, even by an independent administrator.
    other = cli_staff(server, api, roles=["admin"])["access_token"]
    made = _create(api, admin, [roles[0]])
    assert made.status_code == 201, made.text
    assert_error(api.patch(f"/api/v1/staff/accounts/{made.json()['id']}", {"roles": roles}, token=other),
                 409, "exclusive_roles")
    assert next(a for a in api.get("/api/v1/staff/accounts", token=admin).json()["items"]
                if a["id"] == made.json()["id"])["roles"] == [roles[0]]


def test_allowed_combinations_stay_allowed(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    r = _create(api, admin, ["clerk", "finance"])
    assert r.status_code == 201 and r.json()["roles"] == ["clerk", "finance"]


def test_an_admin_cannot_change_its_own_roles(api: Api) -> None:
    login = staff_login(api, role="admin")
    admin, me = login["access_token"], login["staff"]["id"]
    for roles in (["admin", "approver"], ["admin", "hall_manager"], ["clerk"]):
        err = assert_error(api.patch(f"/api/v1/staff/accounts/{me}", {"roles": roles}, token=admin), 403, "own_roles")
        assert "另一位管理员" in err["message"]
    assert api.get("/api/v1/staff/me", token=admin).json()["roles"] == ["admin"]
    assert len(_denied(api, admin, "staff.update", me)) >= 3
    # Its own roles sent back unchanged (with a display name) are no change.
    assert api.patch(f"/api/v1/staff/accounts/{me}", {"roles": ["admin"], "display_name": "周管理"},
                     token=admin).status_code == 200


def test_no_admin_raises_itself_through_an_account_it_made(api: Api, server: AppServer) -> None:
    login = staff_login(api, role="admin")
    admin, admin_id = login["access_token"], login["staff"]["id"]
    second = _create(api, admin, ["admin"])
    assert second.status_code == 201
    token2 = staff_login(api, username=second.json()["username"], password="Duty-pass-2026")["access_token"]
    # The account admin1 made may not give admin1 roles …
    err = assert_error(api.patch(f"/api/v1/staff/accounts/{admin_id}", {"roles": ["admin", "hall_manager"]},
                                 token=token2), 403, "controlled_account")
    assert err["details"]["reason"] == "it_controls_you"
    assert api.get("/api/v1/staff/me", token=admin).json()["roles"] == ["admin"]
    assert any(e["details"].get("reason") == "controlled_account" for e in _denied(api, admin, "staff.update",
                                                                                    admin_id))
    # … nor may admin1 add roles to what it made, or to what its own accounts made.
    clerk = _create(api, admin, ["clerk"]).json()
    assert_error(api.patch(f"/api/v1/staff/accounts/{clerk['id']}", {"roles": ["clerk", "hall_manager"]},
                           token=admin), 403, "controlled_account")
    grandchild = _create(api, token2, ["clerk"]).json()
    for token in (admin, token2):
        assert_error(api.patch(f"/api/v1/staff/accounts/{grandchild['id']}", {"roles": ["hall_manager"]},
                               token=token), 403, "controlled_account")
    # Siblings: the second admin may not add roles to another account admin1 made.
    assert_error(api.patch(f"/api/v1/staff/accounts/{clerk['id']}", {"roles": ["clerk", "hall_manager"]},
                           token=token2), 403, "controlled_account")
    # An independent administrator adds one; taking one away is allowed to anyone.
    independent = cli_staff(server, api, roles=["admin"])
    r = api.patch(f"/api/v1/staff/accounts/{clerk['id']}", {"roles": ["clerk", "hall_manager"]},
                  token=independent["access_token"])
    assert r.status_code == 200 and r.json()["roles"] == ["clerk", "hall_manager"]
    assert api.patch(f"/api/v1/staff/accounts/{clerk['id']}", {"roles": ["clerk"]}, token=admin).status_code == 200
    # Resetting an independent administrator's password makes admin1 control it: it may then not
    # change admin1's roles.
    assert api.post(f"/api/v1/staff/accounts/{independent['staff']['id']}/password",
                    {"password": "Reset-by-admin1-2026"}, token=admin).status_code == 200
    again = staff_login(api, username=independent["staff"]["username"], password="Reset-by-admin1-2026")
    assert_error(api.patch(f"/api/v1/staff/accounts/{admin_id}", {"roles": ["admin", "hall_manager"]},
                           token=again["access_token"]), 403, "controlled_account")


# -- halls and departments an account is limited to -----------------------------------------------

def test_unknown_halls_and_departments_are_refused(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    err = assert_error(_create(api, admin, ["hall_manager"], hall_ids=[NO_ONE]), 400, "invalid_input")
    assert err["details"]["fields"] == {"hall_ids": "包含不存在的大厅"}
    err = assert_error(_create(api, admin, ["clerk"], department_ids=["not-an-id"]), 400, "invalid_input")
    assert err["details"]["fields"] == {"department_ids": "包含不存在的部门"}
    made = _create(api, admin, ["clerk"]).json()
    assert_error(api.patch(f"/api/v1/staff/accounts/{made['id']}", {"hall_ids": [NO_ONE]}, token=admin),
                 400, "invalid_input")
    hall = api.get("/api/v1/halls").json()["items"][0]["id"]
    dept = api.get("/api/v1/departments").json()["items"][0]["id"]
    r = api.patch(f"/api/v1/staff/accounts/{made['id']}", {"hall_ids": [hall], "department_ids": [dept]},
                  token=admin)
    assert r.status_code == 200 and r.json()["hall_ids"] == [hall] and r.json()["department_ids"] == [dept]


@pytest.fixture(scope="module")
def halls(server: AppServer) -> dict[str, Any]:
    """Two halls, a service in each, and a hall manager limited to the first."""
    api = Api(server.base)
    manager = staff_login(api, role="hall_manager")["access_token"]
    dept = api.get("/api/v1/departments").json()["items"][0]["id"]
    ids = []
    for name in ("本厅", "他厅"):
        h = api.post("/api/v1/staff/halls", {"code": _code(), "name": f"范围测试{name}", "address": "测试路 2 号",
                                             "opening_hours": [{"weekday": 1, "start": "09:00", "end": "17:00"}]},
                     token=manager)
        assert h.status_code == 201, h.text
        ids.append(h.json()["id"])
    services = []
    for hall_id in ids:
        s = api.post("/api/v1/staff/services", {"code": _code(), "name": "范围测试事项", "department_id": dept,
                                                "hall_ids": [hall_id], "guide": {
                                                    "materials": [], "fee_fen": 0, "statutory_days": 5,
                                                    "promised_days": 3, "online": True, "bookable": False,
                                                    "visit_required": False, "max_visits": 0}}, token=manager)
        assert s.status_code == 201, s.text
        services.append(s.json()["id"])
    limited = cli_staff(server, api, roles=["hall_manager"], hall_ids=[ids[0]])["access_token"]
    return {"own": ids[0], "other": ids[1], "own_service": services[0], "other_service": services[1],
            "department": dept, "limited": limited}


def test_a_hall_manager_changes_only_its_halls(api: Api, halls: dict[str, Any]) -> None:
    t = halls["limited"]
    assert api.patch(f"/api/v1/staff/halls/{halls['own']}", {"notice": "本厅通知"}, token=t).status_code == 200
    err = assert_error(api.patch(f"/api/v1/staff/halls/{halls['other']}", {"notice": "越权"}, token=t),
                       403, "hall_scope")
    assert "所属大厅" in err["message"]
    assert api.get(f"/api/v1/halls/{halls['other']}").json()["notice"] != "越权"
    windows = [{"number": "9", "name": "越权窗口", "area_prefix": "Z", "service_ids": []}]
    assert_error(api.patch(f"/api/v1/staff/halls/{halls['other']}", {"windows": windows}, token=t), 403, "hall_scope")
    # Services: only those offered in its halls alone, and never moved out of them.
    assert api.patch(f"/api/v1/staff/services/{halls['own_service']}", {"name": "本厅事项"},
                     token=t).status_code == 200
    assert_error(api.patch(f"/api/v1/staff/services/{halls['other_service']}", {"name": "越权"}, token=t),
                 403, "hall_scope")
    assert_error(api.patch(f"/api/v1/staff/services/{halls['own_service']}",
                           {"hall_ids": [halls["own"], halls["other"]]}, token=t), 403, "hall_scope")
    assert api.get(f"/api/v1/services/{halls['own_service']}").json()["hall_ids"] == [halls["own"]]
    body = {"code": _code(), "name": "新事项", "department_id": halls["department"], "guide": {
        "materials": [], "fee_fen": 0, "statutory_days": 5, "promised_days": 3, "online": True, "bookable": False,
        "visit_required": False, "max_visits": 0}}
    assert api.post("/api/v1/staff/services", {**body, "hall_ids": [halls["own"]]}, token=t).status_code == 201
    assert_error(api.post("/api/v1/staff/services", {**body, "code": _code(), "hall_ids": [halls["other"]]},
                          token=t), 403, "hall_scope")
    # Schedules, day exceptions and closures of another hall.
    assert_error(api.put(f"/api/v1/staff/halls/{halls['other']}/schedules", {"items": []}, token=t),
                 403, "hall_scope")
    assert_error(api.post(f"/api/v1/staff/halls/{halls['other']}/exceptions",
                          {"date": "2031-05-06", "kind": "closed", "note": "越权"}, token=t), 403, "hall_scope")
    # Departments and halls belong to no one hall: left to managers of every hall.
    assert_error(api.post("/api/v1/staff/departments", {"code": _code(), "name": "越权局"}, token=t),
                 403, "hall_scope")
    hours = [{"weekday": 1, "start": "09:00", "end": "17:00"}]
    assert_error(api.post("/api/v1/staff/halls", {"code": _code(), "name": "越权大厅", "address": "某路",
                                                  "opening_hours": hours}, token=t), 403, "hall_scope")


def test_a_department_answers_only_its_own_rectification_orders(api: Api, server: AppServer) -> None:
    _, case, rating = rated_refusal(api)
    departments = [d["id"] for d in api.get("/api/v1/departments").json()["items"]]
    theirs = case["department_id"]
    elsewhere = next(d for d in departments if d != theirs)
    outsider = cli_staff(server, api, roles=["clerk"], department_ids=[elsewhere])["access_token"]
    rect = rating["rectification_id"]
    err = assert_error(api.post(f"/api/v1/staff/rectifications/{rect}/reply", {"reply": "越权答复"},
                                token=outsider), 403, "department_scope")
    assert "其他部门" in err["message"]
    insider = cli_staff(server, api, roles=["approver"], department_ids=[theirs])["access_token"]
    r = api.post(f"/api/v1/staff/rectifications/{rect}/reply", {"reply": "已整改，增开窗口"}, token=insider)
    assert r.status_code == 200 and r.json()["status"] == "replied"


def test_staff_limited_to_departments_reach_only_their_cases_and_files(api: Api, server: AppServer) -> None:
    owner = new_resident(api, verified=True)
    f = uploaded(api, owner, png_bytes(size=(320, 200)), name="户口簿.png", content_type="image/png")
    svc = service(api)
    mats = [m["key"] for m in svc["guide"]["materials"] if m["required"] and not m["tolerable"]]
    r = api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"reason": "投靠配偶"}, "materials": mats,
                                          "attachments": [{"material_key": mats[0], "file_id": f["id"]}]},
                 token=owner.access_token)
    assert r.status_code == 201, r.text
    case = r.json()
    elsewhere = next(d["id"] for d in api.get("/api/v1/departments").json()["items"] if d["id"] != svc["department_id"])
    outsider = cli_staff(server, api, roles=["clerk"], department_ids=[elsewhere])["access_token"]
    for tail in ("", "/content", "/thumbnail"):
        assert_error(api.get(f"/api/v1/staff/files/{f['id']}{tail}", token=outsider), 404, "not_found")
    assert_error(api.get(f"/api/v1/staff/applications/{case['id']}", token=outsider), 403, "department_scope")
    assert_error(move(api, outsider, case["id"], "accepted"), 403, "department_scope")
    listed = api.get("/api/v1/staff/applications", params={"limit": 200}, token=outsider).json()["items"]
    assert case["id"] not in {c["id"] for c in listed}
    insider = cli_staff(server, api, roles=["clerk"], department_ids=[svc["department_id"]])["access_token"]
    assert api.get(f"/api/v1/staff/files/{f['id']}/content", token=insider).status_code == 200
    assert api.get(f"/api/v1/staff/applications/{case['id']}", token=insider).status_code == 200
    # An account limited to no department (the demo clerk) reaches every department's.
    assert api.get(f"/api/v1/staff/files/{f['id']}", token=staff_login(api, role="clerk")["access_token"]) \
        .status_code == 200


# -- who decides a case -------------------------------------------------------------------------------

def test_whoever_accepted_a_case_does_not_decide_it(make_server) -> None:
    """With a configuration that lets one account be clerk and approver, that account still cannot
    approve or refuse after review a case it accepted (or received at a window)."""
    srv = make_server(staff={"exclusive_roles": []})
    api = Api(srv.base)
    both = cli_staff(srv, api, roles=["clerk", "approver"])["access_token"]
    approver = staff_login(api, role="approver")["access_token"]
    admin = staff_login(api, role="admin")["access_token"]
    resident = new_resident(api, verified=True)
    case = submit(api, resident)
    assert move(api, both, case["id"], "accepted").status_code == 200
    assert move(api, both, case["id"], "in_review").status_code == 200
    err = assert_error(move(api, both, case["id"], "approved"), 403, "separation_of_duties")
    assert "另一位工作人员" in err["message"]
    assert_error(move(api, both, case["id"], "rejected", reason="不符合条件"), 403, "separation_of_duties")
    view = api.get(f"/api/v1/staff/applications/{case['id']}", token=approver).json()
    assert view["status"] == "in_review"
    denied = _denied(api, admin, "case.approved", case["id"]) + _denied(api, admin, "case.rejected", case["id"])
    assert {e["details"]["reason"] for e in denied} == {"separation_of_duties"} and len(denied) == 2
    # Another approver decides it.
    r = move(api, approver, case["id"], "approved")
    assert r.status_code == 200 and r.json()["status"] == "approved"


def test_a_supervisor_limited_to_departments_sees_only_their_figures_ratings_and_orders(api: Api,
                                                                                         server: AppServer) -> None:
    _, case, rating = rated_refusal(api)
    theirs = case["department_id"]
    elsewhere = submit(api, new_resident(api, verified=True), code="BDC-BF")["department_id"]
    assert elsewhere != theirs
    everyone = staff_login(api, role="supervisor")["access_token"]
    insider = cli_staff(server, api, roles=["supervisor"], department_ids=[theirs])["access_token"]
    outsider = cli_staff(server, api, roles=["supervisor"], department_ids=[elsewhere])["access_token"]

    def get(path: str, token: str, **params: Any) -> Any:
        r = api.get(path, params=params, token=token)
        assert r.status_code == 200, r.text
        return r.json()

    # The summary: one row per department of the account's, totals over those only.
    full = get("/api/v1/staff/supervision/summary", everyone)
    mine = get("/api/v1/staff/supervision/summary", insider)
    assert {row["department_id"] for row in mine["items"]} == {theirs}
    assert mine["items"] == [row for row in full["items"] if row["department_id"] == theirs]
    assert mine["satisfaction"] == mine["items"][0]["satisfaction"]
    assert {row["department_id"] for row in get("/api/v1/staff/supervision/summary", outsider)["items"]} == {elsewhere}
    assert {theirs, elsewhere} <= {row["department_id"] for row in full["items"]}  # unlimited: every department

    # Ratings and rectification orders: the department's own, not the others'.
    ratings = get("/api/v1/staff/ratings", insider)["items"]
    assert case["id"] in {x["application_id"] for x in ratings}
    assert {x["department_id"] for x in ratings} == {theirs}
    assert case["id"] not in {x["application_id"] for x in get("/api/v1/staff/ratings", outsider)["items"]}
    assert case["id"] in {x["application_id"] for x in get("/api/v1/staff/ratings", everyone)["items"]}
    rect = rating["rectification_id"]
    assert rect in {x["id"] for x in get("/api/v1/staff/rectifications", insider, status="open")["items"]}
    outside = get("/api/v1/staff/rectifications", outsider)["items"]
    assert rect not in {x["id"] for x in outside} and {x["department_id"] for x in outside} <= {elsewhere}
    assert rect in {x["id"] for x in get("/api/v1/staff/rectifications", everyone)["items"]}

    # The trend counts the department's cases and ratings only: today's received and ratings of the
    # department-limited accounts add up to no more than everyone's, and this case is the insider's.
    day = {"bucket": "day"}
    today = [get("/api/v1/staff/supervision/trend", t, **day)["items"][-1] for t in (everyone, insider, outsider)]
    assert today[1]["received"] >= 1 and today[1]["ratings"] >= 1
    assert today[1]["received"] + today[2]["received"] <= today[0]["received"]
    assert today[1]["ratings"] + today[2]["ratings"] <= today[0]["ratings"]


# -- the password an administrator set ---------------------------------------------------------------

def test_an_account_an_admin_made_can_only_change_its_password_until_it_does(api: Api, server: AppServer) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    made = _create(api, admin, ["clerk", "finance"])
    assert made.status_code == 201, made.text
    username = made.json()["username"]
    assert made.json()["password_change_required"] is True

    first = api.post("/api/v1/staff/login", {"username": username, "password": "Duty-pass-2026"})
    assert first.status_code == 200, first.text
    assert first.json()["password_change_required"] is True
    token = first.json()["access_token"]
    # Nothing its roles would allow, nor anything else: 403 with the reason, and nothing changes.
    for method, path, body in (("GET", "/api/v1/staff/applications", None), ("GET", "/api/v1/staff/payments", None),
                               ("GET", "/api/v1/staff/accounts", None),
                               ("POST", "/api/v1/staff/payments", {"application_id": NO_ONE,
                                                                   "items": [{"name": "工本费", "amount_fen": 500}]})):
        err = assert_error(api.request(method, path, token=token, json_body=body), 403, "password_change_required")
        assert "修改初始密码" in err["message"]
    assert api.get("/api/v1/staff/me", token=token).json()["password_change_required"] is True
    refreshed = api.post("/api/v1/staff/refresh", {"refresh_token": first.json()["refresh_token"]}).json()
    assert refreshed["password_change_required"] is True
    token = refreshed["access_token"]
    assert_error(api.get("/api/v1/staff/applications", token=token), 403, "password_change_required")
    # Not to the same password.
    assert_error(api.post("/api/v1/staff/me/password", {"current_password": "Duty-pass-2026",
                                                        "new_password": "Duty-pass-2026"}, token=token),
                 400, "invalid_input")

    # Changed: the same session now works, the administrator's password no longer signs in.
    changed = api.post("/api/v1/staff/me/password", {"current_password": "Duty-pass-2026",
                                                     "new_password": "Own-choice-2026"}, token=token)
    assert changed.status_code == 200, changed.text
    assert api.get("/api/v1/staff/applications", token=token).status_code == 200
    assert api.get("/api/v1/staff/me", token=token).json()["password_change_required"] is False
    assert_error(api.post("/api/v1/staff/login", {"username": username, "password": "Duty-pass-2026"}),
                 401, "unauthenticated")
    own = api.post("/api/v1/staff/login", {"username": username, "password": "Own-choice-2026"})
    assert own.status_code == 200 and own.json()["password_change_required"] is False

    # A reset by an administrator: the same again, and every session of the account ends.
    account_id = made.json()["id"]
    assert api.post(f"/api/v1/staff/accounts/{account_id}/password", {"password": "Reset-by-admin-2026"},
                    token=admin).status_code == 200
    assert_error(api.get("/api/v1/staff/me", token=own.json()["access_token"]), 401, "unauthenticated")
    again = api.post("/api/v1/staff/login", {"username": username, "password": "Reset-by-admin-2026"}).json()
    assert again["password_change_required"] is True
    assert_error(api.get("/api/v1/staff/payments", token=again["access_token"]), 403, "password_change_required")
    # Logging out stays possible.
    assert api.post("/api/v1/staff/logout", {}, token=again["access_token"]).status_code == 200

    # Accounts made at the server's command line (and the demo accounts) chose their own password.
    assert cli_staff(server, api, roles=["clerk"])["password_change_required"] is False
    assert api.post("/api/v1/staff/login", {"username": "clerk1", "password": "Zjb-demo-2026"}) \
        .json()["password_change_required"] is False
