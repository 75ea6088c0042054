"""A journey across a year end and a Spring Festival whose official schedule nobody has entered
yet, through HTTP only — the residents' API, the staff API, the stand-ins and the sandbox clock
(``POST /sandbox/clock``), from 20 December to 20 February:

- bookings and cases across New Year on the provisional calendar (no slots on New Year's Day nor on
  the Spring Festival; deadlines marked provisional), a complaint accepted on the first Monday;
- a hall closes a day with bookings: each resident is told, and no no-show follows;
- ten days of downtime: every missed day is reconciled once per channel;
- the admin enters the year's schedule from the State Council's notice: a booking on a day that
  becomes a holiday is cancelled by the centre and its resident told, a provisional deadline moves
  and its resident and department are told, and the 调休 Saturday then has slots.

The year is the first one the calendar package does not know, so the journey keeps running as the
real date moves on; the statutory rules (``backend.calendar.statutory``) say which days it expects.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import chinese_calendar

from backend.calendar import statutory
from tests.support import Api, AppServer, ResidentHandle, assert_error, new_resident, staff_login
from tests.support_cases import eventually, inbox, move, submit
from tests.support_payments import confirm_wechat, pay_wechat, prepay_id

TZ8 = dt.timezone(dt.timedelta(hours=8))
ONE_DAY = dt.timedelta(days=1)


def _now(api: Api) -> dt.datetime:
    return dt.datetime.fromisoformat(api.get("/api/v1/time").json()["now"])


def _go(api: Api, when: dt.datetime) -> None:
    """Move the sandbox clock forward to ``when`` (it never goes back)."""
    seconds = int((when - _now(api)).total_seconds())
    if seconds > 0:
        assert api.post("/sandbox/clock", {"advance_seconds": seconds}).status_code == 200
    assert abs((_now(api) - when).total_seconds()) < 120 or _now(api) > when


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ8)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _code() -> str:
    return "J-" + uuid.uuid4().hex[:8].upper()


def _hall(api: Api, manager: str, weekdays: range, name: str) -> tuple[str, str]:
    """A hall open 08:30–12:00 on ``weekdays`` with one bookable service (hourly slots 09–12,
    two places, released 7 days ahead); (hall id, service id)."""
    dept = api.get("/api/v1/departments").json()["items"][0]["id"]
    hall = api.post("/api/v1/staff/halls", {"code": _code(), "name": name, "address": "和平路 8 号",
                                            "opening_hours": [{"weekday": d, "start": "08:30", "end": "12:00"}
                                                              for d in weekdays]}, token=manager)
    assert hall.status_code == 201, hall.text
    hall_id = hall.json()["id"]
    svc = api.post("/api/v1/staff/services", {
        "code": _code(), "name": "居住证签注", "department_id": dept, "hall_ids": [hall_id], "guide": {
            "materials": [], "fee_fen": 0, "statutory_days": 5, "promised_days": 1, "online": False,
            "bookable": True, "visit_required": True, "max_visits": 1, "location": "一楼"}}, token=manager)
    assert svc.status_code == 201, svc.text
    sid = svc.json()["id"]
    r = api.patch(f"/api/v1/staff/halls/{hall_id}", {"windows": [
        {"number": "01", "name": "综合窗口", "area_prefix": "A", "service_ids": [sid]}]}, token=manager)
    assert r.status_code == 200, r.text
    r = api.request("PUT", f"/api/v1/staff/halls/{hall_id}/schedules", token=manager, json_body={"items": [
        {"service_id": sid, "periods": [{"weekday": d, "start": "09:00", "end": "12:00"} for d in weekdays],
         "slot_minutes": 60, "windows": 2, "release_days": 7}]})
    assert r.status_code == 200, r.text
    return hall_id, sid


def _slots(api: Api, hall_id: str, service_id: str, day: dt.date) -> list[dict[str, Any]]:
    r = api.get(f"/api/v1/services/{service_id}/slots", params={"date": day.isoformat(), "hall_id": hall_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _released(api: Api, hall_id: str, service_id: str, day: dt.date) -> list[dict[str, Any]]:
    """The day's slots once the generation job has planned them (it runs every few seconds)."""
    return eventually(lambda: _slots(api, hall_id, service_id, day), timeout=30)


def _book(api: Api, r: ResidentHandle, slot: dict[str, Any]) -> dict[str, Any]:
    resp = api.post("/api/v1/appointments", {"slot_id": slot["id"]}, token=r.access_token)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _fresh(api: Api, r: ResidentHandle) -> ResidentHandle:
    resp = api.post("/api/v1/auth/wechat-login", {"code": r.openid[2:]})
    assert resp.status_code == 200, resp.text
    r.access_token = resp.json()["access_token"]
    return r


def _titles(api: Api, r: ResidentHandle) -> list[str]:
    return [m["title"] for m in inbox(api, _fresh(api, r))]


def _notice(year: int) -> tuple[dict[str, Any], dt.date, dt.date]:
    """A notice like the State Council's for ``year``: the statutory days, the Spring Festival
    joined into a seven-day break (its first working day after the provisional break becomes a
    holiday), and the Saturday a week after it worked in exchange. (notice, bridged day, 调休 Saturday)."""
    off = statutory.days_off(year)
    festival = next(f for f in statutory.festivals(year) if f.name == "春节")
    last = max(d for d, name in off.items() if name.startswith("春节"))
    bridged = last + ONE_DAY
    while bridged.weekday() >= 5:
        bridged += ONE_DAY
    block = [festival.days[0] + ONE_DAY * k for k in range((bridged - festival.days[0]).days + 1)]
    saturday = bridged + dt.timedelta(days=7 + (5 - bridged.weekday()) % 7)
    holidays = sorted({*off, *block})
    return ({"holidays": [d.isoformat() for d in holidays], "workdays": [saturday.isoformat()],
             "notice": f"国办发明电〔{year - 1}〕号"}, bridged, saturday)


def test_year_end_and_spring_festival_on_a_provisional_calendar(api: Api, server: AppServer) -> None:
    year = max(max(chinese_calendar.holidays).year, (_now(api) + dt.timedelta(days=12)).year) + 1
    new_year, festival = dt.date(year, 1, 1), statutory.festivals(year)[1]
    chuyi = festival.days[1]
    if year == 2027:  # the facts behind the rules, checked once by hand
        assert chuyi == dt.date(2027, 2, 6)
    notice, bridged, saturday = _notice(year)

    _go(api, _at(dt.date(year - 1, 12, 20), 9))
    manager = staff_login(api, role="hall_manager")["access_token"]
    every_day, every_day_svc = _hall(api, manager, range(1, 8), "市民之家（全周开放）")
    weekdays, weekdays_svc = _hall(api, manager, range(1, 6), "东区大厅（工作日开放）")
    residents = [new_resident(api, verified=True) for _ in range(6)]
    r_case, r_book, r_closed, r_bridge, r_spring, r_sat = residents

    # -- Around New Year: slots, a booking and a case on the provisional calendar ------------------
    first_monday = _monday_on_or_after(new_year + ONE_DAY)
    _go(api, _at(first_monday - dt.timedelta(days=7), 9))           # the Monday before: released up to it
    assert _slots(api, every_day, every_day_svc, new_year) == []     # New Year's Day: no slots
    opening = _released(api, every_day, every_day_svc, first_monday)
    booking = _book(api, _fresh(api, r_book), opening[0])
    case = submit(api, _fresh(api, r_case))
    assert case["deadline_provisional"] is True
    assert dt.date.fromisoformat(case["deadline"][:10]).year == year and case["deadline"][:10] != new_year.isoformat()

    # A day of the every-day hall closes with a booking on it.
    closing_day = first_monday + ONE_DAY
    _go(api, _at(first_monday - dt.timedelta(days=6), 9))
    doomed = _book(api, _fresh(api, r_closed), _released(api, every_day, every_day_svc, closing_day)[0])
    manager = staff_login(api, role="hall_manager")["access_token"]
    preview = api.post(f"/api/v1/staff/halls/{every_day}/closures/preview", {"dates": [closing_day.isoformat()]},
                       token=manager)
    assert preview.status_code == 200 and preview.json()["appointments"] == 1
    closed = api.post(f"/api/v1/staff/halls/{every_day}/closures",
                      {"dates": [closing_day.isoformat()], "reason": "供电线路检修"}, token=manager)
    assert closed.status_code == 200 and closed.json()["appointments"] == 1
    gone = api.get(f"/api/v1/appointments/{doomed['id']}", token=r_closed.access_token).json()
    assert gone["status"] == "cancelled_by_centre" and gone["cancel_reason"] == "供电线路检修"
    told = eventually(lambda: [m for m in inbox(api, r_closed) if "供电线路检修" in m["text"]])
    assert len(told) == 1 and "重新预约" in told[0]["text"]

    # -- The first Monday of the year: the booking is served, a complaint is accepted -------------
    _go(api, _at(first_monday, 9, 5))
    clerk = staff_login(api, role="clerk")["access_token"]
    ticket = api.post("/api/v1/staff/checkin", {"appointment_code": booking["code"]}, token=clerk)
    assert ticket.status_code == 200, ticket.text
    complaint = api.post("/api/v1/complaints", {"category": "complaint", "content": "小区门口路灯坏了一周没人修",
                                                "location": "和平路 8 号", "contact_ok": True},
                         token=_fresh(api, r_book).access_token)
    assert complaint.status_code == 201, complaint.text
    # The case registered in December is due on a working day of the new year.
    assert move(api, clerk, case["id"], "accepted").status_code == 200

    # The closed day passes: no no-show for its resident, and the next day is bookable.
    _go(api, _at(closing_day + ONE_DAY, 13))
    assert not any("爽约" in t for t in eventually(lambda: _titles(api, r_closed) or [""]))
    mine = api.get(f"/api/v1/appointments/{doomed['id']}", token=_fresh(api, r_closed).access_token).json()
    assert mine["status"] == "cancelled_by_centre"
    later = _released(api, every_day, every_day_svc, closing_day + dt.timedelta(days=7))
    rebooked = _book(api, r_closed, later[0])
    cancel = api.post(f"/api/v1/appointments/{rebooked['id']}/cancel", token=r_closed.access_token)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"

    # -- Ten days down: each missed day is reconciled once per channel -----------------------------
    payer = new_resident(api, verified=True)
    from tests.support_payments import create_case
    case_id = create_case(api, resident=payer)
    order = api.post("/api/v1/staff/payments", {"application_id": case_id,
                                                 "items": [{"name": "工本费", "amount_fen": 1000}]},
                     token=staff_login(api, role="finance")["access_token"]).json()
    confirm_wechat(api, prepay_id(pay_wechat(api, payer, order["id"])))
    paid_on = _now(api).astimezone(TZ8).date()
    _go(api, _at(paid_on + dt.timedelta(days=10), 11))
    finance = staff_login(api, role="finance")["access_token"]

    def reports() -> list[dict[str, Any]]:
        return api.get("/api/v1/staff/reconciliation/reports", params={"days": 14}, token=finance).json()["items"]
    missed = [paid_on + dt.timedelta(days=k) for k in range(10)]
    eventually(lambda: {(r["channel"], r["date"]) for r in reports() if r.get("state") == "done"}
               >= {(c, d.isoformat()) for c in ("wechat", "alipay") for d in missed}, timeout=60)
    rows = [(r["channel"], r["date"]) for r in reports() if r["date"] in {d.isoformat() for d in missed}]
    assert len(rows) == len(set(rows)) == 20
    paid_day = next(r for r in reports() if r["channel"] == "wechat" and r["date"] == paid_on.isoformat())
    assert paid_day["balanced"] is True and paid_day["local_net_fen"] == 1000

    # -- The Spring Festival on the provisional calendar ------------------------------------------
    _go(api, _at(bridged - dt.timedelta(days=7), 9))              # the bridged day is released now
    for day in festival.days:
        if day - _now(api).astimezone(TZ8).date() <= dt.timedelta(days=7):
            assert _slots(api, every_day, every_day_svc, day) == [], day
    bridge_booking = _book(api, _fresh(api, r_bridge), _released(api, weekdays, weekdays_svc, bridged)[0])
    spring_case = submit(api, _fresh(api, r_spring))
    assert spring_case["deadline_provisional"] is True
    admin = staff_login(api, role="admin")["access_token"]
    overview = api.get("/api/v1/staff/calendar", token=admin).json()
    assert next(y for y in overview["years"] if y["year"] == year)["source"] == "provisional"
    assert f"{year} 年的放假安排尚未录入" in overview["warning"]

    # -- The admin enters the notice ----------------------------------------------------------------
    preview = api.post(f"/api/v1/staff/calendar/{year}/preview", notice, token=admin).json()
    assert bridged.isoformat() in [d["date"] for d in preview["closed_days"]]
    assert [d["date"] for d in preview["opened_days"]] == [saturday.isoformat()]
    assert preview["appointments"] >= 1 and preview["cases"] >= 1
    entered = api.put(f"/api/v1/staff/calendar/{year}", notice, token=admin)
    assert entered.status_code == 200, entered.text
    assert entered.json()["source"] == "entered"

    # The booking on the bridged day: cancelled by the centre, for the holiday, and told.
    cancelled = api.get(f"/api/v1/appointments/{bridge_booking['id']}", token=r_bridge.access_token).json()
    assert cancelled["status"] == "cancelled_by_centre" and "春节放假" in cancelled["cancel_reason"]
    eventually(lambda: [m for m in inbox(api, r_bridge) if "春节放假" in m["text"]])
    assert _slots(api, weekdays, weekdays_svc, bridged) == []
    # The provisional deadline: counted again on the notice, the resident and the department told.
    after = api.get(f"/api/v1/applications/{spring_case['id']}", token=r_spring.access_token).json()
    assert after["deadline_provisional"] is False and after["deadline"] != spring_case["deadline"]
    moved = eventually(lambda: [m for m in inbox(api, r_spring) if m["title"] == "办理时限已调整"])
    assert len(moved) == 1 and spring_case["serial"] in moved[0]["text"]
    alerts = api.get("/api/v1/staff/inbox", token=staff_login(api, role="approver")["access_token"])
    assert alerts.status_code == 200
    assert any(spring_case["serial"] in a["text"] and "调整为" in a["text"] for a in alerts.json()["items"])
    # Not a single no-show came from any of it.
    for r in residents:
        assert not any("爽约" in t for t in _titles(api, r))

    # -- The 调休 Saturday opens the weekday hall once it is released ---------------------------------
    _go(api, _at(saturday - dt.timedelta(days=7), 9))
    on_saturday = _released(api, weekdays, weekdays_svc, saturday)
    assert on_saturday[0]["start"].startswith(f"{saturday.isoformat()}T09:00")
    assert _book(api, _fresh(api, r_sat), on_saturday[0])["status"] == "booked"
    assert_error(api.put(f"/api/v1/staff/calendar/{year - 1}", notice, token=staff_login(api)["access_token"]),
                 400, "invalid_input")
