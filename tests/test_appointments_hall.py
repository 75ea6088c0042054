"""Waitlist offers, check-in windows, queue tickets and calling, clerk scope, audit."""
from __future__ import annotations

import datetime as dt
import uuid

from backend.core.clock import TZ
from tests.support import Api, AppServer, assert_error, staff_login
from tests.support_appointments import (
    advance_to,
    another_hall,
    book,
    day_ahead,
    fresh,
    fresh_staff,
    make_bookable,
    open_day,
    slots,
    to_local,
    verified,
)


def test_waitlist_first_in_line_is_offered_before_everyone(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    a, w1, w2, other = verified(api, 4)
    appt = book(api, a.access_token, sid).json()
    assert_error(api.post(f"/api/v1/slots/{slots(api, b, day)[1]['id']}/waitlist", token=w1.access_token), 409,
                 "slot_available")
    j1 = api.post(f"/api/v1/slots/{sid}/waitlist", token=w1.access_token)
    assert j1.status_code == 201 and j1.json()["status"] == "waiting" and j1.json()["ahead"] == 0
    assert_error(api.post(f"/api/v1/slots/{sid}/waitlist", token=w1.access_token), 409, "already_waitlisted")
    j2 = api.post(f"/api/v1/slots/{sid}/waitlist", token=w2.access_token).json()
    assert j2["ahead"] == 1
    assert api.post(f"/api/v1/appointments/{appt['id']}/cancel", token=a.access_token).status_code == 200
    # The freed place is held for the first in line: nobody else can take it.
    assert slots(api, b, day)[0]["remaining"] == 0
    assert_error(book(api, other.access_token, sid), 409, "slot_full")
    mine = api.get("/api/v1/me/waitlist", token=w1.access_token).json()["items"][0]
    assert mine["status"] == "offered" and mine["offer_until"]
    offers = server.run(server.ctx.db["outbox"].find({"kind": "appointment.waitlist_offer",
                                                      "user_id": w1.id}).to_list(None))
    assert len(offers) == 1 and offers[0]["payload"]["offer_until"] == mine["offer_until"]
    # The second may not accept; the first lets it expire, so it passes to the second.
    assert_error(api.post(f"/api/v1/waitlist/{j2['id']}/accept", token=w2.access_token), 409, "offer_expired")
    clock.advance(minutes=31)
    server.run(server.ctx.service("appointments").sweep())
    fresh(api, w1)
    fresh(api, w2)
    assert api.get("/api/v1/me/waitlist", token=w1.access_token).json()["items"][0]["status"] == "expired"
    assert_error(api.post(f"/api/v1/waitlist/{j1.json()['id']}/accept", token=w1.access_token), 409, "offer_expired")
    r = api.post(f"/api/v1/waitlist/{j2['id']}/accept", token=w2.access_token)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "booked"
    assert api.get("/api/v1/me/waitlist", token=w2.access_token).json()["items"][0]["status"] == "accepted"
    s = server.run(server.ctx.db["appt_slots"].find_one({"_id": __import__("bson").ObjectId(sid)}))
    assert s["booked"] == 1 and s["held"] == 0 and s["holds"] == [] and s["free"] == 0


def test_leaving_an_offer_releases_the_place_to_everyone(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    a, w1, other = verified(api, 3)
    appt = book(api, a.access_token, sid).json()
    j1 = api.post(f"/api/v1/slots/{sid}/waitlist", token=w1.access_token).json()
    api.post(f"/api/v1/appointments/{appt['id']}/cancel", token=a.access_token)
    r = api.post(f"/api/v1/waitlist/{j1['id']}/leave", token=w1.access_token)
    assert r.status_code == 200 and r.json()["status"] == "left"
    assert slots(api, b, day)[0]["remaining"] == 1
    assert book(api, other.access_token, sid).status_code == 201


def test_checkin_window_ticket_queue_and_calls(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=3, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    r1, r2, r3 = verified(api, 3)
    a1, a2, a3 = (book(api, r.access_token, sid).json() for r in (r1, r2, r3))
    start = to_local(a1["start"])
    advance_to(server, start - dt.timedelta(minutes=31))
    fresh_staff(b, api)
    err = assert_error(api.post("/api/v1/staff/checkin", {"appointment_code": a1["code"]}, token=b.clerk), 409,
                       "checkin_too_early")
    assert err["details"]["checkin_opens_at"] == (start - dt.timedelta(minutes=30)).isoformat()
    assert_error(api.post("/api/v1/staff/checkin", {"appointment_code": "ZZZZ2222"}, token=b.clerk), 404, "not_found")
    assert_error(api.post("/api/v1/staff/checkin", {"appointment_code": a1["code"]}, token=b.manager), 403, "forbidden")
    advance_to(server, start - dt.timedelta(minutes=10))
    fresh_staff(b, api)
    c1 = api.post("/api/v1/staff/checkin", {"appointment_code": a1["code"].lower()}, token=b.clerk)
    assert c1.status_code == 200, c1.text
    assert c1.json()["ticket_number"] == "A001" and c1.json()["ahead"] == 0
    again = api.post("/api/v1/staff/checkin", {"appointment_code": a1["code"]}, token=b.clerk).json()
    assert again["ticket_number"] == "A001" and again["already_checked_in"] is True
    walk = api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_id}, token=b.clerk)
    assert walk.status_code == 201 and walk.json()["ticket_number"] == "A002" and walk.json()["kind"] == "walk_in"
    c2 = api.post("/api/v1/staff/checkin", {"appointment_code": a2["code"]}, token=b.clerk).json()
    assert c2["ticket_number"] == "A003" and c2["ahead"] == 2
    fresh(api, r2)
    q = api.get(f"/api/v1/appointments/{a2['id']}/queue", token=r2.access_token).json()
    assert q == {"ticket_number": "A003", "ahead": 2, "status": "waiting", "window_number": None}
    # Calling: first come first served; recall up to 3 times; served / absent.
    call = api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=b.clerk)
    assert call.status_code == 200 and call.json()["ticket_number"] == "A001" and call.json()["window_number"] == "01"
    t1 = call.json()["id"]
    for n in (1, 2, 3):
        assert api.post(f"/api/v1/staff/tickets/{t1}/recall", token=b.clerk).json()["recalls"] == n
    assert_error(api.post(f"/api/v1/staff/tickets/{t1}/recall", token=b.clerk), 409, "recall_limit")
    assert api.post(f"/api/v1/staff/tickets/{t1}/served", token=b.clerk).json()["status"] == "served"
    assert_error(api.post(f"/api/v1/staff/tickets/{t1}/absent", token=b.clerk), 409, "invalid_state")
    fresh(api, r1)
    assert api.get(f"/api/v1/appointments/{a1['id']}", token=r1.access_token).json()["status"] == "served"
    assert api.get(f"/api/v1/appointments/{a2['id']}/queue", token=r2.access_token).json()["ahead"] == 1
    nxt = api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=b.clerk).json()
    assert nxt["ticket_number"] == "A002"
    # The first 过号 sends the ticket to the end of the line; the second is final.
    back = api.post(f"/api/v1/staff/tickets/{nxt['id']}/absent", token=b.clerk).json()
    assert back["status"] == "waiting" and back["requeued"] == 1 and back["ahead"] == 1
    queue = api.get("/api/v1/staff/queue", params={"hall_id": b.hall_id}, token=b.clerk).json()
    assert queue["waiting"] == 2 and [t["ticket_number"] for t in queue["items"]] == ["A001", "A003", "A002"]
    nxt = api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=b.clerk).json()
    assert nxt["ticket_number"] == "A003"
    again = api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=b.clerk).json()
    assert again["ticket_number"] == "A002" and again["requeued"] == 1
    assert api.post(f"/api/v1/staff/tickets/{again['id']}/absent", token=b.clerk).json()["status"] == "absent"
    queue = api.get("/api/v1/staff/queue", params={"hall_id": b.hall_id}, token=b.clerk).json()
    assert queue["waiting"] == 0 and [t["ticket_number"] for t in queue["items"]] == ["A001", "A003", "A002"]
    listed = api.get("/api/v1/staff/appointments", params={"hall_id": b.hall_id, "date": day.isoformat()},
                     token=b.clerk).json()["items"]
    assert {x["status"] for x in listed} == {"served", "checked_in", "booked"}
    # Late arrival: refused with a clear code.
    advance_to(server, start + dt.timedelta(minutes=16))
    fresh_staff(b, api)
    err = assert_error(api.post("/api/v1/staff/checkin", {"appointment_code": a3["code"]}, token=b.clerk), 409,
                       "checkin_too_late")
    assert "15" in err["message"]
    audit = server.run(server.ctx.db["audit_log"].find({"action": {"$regex": "^appointments\\.(checkin|ticket)"},
                                                        "details.ticket_number": {"$in": ["A001", "A002", "A003"]}})
                       .to_list(None))
    assert {e["action"] for e in audit} >= {"appointments.checkin", "appointments.ticket.walk_in",
                                           "appointments.ticket.call", "appointments.ticket.recall",
                                           "appointments.ticket.served", "appointments.ticket.absent",
                                           "appointments.ticket.requeue"}


def test_clerks_scoped_to_their_halls(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=1, services=1)
    admin = staff_login(api, role="admin")["access_token"]
    username = f"c{uuid.uuid4().hex[:8]}"
    r = api.post("/api/v1/staff/accounts", {"username": username, "password": "Strong-pass-2026", "roles": ["clerk"],
                                            "display_name": "他厅窗口", "hall_ids": [another_hall(api)]},
                 token=admin)
    assert r.status_code == 201, r.text
    other = staff_login(api, username=username, password="Strong-pass-2026")["access_token"]
    err = assert_error(api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_id},
                                token=other), 403, "hall_scope")
    assert err["details"]["hall_id"] == b.hall_id
    day = day_ahead(server, 2)
    open_day(api, b, day)
    (res,) = verified(api)
    a = book(api, res.access_token, slots(api, b, day)[0]["id"]).json()
    assert_error(api.post("/api/v1/staff/checkin", {"appointment_code": a["code"]}, token=other), 403, "hall_scope")
    advance_to(server, dt.datetime.combine(day, dt.time(10, 0), TZ))   # calls only while the hall is open
    fresh_staff(b, api)
    assert_error(api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=b.clerk),
                 409, "queue_empty")


def test_sandbox_demo_schedules_offer_slots(api: Api, server: AppServer) -> None:
    services = api.get("/api/v1/services").json()["items"]
    passport = next(s for s in services if s["code"] == "CRJ-HZ")
    found = []
    today = dt.date.fromisoformat(server.clock.local_now().date().isoformat())
    for d in range(1, 8):
        found += api.get(f"/api/v1/services/{passport['id']}/slots",
                         params={"date": (today + dt.timedelta(days=d)).isoformat()}).json()["items"]
    assert found and all(s["capacity"] == 3 for s in found)
    assert {s["start"][11:16] for s in found} >= {"09:00", "10:00", "11:00", "13:30"}
