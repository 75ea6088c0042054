"""Closures through the API: a day or a window the centre closes cancels its bookings and waitlist
entries with a status of their own, tells each resident once (inbox and push), frees their places
and limits at once, and never turns into a no-show — also when a crash left the work half-done."""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.core.clock import TZ
from tests.support import Api, AppServer, ResidentHandle, assert_error, miniprogram_pages
from tests.support_appointments import (
    Bookable,
    advance_to,
    book,
    day_ahead,
    eventually,
    fresh,
    fresh_staff,
    make_bookable,
    open_day,
    slots,
    verified,
)
from tests.support_cases import consent, inbox, outbox_rows, wechat_messages

PAGES = miniprogram_pages()
KIND = "appointment.cancelled_by_centre"
WL_KIND = "appointment.waitlist_cancelled_by_centre"


def _preview(api: Api, b: Bookable, dates: list[dt.date], **extra: Any) -> dict[str, Any]:
    r = api.post(f"/api/v1/staff/halls/{b.hall_id}/closures/preview",
                 {"dates": [d.isoformat() for d in dates], **extra}, token=b.manager)
    assert r.status_code == 200, r.text
    return r.json()


def _close(api: Api, b: Bookable, dates: list[dt.date], reason: str, **extra: Any) -> dict[str, Any]:
    r = api.post(f"/api/v1/staff/halls/{b.hall_id}/closures",
                 {"dates": [d.isoformat() for d in dates], "reason": reason, **extra}, token=b.manager)
    assert r.status_code == 200, r.text
    return r.json()


def _appt(api: Api, r: ResidentHandle, appt_id: str) -> dict[str, Any]:
    resp = api.get(f"/api/v1/appointments/{appt_id}", token=r.access_token)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _delivered(server: AppServer, r: ResidentHandle, kind: str) -> list[dict[str, Any]]:
    rows = [m for m in outbox_rows(server, r.id) if m["kind"] == kind]
    return rows if rows and all(m["status"] == "delivered" for m in rows) else []


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 13, 0, tzinfo=TZ)


def _run_sweeps(server: AppServer) -> None:
    server.run(server.ctx.service("appointments").sweep())
    server.run(server.ctx.wired.appointments.closures.sweep())


def test_closing_a_day_cancels_bookings_and_waitlist_tells_each_once_and_counts_no_no_show(
        api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=1, services=2)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    s0, s1 = slots(api, b, day, 0), slots(api, b, day, 1)
    r1, r2, r3, r4 = verified(api, 4)
    booked = {}
    for r, slot in ((r1, s0[0]), (r2, s0[1]), (r3, s1[0])):
        resp = book(api, r.access_token, slot["id"])
        assert resp.status_code == 201, resp.text
        booked[r.id] = resp.json()
    w = api.post(f"/api/v1/slots/{s0[0]['id']}/waitlist", token=r4.access_token)
    assert w.status_code == 201, w.text
    for r in (r1, r2, r3, r4):  # the booking's own push has gone by: the next one is the closure's
        eventually(lambda r=r: all(m["status"] == "delivered" for m in outbox_rows(server, r.id)))
        consent(api, r, key="appointment")

    # Before saving: what it touches, and nothing changes.
    assert _preview(api, b, [day]) == {"appointments": 3, "waitlist": 1, "dates": [day.isoformat()],
                                       "window_id": None}
    assert _appt(api, r1, booked[r1.id]["id"])["status"] == "booked"

    assert _close(api, b, [day], "电力线路检修")["appointments"] == 3
    for r in (r1, r2, r3):
        a = _appt(api, r, booked[r.id]["id"])
        assert a["status"] == "cancelled_by_centre" and a["cancel_reason"] == "电力线路检修"
        mine = api.get("/api/v1/appointments", token=r.access_token).json()["items"]
        assert [x["status"] for x in mine] == ["cancelled_by_centre"]
    (entry,) = api.get("/api/v1/me/waitlist", token=r4.access_token).json()["items"]
    assert entry["status"] == "cancelled_by_centre" and entry["cancel_reason"] == "电力线路检修"
    assert slots(api, b, day, 0) == [] and slots(api, b, day, 1) == []  # nobody books the closed day

    # Each resident: one inbox message, one push to a page of the mini-program.
    for r, kind in ((r1, KIND), (r2, KIND), (r3, KIND), (r4, WL_KIND)):
        eventually(lambda r=r, kind=kind: _delivered(server, r, kind))
        msgs = [m for m in inbox(api, r) if m["kind"] == kind]
        assert len(msgs) == 1 and "电力线路检修" in msgs[0]["text"] and "重新预约" in msgs[0]["text"]
        assert "测试大厅" in msgs[0]["text"] and f"{day.month}月{day.day}日" in msgs[0]["text"]
        pushes = eventually(lambda r=r: wechat_messages(api, r.openid))
        assert len(pushes) == 1 and pushes[0]["page"].split("?")[0] in PAGES, pushes

    # Saving again: nothing more is cancelled, and nobody is told twice.
    assert _close(api, b, [day], "电力线路检修") == {"appointments": 0, "waitlist": 0, "dates": [day.isoformat()],
                                                  "window_id": None}
    _run_sweeps(server)
    for r, kind in ((r1, KIND), (r4, WL_KIND)):
        assert len([m for m in outbox_rows(server, r.id) if m["kind"] == kind]) == 1
        assert len([m for m in inbox(api, r) if m["kind"] == kind]) == 1

    # The window cannot check it in, and says why.
    err = assert_error(api.post("/api/v1/staff/checkin", {"appointment_code": booked[r1.id]["code"]},
                                token=b.clerk), 409, "appointment_cancelled_by_centre")
    assert "电力线路检修" in err["message"] and "重新预约" in err["message"]

    # After the day: no no-show, nobody blocked.
    advance_to(server, _end_of(day) + dt.timedelta(days=1))
    _run_sweeps(server)
    fresh_staff(b, api)
    for r in (r1, r2, r3):
        token = fresh(api, r)
        assert _appt(api, r, booked[r.id]["id"])["status"] == "cancelled_by_centre"
        status = api.get("/api/v1/me/booking-status", token=token).json()
        assert status["recent_no_shows"] == 0 and not status["blocked"] and status["open_bookings"] == 0
        assert not [m for m in outbox_rows(server, r.id) if m["kind"] == "appointment.no_show"]


def test_the_resident_can_book_again_at_once(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    (r,) = verified(api)
    days = [day_ahead(server, n) for n in (2, 3, 4, 5)]
    for d in days:
        open_day(api, b, d)
    first = [book(api, r.access_token, slots(api, b, d)[0]["id"]) for d in days[:3]]
    assert [x.status_code for x in first] == [201, 201, 201]
    assert_error(book(api, r.access_token, slots(api, b, days[3])[0]["id"]), 409, "too_many_open")
    _close(api, b, [days[0]], "系统升级")
    again = book(api, r.access_token, slots(api, b, days[3])[0]["id"])
    assert again.status_code == 201, again.text


def test_a_window_closure_touches_only_the_services_no_other_window_serves(api: Api, server: AppServer,
                                                                           clock) -> None:
    b = make_bookable(api, capacity=2, services=2)
    r = api.patch(f"/api/v1/staff/halls/{b.hall_id}", {"windows": [
        {"id": b.window_id, "number": "01", "name": "一号窗口", "area_prefix": "A", "service_ids": [b.service_ids[0]]},
        {"number": "02", "name": "二号窗口", "area_prefix": "B", "service_ids": [b.service_ids[1]]}]}, token=b.manager)
    assert r.status_code == 200, r.text
    day = day_ahead(server, 2)
    open_day(api, b, day)
    r0, r1 = verified(api, 2)
    a0 = book(api, r0.access_token, slots(api, b, day, 0)[0]["id"]).json()
    a1 = book(api, r1.access_token, slots(api, b, day, 1)[0]["id"]).json()
    assert _preview(api, b, [day], window_id=b.window_id)["appointments"] == 1
    assert _close(api, b, [day], "窗口设备维修", window_id=b.window_id)["appointments"] == 1
    assert _appt(api, r0, a0["id"])["status"] == "cancelled_by_centre"
    assert _appt(api, r1, a1["id"])["status"] == "booked"
    assert slots(api, b, day, 0) == [] and len(slots(api, b, day, 1)) == 3


def _working_day(server: AppServer) -> dt.date:
    calendar = server.ctx.wired.calendar.calendar
    return next(d for d in (day_ahead(server, n) for n in range(2, 7)) if calendar.is_working_day(d))


def _release(api: Api, b: Bookable, day: dt.date) -> None:
    r = api.post("/api/v1/staff/slots/release", {"hall_id": b.hall_id, "date": day.isoformat()}, token=b.manager)
    assert r.status_code == 200, r.text


def test_a_closed_date_of_the_hall_cancels_with_its_reason(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = _working_day(server)
    _release(api, b, day)
    (r,) = verified(api)
    a = book(api, r.access_token, slots(api, b, day)[0]["id"]).json()
    resp = api.patch(f"/api/v1/staff/halls/{b.hall_id}", {"closed_dates": [day.isoformat()],
                                                          "closure_reason": "消防演练"}, token=b.manager)
    assert resp.status_code == 200, resp.text
    got = _appt(api, r, a["id"])
    assert got["status"] == "cancelled_by_centre" and got["cancel_reason"] == "消防演练"
    assert slots(api, b, day) == []
    eventually(lambda: _delivered(server, r, KIND))


def _without_listener(server: AppServer):  # noqa: ANN202
    """The catalogue saves the closure and the process dies before appointments hears of it."""
    catalogue = server.ctx.service("catalogue")
    saved = list(catalogue.closure_listeners)
    catalogue.closure_listeners.clear()
    return lambda: catalogue.closure_listeners.extend(saved)


def test_a_crash_after_the_closure_was_saved_is_finished_by_the_sweep(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = _working_day(server)
    _release(api, b, day)
    r1, r2 = verified(api, 2)
    a1 = book(api, r1.access_token, slots(api, b, day)[0]["id"]).json()
    a2 = book(api, r2.access_token, slots(api, b, day)[1]["id"]).json()
    restore = _without_listener(server)
    try:
        resp = api.patch(f"/api/v1/staff/halls/{b.hall_id}", {"closed_dates": [day.isoformat()]}, token=b.manager)
        assert resp.status_code == 200, resp.text
    finally:
        restore()
    assert _appt(api, r1, a1["id"])["status"] == "booked"
    # Even if no closure sweep ran before the day ended, the no-show sweep does not count it.
    advance_to(server, _end_of(day) + dt.timedelta(hours=1))
    server.run(server.ctx.service("appointments").sweep())
    fresh(api, r1)
    fresh(api, r2)
    for r, a in ((r1, a1), (r2, a2)):
        got = _appt(api, r, a["id"])
        assert got["status"] == "cancelled_by_centre" and got["cancel_reason"] == "大厅当天闭厅"
        assert api.get("/api/v1/me/booking-status", token=r.access_token).json()["recent_no_shows"] == 0
        eventually(lambda r=r: _delivered(server, r, KIND))


def test_the_closures_sweep_finishes_bookings_on_closed_days(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = _working_day(server)
    _release(api, b, day)
    (r,) = verified(api)
    a = book(api, r.access_token, slots(api, b, day)[0]["id"]).json()
    restore = _without_listener(server)
    try:
        assert api.patch(f"/api/v1/staff/halls/{b.hall_id}", {"closed_dates": [day.isoformat()]},
                         token=b.manager).status_code == 200
    finally:
        restore()
    assert server.run(server.ctx.wired.appointments.closures.sweep()).get("appointments") == 1
    assert _appt(api, r, a["id"])["status"] == "cancelled_by_centre"
    assert server.run(server.ctx.wired.appointments.closures.sweep()).get("appointments") is None
    eventually(lambda: _delivered(server, r, KIND))
    assert len([m for m in outbox_rows(server, r.id) if m["kind"] == KIND]) == 1


def test_bad_closures_are_refused_and_change_nothing(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    past = day_ahead(server, -1)
    url = f"/api/v1/staff/halls/{b.hall_id}/closures"
    assert_error(api.post(url, {"dates": [past.isoformat()], "reason": "检修"}, token=b.manager), 400, "invalid_input")
    assert_error(api.post(url, {"dates": [day.isoformat()], "reason": "  "}, token=b.manager), 400, "invalid_input")
    assert_error(api.post(url, {"dates": [day.isoformat()], "reason": "检修", "window_id": "nope"},
                          token=b.manager), 400, "invalid_input")
    assert_error(api.post(url, {"dates": [], "reason": "检修"}, token=b.manager), 400, "invalid_input")
    assert_error(api.post(url, {"dates": ["2026-02-30"], "reason": "检修"}, token=b.manager), 400, "invalid_input")
    assert_error(api.post(url, {"dates": [day.isoformat()], "reason": "检修"}, token=b.clerk), 403, "forbidden")
    r = api.get(f"/api/v1/staff/halls/{b.hall_id}/schedules", token=b.manager)
    assert r.json()["exceptions"] == []
