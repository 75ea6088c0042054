"""Who may do what with an e-licence, as a matrix written by hand: each action, called by each staff
role, the resident holding it and another resident. Staff read a licence only while they handle
cases (clerks, approvers) and only one presented for a case; approvers revoke the ones issued
here; the holder reads and downloads their own."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, AppServer, ResidentHandle, new_resident, staff_login
from tests.support_cases import service
from tests.test_licences import give, issued_licence, refresh

ROLES = ("hotline", "clerk", "approver", "supervisor", "hall_manager", "finance", "admin")
OWNER, OTHER = "owner", "other"
EVERYONE = (*ROLES, OWNER, OTHER)

# who → expected status. Residents on staff endpoints are not staff (401); staff on the residents'
# endpoints are not residents (401); staff who do not handle cases find no licence (404).
HOLDER = {**{role: 401 for role in ROLES}, OWNER: 200, OTHER: 404}
INSPECT_PRESENTED = {"hotline": 404, "clerk": 200, "approver": 200, "supervisor": 404, "hall_manager": 404,
                     "finance": 404, "admin": 404, OWNER: 401, OTHER: 401}
INSPECT_NOT_PRESENTED = {**INSPECT_PRESENTED, "clerk": 404, "approver": 404}
# a library copy is revoked by its own authority: not found even for an approver
REVOKE_COPY = {"hotline": 403, "clerk": 403, "approver": 404, "supervisor": 403, "hall_manager": 403,
               "finance": 403, "admin": 403, OWNER: 401, OTHER: 401}


@pytest.fixture(scope="module")
def tokens(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {role: staff_login(api, role=role)["access_token"] for role in ROLES}


@pytest.fixture(scope="module")
def held(server: AppServer) -> tuple[ResidentHandle, ResidentHandle, dict[str, Any], dict[str, Any]]:
    """A holder, another resident, a library copy presented for a case and one never presented."""
    api = Api(server.base)
    owner, other = new_resident(api, verified=True), new_resident(api, verified=True)
    give(api, owner, "id_card")
    give(api, owner, "hukou")
    give(api, owner, "marriage")
    copies = {i["type"]: i for i in refresh(api, owner)}
    resp = api.post("/api/v1/applications", {"service_id": service(api, "SB-YL")["id"], "form": {"note": "参保"},
                                             "licences": [
                                                 {"material_key": "id_card", "licence_id": copies["id_card"]["id"]},
                                                 {"material_key": "hukou", "licence_id": copies["hukou"]["id"]}]},
                    token=owner.access_token)
    assert resp.status_code == 201, resp.text
    return owner, other, copies["id_card"], copies["marriage"]


def _caller(who: str, tokens: dict[str, str], owner: ResidentHandle, other: ResidentHandle) -> str:
    return owner.access_token if who == OWNER else other.access_token if who == OTHER else tokens[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_the_holder_reads_and_downloads_their_own(api: Api, tokens: dict[str, str], held: Any, who: str) -> None:
    owner, other, presented, _ = held
    token = _caller(who, tokens, owner, other)
    assert api.get(f"/api/v1/me/licences/{presented['id']}", token=token).status_code == HOLDER[who]
    assert api.get(f"/api/v1/me/licences/{presented['id']}/pdf", token=token).status_code == HOLDER[who]
    listing = api.get("/api/v1/me/licences", token=token)
    assert listing.status_code == (401 if who in ROLES else 200)
    if who == OWNER:
        assert {i["id"] for i in listing.json()["items"]} >= {presented["id"]}
    elif who == OTHER:
        assert listing.json()["items"] == []


@pytest.mark.parametrize("who", EVERYONE)
def test_staff_handling_cases_read_a_licence_presented_for_one(api: Api, tokens: dict[str, str], held: Any,
                                                               who: str) -> None:
    owner, other, presented, never = held
    token = _caller(who, tokens, owner, other)
    assert api.get(f"/api/v1/staff/licences/{presented['id']}", token=token).status_code == INSPECT_PRESENTED[who]
    assert api.get(f"/api/v1/staff/licences/{never['id']}", token=token).status_code == INSPECT_NOT_PRESENTED[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_revoking_a_library_copy(api: Api, tokens: dict[str, str], held: Any, who: str) -> None:
    owner, other, _, never = held
    token = _caller(who, tokens, owner, other)
    resp = api.post(f"/api/v1/staff/licences/{never['id']}/revoke", {"reason": "测试撤销"}, token=token)
    assert resp.status_code == REVOKE_COPY[who]
    assert api.get(f"/api/v1/me/licences/{never['id']}", token=owner.access_token).json()["status"] == "valid"


def test_only_an_approver_revokes_a_licence_issued_here(api: Api, tokens: dict[str, str]) -> None:
    case_staff = {r: tokens[r] for r in ("clerk", "approver")}
    holder, lic = issued_licence(api, case_staff)
    for role in ROLES:
        if role != "approver":
            assert api.post(f"/api/v1/staff/licences/{lic['id']}/revoke", {"reason": "测试撤销"},
                            token=tokens[role]).status_code == 403
    assert api.post(f"/api/v1/staff/licences/{lic['id']}/revoke", {"reason": "测试撤销"},
                    token=holder.access_token).status_code == 401
    assert api.get(f"/api/v1/me/licences/{lic['id']}", token=holder.access_token).json()["status"] == "valid"
    assert api.post(f"/api/v1/staff/licences/{lic['id']}/revoke", {"reason": "测试撤销"},
                    token=tokens["approver"]).status_code == 200
    assert api.get(f"/api/v1/me/licences/{lic['id']}", token=holder.access_token).json()["status"] == "revoked"


def test_the_licence_a_case_issued_is_shown_to_case_staff_only(api: Api) -> None:
    from tests.support_cases import service
    from tests.test_licences import complete

    tokens = {r: staff_login(api, role=r)["access_token"]
              for r in ("clerk", "approver", "supervisor", "finance", "hotline", "hall_manager", "admin")}
    r = new_resident(api, verified=True)
    made = api.post("/api/v1/applications", {"service_id": service(api, "SC-GTH")["id"], "form": {"name": "李记小馆"},
                                             "materials": ["id_card"]}, token=r.access_token)
    assert made.status_code == 201, made.text
    case = complete(api, tokens, made.json()["id"])
    expected = {"clerk": 200, "approver": 200, "supervisor": 200, "finance": 403, "hotline": 403, "hall_manager": 403,
                "admin": 403}
    for role, status in expected.items():
        assert api.get(f"/api/v1/staff/applications/{case['id']}/licence", token=tokens[role]).status_code == status
    assert api.get(f"/api/v1/staff/applications/{case['id']}/licence", token=r.access_token).status_code == 401
