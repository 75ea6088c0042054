"""Booking through the API: slots, every rule and its error code, cancel, reminders, access."""
from __future__ import annotations

import base64
import datetime as dt
from collections import Counter

from bson import ObjectId

from backend.appointments.booking import CODE_ALPHABET, new_code
from backend.core.clock import TZ
from tests.support import Api, AppServer, assert_error, new_resident, staff_login
from tests.support_appointments import (
    advance_to,
    book,
    day_ahead,
    eventually,
    fresh,
    fresh_staff,
    make_bookable,
    open_day,
    slots,
    to_local,
    verified,
)


def test_slots_show_capacity_and_remaining_and_booking_returns_code_and_qr(api: Api, server: AppServer,
                                                                            clock) -> None:
    b = make_bookable(api, capacity=2)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    items = slots(api, b, day)
    assert [s["start"][11:16] for s in items] == ["09:00", "10:00", "11:00"]
    s0 = items[0]
    assert {"id", "hall_id", "start", "end", "capacity", "remaining"} <= set(s0)
    assert s0["start"].endswith("+08:00") and s0["capacity"] == 2 and s0["remaining"] == 2 and s0["bookable"]
    (r,) = verified(api)
    resp = book(api, r.access_token, s0["id"])
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "booked" and body["slot"]["id"] == s0["id"] and len(body["code"]) == 8
    assert set(body["code"]) <= set(CODE_ALPHABET)
    assert slots(api, b, day)[0]["remaining"] == 1
    mine = api.get("/api/v1/appointments", token=r.access_token).json()["items"]
    assert [a["id"] for a in mine] == [body["id"]]
    one = api.get(f"/api/v1/appointments/{body['id']}", token=r.access_token).json()
    assert one["code"] == body["code"] and base64.b64decode(one["qr_png_base64"]).startswith(b"\x89PNG")
    # Another resident never sees it.
    other = new_resident(api)
    assert_error(api.get(f"/api/v1/appointments/{body['id']}", token=other.access_token), 404, "not_found")
    assert_error(api.post(f"/api/v1/appointments/{body['id']}/cancel", token=other.access_token), 404, "not_found")
    # The outbox has the booking's message; reminders follow the day before and an hour before.
    start = to_local(body["start"])
    eventually(lambda: _kinds(server, body["id"]) == ["appointment.booked"])
    for n, before in enumerate((dt.timedelta(days=1), dt.timedelta(hours=1)), start=1):
        advance_to(server, start - before + dt.timedelta(seconds=1))
        server.run(server.ctx.service("appointments").sweep())
        # Each reminder is written once it is due, never before (the workers' own sweep may write it).
        made = eventually(lambda n=n: len(r := _events(server, body["id"], "appointment.reminder")) == n and r)
        assert made[-1]["created_at"] >= start - before
    reminders = _events(server, body["id"], "appointment.reminder")
    assert [e["payload"]["minutes_before"] for e in reminders] == [1440, 60]
    server.run(server.ctx.service("appointments").sweep())  # nothing is sent twice
    assert _kinds(server, body["id"]) == ["appointment.booked", "appointment.reminder", "appointment.reminder"]


def _events(server: AppServer, appt_id: str, kind: str | None = None) -> list[dict]:
    q = {"payload.appointment_id": appt_id, **({"kind": kind} if kind else {})}
    return server.run(server.ctx.db["outbox"].find(q).sort("created_at", 1).to_list(None))


def _kinds(server: AppServer, appt_id: str) -> list[str]:
    return sorted(e["kind"] for e in _events(server, appt_id))


def test_unverified_residents_cannot_book(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    r = new_resident(api)
    assert_error(book(api, r.access_token, slots(api, b, day)[0]["id"]), 403, "realname_required")
    assert_error(book(api, None, slots(api, b, day)[0]["id"]), 401, "unauthenticated")
    (v,) = verified(api)
    assert_error(book(api, v.access_token, "nope"), 404, "not_found")


def test_person_rules_same_service_same_day_other_service_and_open_limit(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=5, services=2)
    days = [day_ahead(server, d) for d in (2, 3, 4, 5)]
    for d in days:
        open_day(api, b, d)
    (r,) = verified(api)
    s = slots(api, b, days[0])
    assert book(api, r.access_token, s[0]["id"]).status_code == 201
    assert_error(book(api, r.access_token, s[0]["id"]), 409, "already_booked")
    err = assert_error(book(api, r.access_token, s[1]["id"]), 409, "already_booked")
    assert err["details"]["date"] == days[0].isoformat()
    assert_error(book(api, r.access_token, slots(api, b, days[0], service=1)[0]["id"]), 409, "daily_limit")
    assert book(api, r.access_token, slots(api, b, days[1])[0]["id"]).status_code == 201
    assert book(api, r.access_token, slots(api, b, days[2])[0]["id"]).status_code == 201
    err = assert_error(book(api, r.access_token, slots(api, b, days[3])[0]["id"]), 409, "too_many_open")
    assert err["details"]["limit"] == 3 and "3" in err["message"]
    status = api.get("/api/v1/me/booking-status", token=r.access_token).json()
    assert status["open_bookings"] == 3 and status["blocked"] is False


def test_full_slot_and_cancel_frees_the_place(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    r1, r2 = verified(api, 2)
    sid = slots(api, b, day)[0]["id"]
    a1 = book(api, r1.access_token, sid).json()
    err = assert_error(book(api, r2.access_token, sid), 409, "slot_full")
    assert err["details"]["slot_id"] == sid
    assert slots(api, b, day)[0]["remaining"] == 0 and slots(api, b, day)[0]["bookable"] is False
    r = api.post(f"/api/v1/appointments/{a1['id']}/cancel", token=r1.access_token)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    # Cancelling again is harmless; the place is back once.
    assert api.post(f"/api/v1/appointments/{a1['id']}/cancel", token=r1.access_token).json()["status"] == "cancelled"
    assert slots(api, b, day)[0]["remaining"] == 1
    assert book(api, r2.access_token, sid).status_code == 201
    # The canceller may book again that day (the keys were released).
    assert book(api, r1.access_token, slots(api, b, day)[1]["id"]).status_code == 201
    # A cancelled booking is never reminded of.
    advance_to(server, to_local(a1["start"]) - dt.timedelta(minutes=59))
    server.run(server.ctx.service("appointments").sweep())
    eventually(lambda: _kinds(server, a1["id"]) == ["appointment.booked", "appointment.cancelled"])


def test_cancel_too_late_and_min_notice(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    (r,) = verified(api)
    s = slots(api, b, day)
    a = book(api, r.access_token, s[0]["id"]).json()
    advance_to(server, to_local(a["start"]) - dt.timedelta(minutes=119))
    fresh(api, r)
    err = assert_error(api.post(f"/api/v1/appointments/{a['id']}/cancel", token=r.access_token), 409, "cancel_too_late")
    assert err["details"]["cancel_deadline"] == (to_local(a["start"]) - dt.timedelta(hours=2)).isoformat()
    # 15 minutes before the start: inside the minimum notice, not bookable, with a clear code.
    advance_to(server, to_local(a["start"]) - dt.timedelta(minutes=15))
    (r2,) = verified(api)
    assert_error(book(api, r2.access_token, s[0]["id"]), 409, "slot_closed")
    assert slots(api, b, day)[0]["bookable"] is False


def test_unreleased_slots_are_not_shown_or_bookable(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=1, services=1, release_days=1)
    day = day_ahead(server, 3)
    r = api.post(f"/api/v1/staff/halls/{b.hall_id}/exceptions",
                 {"date": day.isoformat(), "kind": "open", "periods": [{"start": "09:00", "end": "12:00"}]},
                 token=b.manager)
    assert r.status_code == 201
    assert slots(api, b, day) == []
    cal = api.get(f"/api/v1/staff/halls/{b.hall_id}/calendar",
                  params={"from": day.isoformat(), "to": day.isoformat()}, token=b.manager).json()["items"]
    assert len(cal) == 3 and not any(c["released"] for c in cal)
    (res,) = verified(api)
    assert_error(book(api, res.access_token, cal[0]["id"]), 409, "slot_not_open")


def test_closed_day_exception_removes_slots(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    assert len(slots(api, b, day)) == 3
    r = api.post(f"/api/v1/staff/halls/{b.hall_id}/exceptions", {"date": day.isoformat(), "kind": "closed",
                                                                 "note": "系统升级"}, token=b.manager)
    assert r.status_code == 201 and r.json()["kind"] == "closed"
    assert slots(api, b, day) == []
    sched = api.get(f"/api/v1/staff/halls/{b.hall_id}/schedules", token=b.manager).json()
    assert sched["items"][0]["capacity"] == 1 and sched["exceptions"][0]["kind"] == "closed"


def test_schedules_need_the_hall_manager_role_and_are_audited(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=1, services=1)
    clerk = staff_login(api, role="clerk")["access_token"]
    resident = new_resident(api)
    assert_error(api.request("PUT", f"/api/v1/staff/halls/{b.hall_id}/schedules", token=clerk,
                             json_body={"items": []}), 403, "forbidden")
    assert_error(api.get(f"/api/v1/staff/halls/{b.hall_id}/schedules", token=resident.access_token), 401,
                 "unauthenticated")
    bad = api.request("PUT", f"/api/v1/staff/halls/{b.hall_id}/schedules", token=b.manager, json_body={"items": [
        {"service_id": b.service_id, "periods": [{"weekday": 1, "start": "12:00", "end": "09:00"}],
         "slot_minutes": 60, "windows": 1}]})
    assert_error(bad, 400, "invalid_input")
    entries = server.run(server.ctx.db["audit_log"].find({"action": "appointments.schedules.put",
                                                          "target.id": b.hall_id}).to_list(None))
    assert len(entries) == 1 and entries[0]["actor"]["username"] == "hall1"


def test_no_shows_block_booking_for_90_days(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    d1, d2, d3 = (day_ahead(server, d) for d in (2, 3, 20))
    for d in (d1, d2):
        open_day(api, b, d)
    (r,) = verified(api)
    a1 = book(api, r.access_token, slots(api, b, d1)[0]["id"]).json()
    a2 = book(api, r.access_token, slots(api, b, d2)[0]["id"]).json()
    advance_to(server, to_local(a1["end"]) + dt.timedelta(minutes=1))
    server.run(server.ctx.service("appointments").sweep())
    fresh(api, r)
    assert api.get(f"/api/v1/appointments/{a1['id']}", token=r.access_token).json()["status"] == "no_show"
    assert api.get("/api/v1/me/booking-status", token=r.access_token).json()["blocked"] is False
    advance_to(server, to_local(a2["end"]) + dt.timedelta(minutes=1))
    server.run(server.ctx.service("appointments").sweep())
    fresh(api, r)
    fresh_staff(b, api)
    status = api.get("/api/v1/me/booking-status", token=r.access_token).json()
    assert status["blocked"] is True and status["recent_no_shows"] == 2 and "爽约" in status["reason"]
    until = to_local(status["blocked_until"])
    assert dt.timedelta(days=89) < until - server.clock.now() <= dt.timedelta(days=90)
    open_day(api, b, d3)
    err = assert_error(book(api, r.access_token, slots(api, b, d3)[0]["id"]), 403, "booking_blocked")
    assert err["details"]["blocked_until"] == status["blocked_until"] and "暂停" in err["message"]
    kinds = [e["kind"] for e in server.run(server.ctx.db["outbox"].find({"user_id": r.id}).to_list(None))]
    assert kinds.count("appointment.no_show") == 2 and kinds.count("appointment.booking_blocked") == 1


def test_schema_level_guards(api: Api, server: AppServer) -> None:
    (r,) = verified(api)
    assert_error(api.post("/api/v1/appointments", {"slot_id": {"$gt": ""}}, token=r.access_token), 400, "invalid_input")
    assert_error(api.get(f"/api/v1/services/{ObjectId()}/slots", params={"date": "2026-01-01"}), 404, "not_found")
    svc = api.get("/api/v1/services").json()["items"][0]["id"]
    assert_error(api.get(f"/api/v1/services/{svc}/slots", params={"date": "tomorrow"}), 400, "invalid_input")


def test_the_slots_answer_names_the_last_released_day(api: Api, server: AppServer, clock) -> None:
    """``last_release_date``: ``release_days`` ahead from ``release_time`` (08:00) on, a day less before;
    the furthest over the hall's schedules, or null for a service no schedule offers."""
    b = make_bookable(api, services=1)
    far = make_bookable(api, services=1, release_days=14)
    tomorrow = day_ahead(server, 1)

    def last(bk, hall: bool = True) -> str | None:
        params = {"date": tomorrow.isoformat(), **({"hall_id": bk.hall_id} if hall else {})}
        r = api.get(f"/api/v1/services/{bk.service_id}/slots", params=params)
        assert r.status_code == 200, r.text
        return r.json()["last_release_date"]

    advance_to(server, dt.datetime.combine(tomorrow, dt.time(7, 59), tzinfo=TZ))
    assert last(b) == (tomorrow + dt.timedelta(days=6)).isoformat()
    assert last(far) == (tomorrow + dt.timedelta(days=13)).isoformat()
    advance_to(server, dt.datetime.combine(tomorrow, dt.time(8, 0), tzinfo=TZ))
    assert last(b) == (tomorrow + dt.timedelta(days=7)).isoformat()
    assert last(far, hall=False) == (tomorrow + dt.timedelta(days=14)).isoformat()
    mgr = staff_login(api, role="hall_manager")["access_token"]
    dept = api.get("/api/v1/departments").json()["items"][0]["id"]
    lone = api.post("/api/v1/staff/services", {
        "code": "T-LONE01", "name": "无排班事项", "department_id": dept, "hall_ids": [b.hall_id], "guide": {
            "materials": [], "fee_fen": 0, "statutory_days": 5, "promised_days": 1, "online": False,
            "bookable": True, "visit_required": True, "max_visits": 1, "location": "一楼"}}, token=mgr)
    assert lone.status_code == 201, lone.text
    r = api.get(f"/api/v1/services/{lone.json()['id']}/slots", params={"date": tomorrow.isoformat()})
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None, "last_release_date": None}


def test_booking_codes_use_every_letter_of_the_alphabet_alike() -> None:
    counts = Counter("".join(new_code() for _ in range(4000)))
    # 32,000 letters, 1,000 expected of each; 800 is more than six standard deviations away.
    assert set(counts) == set(CODE_ALPHABET) and min(counts.values()) > 800
    assert len({new_code() for _ in range(4000)}) == 4000
