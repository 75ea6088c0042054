"""Staff see who they serve (masked) and find people and cases by what they are told at the window:
a case serial, an ID number, a full name or a booking code; never by an internal id."""
from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support import Api, AppServer, assert_error, make_id_number, staff_login
from tests.support_appointments import (
    advance_to,
    book,
    day_ahead,
    fresh_staff,
    make_bookable,
    open_day,
    slots,
    to_local,
)
from tests.support_cases import submit
from tests.support_people import id_masked, masked, verified


def cases(api: Api, token: str, **params: str) -> list[dict[str, Any]]:
    r = api.get("/api/v1/staff/applications", params=params, token=token)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def audit(api: Api, action: str) -> list[dict[str, Any]]:
    token = staff_login(api, role="supervisor")["access_token"]
    r = api.get("/api/v1/staff/audit", params={"action": action, "limit": 100}, token=token)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_clerk_finds_a_case_by_serial_id_number_and_name(api: Api, server: AppServer) -> None:
    person = verified(api)
    namesake = verified(api, name=person.name)  # same name, another ID number
    own = submit(api, person)
    theirs = submit(api, namesake)
    clerk = staff_login(api, role="clerk")["access_token"]

    # By serial: exact, as printed (letter case and spaces as typed do not matter).
    found = cases(api, clerk, serial=own["serial"])
    assert [c["id"] for c in found] == [own["id"]]
    assert found[0]["applicant"] == {"id": person.id, "name_masked": masked(person.name),
                                     "id_number_masked": id_masked(person.id_number)}
    assert [c["id"] for c in cases(api, clerk, q=f" {own['serial'].lower()} ")] == [own["id"]]
    # The detail page takes the serial where it takes the id.
    by_serial = api.get(f"/api/v1/staff/applications/{own['serial']}", token=clerk)
    assert by_serial.status_code == 200, by_serial.text
    assert by_serial.json()["id"] == own["id"]
    assert by_serial.json()["applicant"]["name_masked"] == masked(person.name)

    # By ID number: this resident's cases only.
    assert [c["id"] for c in cases(api, clerk, q=person.id_number)] == [own["id"]]
    # By full name: everyone of that name.
    assert {c["id"] for c in cases(api, clerk, q=person.name)} == {own["id"], theirs["id"]}

    # Nothing found is an empty list, not an error; an unknown serial on the detail page is 404.
    assert cases(api, clerk, serial="ZJB20000101000001") == []
    assert cases(api, clerk, q=make_id_number()) == []
    assert_error(api.get("/api/v1/staff/applications/ZJB20000101000001", token=clerk), 404, "not_found")

    # Staff answers never carry the full name or ID number; searches by them are audited without them.
    for params in ({"q": person.id_number}, {"q": person.name}, {"serial": own["serial"]}):
        text = api.get("/api/v1/staff/applications", params=params, token=clerk).text
        assert person.name not in text and person.id_number not in text
    entries = audit(api, "case.search")
    assert any(e["target"]["id"] == person.id for e in entries)
    assert not any(person.id_number in str(e) or person.name in str(e) for e in entries)


def test_case_views_of_a_list_and_of_a_move_name_the_applicant(api: Api, server: AppServer) -> None:
    person = verified(api)
    case = submit(api, person)
    clerk = staff_login(api, role="clerk")["access_token"]
    listed = next(c for c in cases(api, clerk, status="submitted", limit="200") if c["id"] == case["id"])
    assert listed["applicant"]["name_masked"] == masked(person.name)
    moved = api.post(f"/api/v1/staff/applications/{case['id']}/transition", {"to": "accepted"}, token=clerk)
    assert moved.status_code == 200, moved.text
    assert moved.json()["applicant"]["id_number_masked"] == id_masked(person.id_number)
    # Residents see their own case without the staff-only applicant block.
    mine = api.get(f"/api/v1/applications/{case['id']}", token=person.access_token).json()
    assert "applicant" not in mine


def test_clerk_finds_a_resident_by_id_number_or_name(api: Api, server: AppServer) -> None:
    person = verified(api)
    clerk = staff_login(api, role="clerk")["access_token"]
    r = api.get("/api/v1/staff/residents", params={"q": person.id_number.lower()}, token=clerk)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [{"id": person.id, "realname_verified": True, "name_masked": masked(person.name),
                                  "id_number_masked": id_masked(person.id_number)}]
    by_name = api.get("/api/v1/staff/residents", params={"q": person.name}, token=clerk).json()["items"]
    assert [x["id"] for x in by_name] == [person.id]
    assert api.get("/api/v1/staff/residents", params={"q": make_id_number()}, token=clerk).json()["items"] == []
    err = assert_error(api.get("/api/v1/staff/residents", params={"q": "12345"}, token=clerk), 400, "invalid_input")
    assert "q" in err["details"]["fields"]
    entries = [e for e in audit(api, "resident.search") if e["target"]["id"] == person.id]
    assert {e["details"]["by"] for e in entries} == {"id_number", "name"}
    assert not any(person.id_number in str(e) or person.name in str(e) for e in entries)


def test_names_bound_before_they_were_hashed_are_found_after_start_up(api: Api, server: AppServer) -> None:
    person = verified(api)
    db = server.ctx.db
    identity = server.ctx.service("identity")

    async def forget() -> None:  # as stored before names were hashed
        from bson import ObjectId
        await db["realnames"].update_one({"_id": ObjectId(person.id)}, {"$unset": {"name_hash": ""}})
        await db["identity_upkeep"].delete_many({})
    server.run(forget())
    clerk = staff_login(api, role="clerk")["access_token"]
    assert api.get("/api/v1/staff/residents", params={"q": person.name}, token=clerk).json()["items"] == []
    assert server.run(identity.backfill_name_hashes()) >= 1
    assert server.run(identity.backfill_name_hashes()) == 0  # again: nothing left to hash
    found = api.get("/api/v1/staff/residents", params={"q": person.name}, token=clerk).json()["items"]
    assert [x["id"] for x in found] == [person.id]


def test_fee_order_by_serial_and_payment_views_name_the_payer(api: Api, server: AppServer) -> None:
    person = verified(api)
    case = submit(api, person, code="BDC-BF")
    finance = staff_login(api, role="finance")["access_token"]
    items = [{"name": "工本费", "amount_fen": 1000}]
    r = api.post("/api/v1/staff/payments", {"serial": case["serial"].lower(), "items": items}, token=finance)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["application_id"] == case["id"] and order["serial"] == case["serial"]
    assert_error(api.post("/api/v1/staff/payments", {"serial": "ZJB20000101000001", "items": items}, token=finance),
                 404, "not_found")
    err = assert_error(api.post("/api/v1/staff/payments", {"items": items}, token=finance), 400, "invalid_input")
    assert "serial" in err["details"]["fields"]
    payer = {"id": person.id, "name_masked": masked(person.name), "id_number_masked": id_masked(person.id_number)}
    detail = api.get(f"/api/v1/staff/payments/{order['id']}", token=finance).json()
    assert detail["payer"] == payer
    listed = api.get("/api/v1/staff/payments", params={"application_id": case["id"]}, token=finance).json()["items"]
    assert [p["payer"] for p in listed] == [payer]
    by_serial = api.get("/api/v1/staff/payments", params={"serial": case["serial"]}, token=finance).json()["items"]
    assert [p["id"] for p in by_serial] == [order["id"]]
    assert api.get("/api/v1/staff/payments", params={"serial": "ZJB20000101000001"},
                   token=finance).json()["items"] == []
    # The resident's own view of the order carries no staff-only payer block.
    mine = api.get(f"/api/v1/payments/{order['id']}", token=person.access_token).json()
    assert "payer" not in mine


def test_bookings_and_queue_tickets_name_the_resident_and_a_code_finds_the_booking(api: Api, server: AppServer,
                                                                                   clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    person = verified(api)
    appt = book(api, person.access_token, slots(api, b, day)[0]["id"]).json()
    resident = {"id": person.id, "name_masked": masked(person.name), "id_number_masked": id_masked(person.id_number)}

    listed = api.get("/api/v1/staff/appointments", params={"hall_id": b.hall_id, "date": day.isoformat()},
                     token=b.clerk).json()["items"]
    assert [a["resident"] for a in listed] == [resident]
    by_code = api.get("/api/v1/staff/appointments", params={"code": appt["code"].lower()}, token=b.clerk)
    assert by_code.status_code == 200, by_code.text
    assert [(a["id"], a["resident"]["id"]) for a in by_code.json()["items"]] == [(appt["id"], person.id)]
    assert api.get("/api/v1/staff/appointments", params={"code": "ZZZZ2222"}, token=b.clerk).json()["items"] == []
    assert_error(api.get("/api/v1/staff/appointments", token=b.clerk), 400, "invalid_input")

    advance_to(server, to_local(appt["start"]) - dt.timedelta(minutes=10))
    fresh_staff(b, api)
    checked = api.post("/api/v1/staff/checkin", {"appointment_code": appt["code"]}, token=b.clerk)
    assert checked.status_code == 200, checked.text
    assert checked.json()["appointment"]["resident"] == resident
    assert checked.json()["ticket"]["resident"] == resident
    queue = api.get("/api/v1/staff/queue", params={"hall_id": b.hall_id}, token=b.clerk).json()["items"]
    assert [t["resident"] for t in queue] == [resident]
    called = api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=b.clerk)
    assert called.status_code == 200, called.text
    assert called.json()["resident"] == resident
