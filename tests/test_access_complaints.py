"""Who may do what with a 12345 complaint, as a matrix: each action, called by each staff role, the
resident it belongs to and another resident, answers with the status written here by hand. Replies
are narrowed by handling: the hotline answers what it has not assigned, the department what it was
assigned."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, ResidentHandle, new_resident, staff_login

ROLES = ("hotline", "clerk", "approver", "supervisor", "hall_manager", "finance", "admin")
OWNER, OTHER = "owner", "other"


@pytest.fixture(scope="module")
def tokens(server) -> dict[str, str]:  # noqa: ANN001
    api = Api(server.base)
    return {role: staff_login(api, role=role)["access_token"] for role in ROLES}


def _complain(api: Api, r: ResidentHandle) -> dict[str, Any]:
    resp = api.post("/api/v1/complaints", {"category": "complaint", "content": "政务大厅取号机经常故障，排队很久"},
                    token=r.access_token)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _department(api: Api) -> str:
    return next(d["id"] for d in api.get("/api/v1/departments").json()["items"] if d["code"] == "REAL")


def _assigned(api: Api, tokens: dict[str, str], r: ResidentHandle) -> dict[str, Any]:
    c = _complain(api, r)
    resp = api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": _department(api)},
                    token=tokens["hotline"])
    assert resp.status_code == 200, resp.text
    return c


def _caller(who: str, tokens: dict[str, str], owner: ResidentHandle, other: ResidentHandle) -> str:
    return owner.access_token if who == OWNER else other.access_token if who == OTHER else tokens[who]


# action → who → expected status. Residents on staff endpoints are not staff (401); staff on the
# residents' endpoints are not residents (401).
READ = {"hotline": 200, "clerk": 200, "approver": 200, "supervisor": 200, "hall_manager": 403, "finance": 403,
        "admin": 403, OWNER: 401, OTHER: 401}
HOTLINE_ONLY = {"hotline": 200, "clerk": 403, "approver": 403, "supervisor": 403, "hall_manager": 403,
                "finance": 403, "admin": 403, OWNER: 401, OTHER: 401}
DEPARTMENT_REPLY = {"hotline": 403, "clerk": 200, "approver": 200, "supervisor": 403, "hall_manager": 403,
                    "finance": 403, "admin": 403, OWNER: 401, OTHER: 401}
SUMMARY = {"hotline": 403, "clerk": 403, "approver": 403, "supervisor": 200, "hall_manager": 403, "finance": 403,
           "admin": 403, OWNER: 401, OTHER: 401}
RESIDENT_VIEW = {**{role: 401 for role in ROLES}, OWNER: 200, OTHER: 404}
EVERYONE = (*ROLES, OWNER, OTHER)


@pytest.mark.parametrize("who", EVERYONE)
def test_reading_complaints(api: Api, tokens: dict[str, str], who: str) -> None:
    owner, other = new_resident(api), new_resident(api)
    c = _complain(api, owner)
    token = _caller(who, tokens, owner, other)
    assert api.get("/api/v1/staff/complaints", token=token).status_code == READ[who]
    assert api.get(f"/api/v1/staff/complaints/{c['id']}", token=token).status_code == READ[who]
    assert api.get(f"/api/v1/complaints/{c['id']}", token=token).status_code == RESIDENT_VIEW[who]
    assert api.get("/api/v1/staff/complaints/summary", token=token).status_code == SUMMARY[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_assigning_and_merging_are_the_hotlines(api: Api, tokens: dict[str, str], who: str) -> None:
    owner, other = new_resident(api), new_resident(api)
    token = _caller(who, tokens, owner, other)
    c = _complain(api, owner)
    assert api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": _department(api)},
                    token=token).status_code == HOTLINE_ONLY[who]
    master, dup = _complain(api, owner), _complain(api, owner)
    assert api.post(f"/api/v1/staff/complaints/{dup['id']}/merge", {"into": master["serial"]},
                    token=token).status_code == HOTLINE_ONLY[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_replies_are_for_whoever_handles_the_complaint_now(api: Api, tokens: dict[str, str], who: str) -> None:
    owner, other = new_resident(api), new_resident(api)
    token = _caller(who, tokens, owner, other)
    received = _complain(api, owner)
    assert api.post(f"/api/v1/staff/complaints/{received['id']}/reply", {"reply": "已联系物业修复取号机"},
                    token=token).status_code == HOTLINE_ONLY[who]
    assigned = _assigned(api, tokens, owner)
    assert api.post(f"/api/v1/staff/complaints/{assigned['id']}/reply", {"reply": "已更换取号机"},
                    token=token).status_code == DEPARTMENT_REPLY[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_feedback_is_the_residents_own(api: Api, tokens: dict[str, str], who: str) -> None:
    owner, other = new_resident(api), new_resident(api)
    c = _assigned(api, tokens, owner)
    assert api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "已更换取号机"},
                    token=tokens["clerk"]).status_code == 200
    expected = {**{role: 401 for role in ROLES}, OWNER: 200, OTHER: 404}[who]
    assert api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": True},
                    token=_caller(who, tokens, owner, other)).status_code == expected


def test_an_unknown_complaint_is_not_found_for_staff_who_may_act(api: Api, tokens: dict[str, str]) -> None:
    missing = "6650a1f0c2a4b5d6e7f80999"
    assert api.get(f"/api/v1/staff/complaints/{missing}", token=tokens["supervisor"]).status_code == 404
    assert api.post(f"/api/v1/staff/complaints/{missing}/reply", {"reply": "已更换取号机"},
                    token=tokens["clerk"]).status_code == 404


@pytest.mark.parametrize("who", EVERYONE)
def test_the_phone_left_is_for_whoever_handles_the_complaint_now(api: Api, tokens: dict[str, str],
                                                                  who: str) -> None:
    owner, other = new_resident(api), new_resident(api)
    token = _caller(who, tokens, owner, other)
    body = {"category": "request", "content": "家门口的路灯坏了一周", "contact_ok": True,
            "contact_phone": "13800138000"}
    received = api.post("/api/v1/complaints", body, token=owner.access_token).json()
    assert api.post(f"/api/v1/staff/complaints/{received['id']}/contact",
                    token=token).status_code == HOTLINE_ONLY[who]
    assigned = api.post("/api/v1/complaints", body, token=owner.access_token).json()
    assert api.post(f"/api/v1/staff/complaints/{assigned['id']}/assign", {"department_id": _department(api)},
                    token=tokens["hotline"]).status_code == 200
    assert api.post(f"/api/v1/staff/complaints/{assigned['id']}/contact",
                    token=token).status_code == DEPARTMENT_REPLY[who]
