"""Schedules, exceptions and slots: what a hall offers, generated ahead and released on time.

Slots of day D are written by the ``appointments.generate`` job up to each schedule's horizon
(+1 day), idempotently (see ``slots.plan_changes`` and ``AppointmentStore.apply_slot_plan``);
they open at ``release_at``, so nothing has to run at 08:00 sharp.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bson import ObjectId

from backend.appointments import slots as slotgen
from backend.appointments.common import HallAccess, Names, StaffAudit, public_slot
from backend.appointments.store import AppointmentStore
from backend.appointments.values import (
    DayException,
    DayPeriod,
    ExceptionKind,
    NewSlot,
    Period,
    Replan,
    Schedule,
    ScheduleSpec,
    Slot,
    SlotPlan,
)
from backend.catalogue.service import CatalogueService
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import UTC, Clock


def _public_schedule(s: Schedule) -> dict[str, Any]:
    """A schedule as the API shows it."""
    return {"id": str(s.id), "hall_id": s.hall_id, "service_id": s.service_id,
            "periods": [{"weekday": p.weekday, "start": p.start, "end": p.end} for p in s.periods],
            "slot_minutes": s.slot_minutes, "windows": s.windows, "per_window": s.per_window,
            "capacity": s.capacity, "release_days": s.release_days, "release_time": s.release_time,
            "status": s.status.value, "version": s.version, "updated_at": s.updated_at}


def _public_exception(e: DayException) -> dict[str, Any]:
    """An exception as the API shows it."""
    return {"id": str(e.id), "hall_id": e.hall_id, "date": e.date,
            "service_id": None if e.service_id == "*" else e.service_id, "kind": e.kind.value,
            "periods": [{"start": p.start, "end": p.end} for p in e.periods], "note": e.note}


class ScheduleService:
    def __init__(self, *, store: AppointmentStore, catalogue: CatalogueService, halls: HallAccess, names: Names,
                 audit: StaffAudit, clock: Clock, config: AppointmentsConfig):
        self.store = store
        self.catalogue = catalogue
        self.halls = halls
        self.names = names
        self.audit = audit
        self.clock = clock
        self.cfg = config
        # Closures: cancels the bookings of a day a closed exception closes (set by the builder).
        self.closures: Any = None

    @property
    def notice(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.cfg.min_notice_minutes)

    # == schedules and exceptions (hall managers) ===================================================
    async def schedules(self, staff: Staff, hall_id: str) -> dict[str, Any]:
        await self.halls.access_hall(staff, hall_id, "schedules")
        today = self.clock.local_now().date().isoformat()
        return {"items": [_public_schedule(s) for s in await self.store.hall_schedules(hall_id)],
                "exceptions": [_public_exception(e) for e in await self.store.hall_exceptions(hall_id, today)],
                "next_cursor": None}

    async def _schedule_problems(self, hall_id: str, items: list[dict[str, Any]]) -> dict[str, str]:
        seen: set[str] = set()
        bad: dict[str, str] = {}
        for i, item in enumerate(items):
            sid = item["service_id"]
            if sid in seen:
                bad[f"items.{i}.service_id"] = "同一事项只能有一个排班"
            seen.add(sid)
            try:
                svc = await self.catalogue.get_service(sid, include_inactive=True)
            except errors.NotFound:
                svc = None
            if svc is None or svc["status"] != "active":
                bad[f"items.{i}.service_id"] = "事项不存在"
            elif hall_id not in svc.get("hall_ids", []):
                bad[f"items.{i}.service_id"] = "该事项不在本大厅办理"
            elif not svc["guide"].get("bookable"):
                bad[f"items.{i}.service_id"] = "该事项不可预约"
            for j, p in enumerate(item["periods"]):
                if p["start"] >= p["end"]:
                    bad[f"items.{i}.periods.{j}"] = "结束时间须晚于开始时间"
        return bad

    async def put_schedules(self, staff: Staff, hall_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        hall = await self.halls.access_hall(staff, hall_id, "schedules")
        bad = await self._schedule_problems(hall_id, body["items"])
        if bad:
            raise errors.InvalidInput(bad)
        now = self.clock.now()
        services = sorted({item["service_id"] for item in body["items"]})
        for item in body["items"]:
            await self.store.save_schedule(ScheduleSpec(
                hall_id=hall_id, service_id=item["service_id"],
                periods=tuple(sorted((Period(p["weekday"], p["start"], p["end"]) for p in item["periods"]),
                                     key=lambda p: (p.weekday, p.start))),
                slot_minutes=item["slot_minutes"], windows=item["windows"], per_window=item.get("per_window", 1),
                release_days=item.get("release_days", self.cfg.release_days),
                release_time=item.get("release_time", self.cfg.release_time)), staff.id, now)
        withdrawn = await self.store.deactivate_schedules_except(hall_id, services, now)
        await self.store.retire_future_slots(hall_id, withdrawn, self.clock.local_now().date().isoformat())
        await self.generate(hall_id=hall_id)
        await self.audit.staff(staff, "appointments.schedules.put", "hall", hall_id, ip,
                               {"services": services, "hall": hall["name"]})
        return await self.schedules(staff, hall_id)

    async def add_exception(self, staff: Staff, hall_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        await self.halls.access_hall(staff, hall_id, "schedules")
        sid = body.get("service_id") or "*"
        if body["kind"] == "open":
            for j, p in enumerate(body.get("periods", [])):
                if p["start"] >= p["end"]:
                    raise errors.InvalidInput({f"periods.{j}": "结束时间须晚于开始时间"})
        saved = await self.store.set_exception(DayException(
            hall_id=hall_id, date=body["date"], service_id=sid, kind=ExceptionKind(body["kind"]),
            periods=tuple(DayPeriod(p["start"], p["end"]) for p in body.get("periods", [])), note=body.get("note"),
            at=self.clock.now(), by=staff.id))
        day = dt.date.fromisoformat(body["date"])
        for s in await self.store.active_schedules(hall_id=hall_id):
            if sid in ("*", s.service_id):
                await self._generate_day(s, day)
        affected = 0
        if body["kind"] == "closed" and self.closures is not None:  # its bookings are cancelled, and told
            done = await self.closures.close([day], body.get("note") or "", staff, hall_id,
                                             service_id=None if sid == "*" else sid)
            affected = done["appointments"]
        await self.audit.staff(staff, "appointments.exception.set", "hall", hall_id, ip,
                               {"date": body["date"], "kind": body["kind"], "service_id": sid})
        return {**_public_exception(saved), "affected_bookings": affected}

    async def seed_schedule(self, hall_id: str, service_id: str, *, periods: list[dict[str, Any]],
                            slot_minutes: int, windows: int, per_window: int) -> None:
        """A schedule for demo data, unless the hall already has one for the service."""
        await self.store.seed_schedule(ScheduleSpec(
            hall_id=hall_id, service_id=service_id,
            periods=tuple(Period(p["weekday"], p["start"], p["end"]) for p in periods), slot_minutes=slot_minutes,
            windows=windows, per_window=per_window, release_days=self.cfg.release_days,
            release_time=self.cfg.release_time), self.clock.now())

    # == slot generation and release ================================================================
    async def _hall(self, hall_id: str) -> dict[str, Any] | None:
        try:
            return await self.catalogue.hall(hall_id, include_inactive=True)
        except errors.NotFound:
            return None

    def _fingerprint(self, schedule: Schedule, hall: dict[str, Any], day: dt.date,
                     exceptions: list[DayException]) -> str:
        """Everything a day's slots are planned from: when it changes, the day is written again."""
        hall_open = hall["status"] == "active" and self.catalogue.hall_open_on(hall, day)
        excs = sorted((e.service_id, e.kind.value,
                       json.dumps([{"start": p.start, "end": p.end} for p in e.periods], sort_keys=True))
                      for e in exceptions if e.applies_to(schedule.service_id))
        weekday = self._weekday(schedule, hall, day)
        return f"{schedule.version}|{int(hall_open)}|{excs}" + (f"|{weekday}" if weekday else "")

    def _weekday(self, schedule: Schedule, hall: dict[str, Any], day: dt.date) -> int | None:
        """The weekday whose periods ``day`` keeps when it is not its own (a 调休 working weekend or
        an extra opening day of a hall with no hours that weekday keeps Monday's); None otherwise."""
        own = day.isoweekday()
        if any(p.weekday == own for p in schedule.periods):
            return None
        weekday = self.catalogue.hours_weekday(hall, day)
        return None if weekday == own else weekday

    async def _write_days(self, schedule: Schedule, hall: dict[str, Any], days: list[dt.date],
                          exceptions: dict[str, list[DayException]], *, release_now: bool = False) -> int:
        """Make the slots of ``days`` match the plan: one read of what exists, one bulk write."""
        first = slotgen.local_dt(min(days), "00:00").astimezone(UTC)
        last = slotgen.local_dt(max(days), "00:00").astimezone(UTC) + dt.timedelta(days=1)
        existing: dict[str, list[Slot]] = {}
        for slot in await self.store.day_slots(schedule.hall_id, schedule.service_id, first, last):
            existing.setdefault(slot.date, []).append(slot)
        new: list[NewSlot] = []
        changed: list[Replan] = []
        retired: list[ObjectId] = []
        for day in days:
            date = day.isoformat()
            planned = slotgen.plan_day(schedule, day, hall_open=hall["status"] == "active" and
                                       self.catalogue.hall_open_on(hall, day), exceptions=exceptions.get(date, []),
                                       weekday=self._weekday(schedule, hall, day))
            plan = slotgen.plan_changes(schedule, day, planned, existing.get(date, []), self.clock.now(),
                                        release_now=release_now)
            new += plan.new
            changed += plan.changed
            retired += plan.retired
        return await self.store.apply_slot_plan(SlotPlan(tuple(new), tuple(changed), tuple(retired)))

    async def _generate_day(self, schedule: Schedule, day: dt.date, *, release_now: bool = False) -> int:
        """Write one day of one schedule now (an exception was set, a day released, or the day
        was asked for before the job got to it)."""
        hall = await self._hall(schedule.hall_id)
        if hall is None:
            return 0
        exceptions = await self.store.exceptions_on(schedule.hall_id, day.isoformat())
        n = await self._write_days(schedule, hall, [day], {day.isoformat(): exceptions}, release_now=release_now)
        await self.store.mark_planned(schedule.id, {day.isoformat(): self._fingerprint(schedule, hall, day,
                                                                                           exceptions)}, [])
        return n

    async def generate(self, *, hall_id: str | None = None) -> int:
        """The periodic job (and start-up): slots for every active schedule up to its release
        horizon (+1 day, so they exist before their release time). A day is written only when
        what it is planned from changed since it was last written (kept on the schedule as
        ``planned``), so a restart or another process repeats nothing."""
        today = self.clock.local_now().date()
        n = 0
        halls: dict[str, dict[str, Any] | None] = {}
        exceptions: dict[str, list[DayException]] = {}
        for s in await self.store.active_schedules(hall_id=hall_id):
            hid = s.hall_id
            if hid not in halls:
                halls[hid] = await self._hall(hid)
                exceptions[hid] = await self.store.hall_exceptions(hid, today.isoformat())
            hall = halls[hid]
            if hall is None:
                continue
            marks = s.planned
            by_date: dict[str, list[DayException]] = {}
            for e in exceptions[hid]:
                by_date.setdefault(e.date, []).append(e)
            done: dict[str, str] = {}
            for d in range(s.release_days + 2):
                day = today + dt.timedelta(days=d)
                fp = self._fingerprint(s, hall, day, by_date.get(day.isoformat(), []))
                if marks.get(day.isoformat()) != fp:
                    done[day.isoformat()] = fp
            if done:
                n += await self._write_days(s, hall, [dt.date.fromisoformat(x) for x in done], by_date)
            past = [date for date in marks if date < today.isoformat()]
            if done or past:
                await self.store.mark_planned(s.id, done, past)
        return n

    async def release(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        """Generate and release the slots of one day now (hall managers; the bench)."""
        await self.halls.access_hall(staff, body["hall_id"], "schedules")
        day = dt.date.fromisoformat(body["date"])
        if day < self.clock.local_now().date():
            raise errors.InvalidInput({"date": "不能开放过去的日期"})
        for s in await self.store.active_schedules(hall_id=body["hall_id"], service_id=body.get("service_id")):
            await self._generate_day(s, day, release_now=True)
        count = await self.store.count_open_slots(body["hall_id"], body["date"], body.get("service_id"))
        await self.audit.staff(staff, "appointments.slots.release", "hall", body["hall_id"], ip,
                               {"date": body["date"], "service_id": body.get("service_id"), "slots": count})
        return {"released": count, "date": body["date"], "hall_id": body["hall_id"]}

    # == reading slots =============================================================================
    async def slots(self, service_id: str, date: str, hall_id: str | None = None) -> list[dict[str, Any]]:
        await self.catalogue.get_service(service_id)
        day = dt.date.fromisoformat(date)
        today = self.clock.local_now().date()
        for s in await self.store.active_schedules(service_id=service_id, hall_id=hall_id):
            # On demand, when the job has not yet written this day.
            if (date not in s.planned
                    and today <= day <= today + dt.timedelta(days=s.release_days + 1)):
                await self._generate_day(s, day)
        now = self.clock.now()
        docs = await self.store.released_slots(service_id, date, now, hall_id)
        return [public_slot(s, now, self.notice) for s in docs]

    async def last_release_date(self, service_id: str, hall_id: str | None = None) -> str | None:
        """The furthest day whose slots are released now for the service (in the hall, if given), so a
        client's day strip reaches it: ``release_days`` ahead once today's ``release_time`` has passed,
        a day less before. None when no schedule offers the service."""
        local = self.clock.local_now()
        last = None
        for s in await self.store.active_schedules(service_id=service_id, hall_id=hall_id):
            ahead = s.release_days - (0 if local.strftime("%H:%M") >= s.release_time else 1)
            day = local.date() + dt.timedelta(days=max(ahead, 0))
            last = day if last is None or day > last else last
        return last.isoformat() if last else None

    async def calendar(self, staff: Staff, hall_id: str, from_: str, to: str) -> list[dict[str, Any]]:
        await self.halls.access_hall(staff, hall_id, "calendar")
        a, b = dt.date.fromisoformat(from_), dt.date.fromisoformat(to)
        if b < a or (b - a).days > 31:
            raise errors.InvalidInput({"to": "日期范围须在 31 天以内且不早于开始日期"})
        now = self.clock.now()
        out = []
        for s in await self.store.hall_slots_between(hall_id, from_, to):
            out.append({**public_slot(s, now, self.notice), "service_name": await self.names.service(s.service_id),
                        "booked": s.booked, "held": s.held, "status": s.status.value, "release_at": s.release_at,
                        "released": s.release_at <= now,
                        "fill_rate": round(s.booked / s.capacity, 3) if s.capacity else 0.0})
        return out
