"""Appointment jobs after a gap (the processes down, the clock jumped), run by the jobs themselves:
slot release catches up every day it should, no-shows are marked once each and judged as of when
they happened, a reminder already past is sent late only while the booking is still ahead, and
slot release crosses the coming 31 Dec → 1 Jan, whatever the year."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from backend.core.clock import TZ
from tests.support import Api, AppServer, coming_new_years_eve
from tests.support_appointments import (
    advance_to,
    book,
    eventually,
    fresh,
    local_today,
    make_bookable,
    open_day,
    slots,
    to_local,
    verified,
)

FAST = {"appointments": {"generate_interval_seconds": 0.3, "sweep_interval_seconds": 0.3}}


def _find(srv: AppServer, collection: str, q: dict) -> list[dict]:
    return srv.run(srv.ctx.db[collection].find(q).to_list(None))


def _released_days(srv: AppServer, hall_id: str) -> dict[str, int]:
    """Open slots released by now, per day."""
    now = srv.clock.now()
    return Counter(s["date"] for s in _find(srv, "appt_slots", {"hall_id": hall_id, "status": "open",
                                                          "release_at": {"$lte": now}}))


def test_slot_release_after_a_ten_day_jump_releases_every_day_it_should(make_server) -> None:
    srv = make_server(**FAST)
    api = Api(srv.base)
    b = make_bookable(api, capacity=1, services=1)
    today = local_today(srv) + dt.timedelta(days=10)
    advance_to(srv, dt.datetime.combine(today, dt.time(8, 0, 30), TZ))
    # released by now: today up to today + 7 (released at 08:00 today); the day after is written
    # but not released yet; nothing in the days the processes missed (they are past)
    want = {(today + dt.timedelta(days=i)).isoformat(): 3 for i in range(8)}
    eventually(lambda: {d: n for d, n in _released_days(srv, b.hall_id).items() if d >= today.isoformat()} == want)
    later = _find(srv, "appt_slots", {"hall_id": b.hall_id, "date": (today + dt.timedelta(days=8)).isoformat()})
    assert len(later) == 3 and all(s["release_at"] > srv.clock.now() for s in later)
    # once each: one slot per start, however many runs of the job
    starts = Counter((s["date"], s["start"]) for s in _find(srv, "appt_slots", {"hall_id": b.hall_id}))
    assert set(starts.values()) == {1}
    assert [s["start"][11:16] for s in slots(api, b, today + dt.timedelta(days=7))] == ["09:00", "10:00", "11:00"]


def test_slot_release_crosses_new_year(make_server) -> None:
    srv = make_server(**FAST)
    api = Api(srv.base)
    b = make_bookable(api, capacity=1, services=1)
    eve = coming_new_years_eve()
    new_year = eve + dt.timedelta(days=1)
    seventh, eighth = (dt.date(new_year.year, 1, d).isoformat() for d in (7, 8))
    advance_to(srv, dt.datetime.combine(eve, dt.time(23, 59), TZ))
    eventually(lambda: _released_days(srv, b.hall_id).get(seventh) == 3, timeout=30)
    released = _released_days(srv, b.hall_id)
    assert eighth not in released and new_year.isoformat() not in released  # New Year's Day: the hall is closed
    assert len(_find(srv, "appt_slots", {"hall_id": b.hall_id, "date": eighth})) == 3  # written, not yet open
    advance_to(srv, dt.datetime.combine(new_year, dt.time(8, 0, 30), TZ))
    eventually(lambda: _released_days(srv, b.hall_id).get(eighth) == 3, timeout=30)
    assert [s["start"][:16] for s in slots(api, b, dt.date(new_year.year, 1, 8))] == [
        f"{eighth}T09:00", f"{eighth}T10:00", f"{eighth}T11:00"]
    assert slots(api, b, new_year) == []


def test_no_show_marking_after_a_jump_marks_each_past_booking_once(make_server) -> None:
    srv = make_server(**FAST)
    api = Api(srv.base)
    b = make_bookable(api, capacity=2, services=1)
    today = local_today(srv)
    days = [today + dt.timedelta(days=d) for d in (2, 3)]
    for d in days:
        open_day(api, b, d)
    residents = verified(api, 3)
    booked = []
    # the first resident books both days; the others one slot each of the first day
    for r, d, n in [(residents[0], days[0], 0), (residents[0], days[1], 0), (residents[1], days[0], 1),
                    (residents[2], days[0], 2)]:
        resp = book(api, r.access_token, slots(api, b, d)[n]["id"])
        assert resp.status_code == 201, resp.text
        booked.append((r, resp.json()))
    # forty days later: every booking is long past
    advance_to(srv, dt.datetime.combine(today + dt.timedelta(days=40), dt.time(12, 0), TZ))
    ids = [a["id"] for _, a in booked]
    eventually(lambda: all(x.get("no_show_recorded") for x in _find(srv, "appointments", {"status": "no_show"}))
               and len(_find(srv, "appointments", {"status": "no_show"})) == len(ids), timeout=20)
    # The sweep audits each no-show right after recording it: wait until every one has its entry.

    def audits() -> Counter:
        return Counter(a["target"]["id"] for a in _find(srv, "audit_log", {"action": "appointments.no_show"}))
    eventually(lambda: all(audits()[i] for i in ids), timeout=20)
    assert {i: audits()[i] for i in ids} == {i: 1 for i in ids}
    told = Counter(m["payload"]["appointment_id"] for m in _find(srv, "outbox", {"kind": "appointment.no_show"}))
    assert {i: told[i] for i in ids} == {i: 1 for i in ids}
    # no reminder went out for bookings already over when the processes came back
    assert _find(srv, "outbox", {"kind": "appointment.reminder", "payload.appointment_id": {"$in": ids}}) == []
    # two no-shows a day apart block the first resident, from when they happened: 90 days from the second
    first = residents[0]
    status = api.get("/api/v1/me/booking-status", token=fresh(api, first)).json()
    assert status["blocked"] is True and "爽约 2 次" in status["reason"], status
    second_end = to_local(booked[1][1]["end"])
    assert to_local(status["blocked_until"]) == second_end + dt.timedelta(days=90)
    for r in residents[1:]:
        assert api.get("/api/v1/me/booking-status", token=fresh(api, r)).json()["blocked"] is False


def test_a_missed_day_before_reminder_is_sent_late_while_the_booking_is_ahead(make_server) -> None:
    srv = make_server(**FAST)
    api = Api(srv.base)
    b = make_bookable(api, capacity=2, services=1)
    day = local_today(srv) + dt.timedelta(days=2)
    open_day(api, b, day)
    early, late = verified(api, 2)
    at9 = book(api, early.access_token, slots(api, b, day)[0]["id"]).json()
    at11 = book(api, late.access_token, slots(api, b, day)[2]["id"]).json()

    def reminders(appt: dict) -> list[dict]:
        return _find(srv, "outbox", {"kind": "appointment.reminder", "payload.appointment_id": appt["id"]})

    # back at 08:30 on the day: the 09:00 booking's day-before reminder is past and so is its hour
    # before; only the hour-before one goes. The 11:00 booking's day-before one goes late (its hour
    # before is still ahead), naming the date and time, not "tomorrow".
    advance_to(srv, dt.datetime.combine(day, dt.time(8, 30), TZ))
    eventually(lambda: reminders(at9) and reminders(at11))
    (r9,) = reminders(at9)
    (r11,) = reminders(at11)
    assert r9["payload"]["minutes_before"] == 60 and r11["payload"]["minutes_before"] == 1440
    (words,) = eventually(lambda: [m["text"] for m in _find(srv, "inbox", {"user_id": late.id,
                                                                           "kind": "appointment.reminder"})])
    assert "明天" not in words and f"{day.month}月{day.day}日" in words and "11:00" in words, words
    # at 10:00:30 the 11:00 booking's hour-before reminder; nothing more for the 09:00 one
    advance_to(srv, dt.datetime.combine(day, dt.time(10, 0, 30), TZ))
    eventually(lambda: len(reminders(at11)) == 2)
    assert sorted(m["payload"]["minutes_before"] for m in reminders(at11)) == [60, 1440]
    assert len(reminders(at9)) == 1
