"""Who may do what to bundles (一件事) and life events, as a matrix: for each action, each staff
role, the resident who applied and another resident call the API and get the status written here
by hand. Staff accounts carry no department, so no scope narrows them further."""
from __future__ import annotations

from typing import Any, Callable

import pytest
import requests

from tests.support import Api, AppServer, make_id_number, new_resident, staff_login

ROLES = ("clerk", "approver", "hall_manager", "finance", "supervisor", "admin", "hotline")


@pytest.fixture(scope="module")
def who(server: AppServer) -> dict[str, Any]:
    api = Api(server.base)
    w: dict[str, Any] = {r: staff_login(api, role=r)["access_token"] for r in ROLES}
    w["owner"], w["other"] = new_resident(api, verified=True), new_resident(api, verified=True)
    form = {"company_name": "齐齐哈尔市鹤城餐饮有限公司", "company_type": "有限责任公司（自然人独资）",
            "registered_capital_wan": 50, "business_scope": "餐饮服务；食品销售",
            "company_address": "建华区新明大街 28 号", "legal_rep_name": "赵敏",
            "legal_rep_id_number": make_id_number(), "seal_count": 3, "invoice_needed": "是",
            "staff_count": 6, "contact_phone": "13600004444"}
    r = api.post("/api/v1/life-events/business/applications",
                 {"form": form, "materials": ["application", "articles", "shareholders", "legal_id"]},
                 token=w["owner"].access_token)
    assert r.status_code == 201, r.text
    w["bundle"] = r.json()
    return w


Call = Callable[[Api, str, dict[str, Any]], requests.Response]

STAFF_CALLS: dict[str, tuple[Call, dict[str, int]]] = {
    "inspect": (lambda api, t, w: api.get(f"/api/v1/staff/bundles/{w['bundle']['id']}", token=t),
                {"clerk": 200, "approver": 200, "finance": 200, "supervisor": 200,
                 "hall_manager": 403, "admin": 403, "hotline": 403}),
    "find by serial": (lambda api, t, w: api.get(f"/api/v1/staff/bundles?serial={w['bundle']['serial']}", token=t),
                       {"clerk": 200, "approver": 200, "finance": 200, "supervisor": 200,
                        "hall_manager": 403, "admin": 403, "hotline": 403}),
    # a bundle without fees: finance reaches it and is told there is nothing to pay (409)
    "pay": (lambda api, t, w: api.post(f"/api/v1/staff/bundles/{w['bundle']['id']}/payment", token=t),
            {"finance": 409, "clerk": 403, "approver": 403, "supervisor": 403,
             "hall_manager": 403, "admin": 403, "hotline": 403}),
    # an empty definition: hall managers reach the validation (400)
    "define life event": (lambda api, t, w: api.put("/api/v1/staff/life-events/business", {}, token=t),
                          {"hall_manager": 400, "clerk": 403, "approver": 403, "finance": 403,
                           "supervisor": 403, "admin": 403, "hotline": 403}),
}


@pytest.mark.parametrize(("action", "role", "status"),
                         [(a, role, exp[role]) for a, (_, exp) in STAFF_CALLS.items() for role in ROLES])
def test_staff_actions_by_role(api: Api, who: dict[str, Any], action: str, role: str, status: int) -> None:
    call, _ = STAFF_CALLS[action]
    r = call(api, who[role], who)
    assert r.status_code == status, (action, role, r.text)


@pytest.mark.parametrize("action", sorted(STAFF_CALLS))
def test_residents_cannot_use_staff_actions(api: Api, who: dict[str, Any], action: str) -> None:
    call, _ = STAFF_CALLS[action]
    assert call(api, who["owner"].access_token, who).status_code == 401


def test_only_the_resident_who_applied_sees_the_bundle(api: Api, who: dict[str, Any]) -> None:
    path = f"/api/v1/bundles/{who['bundle']['id']}"
    r = api.get(path, token=who["owner"].access_token)
    assert r.status_code == 200 and r.json()["id"] == who["bundle"]["id"]
    assert api.get(path, token=who["other"].access_token).status_code == 404
    assert who["bundle"]["id"] not in [b["id"] for b in
                                       api.get("/api/v1/bundles", token=who["other"].access_token).json()["items"]]
    for role in ROLES:
        assert api.get(path, token=who[role]).status_code == 401, role


def test_a_missing_bundle_is_not_found(api: Api, who: dict[str, Any]) -> None:
    missing = "0123456789abcdef01234567"
    assert api.get(f"/api/v1/bundles/{missing}", token=who["owner"].access_token).status_code == 404
    assert api.get(f"/api/v1/staff/bundles/{missing}", token=who["clerk"]).status_code == 404
    assert api.post(f"/api/v1/staff/bundles/{missing}/payment", token=who["finance"]).status_code == 404
    assert api.get(f"/api/v1/staff/bundles/{missing}", token=who["admin"]).status_code == 403
