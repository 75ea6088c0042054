"""The booking's promise at the hall (预约优先): once a booked slot starts, its checked-in residents
are called before walk-ins who came earlier; the resident is told at check-in, when three are
ahead and when called; calls are taken only while the hall is open."""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.core.clock import TZ
from tests.support import Api, AppServer, assert_error
from tests.support_appointments import (
    advance_to,
    book,
    day_ahead,
    eventually,
    fresh_staff,
    make_bookable,
    open_day,
    slots,
    verified,
)


def _call(api: Api, b: Any) -> Any:
    return api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=b.clerk)


def _walk_in(api: Api, b: Any) -> str:
    r = api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_id}, token=b.clerk)
    assert r.status_code == 201, r.text
    return str(r.json()["ticket_number"])


def _messages(server: AppServer, user_id: str) -> dict[str, dict[str, Any]]:
    docs = server.run(server.ctx.db["outbox"].find({"user_id": user_id, "kind": {"$regex": "^appointment\\."}})
                      .to_list(None))
    return {d["kind"]: d["payload"] for d in docs}


def test_a_booked_resident_is_called_before_earlier_walk_ins_once_the_slot_starts(
        api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    ten = next(s for s in slots(api, b, day) if dt.datetime.fromisoformat(s["start"]).astimezone(TZ).hour == 10)
    (res,) = verified(api)
    a = book(api, res.access_token, ten["id"]).json()
    user_id = server.run(server.ctx.db["appointments"].find_one({"code": a["code"]}))["user_id"]

    def at(h: int, m: int) -> None:
        advance_to(server, dt.datetime.combine(day, dt.time(h, m), TZ))
        fresh_staff(b, api)

    at(8, 20)   # the hall opens at 08:30: no calls before
    err = assert_error(_call(api, b), 409, "hall_closed")
    assert "不能叫号" in err["message"] and "08:30" in err["message"]
    at(9, 7)
    walk_ins = [_walk_in(api, b) for _ in range(5)]
    assert walk_ins == ["A001", "A002", "A003", "A004", "A005"]
    at(9, 35)   # checks in early for 10:00
    c = api.post("/api/v1/staff/checkin", {"appointment_code": a["code"]}, token=b.clerk)
    assert c.status_code == 200, c.text
    assert c.json()["ticket_number"] == "A006" and c.json()["ahead"] == 5
    told = eventually(lambda: _messages(server, user_id).get("appointment.checked_in"))
    assert told["ticket_number"] == "A006" and told["ahead"] == 5
    # Before the slot starts, the walk-ins who came first are called first.
    at(9, 40)
    assert _call(api, b).json()["ticket_number"] == "A001"
    assert "appointment.turn_near" not in _messages(server, user_id)     # four still ahead
    assert _call(api, b).json()["ticket_number"] == "A002"
    near = eventually(lambda: _messages(server, user_id).get("appointment.turn_near"))
    assert near == {**near, "ticket_number": "A006", "ahead": 3}
    # From 10:00 the booked resident is next, ahead of the three walk-ins still waiting.
    at(10, 0)
    queue = api.get("/api/v1/staff/queue", params={"hall_id": b.hall_id}, token=b.clerk).json()
    ahead = {t["ticket_number"]: t["ahead"] for t in queue["items"] if t["status"] == "waiting"}
    assert ahead == {"A006": 0, "A003": 1, "A004": 2, "A005": 3}
    called = _call(api, b).json()
    assert called["ticket_number"] == "A006" and called["window_number"] == "01"
    msg = eventually(lambda: _messages(server, user_id).get("appointment.called"))
    assert msg["ticket_number"] == "A006" and msg["window_number"] == "01"
    assert _call(api, b).json()["ticket_number"] == "A003"   # then the walk-ins, in the order they came


def test_a_walk_in_is_told_an_honest_wait_from_the_days_own_pace(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 3)
    open_day(api, b, day)

    def at(h: int, m: int) -> None:
        advance_to(server, dt.datetime.combine(day, dt.time(h, m), TZ))
        fresh_staff(b, api)

    at(9, 0)
    first = api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_id}, token=b.clerk).json()
    assert first["ahead"] == 0 and first["estimated_wait_minutes"] == 0
    # Before any is served, the configured pace: 8 minutes a ticket, one window.
    second = api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_id}, token=b.clerk)
    assert second.json()["ahead"] == 1 and second.json()["estimated_wait_minutes"] == 8
    # The day's own pace once tickets are served: 12 minutes at the window each.
    for called_at in ((9, 1), (9, 13)):
        at(*called_at)
        t = _call(api, b).json()
        at(called_at[0], called_at[1] + 12)
        assert api.post(f"/api/v1/staff/tickets/{t['id']}/served", token=b.clerk).status_code == 200
    for _ in range(2):
        _walk_in(api, b)
    fourth = api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_id}, token=b.clerk)
    assert fourth.json()["ahead"] == 2 and fourth.json()["estimated_wait_minutes"] == 24
