"""Who may read, preview and enter the working calendar: each staff role, a resident and no one,
with the status each gets written out by hand. Entering is tried with a year's days that the
calendar refuses (400), so a caller who passes the access check changes nothing."""
from __future__ import annotations

import pytest

from tests.support import Api, assert_error, staff_login
from tests.support_appointments import verified

ROLES = ("clerk", "approver", "hall_manager", "finance", "supervisor", "admin", "hotline")
CALLERS = (*ROLES, "resident", "nobody")

# A year far ahead, so nothing else in the run has entered it.
PREVIEW = {"holidays": ["2099-10-01"], "workdays": []}
WRONG_YEAR = {"holidays": ["2098-10-01"], "workdays": []}   # not in 2099: refused after the access check

EXPECTED: dict[str, dict[str, int]] = {
    "read": {"clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 200, "admin": 200,
             "hotline": 403, "resident": 401, "nobody": 401},
    "preview": {"clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
                "admin": 200, "hotline": 403, "resident": 401, "nobody": 401},
    "enter": {"clerk": 403, "approver": 403, "hall_manager": 403, "finance": 403, "supervisor": 403,
              "admin": 400, "hotline": 403, "resident": 401, "nobody": 401},
}


@pytest.fixture(scope="module")
def tokens(server) -> dict[str, str | None]:  # noqa: ANN001
    api = Api(server.base)
    (resident,) = verified(api)
    return {**{role: staff_login(api, role=role)["access_token"] for role in ROLES},
            "resident": resident.access_token, "nobody": None}


def _call(api: Api, action: str, token: str | None) -> int:
    if action == "read":
        return api.get("/api/v1/staff/calendar", token=token).status_code
    if action == "preview":
        return api.post("/api/v1/staff/calendar/2099/preview", PREVIEW, token=token).status_code
    return api.put("/api/v1/staff/calendar/2099", WRONG_YEAR, token=token).status_code


@pytest.mark.parametrize("action", list(EXPECTED))
def test_each_caller_gets_what_the_calendar_policy_allows(api: Api, tokens: dict[str, str | None],
                                                          action: str) -> None:
    got = {caller: _call(api, action, tokens[caller]) for caller in CALLERS}
    assert got == EXPECTED[action]


def test_an_admin_passing_the_check_is_refused_by_the_days_and_nothing_is_entered(
        api: Api, tokens: dict[str, str | None]) -> None:
    err = assert_error(api.put("/api/v1/staff/calendar/2099", WRONG_YEAR, token=tokens["admin"]), 400,
                       "invalid_input")
    assert "holidays.0" in str(err)
    years = api.get("/api/v1/staff/calendar", token=tokens["admin"]).json()["years"]
    assert all(y["year"] != 2099 for y in years)
