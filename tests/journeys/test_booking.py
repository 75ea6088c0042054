"""Journey 1: book → check in → ticket → called, through HTTP only — the resident's API,
the staff API (the calls the clerk's console makes), the stand-ins and the sandbox clock
(``POST /sandbox/clock``) — asserting what each person reads at each step.

The resident books on the last day slots are released for (7 days ahead, the day the mini-program's
strip must reach: ``last_release_date`` of the slots answer), is told in the inbox and by a WeChat
push whose page is a page of the mini-program, is reminded, checks in at the window, follows the
queue, and is called to the clerk's window.
"""
from __future__ import annotations

import datetime as dt
import json

from tests.support import Api, AppServer, ResidentHandle, assert_error, miniprogram_pages, new_resident, staff_login
from tests.support_appointments import make_bookable
from tests.support_cases import consent, eventually, inbox, wechat_messages

TZ8 = dt.timezone(dt.timedelta(hours=8))
WEEKDAYS = "一二三四五六日"


def _now(api: Api) -> dt.datetime:
    return dt.datetime.fromisoformat(api.get("/api/v1/time").json()["now"]).astimezone(TZ8)


def _go(api: Api, when: dt.datetime) -> None:
    """Move the sandbox clock forward to ``when``."""
    seconds = int((when - _now(api)).total_seconds())
    assert seconds > 0, (when, _now(api))
    r = api.post("/sandbox/clock", {"advance_seconds": seconds})
    assert r.status_code == 200, r.text
    assert abs((_now(api) - when).total_seconds()) < 60


def _relogin(api: Api, r: ResidentHandle) -> None:
    """Tokens last 15 minutes; after the clock moved on, the resident's mini-program logs in again."""
    resp = api.post("/api/v1/auth/wechat-login", {"code": r.openid.removeprefix("o-")})
    assert resp.status_code == 200, resp.text
    r.access_token = resp.json()["access_token"]


def _pages() -> set[str]:
    return miniprogram_pages()


def _said(day: dt.date, at: dt.date) -> str:
    """A day as the messages say it: "12月1日（周二）", with the year when it is another year."""
    year = f"{day.year}年" if day.year != at.year else ""
    return f"{year}{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def test_book_check_in_ticket_called(api: Api, server: AppServer) -> None:
    # Slots are released at 08:00: the journey starts after it, so the 7th day ahead is out.
    now = _now(api)
    if now.hour < 8:
        _go(api, now.replace(hour=8, minute=30, second=0, microsecond=0))
    today = _now(api).date()
    last = today + dt.timedelta(days=7)

    # The hall manager's hall: one window, one bookable service, released 7 days ahead (the default);
    # the last day is opened explicitly so that a public holiday there cannot close it.
    b = make_bookable(api, capacity=2, services=1)
    r = api.post(f"/api/v1/staff/halls/{b.hall_id}/exceptions",
                 {"date": last.isoformat(), "kind": "open", "periods": [{"start": "09:00", "end": "12:00"}]},
                 token=b.manager)
    assert r.status_code == 201, r.text
    service = api.get(f"/api/v1/services/{b.service_id}").json()

    # The resident: the day strip reaches the last released day, and that day has slots.
    resident = new_resident(api, verified=True)
    consent(api, resident, key="appointment")
    answer = api.get(f"/api/v1/services/{b.service_id}/slots",
                     params={"date": last.isoformat(), "hall_id": b.hall_id}).json()
    assert answer["last_release_date"] == last.isoformat()
    assert [s["start"][11:16] for s in answer["items"]] == ["09:00", "10:00", "11:00"]
    assert all(s["remaining"] == 2 and s["bookable"] for s in answer["items"])
    beyond = api.get(f"/api/v1/services/{b.service_id}/slots",
                     params={"date": (last + dt.timedelta(days=1)).isoformat(), "hall_id": b.hall_id}).json()
    assert beyond["items"] == [] and beyond["last_release_date"] == last.isoformat()

    # Booking: the answer the booking page shows.
    slot = answer["items"][0]
    booked = api.post("/api/v1/appointments", {"slot_id": slot["id"]}, token=resident.access_token)
    assert booked.status_code == 201, booked.text
    appt = booked.json()
    assert appt["status"] == "booked" and appt["slot"]["id"] == slot["id"]
    assert len(appt["code"]) >= 6 and appt["start"] == slot["start"]
    code = appt["code"]
    left = api.get(f"/api/v1/services/{b.service_id}/slots",
                   params={"date": last.isoformat(), "hall_id": b.hall_id}).json()["items"][0]
    assert left["remaining"] == 1

    # What the resident reads: the inbox, and the WeChat push that opens a page of the mini-program.
    hall_name = api.get(f"/api/v1/halls/{b.hall_id}").json()["name"]
    when = f"{_said(last, today)}09:00"
    msgs = eventually(lambda: [m for m in inbox(api, resident) if m["kind"] == "appointment.booked"])
    assert msgs[0]["title"] == "预约成功"
    assert msgs[0]["text"] == (f"您已预约“{service['name']}”：{when}，{hall_name}，预约码 {code}。"
                               f"请凭预约码按时到大厅签到。")
    assert msgs[0]["ref"] == {"appointment_id": appt["id"]}
    pushes = eventually(lambda: wechat_messages(api, resident.openid))
    assert len(pushes) == 1
    push = pushes[0]
    assert push["page"].split("?")[0] in _pages()
    data = push["data"] if isinstance(push["data"], dict) else json.loads(push["data"])
    assert data["thing1"]["value"] == service["name"] and data["phrase4"]["value"] == "预约成功"
    assert data["time2"]["value"] == f"{last.year}年{last.month}月{last.day}日 09:00"
    assert data["thing5"]["value"] == f"预约码{code}，请按时签到"

    # The day comes: a reminder before it starts, then the resident arrives 15 minutes early.
    start = dt.datetime.fromisoformat(appt["start"])
    _go(api, start - dt.timedelta(minutes=15))
    _relogin(api, resident)
    reminder = eventually(lambda: [m for m in inbox(api, resident) if m["kind"] == "appointment.reminder"])[0]
    assert reminder["title"] == "预约提醒"
    assert f"将于{_said(last, last)}09:00开始" in reminder["text"] and f"预约码 {code}" in reminder["text"]
    for p in wechat_messages(api, resident.openid):
        assert p["page"].split("?")[0] in _pages(), p

    # The clerk's console: check in by the booking code; the ticket is what the window prints.
    clerk = staff_login(api, role="clerk")["access_token"]
    checked = api.post("/api/v1/staff/checkin", {"appointment_code": code}, token=clerk)
    assert checked.status_code == 200, checked.text
    assert checked.json()["ticket_number"] == "A001" and checked.json()["ahead"] == 0
    ticket = checked.json()["ticket"]
    assert ticket["ticket_number"] == "A001" and ticket["status"] == "waiting" and ticket["kind"] == "appointment"
    assert ticket["appointment_id"] == appt["id"] and checked.json()["appointment"]["status"] == "checked_in"

    # The resident's booking page: checked in, the ticket and how many are ahead.
    assert api.get(f"/api/v1/appointments/{appt['id']}", token=resident.access_token).json()["status"] == "checked_in"
    queue = api.get(f"/api/v1/appointments/{appt['id']}/queue", token=resident.access_token).json()
    assert queue == {"ticket_number": "A001", "ahead": 0, "status": "waiting", "window_number": None}

    # The clerk's queue board, as the console loads it, then 叫下一位 at the clerk's window.
    board = api.get("/api/v1/staff/queue", params={"hall_id": b.hall_id}, token=clerk).json()
    assert board["waiting"] == 1
    assert [(t["ticket_number"], t["status"], t["service_name"]) for t in board["items"]] == [
        ("A001", "waiting", service["name"])]
    assert board["items"][0]["resident"]["name_masked"].endswith("*")
    assert resident.name not in json.dumps(board, ensure_ascii=False)
    called = api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=clerk)
    assert called.status_code == 200, called.text
    assert called.json()["ticket_number"] == "A001" and called.json()["window_number"] == "01"
    assert called.json()["status"] == "called"

    # What the resident reads now: called to window 01; the board shows it called at this window.
    queue = api.get(f"/api/v1/appointments/{appt['id']}/queue", token=resident.access_token).json()
    assert queue == {"ticket_number": "A001", "ahead": 0, "status": "called", "window_number": "01"}
    board = api.get("/api/v1/staff/queue", params={"hall_id": b.hall_id}, token=clerk).json()
    assert board["waiting"] == 0 and board["items"][0]["window_id"] == b.window_id
    nobody = api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=clerk)
    assert_error(nobody, 409, "queue_empty")
    assert nobody.json()["error"]["message"] == "当前没有等候的号"

    # Served: the booking ends, and the resident's booking page says so.
    done = api.post(f"/api/v1/staff/tickets/{called.json()['id']}/served", token=clerk)
    assert done.status_code == 200 and done.json()["status"] == "served"
    assert api.get(f"/api/v1/appointments/{appt['id']}", token=resident.access_token).json()["status"] == "served"
