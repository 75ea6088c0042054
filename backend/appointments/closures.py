"""Closures: a day (of a hall, or of every hall) or a window the centre closes, and the bookings on it.

Whoever closes a day records the closure first where it decides (a hall's ``closed_dates``, a
``closed`` exception, a holiday of the working calendar, a window's closed exceptions); then
``Closures.close`` retires the day's slots (they are planned again from that record, so none come
back), moves every ``booked`` appointment on it to ``cancelled_by_centre`` with the reason (the
person keys go at once, so the resident can book another day; the place goes back), ends the
waitlist entries of its slots, and tells each resident once (the dedupe keys of the outbox).

Every step is a guarded change, so running ``close`` twice, or in two processes, cancels and
tells nobody twice. A crash half-way is finished by ``sweep`` (a job): it finds booked
appointments and open waitlist entries on days that are closed by the records, and closes them
the same way; and the no-show sweep asks ``cancel_if_closed`` before it counts a no-show, so a
booking on a closed day is never one.

Windows do not own bookings: a booking is for a service in a hall. A window taken out of service
closes the services that no other window of the hall serves (``window_services``); a service
another window still serves keeps its bookings.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bson import ObjectId

from backend.appointments import lifecycle
from backend.appointments.common import HallAccess, StaffAudit, Transaction
from backend.appointments.store import AppointmentStore
from backend.appointments.values import (
    Appointment,
    AppointmentStatus,
    DayException,
    ExceptionKind,
    WaitlistEntry,
    WaitlistStatus,
    exception_for,
)
from backend.catalogue.service import CatalogueService
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import Clock, iso

log = logging.getLogger("zjb.appointments")

# Reasons residents read when the record that closed the day gives none.
HALL_CLOSED = "大厅当天闭厅"
HOLIDAY = "{name}放假，大厅不开放"  # the holiday by name, as the calendar change says it
NOT_OPEN = "大厅调整了开放时间，当天不开放"
SERVICE_CLOSED = "该事项当天暂停办理"
# How far ahead the sweep looks for bookings on closed days (the longest release horizon, and a margin).
LOOK_AHEAD_DAYS = 62


class Closures:
    def __init__(self, *, store: AppointmentStore, catalogue: CatalogueService, halls: HallAccess, schedules: Any,
                 booking: Any, outbox: Any, audit: StaffAudit, transaction: Transaction[bool], clock: Clock,
                 config: AppointmentsConfig):
        self.store = store
        self.halls = halls
        self.catalogue = catalogue
        self.schedules = schedules
        self.booking = booking
        self.outbox = outbox
        self.audit = audit
        self.tx = transaction
        self.clock = clock
        self.cfg = config

    # == what a closure touches ====================================================================
    async def window_services(self, hall_id: str, window_id: str) -> list[str]:
        """The services closing this window stops: those it serves that no other window of the hall does."""
        hall = await self.catalogue.hall(hall_id, include_inactive=True)
        windows = hall.get("windows", [])
        window = next((w for w in windows if w["id"] == window_id), None)
        if window is None:
            raise errors.InvalidInput({"window_id": "该窗口不存在"})
        others = {sid for w in windows if w["id"] != window_id for sid in w.get("service_ids", [])}
        return [sid for sid in window.get("service_ids", []) if sid not in others]

    async def _scope(self, hall_id: str | None, window_id: str | None,
                     service_id: str | None = None) -> list[str] | None:
        if service_id is not None:
            return [service_id]
        if window_id is None:
            return None
        if hall_id is None:
            raise errors.InvalidInput({"hall_id": "关闭窗口须指明大厅"})
        return await self.window_services(hall_id, window_id)

    async def _touched(self, days: list[dt.date], hall_id: str | None, window_id: str | None,
                       service_id: str | None = None) -> tuple[list[Appointment], list[WaitlistEntry]]:
        """The booked appointments and open waitlist entries a closure of ``days`` touches (read
        hall by hall, through the hall-and-date indexes)."""
        services = await self._scope(hall_id, window_id, service_id)
        dates = [d.isoformat() for d in days]
        if services == [] or not dates:
            return [], []
        hall_ids = [hall_id] if hall_id else [str(h["_id"]) for h in await self.catalogue.all_halls()]
        appts: list[Appointment] = []
        for hid in hall_ids:
            appts += await self.store.booked_on(hid, dates, services)
        waiting = await self.store.active_waitlist_on(hall_id, dates, services)
        return appts, waiting

    async def impact(self, days: list[dt.date], hall_id: str | None = None, window_id: str | None = None, *,
                     service_id: str | None = None) -> dict[str, int]:
        """How many bookings and waitlist entries closing ``days`` would cancel (nothing changes)."""
        appts, waiting = await self._touched(days, hall_id, window_id, service_id)
        return {"appointments": len(appts), "waitlist": len(waiting)}

    # == hall managers: preview, then close days or a window ======================================
    def _days(self, dates: list[str]) -> list[dt.date]:
        today = self.clock.local_now().date()
        days = sorted(dt.date.fromisoformat(d) for d in dates)
        past = [d for d in days if d < today]
        if past:
            raise errors.InvalidInput({"dates": f"{past[0].isoformat()} 已过去，不能关闭"})
        return days

    async def preview(self, staff: Staff, hall_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """What closing the days (or the window on those days) would cancel, before saving."""
        await self.halls.access_hall(staff, hall_id, "closures")
        days = self._days(body["dates"])
        window_id = body.get("window_id")
        impact = await self.impact(days, hall_id, window_id, service_id=body.get("service_id"))
        return {**impact, "dates": [d.isoformat() for d in days],
                "window_id": window_id}

    async def close_days(self, staff: Staff, hall_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Close the hall (or one window) on the days: recorded as ``closed`` exceptions carrying the
        reason (a window's: one per service only it serves), then ``close``."""
        await self.halls.access_hall(staff, hall_id, "closures")
        days = self._days(body["dates"])
        window_id = body.get("window_id")
        reason = body["reason"].strip()
        if not reason:
            raise errors.InvalidInput({"reason": "请填写原因"})
        services = ["*"] if window_id is None else await self.window_services(hall_id, window_id)
        now = self.clock.now()
        for day in days:
            for sid in services:
                await self.store.close_day(DayException(
                    hall_id=hall_id, date=day.isoformat(), service_id=sid, kind=ExceptionKind.CLOSED, periods=(),
                    note=reason, window_id=window_id, at=now, by=staff.id))
        done = await self.close(days, reason, staff, hall_id, window_id)
        return {**done, "dates": [d.isoformat() for d in days], "window_id": window_id}

    async def hall_days_closed(self, staff: Staff, hall_id: str, days: list[dt.date], reason: str | None) -> None:
        """The catalogue added days to a hall's ``closed_dates``: close them."""
        await self.close(days, reason or HALL_CLOSED, staff, hall_id)

    # == closing ===================================================================================
    async def close(self, days: list[dt.date], reason: str, actor: Staff | str | None,
                    hall_id: str | None = None, window_id: str | None = None, *,
                    service_id: str | None = None) -> dict[str, int]:
        """Cancel the bookings and waitlist entries of ``days`` (one hall, or every hall when
        ``hall_id`` is None; one window's services when ``window_id`` is given) with ``reason``,
        and tell each resident once. The closure itself must already be recorded. ``actor`` is
        the staff member, or the name of the job (e.g. ``"calendar"``), for the audit log;
        ``service_id`` narrows it to one service (a service's closed exception).
        Returns how many were cancelled by this call."""
        reason = (reason or "").strip() or HALL_CLOSED
        dates = [d.isoformat() for d in days]
        # No new bookings: the days' slots are planned again from the record that closed them.
        await self.schedules.generate(hall_id=hall_id)
        appts, waiting = await self._touched(days, hall_id, window_id, service_id)
        done = Counter[str]()
        # Counted whichever process cancelled it: the sweep may find the recorded closure first.
        for a in appts:
            if await self._cancel(a, reason) or await self._by_centre(a.id):
                done["appointments"] += 1
        for w in waiting:
            if await self._end_waitlist(w, reason) or await self._waitlist_by_centre(w.id):
                done["waitlist"] += 1
        details = {"dates": dates, "reason": reason, "window_id": window_id, **done}
        target = ("hall", hall_id) if hall_id else ("calendar", ",".join(dates))
        if isinstance(actor, Staff):
            await self.audit.staff(actor, "appointments.closure", *target, None, details)
        else:
            await self.audit.system(actor or "appointments.closures", "appointments.closure", *target, details)
        return {"appointments": done["appointments"], "waitlist": done["waitlist"]}

    async def _by_centre(self, appt_id: ObjectId) -> bool:
        now = await self.store.appointment(appt_id)
        return now is not None and now.status == AppointmentStatus.CANCELLED_BY_CENTRE

    async def _waitlist_by_centre(self, entry_id: ObjectId) -> bool:
        now = await self.store.waitlist_entry(entry_id)
        return now is not None and now.status == WaitlistStatus.CANCELLED_BY_CENTRE

    async def _cancel(self, a: Appointment, reason: str) -> bool:
        """``booked`` → ``cancelled_by_centre`` (once), then the place back and the message at once;
        should this process stop here, the sweep does both (the move left them due)."""
        now = self.clock.now()
        doc = await lifecycle.move(self.store, a, AppointmentStatus.CANCELLED_BY_CENTRE, now, self.cfg,
                                   notes=("cancelled_by_centre",),
                                   release_place=True, clear_reminders=True, cancel_reason=reason)
        if doc is None:
            return False
        try:
            await self.booking.settle(doc)
        except Exception:  # it stays due: the sweep finishes it
            log.exception("closure left to the sweep", extra={"appointment_id": str(a.id)})
        return True

    async def _end_waitlist(self, w: WaitlistEntry, reason: str) -> bool:
        """The entry ends, and its resident is told, in one transaction (never one without the other)."""
        now = self.clock.now()

        async def tx(session: Any) -> bool:
            if not await self.store.end_waitlist_by_centre(w.id, w.status, reason, now, session=session):
                return False
            await self.outbox.emit("appointment.waitlist_cancelled_by_centre", user_id=w.user_id, payload={
                "waitlist_id": str(w.id), "slot_id": w.slot_id, "service_id": w.service_id,
                "service_name": w.service_name, "hall_name": w.hall_name,
                "start": iso(w.start), "reason": reason},
                session=session, dedupe_key=f"wl:{w.id}:cancelled_by_centre")
            return True
        return await self.tx(tx)

    # == finding closed days (the sweep, and before a no-show) ======================================
    async def closed_reason(self, hall: dict[str, Any] | None, service_id: str, day: dt.date,
                            exceptions: Sequence[DayException]) -> str | None:
        """Why the service is closed in the hall that day by the records (None: it is not). The same
        rule the slots are planned by: an exception of the service beats one of the hall, which
        beats the hall's calendar. A day the calendar does not know is never taken as closed."""
        exc = exception_for(exceptions, service_id)
        if exc is not None:
            if exc.kind != ExceptionKind.CLOSED:
                return None
            return (exc.note or "").strip() or (HALL_CLOSED if exc.service_id == "*" else SERVICE_CLOSED)
        calendar = self.catalogue.calendar
        if hall is None or hall["status"] != "active":
            return None
        if self.catalogue.hall_open_on(hall, day):
            return None
        if day.isoformat() in hall.get("closed_dates", []):
            return HALL_CLOSED
        name = calendar.holiday_name(day)
        return HOLIDAY.format(name=name) if name else NOT_OPEN

    async def cancel_if_closed(self, a: Appointment) -> bool:
        """Before a booking is counted a no-show: cancel it instead when its day is closed."""
        hall = await self.catalogue.hall_record(a.hall_id)
        exceptions = await self.store.exceptions_on(a.hall_id, a.date)
        reason = await self.closed_reason(hall, a.service_id, dt.date.fromisoformat(a.date), exceptions)
        if reason is None:
            return False
        await self._cancel(a, reason)
        return True

    async def sweep(self) -> dict[str, int]:
        """Bookings and waitlist entries on days the records close, from today on: closed as
        ``close`` would (what a crash or a closure by another path left). Only the days a hall may be
        closed on are read (its days off and days with a ``closed`` exception), so a run costs what
        those days hold, not every booking ahead."""
        today = self.clock.local_now().date()
        days = [today + dt.timedelta(days=k) for k in range(LOOK_AHEAD_DAYS + 1)]
        stats = Counter[str]()
        for hall in await self.catalogue.all_halls():
            hall_id = str(hall["_id"])
            by_date: dict[str, list[DayException]] = {}
            for e in await self.store.hall_exceptions(hall_id, today.isoformat()):
                by_date.setdefault(e.date, []).append(e)
            dates = [d.isoformat() for d in days
                     if any(e.kind == ExceptionKind.CLOSED for e in by_date.get(d.isoformat(), []))
                     or not self.catalogue.hall_open_on(hall, d)]
            if hall["status"] != "active" or not dates:
                continue
            for a in await self.store.booked_on(hall_id, dates):
                reason = await self.closed_reason(hall, a.service_id, dt.date.fromisoformat(a.date),
                                                  by_date.get(a.date, []))
                if reason is not None and await self._cancel(a, reason):
                    stats["appointments"] += 1
            for w in await self.store.active_waitlist_on(hall_id, dates):
                reason = await self.closed_reason(hall, w.service_id, dt.date.fromisoformat(w.date),
                                                  by_date.get(w.date, []))
                if reason is not None and await self._end_waitlist(w, reason):
                    stats["waitlist"] += 1
        return dict(stats)
