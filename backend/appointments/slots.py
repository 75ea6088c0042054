"""From weekly schedules to slots: pure time arithmetic in Asia/Shanghai, and the generator that
writes slots idempotently (upsert by hall+service+start, never touching live counters except
through an atomic pipeline that recomputes ``free`` from the same document).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pymongo import UpdateOne

from backend.appointments.store import AppointmentStore
from backend.core.clock import TZ, UTC


@dataclass(frozen=True)
class PlannedSlot:
    start: dt.datetime  # UTC
    end: dt.datetime


def local_dt(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)


def capacity(schedule: dict[str, Any]) -> int:
    return int(schedule["windows"]) * int(schedule.get("per_window", 1))


def release_at(schedule: dict[str, Any], day: dt.date) -> dt.datetime:
    """Slots of ``day`` open to everyone ``release_days`` before it, at ``release_time``."""
    return local_dt(day - dt.timedelta(days=int(schedule["release_days"])), schedule["release_time"]).astimezone(UTC)


def plan_day(schedule: dict[str, Any], day: dt.date, *, hall_open: bool,
             exceptions: list[dict[str, Any]]) -> list[PlannedSlot]:
    """The slots a schedule offers on ``day``. A service-specific exception beats a hall-wide one;
    ``closed`` closes the day, ``open`` opens it (its own periods or the weekday's)."""
    exc = next((e for e in exceptions if e["service_id"] == schedule["service_id"]), None) or \
        next((e for e in exceptions if e["service_id"] == "*"), None)
    periods = [p for p in schedule["periods"] if p["weekday"] == day.isoweekday()]
    if exc is not None:
        if exc["kind"] == "closed":
            return []
        periods = exc.get("periods") or periods
    elif not hall_open:
        return []
    step = dt.timedelta(minutes=int(schedule["slot_minutes"]))
    out: list[PlannedSlot] = []
    for p in periods:
        t, end = local_dt(day, p["start"]), local_dt(day, p["end"])
        while t + step <= end:
            out.append(PlannedSlot(t.astimezone(UTC), (t + step).astimezone(UTC)))
            t += step
    return out


async def write_day(store: AppointmentStore, schedule: dict[str, Any], day: dt.date, planned: list[PlannedSlot],
                    now: dt.datetime, *, release_now: bool = False) -> int:
    """Make the slots of one schedule on one day match the plan. Idempotent; safe in several
    processes at once. Returns how many slots were written or changed."""
    hall_id, service_id = schedule["hall_id"], schedule["service_id"]
    date = day.isoformat()
    cap = capacity(schedule)
    rel = now if release_now else release_at(schedule, day)
    existing = {s["start"]: s for s in await store.slots.find(
        {"hall_id": hall_id, "service_id": service_id, "date": date}, {"claims": 0}).to_list(None)}
    ops: list[UpdateOne] = []
    wanted = set()
    for p in planned:
        wanted.add(p.start)
        cur = existing.get(p.start)
        if cur is None:
            ops.append(UpdateOne({"hall_id": hall_id, "service_id": service_id, "start": p.start}, {"$setOnInsert": {
                "hall_id": hall_id, "service_id": service_id, "date": date, "start": p.start, "end": p.end,
                "schedule_id": str(schedule["_id"]), "capacity": cap, "booked": 0, "held": 0, "free": cap,
                "claims": [], "holds": [], "status": "open", "release_at": rel, "created_at": now}}, upsert=True))
            continue
        new_rel = min(cur["release_at"], rel)
        if cur["capacity"] != cap or cur["status"] != "open" or cur["release_at"] != new_rel or cur["end"] != p.end:
            ops.append(UpdateOne({"_id": cur["_id"]}, [{"$set": {
                "capacity": cap, "status": "open", "release_at": new_rel, "end": p.end,
                "free": {"$subtract": [cap, {"$add": ["$booked", "$held"]}]}}}]))
    for start, cur in existing.items():
        if start not in wanted and cur["status"] == "open":
            # Off the plan: no longer offered. Bookings already made in it stay valid.
            ops.append(UpdateOne({"_id": cur["_id"]}, {"$set": {"status": "retired"}}))
    if ops:
        await store.slots.bulk_write(ops, ordered=False)
    return len(ops)
