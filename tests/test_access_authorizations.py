"""Who may do what with a grant (帮办代办授权), as a matrix written by hand: each action, called by
each staff role, the grantor, the resident grantee and another resident. A grant has two sides:
the grantor revokes it, the grantee (the clerk named, or the resident) reads the grantor's
licences through it; anyone else's grant is not found. Only clerks reach the 帮办 desk."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, AppServer, ResidentHandle, new_resident, staff_login

ROLES = ("hotline", "clerk", "approver", "supervisor", "hall_manager", "finance", "admin")
GRANTOR, GRANTEE, OTHER = "grantor", "grantee", "other"
RESIDENTS = (GRANTOR, GRANTEE, OTHER)
EVERYONE = (*ROLES, *RESIDENTS)

# who → expected status. Residents on staff endpoints are not staff (401); staff on the residents'
# endpoints are not residents (401).
RESIDENT_LISTS = {**{role: 401 for role in ROLES}, GRANTOR: 200, GRANTEE: 200, OTHER: 200}
REVOKE = {**{role: 401 for role in ROLES}, GRANTOR: 200, GRANTEE: 404, OTHER: 404}
RESIDENT_GRANTEE_LICENCES = {**{role: 401 for role in ROLES}, GRANTOR: 404, GRANTEE: 200, OTHER: 404}
# the grant names clerk1 (the demo clerk): the clerk role reads through it, other staff roles are refused
STAFF_GRANTEE_LICENCES = {**{role: 403 for role in ROLES}, "clerk": 200, GRANTOR: 401, GRANTEE: 401, OTHER: 401}
DESK = {**{role: 403 for role in ROLES}, "clerk": 200, GRANTOR: 401, GRANTEE: 401, OTHER: 401}


@pytest.fixture(scope="module")
def tokens(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {role: staff_login(api, role=role)["access_token"] for role in ROLES}


def _give(api: Api, grantor: ResidentHandle, grantee: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/api/v1/me/authorizations", {"grantee": grantee, "days": 7}, token=grantor.access_token)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def sides(api: Api) -> dict[str, Any]:
    """A grantor, a resident they granted, another resident, and the grantor's two grants."""
    grantor, grantee, other = (new_resident(api, verified=True) for _ in range(3))
    return {GRANTOR: grantor, GRANTEE: grantee, OTHER: other,
            "to_resident": _give(api, grantor, {"type": "resident", "id_number": grantee.id_number}),
            "to_clerk": _give(api, grantor, {"type": "staff", "username": "clerk1"})}


def _token(who: str, tokens: dict[str, str], sides: dict[str, Any]) -> str:
    return sides[who].access_token if who in RESIDENTS else tokens[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_each_side_of_a_grant(api: Api, tokens: dict[str, str], sides: dict[str, Any], who: str) -> None:
    token = _token(who, tokens, sides)
    to_resident, to_clerk = sides["to_resident"]["id"], sides["to_clerk"]["id"]
    assert api.get("/api/v1/me/authorizations", token=token).status_code == RESIDENT_LISTS[who]
    assert api.get("/api/v1/me/authorizations/received", token=token).status_code == RESIDENT_LISTS[who]
    assert api.get(f"/api/v1/me/authorizations/received/{to_resident}/licences",
                   token=token).status_code == RESIDENT_GRANTEE_LICENCES[who]
    assert api.get(f"/api/v1/staff/agency/authorizations/{to_clerk}/licences",
                   token=token).status_code == STAFF_GRANTEE_LICENCES[who]
    assert api.post(f"/api/v1/me/authorizations/{to_resident}/revoke", {},
                    token=token).status_code == REVOKE[who]
    given = api.get("/api/v1/me/authorizations", token=sides[GRANTOR].access_token).json()["items"]
    status = {g["id"]: g["status"] for g in given}
    assert status[to_resident] == ("revoked" if who == GRANTOR else "active")
    assert status[to_clerk] == "active"


@pytest.mark.parametrize("who", EVERYONE)
def test_only_clerks_reach_the_desk(api: Api, tokens: dict[str, str], sides: dict[str, Any], who: str) -> None:
    token = _token(who, tokens, sides)
    assert api.get("/api/v1/staff/agency/residents", params={"q": sides[GRANTOR].id_number},
                   token=token).status_code == DESK[who]
    code = api.get("/api/v1/me/identity-code", token=sides[GRANTOR].access_token).json()["code"]
    assert api.post("/api/v1/staff/agency/identify", {"identity_code": code},
                    token=token).status_code == DESK[who]
