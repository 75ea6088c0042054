"""Who may do what to cases (办件), ratings and rectification orders, as a matrix: for each action,
each staff role, the applicant and another resident call the API and get the status written
here by hand. Staff accounts carry no department, so no scope narrows them further; the
state machine's own roles per step are tested in test_cases_flow."""
from __future__ import annotations

from typing import Any, Callable

import pytest
import requests

from tests.support import Api, AppServer, ResidentHandle, new_resident, staff_login
from tests.support_cases import submit

ROLES = ("clerk", "approver", "hall_manager", "finance", "supervisor", "admin", "hotline")
NO_RECT = "0123456789abcdef01234567"  # a well-formed id of no rectification order


@pytest.fixture(scope="module")
def who(server: AppServer) -> dict[str, Any]:
    api = Api(server.base)
    tokens: dict[str, Any] = {r: staff_login(api, role=r)["access_token"] for r in ROLES}
    owner = new_resident(api, verified=True)
    tokens["owner"], tokens["other"] = owner, new_resident(api, verified=True)
    tokens["case"] = submit(api, owner)
    return tokens


Call = Callable[[Api, str, dict[str, Any]], requests.Response]


def _staff_matrix(expected: dict[str, int]) -> list[tuple[str, int]]:
    return [(role, expected[role]) for role in ROLES]


STAFF_CALLS: dict[str, tuple[Call, dict[str, int]]] = {
    "inspect": (lambda api, t, w: api.get(f"/api/v1/staff/applications/{w['case']['id']}", token=t),
                {"clerk": 200, "approver": 200, "finance": 200, "supervisor": 200,
                 "hall_manager": 403, "admin": 403, "hotline": 403}),
    "inspect by serial": (lambda api, t, w: api.get(f"/api/v1/staff/applications/{w['case']['serial']}", token=t),
                          {"clerk": 200, "approver": 200, "finance": 200, "supervisor": 200,
                           "hall_manager": 403, "admin": 403, "hotline": 403}),
    "list": (lambda api, t, w: api.get("/api/v1/staff/applications", token=t),
             {"clerk": 200, "approver": 200, "finance": 200, "supervisor": 200,
              "hall_manager": 403, "admin": 403, "hotline": 403}),
    # a step the machine refuses from 已提交: the roles that may move cases reach the machine (409)
    "move": (lambda api, t, w: api.post(f"/api/v1/staff/applications/{w['case']['id']}/transition",
                                        {"to": "completed"}, token=t),
             {"clerk": 409, "approver": 409, "finance": 403, "supervisor": 403,
              "hall_manager": 403, "admin": 403, "hotline": 403}),
    "review material": (lambda api, t, w: api.post(
        f"/api/v1/staff/applications/{w['case']['id']}/materials/id_card/review", {"verdict": "accepted"}, token=t),
        {"clerk": 200, "approver": 200, "finance": 403, "supervisor": 403,
         "hall_manager": 403, "admin": 403, "hotline": 403}),
    # a material that was given, not promised: a clerk reaches the case and is told so (409)
    "receive material": (lambda api, t, w: api.post(
        f"/api/v1/staff/applications/{w['case']['id']}/materials/id_card/received", token=t),
        {"clerk": 409, "approver": 403, "finance": 403, "supervisor": 403,
         "hall_manager": 403, "admin": 403, "hotline": 403}),
    "supervision cases": (lambda api, t, w: api.get("/api/v1/staff/supervision/cases", token=t),
                          {"supervisor": 200, "clerk": 403, "approver": 403, "finance": 403,
                           "hall_manager": 403, "admin": 403, "hotline": 403}),
    "supervision summary": (lambda api, t, w: api.get("/api/v1/staff/supervision/summary", token=t),
                            {"supervisor": 200, "clerk": 403, "approver": 403, "finance": 403,
                             "hall_manager": 403, "admin": 403, "hotline": 403}),
    "ratings": (lambda api, t, w: api.get("/api/v1/staff/ratings", token=t),
                {"supervisor": 200, "clerk": 403, "approver": 403, "finance": 403,
                 "hall_manager": 403, "admin": 403, "hotline": 403}),
    "rectifications": (lambda api, t, w: api.get("/api/v1/staff/rectifications", token=t),
                       {"supervisor": 200, "clerk": 200, "approver": 200, "finance": 403,
                        "hall_manager": 403, "admin": 403, "hotline": 403}),
    "reply rectification": (lambda api, t, w: api.post(f"/api/v1/staff/rectifications/{NO_RECT}/reply",
                                                       {"reply": "已整改"}, token=t),
                            {"supervisor": 404, "clerk": 404, "approver": 404, "finance": 403,
                             "hall_manager": 403, "admin": 403, "hotline": 403}),
    "close rectification": (lambda api, t, w: api.post(f"/api/v1/staff/rectifications/{NO_RECT}/close", {},
                                                       token=t),
                            {"supervisor": 404, "clerk": 403, "approver": 403, "finance": 403,
                             "hall_manager": 403, "admin": 403, "hotline": 403}),
}


@pytest.mark.parametrize(("action", "role", "status"),
                         [(a, role, st) for a, (_, exp) in STAFF_CALLS.items() for role, st in _staff_matrix(exp)])
def test_staff_actions_by_role(api: Api, who: dict[str, Any], action: str, role: str, status: int) -> None:
    call, _ = STAFF_CALLS[action]
    r = call(api, who[role], who)
    assert r.status_code == status, (action, role, r.text)


@pytest.mark.parametrize("action", sorted(STAFF_CALLS))
def test_residents_cannot_use_staff_actions(api: Api, who: dict[str, Any], action: str) -> None:
    call, _ = STAFF_CALLS[action]
    owner: ResidentHandle = who["owner"]
    assert call(api, owner.access_token, who).status_code == 401


RESIDENT_CALLS: dict[str, tuple[Call, int]] = {
    # (the call, what the applicant gets; another resident always gets 404, staff 401)
    "view": (lambda api, t, w: api.get(f"/api/v1/applications/{w['case']['id']}", token=t), 200),
    "rate": (lambda api, t, w: api.post(f"/api/v1/applications/{w['case']['id']}/rating", {"score": 5}, token=t),
             409),  # not finished yet
    "resubmit": (lambda api, t, w: api.post(f"/api/v1/applications/{w['case']['id']}/resubmit", {}, token=t),
                 409),  # no correction was asked for
    "supply": (lambda api, t, w: api.post(f"/api/v1/applications/{w['case']['id']}/materials", {}, token=t),
               400),  # nothing given
}


@pytest.mark.parametrize("action", sorted(RESIDENT_CALLS))
def test_resident_actions(api: Api, who: dict[str, Any], action: str) -> None:
    call, owner_status = RESIDENT_CALLS[action]
    assert call(api, who["owner"].access_token, who).status_code == owner_status
    assert call(api, who["other"].access_token, who).status_code == 404
    for role in ROLES:
        assert call(api, who[role], who).status_code == 401, role


def test_only_the_applicant_withdraws(api: Api, server: AppServer) -> None:
    owner, other = new_resident(api, verified=True), new_resident(api, verified=True)
    case = submit(api, owner)
    path = f"/api/v1/applications/{case['id']}/withdraw"
    assert api.post(path, token=other.access_token).status_code == 404
    assert api.post(path, token=staff_login(api, role="clerk")["access_token"]).status_code == 401
    assert api.get(f"/api/v1/applications/{case['id']}", token=owner.access_token).json()["status"] == "submitted"
    r = api.post(path, token=owner.access_token)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


def test_a_missing_case_is_not_found_for_everyone(api: Api, who: dict[str, Any]) -> None:
    missing = "0123456789abcdef01234567"
    assert api.get(f"/api/v1/applications/{missing}", token=who["owner"].access_token).status_code == 404
    for role in ("clerk", "approver", "finance", "supervisor"):
        assert api.get(f"/api/v1/staff/applications/{missing}", token=who[role]).status_code == 404, role
    assert api.get(f"/api/v1/staff/applications/{missing}", token=who["admin"]).status_code == 403
