"""Who may see a resident's full identity through a booking: the staff who acted on it (checked it
in), and the staff of the hall the resident is at today; a clerk of another hall, or one who did
nothing while the booking waits, may not — and the refusal is audited."""
from __future__ import annotations

import datetime as dt
import uuid

import requests

from tests.support import Api, AppServer, assert_error, staff_login
from tests.support_appointments import (
    advance_to,
    book,
    day_ahead,
    fresh_staff,
    make_bookable,
    open_day,
    slots,
    verified,
)


def _clerk(api: Api, hall_ids: list[str]) -> str:
    admin = staff_login(api, role="admin")["access_token"]
    username = f"h{uuid.uuid4().hex[:10]}"
    r = api.post("/api/v1/staff/accounts", {"username": username, "password": "Strong-pass-2026", "roles": ["clerk"],
                                            "display_name": "大厅窗口", "hall_ids": hall_ids}, token=admin)
    assert r.status_code == 201, r.text
    return staff_login(api, username=username, password="Strong-pass-2026")["access_token"]


def test_a_booking_opens_the_identity_to_who_acted_and_to_the_hall_the_resident_is_at(
        api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    elsewhere = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 1)
    open_day(api, b, day)
    (resident,) = verified(api)
    appt = book(api, resident.access_token, slots(api, b, day)[0]["id"]).json()

    def reveal(token: str) -> requests.Response:
        return api.post(f"/api/v1/staff/residents/{resident.id}/reveal", {"reason": "核对到场办事人身份"}, token=token)
    # Booked, not yet come: holding the clerk role is not handling the booking.
    assert_error(reveal(b.clerk), 403, "not_handling")
    assert_error(reveal(_clerk(api, [b.hall_id])), 403, "not_handling")
    advance_to(server, dt.datetime.fromisoformat(appt["start"]) - dt.timedelta(minutes=20))
    fresh_staff(b, api)
    here, there = _clerk(api, [b.hall_id]), _clerk(api, [elsewhere.hall_id])
    checkin = api.post("/api/v1/staff/checkin", {"appointment_code": appt["code"]}, token=b.clerk)
    assert checkin.status_code == 200, checkin.text
    # The clerk who checked them in acted on the booking.
    r = reveal(b.clerk)
    assert r.status_code == 200 and r.json()["id_number"] == resident.id_number
    # The resident is at this hall today, holding its ticket: its staff may; another hall's may not.
    assert reveal(here).status_code == 200
    err = assert_error(reveal(there), 403, "not_handling")
    assert "大厅" in err["message"]
    admin = staff_login(api, role="admin")["access_token"]
    entries = api.get(f"/api/v1/staff/audit?action=resident.identity.reveal&target_id={resident.id}",
                      token=admin).json()["items"]
    assert [e["outcome"] for e in entries] == ["denied", "ok", "ok", "denied", "denied"]
    assert entries[2]["details"]["handling"] == f"appointment:{appt['code']}"
    assert entries[1]["details"]["handling"] == f"hall:{appt['code']}"
