"""Who may do what to staff accounts, login throttles, the audit log, residents' accounts and the
catalogue: every action called by every staff role, by a resident and without a token, each
answer written out by hand (not derived from the policies, so a changed policy fails here)."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.support import DEMO_BY_ROLE, Api, AppServer, assert_error, new_resident, staff_login

ROLES = ("clerk", "approver", "hall_manager", "finance", "supervisor", "admin", "hotline")
NO_ONE = "000000000000000000000000"   # a well-formed id of nothing


def _code() -> str:
    return "A-" + uuid.uuid4().hex[:8].upper()


@pytest.fixture(scope="module")
def people(server: AppServer) -> dict[str, Any]:
    """A token per staff role, a resident's token, a verified resident, a staff account and catalogue
    entries to act on."""
    api = Api(server.base)
    tokens = {role: staff_login(api, role=role)["access_token"] for role in ROLES}
    resident = new_resident(api, verified=True)
    target = api.post("/api/v1/staff/accounts", {"username": "acc" + uuid.uuid4().hex[:8],
                                                 "password": "Target-pass-2026", "roles": ["clerk"]},
                      token=tokens["admin"])
    assert target.status_code == 201, target.text
    manager = tokens["hall_manager"]
    dept = api.post("/api/v1/staff/departments", {"code": _code(), "name": "访问测试局"}, token=manager)
    hall = api.post("/api/v1/staff/halls", {
        "code": _code(), "name": "访问测试大厅", "address": "测试路 1 号",
        "opening_hours": [{"weekday": 1, "start": "09:00", "end": "17:00"}]}, token=manager)
    service = api.post("/api/v1/staff/services", _service_body(dept.json()["id"]), token=manager)
    assert dept.status_code == hall.status_code == service.status_code == 201
    return {"tokens": tokens, "resident": resident, "target": target.json()["id"], "department": dept.json()["id"],
            "hall": hall.json()["id"], "service": service.json()["id"]}


def _service_body(department_id: str) -> dict[str, Any]:
    return {"code": _code(), "name": "访问测试事项", "department_id": department_id, "guide": {
        "materials": [], "fee_fen": 0, "statutory_days": 5, "promised_days": 3, "online": True,
        "bookable": False, "visit_required": False, "max_visits": 0}}


Call = Callable[[Api, dict[str, Any], str | None], requests.Response]

# action → (call, {role: status}); "resident" and "nobody" are a resident's token and no token.
MATRIX: dict[str, tuple[Call, dict[str, int]]] = {
    "list staff accounts": (
        lambda api, p, t: api.get("/api/v1/staff/accounts", token=t),
        {"admin": 200, "clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "create a staff account": (
        lambda api, p, t: api.post("/api/v1/staff/accounts", {"username": "new" + uuid.uuid4().hex[:8],
                                                              "password": "New-pass-2026x", "roles": ["clerk"]},
                                   token=t),
        {"admin": 201, "clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "change a staff account": (
        lambda api, p, t: api.patch(f"/api/v1/staff/accounts/{p['target']}", {"display_name": "改名"}, token=t),
        {"admin": 200, "clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "change an unknown staff account": (
        lambda api, p, t: api.patch(f"/api/v1/staff/accounts/{NO_ONE}", {"display_name": "改名"}, token=t),
        {"admin": 404, "clerk": 403, "supervisor": 403}),
    "reset a staff password": (
        lambda api, p, t: api.post(f"/api/v1/staff/accounts/{p['target']}/password",
                                   {"password": "Reset-pass-2026"}, token=t),
        {"admin": 200, "clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "unlock a staff account": (
        lambda api, p, t: api.post(f"/api/v1/staff/accounts/{p['target']}/unlock", {}, token=t),
        {"admin": 200, "clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "unlock an unknown staff account": (
        lambda api, p, t: api.post(f"/api/v1/staff/accounts/{NO_ONE}/unlock", {}, token=t),
        {"admin": 404, "hotline": 403}),
    "read one's own account": (
        lambda api, p, t: api.get("/api/v1/staff/me", token=t),
        {"admin": 200, "clerk": 200, "approver": 200, "hall_manager": 200, "finance": 200, "supervisor": 200,
         "hotline": 200, "resident": 401, "nobody": 401}),
    "list login throttles": (
        lambda api, p, t: api.get("/api/v1/staff/login-throttles", token=t),
        {"admin": 200, "clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "clear an unknown login throttle": (
        lambda api, p, t: api.post("/api/v1/staff/login-throttles/nothing-here/clear", {}, token=t),
        {"admin": 404, "clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "read the audit log": (
        lambda api, p, t: api.get("/api/v1/staff/audit?limit=1", token=t),
        {"admin": 200, "supervisor": 200, "clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "find residents": (
        lambda api, p, t: api.get("/api/v1/staff/residents", params={"q": p["resident"].id_number}, token=t),
        {"clerk": 200, "approver": 200, "supervisor": 200, "finance": 200, "hall_manager": 403, "admin": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "read a resident's masked account": (
        lambda api, p, t: api.get(f"/api/v1/staff/residents/{p['resident'].id}", token=t),
        {"clerk": 200, "approver": 200, "supervisor": 200, "finance": 200, "hall_manager": 403, "admin": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "read an unknown resident": (
        lambda api, p, t: api.get(f"/api/v1/staff/residents/{NO_ONE}", token=t),
        {"clerk": 404, "finance": 404, "admin": 403}),
    # Clerks and approvers may reveal only the residents they handle; these handle nothing of this one.
    "reveal a resident not handled": (
        lambda api, p, t: api.post(f"/api/v1/staff/residents/{p['resident'].id}/reveal", {"reason": "核对身份信息"},
                                   token=t),
        {"clerk": 403, "approver": 403, "supervisor": 403, "finance": 403, "hall_manager": 403, "admin": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "reveal an unknown resident": (
        lambda api, p, t: api.post(f"/api/v1/staff/residents/{NO_ONE}/reveal", {"reason": "核对身份信息"}, token=t),
        {"clerk": 404, "approver": 404, "supervisor": 403}),
    "create a department": (
        lambda api, p, t: api.post("/api/v1/staff/departments", {"code": _code(), "name": "新部门"}, token=t),
        {"hall_manager": 201, "clerk": 403, "approver": 403, "finance": 403, "supervisor": 403, "admin": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "create a hall": (
        lambda api, p, t: api.post("/api/v1/staff/halls", {
            "code": _code(), "name": "新大厅", "address": "测试路 2 号",
            "opening_hours": [{"weekday": 2, "start": "09:00", "end": "12:00"}]}, token=t),
        {"hall_manager": 201, "clerk": 403, "approver": 403, "finance": 403, "supervisor": 403, "admin": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "change a hall": (
        lambda api, p, t: api.patch(f"/api/v1/staff/halls/{p['hall']}", {"notice": "请带好证件"}, token=t),
        {"hall_manager": 200, "clerk": 403, "approver": 403, "finance": 403, "supervisor": 403, "admin": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "change an unknown hall": (
        lambda api, p, t: api.patch(f"/api/v1/staff/halls/{NO_ONE}", {"notice": "请带好证件"}, token=t),
        {"hall_manager": 404, "clerk": 403}),
    "create a service": (
        lambda api, p, t: api.post("/api/v1/staff/services", _service_body(p["department"]), token=t),
        {"hall_manager": 201, "clerk": 403, "approver": 403, "finance": 403, "supervisor": 403, "admin": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "change a service": (
        lambda api, p, t: api.patch(f"/api/v1/staff/services/{p['service']}", {"keywords": ["测试"]}, token=t),
        {"hall_manager": 200, "clerk": 403, "approver": 403, "finance": 403, "supervisor": 403, "admin": 403,
         "hotline": 403, "resident": 401, "nobody": 401}),
    "change an unknown service": (
        lambda api, p, t: api.patch(f"/api/v1/staff/services/{NO_ONE}", {"keywords": ["测试"]}, token=t),
        {"hall_manager": 404, "approver": 403}),
}

CODES = {200: None, 201: None, 401: "unauthenticated", 404: "not_found"}


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_each_role_gets_what_the_policy_allows(api: Api, people: dict[str, Any], action: str) -> None:
    call, expected = MATRIX[action]
    for who, status in expected.items():
        token = None if who == "nobody" else (people["resident"].access_token if who == "resident"
                                                else people["tokens"][who])
        r = call(api, people, token)
        assert r.status_code == status, (action, who, r.status_code, r.text)
        if status == 403:
            code = "not_handling" if action == "reveal a resident not handled" and who in ("clerk", "approver") \
                else "forbidden"
            assert_error(r, 403, code)
        elif CODES.get(status):
            assert_error(r, status, CODES[status])


def test_own_password_is_only_ever_ones_own(api: Api, people: dict[str, Any]) -> None:
    """Changing one's password needs the current one and changes no other account."""
    admin = people["tokens"]["admin"]
    username = "own" + uuid.uuid4().hex[:8]
    made = api.post("/api/v1/staff/accounts", {"username": username, "password": "First-pass-2026",
                                               "roles": ["hotline"]}, token=admin)
    assert made.status_code == 201, made.text
    token = staff_login(api, username=username, password="First-pass-2026")["access_token"]
    assert_error(api.post("/api/v1/staff/me/password", {"current_password": "wrong-one-2026",
                                                         "new_password": "Second-pass-2026"}, token=token),
                 400, "wrong_password")
    r = api.post("/api/v1/staff/me/password", {"current_password": "First-pass-2026",
                                                "new_password": "Second-pass-2026"}, token=token)
    assert r.status_code == 200, r.text
    assert staff_login(api, username=username, password="Second-pass-2026")["staff"]["username"] == username
    # The demo accounts still sign in with their own passwords.
    assert staff_login(api, username=DEMO_BY_ROLE["hotline"])["staff"]["roles"] == ["hotline"]
    resident = new_resident(api)
    assert_error(api.post("/api/v1/staff/me/password", {"current_password": "x", "new_password": "y"},
                          token=resident.access_token), 401, "unauthenticated")
