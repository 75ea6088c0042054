"""Hall rules as residents and clerks meet them: walk-in tickets only while the hall is open, the
demo city hall's Saturday mornings bookable, and the real-name rule (2–30 Chinese characters,
with the middle dot of minority names)."""
from __future__ import annotations

import datetime as dt

import pytest
from bson import ObjectId

from backend.core.clock import TZ
from tests.support import Api, AppServer, assert_error, bind_realname, make_id_number, new_resident, staff_login
from tests.support_appointments import advance_to, fresh_staff, local_today, make_bookable

# -- walk-in tickets ------------------------------------------------------------------------------


def _walk_in(api: Api, b, service: int = 0):  # noqa: ANN001, ANN202
    return api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_ids[service]},
                    token=b.clerk)


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), TZ)


def test_walk_in_tickets_only_while_the_hall_is_open(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, services=1)  # open every day 08:30–12:00
    day = local_today(server) + dt.timedelta(days=1)
    while server.ctx.service("catalogue").calendar.is_public_holiday(day):
        day += dt.timedelta(days=1)
    advance_to(server, _at(day, "08:29"))
    fresh_staff(b, api)
    err = assert_error(_walk_in(api, b), 409, "hall_closed")
    assert err["message"] == "现在不在大厅开放时间（今天 08:30–12:00），不能现场取号"
    assert err["details"] == {"date": day.isoformat(), "opening_hours": [{"start": "08:30", "end": "12:00"}]}

    advance_to(server, _at(day, "08:30"))
    ticket = _walk_in(api, b)
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["kind"] == "walk_in" and ticket.json()["date"] == day.isoformat()

    advance_to(server, _at(day, "12:00"))
    fresh_staff(b, api)
    assert_error(_walk_in(api, b), 409, "hall_closed")
    # Nothing was issued by the refused calls.
    queue = api.get("/api/v1/staff/queue", params={"hall_id": b.hall_id}, token=b.clerk).json()
    assert [t["ticket_number"] for t in queue["items"]] == [ticket.json()["ticket_number"]]


def test_walk_in_follows_the_halls_exceptions(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, services=1)
    closed = local_today(server) + dt.timedelta(days=1)
    extra = closed + dt.timedelta(days=1)
    r = api.post(f"/api/v1/staff/halls/{b.hall_id}/exceptions", {"date": closed.isoformat(), "kind": "closed"},
                 token=b.manager)
    assert r.status_code == 201, r.text
    r = api.post(f"/api/v1/staff/halls/{b.hall_id}/exceptions",
                 {"date": extra.isoformat(), "kind": "open", "periods": [{"start": "14:00", "end": "17:00"}]},
                 token=b.manager)
    assert r.status_code == 201, r.text
    advance_to(server, _at(closed, "10:00"))
    fresh_staff(b, api)
    err = assert_error(_walk_in(api, b), 409, "hall_closed")
    assert err["message"] == "大厅今天不开放，不能现场取号" and err["details"]["opening_hours"] == []
    # An extra opening adds its hours to the day's.
    advance_to(server, _at(extra, "15:00"))
    fresh_staff(b, api)
    assert _walk_in(api, b).status_code == 201


def test_walk_in_refusal_is_published(api: Api) -> None:
    doc = api.get("/openapi.json").json()
    assert "409" in doc["paths"]["/api/v1/staff/tickets"]["post"]["responses"]
    entry = next(e for e in doc["x-error-codes"] if e["code"] == "hall_closed")
    assert entry["status"] == 409 and entry["message"] == "大厅现在不在开放时间，不能现场取号"


# -- the demo halls' Saturdays ------------------------------------------------------------------


def _next_saturday(server: AppServer, *, holiday: bool) -> dt.date | None:
    """The next Saturday within the release horizon that is (or is not) a public holiday."""
    cal = server.ctx.service("catalogue").calendar
    day = local_today(server) + dt.timedelta(days=1)
    for _ in range(7):
        if day.isoweekday() == 6 and cal.is_public_holiday(day) is holiday:
            return day
        day += dt.timedelta(days=1)
    return None


def _demo(api: Api, code: str) -> dict:
    return next(h for h in api.get("/api/v1/halls").json()["items"] if h["code"] == code)


def test_the_city_halls_saturday_hours_produce_slots(api: Api, server: AppServer) -> None:
    city, east = _demo(api, "HALL-CITY"), _demo(api, "HALL-EAST")
    saturday = _next_saturday(server, holiday=False)
    assert saturday is not None  # a week holds one Saturday; only a holiday Saturday is skipped
    mgr = staff_login(api, role="hall_manager")["access_token"]
    for hall in (city, east):
        r = api.post("/api/v1/staff/slots/release", {"hall_id": hall["id"], "date": saturday.isoformat()}, token=mgr)
        assert r.status_code == 200, r.text
    svc = next(s for s in api.get("/api/v1/services").json()["items"] if s["code"] == "HJ-SFZ")  # in both halls
    got = api.get(f"/api/v1/services/{svc['id']}/slots", params={"date": saturday.isoformat()}).json()["items"]
    starts = sorted({dt.datetime.fromisoformat(s["start"]).astimezone(TZ).strftime("%H:%M") for s in got})
    assert starts == ["09:00", "10:00", "11:00"]  # 周六上午 9:00–12:00, to the hour
    assert {s["hall_id"] for s in got} == {city["id"]}  # the district hall declares no Saturday hours
    # Sunday: no hours declared, no slots.
    sunday = saturday + dt.timedelta(days=1)
    r = api.post("/api/v1/staff/slots/release", {"hall_id": city["id"], "date": sunday.isoformat()}, token=mgr)
    assert r.status_code == 200 and r.json()["released"] == 0


@pytest.mark.parametrize("day,open_", [
    ("2026-12-05", True),    # an ordinary Saturday
    ("2026-10-03", False),   # National Day holiday on a Saturday
    ("2026-10-10", True),    # 调休: a Saturday worked in exchange for the holiday
    ("2026-12-06", False),   # Sunday: no hours declared
    ("2026-12-07", True),    # Monday
    ("2026-10-01", False),   # National Day
])
def test_a_halls_own_calendar_decides(api: Api, server: AppServer, day: str, open_: bool) -> None:
    catalogue = server.ctx.service("catalogue")
    city = _demo(api, "HALL-CITY")
    assert catalogue.hall_open_on({**city, "closed_dates": []}, dt.date.fromisoformat(day)) is open_
    # A hall's own closure wins over its hours.
    assert catalogue.hall_open_on({**city, "closed_dates": [day]}, dt.date.fromisoformat(day)) is False


def test_a_hall_without_saturday_hours_stays_closed_on_saturdays(api: Api, server: AppServer) -> None:
    east = _demo(api, "HALL-EAST")
    catalogue = server.ctx.service("catalogue")
    assert catalogue.hall_open_on(east, dt.date(2026, 12, 5)) is False
    assert catalogue.hall_open_on(east, dt.date(2026, 10, 10)) is True  # 调休 Saturday: a working day


# -- the real-name rule -------------------------------------------------------------------------


def _bind(api: Api, name: str):  # noqa: ANN202
    r = new_resident(api)
    return r, bind_realname(api, r, name, make_id_number())


@pytest.mark.parametrize("name", ["Zhang San", "ZhangSan", "张San", "张·", "·张三", "张··三", "张三·", "张-三", "张"])
def test_names_outside_the_rule_are_400(api: Api, name: str) -> None:
    _, resp = _bind(api, name)
    err = assert_error(resp, 400, "invalid_input")
    assert err["details"]["fields"]["name"] == "姓名应为2至30个汉字（少数民族姓名可含“·”）"


@pytest.mark.parametrize("typed,stored", [
    ("阿依古丽·买买提", "阿依古丽·买买提"),
    ("阿依古丽・买买提", "阿依古丽·买买提"),   # katakana middle dot
    ("阿依古丽•买买提", "阿依古丽·买买提"),    # bullet
    ("欧阳娜娜", "欧阳娜娜"),
    ("王" * 30, "王" * 30),
])
def test_minority_names_with_any_middle_dot_are_accepted_and_stored_with_it(
        api: Api, server: AppServer, typed: str, stored: str) -> None:
    r, resp = _bind(api, typed)
    assert resp.status_code == 200, resp.text
    assert resp.json()["name_masked"] == stored[0] + "*" * (len(stored) - 1)
    held = server.run(server.ctx.db["realnames"].find_one({"_id": ObjectId(r.id)}))
    assert server.ctx.service("identity").cipher.open(held["name_sealed"], aad=r.id) == stored


def test_thirty_one_characters_are_too_many(api: Api) -> None:
    _, resp = _bind(api, "王" * 31)
    assert_error(resp, 400, "invalid_input")
