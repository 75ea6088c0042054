"""Factories for appointment tests: a hall of one's own with bookable services, released slots."""
from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backend.core.clock import TZ
from tests.support import Api, AppServer, new_resident, staff_login


@dataclass
class Bookable:
    hall_id: str
    service_ids: list[str]
    window_id: str
    manager: str
    clerk: str
    capacity: int

    @property
    def service_id(self) -> str:
        return self.service_ids[0]


def _code() -> str:
    return "T-" + uuid.uuid4().hex[:8].upper()


def make_bookable(api: Api, *, capacity: int = 2, services: int = 2, slot_minutes: int = 60,
                  release_days: int = 7) -> Bookable:
    """A new hall open every day 08:30–12:00 with ``services`` bookable services, one window serving
    all, a schedule every day 09:00–12:00 with ``capacity`` places per slot. Days are opened by
    ``open_day``."""
    mgr = staff_login(api, role="hall_manager")["access_token"]
    clerk = staff_login(api, role="clerk")["access_token"]
    dept = api.get("/api/v1/departments").json()["items"][0]["id"]
    hall = api.post("/api/v1/staff/halls", {"code": _code(), "name": "测试大厅", "address": "测试路 1 号",
                                            "opening_hours": [{"weekday": d, "start": "08:30", "end": "12:00"}
                                                              for d in range(1, 8)]}, token=mgr)
    assert hall.status_code == 201, hall.text
    hall_id = hall.json()["id"]
    sids = []
    for i in range(services):
        r = api.post("/api/v1/staff/services", {
            "code": _code(), "name": f"测试事项{i}", "department_id": dept, "hall_ids": [hall_id], "guide": {
                "materials": [], "fee_fen": 0, "statutory_days": 5, "promised_days": 1, "online": False,
                "bookable": True, "visit_required": True, "max_visits": 1, "location": "一楼"}}, token=mgr)
        assert r.status_code == 201, r.text
        sids.append(r.json()["id"])
    r = api.patch(f"/api/v1/staff/halls/{hall_id}", {"windows": [
        {"number": "01", "name": "综合窗口", "area_prefix": "A", "service_ids": sids}]}, token=mgr)
    assert r.status_code == 200, r.text
    window_id = r.json()["windows"][0]["id"]
    r = api.request("PUT", f"/api/v1/staff/halls/{hall_id}/schedules", token=mgr, json_body={"items": [
        {"service_id": sid, "periods": [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(1, 8)],
         "slot_minutes": slot_minutes, "windows": capacity, "release_days": release_days} for sid in sids]})
    assert r.status_code == 200, r.text
    return Bookable(hall_id, sids, window_id, mgr, clerk, capacity)


def another_hall(api: Api) -> str:
    """A hall of its own (staff accounts are limited only to halls that exist)."""
    r = api.post("/api/v1/staff/halls", {"code": _code(), "name": "别处大厅", "address": "别处路 1 号",
                                         "opening_hours": [{"weekday": 1, "start": "09:00", "end": "17:00"}]},
                 token=staff_login(api, role="hall_manager")["access_token"])
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def local_today(server: AppServer) -> dt.date:
    return server.clock.now().astimezone(TZ).date()


def open_day(api: Api, b: Bookable, day: dt.date) -> None:
    """Open the day (an exception beats weekends and holidays) and release its slots now."""
    r = api.post(f"/api/v1/staff/halls/{b.hall_id}/exceptions",
                 {"date": day.isoformat(), "kind": "open", "periods": [{"start": "09:00", "end": "12:00"}]},
                 token=b.manager)
    assert r.status_code == 201, r.text
    r = api.post("/api/v1/staff/slots/release", {"hall_id": b.hall_id, "date": day.isoformat()}, token=b.manager)
    assert r.status_code == 200, r.text


def slots(api: Api, b: Bookable, day: dt.date, service: int = 0) -> list[dict[str, Any]]:
    r = api.get(f"/api/v1/services/{b.service_ids[service]}/slots", params={"date": day.isoformat(),
                                                                            "hall_id": b.hall_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def book(api: Api, token: str, slot_id: str):  # noqa: ANN201
    return api.post("/api/v1/appointments", {"slot_id": slot_id}, token=token)


def verified(api: Api, n: int = 1) -> list:
    return [new_resident(api, verified=True) for _ in range(n)]


def day_ahead(server: AppServer, days: int) -> dt.date:
    return local_today(server) + dt.timedelta(days=days)


def to_local(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


def advance_to(server: AppServer, when: dt.datetime) -> None:
    """Move the server's clock so that it reads ``when`` now."""
    server.clock.offset += when - server.clock.now()


def db(server: AppServer):  # noqa: ANN201
    return server.ctx.db


def fresh(api: Api, r: Any) -> str:
    """A new access token for a resident (after the clock moved past the token's life)."""
    resp = api.post("/api/v1/auth/wechat-login", {"code": r.openid[2:]})
    assert resp.status_code == 200, resp.text
    r.access_token = resp.json()["access_token"]
    return r.access_token


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Wait until ``check()`` is true (messages reach the outbox right after the answer)."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
    return value


def fresh_staff(b: Bookable, api: Api) -> None:
    b.manager = staff_login(api, role="hall_manager")["access_token"]
    b.clerk = staff_login(api, role="clerk")["access_token"]
