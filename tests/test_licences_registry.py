"""The register of e-licences issued here (GET /staff/licences): holders masked, newest first, by
status, found by licence number or case serial; staff who handle or supervise cases only; library
copies never in it. A licence revoked from it is revoked for its holder, who is told why."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, AppServer, ResidentHandle, assert_error, new_resident, staff_login
from tests.support_cases import eventually, inbox
from tests.test_licences import give, issued_licence, refresh

REGISTER = "/api/v1/staff/licences"
READERS = ("clerk", "approver", "supervisor")
OTHERS = ("hotline", "hall_manager", "finance", "admin")


@pytest.fixture(scope="module")
def staff(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in (*READERS, *OTHERS)}


@pytest.fixture(scope="module")
def two(server: AppServer, staff: dict[str, str]) -> list[tuple[ResidentHandle, dict[str, Any]]]:
    """Two licences issued on completion, the second revoked (newest first: second, first)."""
    api = Api(server.base)
    first, second = issued_licence(api, staff), issued_licence(api, staff)
    assert api.post(f"/api/v1/staff/licences/{second[1]['id']}/revoke", {"reason": "登记事项有误"},
                    token=staff["approver"]).status_code == 200
    return [first, second]


def _numbers(api: Api, token: str, **params: Any) -> list[str]:
    r = api.get(REGISTER, params=params, token=token)
    assert r.status_code == 200, r.text
    return [i["number"] for i in r.json()["items"]]


@pytest.mark.parametrize("role", READERS)
def test_case_staff_read_the_register_with_holders_masked(api: Api, staff: dict[str, str], two: Any,
                                                          role: str) -> None:
    items = api.get(REGISTER, token=staff[role]).json()["items"]
    (holder, lic), (_, revoked) = two
    mine = {i["number"]: i for i in items}
    assert [n for n in mine if n in (lic["number"], revoked["number"])] == [revoked["number"], lic["number"]]
    row = mine[lic["number"]]
    assert row["holder_masked"] == lic["holder_masked"] != holder.name and holder.name not in str(items)
    assert row["name"] == "营业执照（个体工商户）" and row["status"] == "valid" and row["issued_at"]
    assert row["application_serial"].startswith("ZJB") and row["application_id"]
    assert mine[revoked["number"]]["status"] == "revoked"


@pytest.mark.parametrize("role", OTHERS)
def test_other_staff_are_refused(api: Api, staff: dict[str, str], role: str) -> None:
    assert_error(api.get(REGISTER, token=staff[role]), 403, "forbidden")


def test_residents_and_strangers_are_not_staff(api: Api) -> None:
    assert api.get(REGISTER).status_code == 401
    assert api.get(REGISTER, token=new_resident(api).access_token).status_code == 401


def test_filter_by_status_and_find_by_number_or_case_serial(api: Api, staff: dict[str, str], two: Any) -> None:
    (_, lic), (_, revoked) = two
    token = staff["supervisor"]
    valid, gone = _numbers(api, token, status="valid"), _numbers(api, token, status="revoked")
    assert lic["number"] in valid and revoked["number"] not in valid
    assert revoked["number"] in gone and lic["number"] not in gone
    assert _numbers(api, token, q=lic["number"].lower()) == [lic["number"]]
    serial = api.get(REGISTER, params={"q": lic["number"]}, token=token).json()["items"][0]["application_serial"]
    assert _numbers(api, token, q=f" {serial.lower()} ") == [lic["number"]]
    assert _numbers(api, token, q=revoked["number"], status="valid") == []
    assert _numbers(api, token, q="ZJB00000000000000") == []


def test_pages_follow_the_cursor(api: Api, staff: dict[str, str], two: Any) -> None:
    token = staff["clerk"]
    first = api.get(REGISTER, params={"limit": 1}, token=token).json()
    second = api.get(REGISTER, params={"limit": 1, "cursor": first["next_cursor"]}, token=token).json()
    assert first["next_cursor"] and first["items"][0]["number"] != second["items"][0]["number"]


def test_library_copies_are_not_in_the_register(api: Api, staff: dict[str, str]) -> None:
    resident = new_resident(api, verified=True)
    give(api, resident, "marriage")
    (copy,) = refresh(api, resident)
    assert copy["number"] not in _numbers(api, staff["approver"], limit=100)
    assert _numbers(api, staff["approver"], q=copy["number"]) == []


@pytest.mark.parametrize("params,field", [({"status": "lost"}, "status"), ({"q": ""}, "q"), ({"limit": 0}, "limit"),
                                          ({"q": "x" * 41}, "q")])
def test_bad_filters_are_400(api: Api, staff: dict[str, str], params: dict[str, Any], field: str) -> None:
    err = assert_error(api.get(REGISTER, params=params, token=staff["clerk"]), 400, "invalid_input")
    assert field in err["details"]["fields"]


def test_the_holder_is_told_of_a_revocation_with_its_reason(api: Api, two: Any) -> None:
    holder, revoked = two[1]
    told = eventually(lambda: [m for m in inbox(api, holder) if m.get("kind") == "licence.revoked"])
    assert len(told) == 1
    assert revoked["number"] in told[0]["text"] and "登记事项有误" in told[0]["text"]
    assert api.get(f"/api/v1/me/licences/{revoked['id']}", token=holder.access_token).json()["status"] == "revoked"
