"""From weekly schedules to slots: pure time arithmetic in Asia/Shanghai, and the plan of what
to write so a day's slots match its schedule (the store writes it idempotently).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from backend.appointments.values import (
    DayException,
    DayPeriod,
    ExceptionKind,
    NewSlot,
    Period,
    Replan,
    Schedule,
    Slot,
    SlotPlan,
    SlotStatus,
    exception_for,
)
from backend.core.clock import TZ, UTC


@dataclass(frozen=True)
class PlannedSlot:
    start: dt.datetime  # UTC
    end: dt.datetime


def local_dt(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)


def release_at(schedule: Schedule, day: dt.date) -> dt.datetime:
    """Slots of ``day`` open to everyone ``release_days`` before it, at ``release_time``."""
    return local_dt(day - dt.timedelta(days=schedule.release_days), schedule.release_time).astimezone(UTC)


def plan_day(schedule: Schedule, day: dt.date, *, hall_open: bool,
             exceptions: Sequence[DayException], weekday: int | None = None) -> list[PlannedSlot]:
    """The slots a schedule offers on ``day``. A service-specific exception beats a hall-wide one;
    ``closed`` closes the day, ``open`` opens it (its own periods or the weekday's). ``weekday`` is
    the weekday whose periods the day keeps (a 调休 working Saturday keeps Monday's)."""
    exc = exception_for(exceptions, schedule.service_id)
    periods: Sequence[Period | DayPeriod] = [p for p in schedule.periods
                                             if p.weekday == (weekday or day.isoweekday())]
    if exc is not None:
        if exc.kind == ExceptionKind.CLOSED:
            return []
        periods = exc.periods or periods
    elif not hall_open:
        return []
    step = dt.timedelta(minutes=schedule.slot_minutes)
    out: list[PlannedSlot] = []
    for p in periods:
        t, end = local_dt(day, p.start), local_dt(day, p.end)
        while t + step <= end:
            out.append(PlannedSlot(t.astimezone(UTC), (t + step).astimezone(UTC)))
            t += step
    return out


def plan_changes(schedule: Schedule, day: dt.date, planned: list[PlannedSlot],
                 existing: list[Slot], now: dt.datetime, *, release_now: bool = False) -> SlotPlan:
    """What makes one schedule's slots on one day match the plan: slots to insert, slots whose
    planned fields change, and slots to retire. Live counters are never touched here; a capacity
    change recomputes ``free`` from the same document when written."""
    hall_id, service_id = schedule.hall_id, schedule.service_id
    date = day.isoformat()
    cap = schedule.capacity
    rel = now if release_now else release_at(schedule, day)
    by_start = {s.start: s for s in existing}
    new: list[NewSlot] = []
    changed: list[Replan] = []
    wanted = set()
    for p in planned:
        wanted.add(p.start)
        cur = by_start.get(p.start)
        if cur is None:
            new.append(NewSlot(hall_id=hall_id, service_id=service_id, schedule_id=str(schedule.id), date=date,
                               start=p.start, end=p.end, capacity=cap, release_at=rel, created_at=now))
            continue
        new_rel = min(cur.release_at, rel)
        if cur.capacity != cap or cur.status != SlotStatus.OPEN or cur.release_at != new_rel or cur.end != p.end:
            changed.append(Replan(slot_id=cur.id, capacity=cap, release_at=new_rel, end=p.end))
    # Off the plan: no longer offered. Bookings already made in them stay valid.
    retired = tuple(cur.id for start, cur in by_start.items() if start not in wanted and cur.status == SlotStatus.OPEN)
    return SlotPlan(tuple(new), tuple(changed), retired)
