"""Who may do what to halls, bookings, waitlist entries and queue tickets: every action of the
appointments policies called through the API by each staff role, the resident it belongs to and
another resident, with the status each gets written out by hand; then hall scope (an account
limited to other halls is refused, one limited to this hall is not)."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from backend.core.clock import TZ
from tests.support import Api, AppServer, assert_error, staff_login
from tests.support_appointments import (
    advance_to,
    another_hall,
    book,
    local_today,
    make_bookable,
    open_day,
    slots,
    verified,
)

ROLES = ("clerk", "approver", "hall_manager", "finance", "supervisor", "admin", "hotline")


@dataclass
class World:
    hall_id: str
    window_id: str
    service_id: str
    day: str
    appt: dict[str, Any]
    entry_id: str
    ticket_id: str
    owner: str            # the resident whose booking and waitlist entry they are
    other: str            # another resident
    waiter: str           # the resident on the waitlist
    staff: dict[str, str]  # role → token


def _scoped(api: Api, roles: list[str], hall_ids: list[str]) -> str:
    admin = staff_login(api, role="admin")["access_token"]
    username = f"s{uuid.uuid4().hex[:8]}"
    r = api.post("/api/v1/staff/accounts", {"username": username, "password": "Strong-pass-2026", "roles": roles,
                                            "display_name": "限定大厅", "hall_ids": hall_ids}, token=admin)
    assert r.status_code == 201, r.text
    return staff_login(api, username=username, password="Strong-pass-2026")["access_token"]


@pytest.fixture(scope="module")
def world(server: AppServer) -> Any:
    api = Api(server.base)
    # A morning the hall is open (every day 08:30–12:00 unless a public holiday): walk-ins are taken.
    today = local_today(server) + dt.timedelta(days=1)
    while server.ctx.service("catalogue").calendar.is_public_holiday(today):
        today += dt.timedelta(days=1)
    advance_to(server, dt.datetime.combine(today, dt.time(10, 0), TZ))
    b = make_bookable(api, capacity=1, services=1)
    day = today + dt.timedelta(days=2)
    open_day(api, b, day)
    owner, other, waiter = verified(api, 3)
    slot = slots(api, b, day)[0]
    r = book(api, owner.access_token, slot["id"])
    assert r.status_code == 201, r.text
    entry = api.post(f"/api/v1/slots/{slot['id']}/waitlist", token=waiter.access_token)
    assert entry.status_code == 201, entry.text
    ticket = api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_id}, token=b.clerk)
    assert ticket.status_code == 201, ticket.text
    yield World(b.hall_id, b.window_id, b.service_id, day.isoformat(), r.json(), entry.json()["id"],
                ticket.json()["id"], owner.access_token, other.access_token, waiter.access_token,
                {role: staff_login(api, role=role)["access_token"] for role in ROLES})
    server.clock.reset()


def _call(api: Api, w: World, action: str, token: str) -> int:
    h, a = w.hall_id, w.appt
    calls = {
        "hall.schedules": lambda: api.get(f"/api/v1/staff/halls/{h}/schedules", token=token),
        "hall.calendar": lambda: api.get(f"/api/v1/staff/halls/{h}/calendar", params={"from": w.day, "to": w.day},
                                         token=token),
        "hall.closures": lambda: api.post(f"/api/v1/staff/halls/{h}/closures/preview", {"dates": [w.day]},
                                          token=token),
        "hall.appointments": lambda: api.get("/api/v1/staff/appointments", params={"hall_id": h, "date": w.day},
                                             token=token),
        "hall.queue": lambda: api.get("/api/v1/staff/queue", params={"hall_id": h}, token=token),
        "hall.walk_in": lambda: api.post("/api/v1/staff/tickets", {"hall_id": h, "service_id": w.service_id},
                                         token=token),
        "hall.call": lambda: api.post(f"/api/v1/staff/windows/{w.window_id}/call-next", {"hall_id": h},
                                      token=token),
        "ticket.recall": lambda: api.post(f"/api/v1/staff/tickets/{w.ticket_id}/recall", token=token),
        "ticket.finish": lambda: api.post(f"/api/v1/staff/tickets/{w.ticket_id}/served", token=token),
        "appointment.read": lambda: api.get(f"/api/v1/appointments/{a['id']}", token=token),
        "appointment.queue": lambda: api.get(f"/api/v1/appointments/{a['id']}/queue", token=token),
        "appointment.find": lambda: api.get("/api/v1/staff/appointments", params={"code": a["code"]}, token=token),
        "appointment.check_in": lambda: api.post("/api/v1/staff/checkin", {"appointment_code": a["code"]},
                                                 token=token),
        "waitlist.accept": lambda: api.post(f"/api/v1/waitlist/{w.entry_id}/accept", token=token),
    }
    return calls[action]().status_code


# What each caller gets, by action: the roles the policy names pass its check (the status then is
# what the action itself answers), every other role is 403, a resident on a staff action 401, a
# member of staff on a resident's action 401, another resident 404.
STAFF_ONLY = {"resident": 401, "other": 401}
EXPECTED: dict[str, dict[str, int]] = {
    "hall.schedules": {"hall_manager": 200, **STAFF_ONLY},
    "hall.calendar": {"hall_manager": 200, "clerk": 200, **STAFF_ONLY},
    "hall.closures": {"hall_manager": 200, **STAFF_ONLY},
    "hall.appointments": {"hall_manager": 200, "clerk": 200, **STAFF_ONLY},
    "hall.queue": {"hall_manager": 200, "clerk": 200, **STAFF_ONLY},
    "hall.walk_in": {"clerk": 201, **STAFF_ONLY},
    "hall.call": {"clerk": 200, **STAFF_ONLY},            # calls the ticket taken when the world was made
    "ticket.recall": {"clerk": 200, **STAFF_ONLY},
    "ticket.finish": {"clerk": 200, **STAFF_ONLY},
    "appointment.find": {"hall_manager": 200, "clerk": 200, **STAFF_ONLY},
    "appointment.check_in": {"clerk": 409, **STAFF_ONLY},  # passes access; two days early to check in
    "appointment.read": {**{role: 401 for role in ROLES}, "resident": 200, "other": 404},
    "appointment.queue": {**{role: 401 for role in ROLES}, "resident": 200, "other": 404},
    "waitlist.accept": {**{role: 401 for role in ROLES}, "resident": 409, "other": 404},  # not offered yet
}


@pytest.mark.parametrize("action", list(EXPECTED))
def test_each_caller_gets_what_the_policy_allows(api: Api, world: World, action: str) -> None:
    expected = EXPECTED[action]
    got = {}
    for caller in (*ROLES, "resident", "other"):
        if caller in ROLES:
            token = world.staff[caller]
        elif caller == "other":
            token = world.other
        else:
            token = world.waiter if action.startswith("waitlist.") else world.owner
        got[caller] = _call(api, world, action, token)
    assert got == {caller: expected.get(caller, 403) for caller in got}


def test_an_account_limited_to_other_halls_is_refused_in_this_one(api: Api, world: World) -> None:
    elsewhere = [another_hall(api)]
    clerk = _scoped(api, ["clerk"], elsewhere)
    manager = _scoped(api, ["hall_manager"], elsewhere)
    for action, token in (("hall.schedules", manager), ("hall.closures", manager), ("hall.calendar", clerk),
                          ("hall.appointments", clerk), ("hall.queue", clerk), ("hall.walk_in", clerk),
                          ("hall.call", clerk), ("ticket.recall", clerk), ("ticket.finish", clerk),
                          ("appointment.find", manager), ("appointment.check_in", clerk)):
        assert _call(api, world, action, token) == 403, action
    err = assert_error(api.get("/api/v1/staff/appointments", params={"code": world.appt["code"]}, token=clerk),
                       403, "hall_scope")
    assert err["details"] == {"hall_id": world.hall_id}
    assert_error(api.post(f"/api/v1/staff/tickets/{world.ticket_id}/absent", token=clerk), 403, "hall_scope")


def test_an_account_limited_to_this_hall_works_in_it(api: Api, world: World) -> None:
    manager = _scoped(api, ["hall_manager"], [world.hall_id])
    clerk = _scoped(api, ["clerk"], [world.hall_id])
    assert _call(api, world, "hall.schedules", manager) == 200
    assert _call(api, world, "hall.queue", clerk) == 200
    found = api.get("/api/v1/staff/appointments", params={"code": world.appt["code"]}, token=clerk)
    assert found.status_code == 200 and [a["id"] for a in found.json()["items"]] == [world.appt["id"]]


def test_a_ticket_or_booking_that_does_not_exist_is_404(api: Api, world: World) -> None:
    clerk = world.staff["clerk"]
    assert_error(api.post("/api/v1/staff/tickets/000000000000000000000000/recall", token=clerk), 404, "not_found")
    assert_error(api.get("/api/v1/appointments/000000000000000000000000", token=world.owner), 404, "not_found")
    assert_error(api.post("/api/v1/waitlist/not-an-id/leave", token=world.waiter), 404, "not_found")


def test_only_the_owner_cancels_or_leaves(api: Api, world: World) -> None:
    a = world.appt
    assert_error(api.post(f"/api/v1/appointments/{a['id']}/cancel", token=world.other), 404, "not_found")
    assert_error(api.post(f"/api/v1/waitlist/{world.entry_id}/leave", token=world.owner), 404, "not_found")
    assert api.post(f"/api/v1/appointments/{a['id']}/cancel", token=world.staff["clerk"]).status_code == 401
    left = api.post(f"/api/v1/waitlist/{world.entry_id}/leave", token=world.waiter)
    assert left.status_code == 200 and left.json()["status"] == "left", left.text
    cancelled = api.post(f"/api/v1/appointments/{a['id']}/cancel", token=world.owner)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
