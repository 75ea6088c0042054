"""At the hall: check-in for a queue ticket (排队号), walk-in tickets, calling (叫号), and "how
many are ahead of me".

Ticket numbers come from a per hall/day/area counter and are unique by index. Calling takes
the first waiting ticket with a conditional update on its status (the next one is tried when
another window took it first), so two windows never call the same person. Who is called
next follows ``lanes``: once a booked slot starts, its checked-in residents are called before
walk-ins (预约优先). Calls are taken only while the hall is open. The resident of a booked
ticket is told at check-in (the number and how many are ahead), when three are ahead, and when
called (which window).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bson import ObjectId

from backend.appointments import lifecycle
from backend.appointments.access import AppointmentAccess
from backend.appointments.common import (
    HallAccess,
    Names,
    StaffAudit,
    Transaction,
    appointment_view,
    event_payload,
    resident_view,
)
from backend.appointments.display import HallBoards
from backend.appointments.errors import (
    CancelledByCentre,
    CheckinTooEarly,
    CheckinTooLate,
    HallClosed,
    QueueEmpty,
    RecallLimit,
)
from backend.appointments.lanes import ahead_of, in_call_order, ms
from backend.appointments.store import AppointmentStore
from backend.appointments.values import (
    Appointment,
    AppointmentStatus,
    Call,
    DayException,
    ExceptionKind,
    Finish,
    NewTicket,
    Ticket,
    TicketKind,
    TicketRef,
    TicketStatus,
    exception_for,
)
from backend.catalogue.service import CatalogueService
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.access import Resident, Staff
from backend.core.clock import TZ, Clock, iso
from notify.outbox import Outbox


class _Changed(Exception):
    """The appointment changed while it was being checked in."""


def prefix_for(hall: dict[str, Any], service_id: str) -> str:
    """The area prefix of the first window serving the service (``A`` in ``A012``)."""
    windows = sorted((w for w in hall.get("windows", []) if service_id in w.get("service_ids", [])),
                     key=lambda w: w["number"])
    return windows[0]["area_prefix"] if windows else "Z"


async def ticket_view(store: AppointmentStore, t: Ticket, now: dt.datetime, ahead: int | None = None) -> dict[str, Any]:
    """A queue ticket as the API shows it (how many are ahead while it waits)."""
    if ahead is None:
        ahead = ahead_of(t, await store.waiting_tickets(t.hall_id, t.date), ms(now)) \
            if t.status == TicketStatus.WAITING else 0
    return {"id": str(t.id), "ticket_number": t.number, "hall_id": t.hall_id, "date": t.date,
            "service_id": t.service_id, "service_name": t.service_name, "kind": t.kind.value,
            "appointment_id": t.appointment_id, "status": t.status.value, "ahead": ahead,
            "window_id": t.window_id, "window_number": t.window_number,
            "recalls": t.recalls, "requeued": t.requeued, "created_at": t.created_at, "called_at": t.called_at}


class QueueService:
    def __init__(self, *, store: AppointmentStore, catalogue: CatalogueService, halls: HallAccess, names: Names,
                 audit: StaffAudit, transaction: Transaction[Any], clock: Clock, config: AppointmentsConfig,
                 users: Any, outbox: Outbox, boards: HallBoards):
        self.store = store
        self.outbox = outbox
        self.boards = boards   # the hall's public board: told of every change this process makes
        self.users = users  # identity's user directory: masked names and ID numbers
        self.catalogue = catalogue
        self.halls = halls
        self.names = names
        self.audit = audit
        self.tx = transaction
        self.clock = clock
        self.cfg = config
        self.access = AppointmentAccess(store, halls)

    async def _new_ticket(self, hall: dict[str, Any], service_id: str, *, kind: TicketKind, order: dt.datetime,
                          appointment: Appointment | None, session: Any) -> Ticket:
        """A new waiting ticket; a check-in's is due (first lane) from its slot's start."""
        now = self.clock.now()
        date = now.astimezone(TZ).date().isoformat()
        hall_id = str(hall["_id"])
        prefix = prefix_for(hall, service_id)
        seq = await self.store.next_seq(f"{hall_id}:{date}:{prefix}", session=session)
        return await self.store.insert_ticket(NewTicket(
            hall_id=hall_id, date=date, number=f"{prefix}{seq:03d}", prefix=prefix, seq=seq, order=ms(order),
            due=None if appointment is None else ms(appointment.start),
            service_id=service_id, service_name=await self.names.service(service_id), kind=kind, created_at=now,
            appointment_id=None if appointment is None else str(appointment.id),
            user_id=None if appointment is None else appointment.user_id), session=session)

    # == residents ==================================================================================
    async def queue_position(self, resident: Resident, appt_id: str) -> dict[str, Any]:
        a = await self.access.access_appointment(resident, appt_id, "read")
        t = await self.store.appointment_ticket(a)
        if t is None:
            return {"ticket_number": None, "ahead": None, "status": a.status.value, "window_number": None}
        v = await ticket_view(self.store, t, self.clock.now())
        return {"ticket_number": v["ticket_number"], "ahead": v["ahead"], "status": v["status"],
                "window_number": v["window_number"]}

    # == clerks ======================================================================================
    async def checkin(self, staff: Staff, code: str, ip: str) -> dict[str, Any]:
        a = await self.store.by_code(code.strip().upper())
        if a is None or a.status in (AppointmentStatus.PENDING, AppointmentStatus.ABANDONED):
            raise errors.NotFound("未找到该预约码，请核对")
        await self.access.check_appointment(staff, a, "check_in")
        hall = await self.catalogue.hall(a.hall_id)
        if a.status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.SERVED, AppointmentStatus.ABSENT):
            t = await self.store.appointment_ticket(a)
            if t is not None:
                return await self._answer(a, t, already=True)
        if a.status == AppointmentStatus.CANCELLED:
            raise errors.InvalidState("该预约已取消", details={"status": "cancelled"})
        if a.status == AppointmentStatus.CANCELLED_BY_CENTRE:
            reason = (a.cancel_reason or "").rstrip("。")
            raise CancelledByCentre(f"该预约因{reason}已由中心取消，请重新预约" if reason else None,
                                           details={"status": a.status.value, "reason": a.cancel_reason})
        now = self.clock.now()
        opens = a.start - dt.timedelta(minutes=self.cfg.checkin_before_minutes)
        closes = a.start + dt.timedelta(minutes=self.cfg.checkin_after_minutes)
        if a.status == AppointmentStatus.NO_SHOW or now > closes:
            raise CheckinTooLate(f"已超过签到时间（开始后 {self.cfg.checkin_after_minutes} 分钟），"
                                  "请重新预约或现场取号",
                                  details={"checkin_closes_at": iso(closes), "start": iso(a.start)})
        if now < opens:
            raise CheckinTooEarly(f"签到时间未到，请于 {opens.astimezone(TZ):%m月%d日 %H:%M} 后签到",
                                  details={"checkin_opens_at": iso(opens), "start": iso(a.start)})

        async def tx(session: Any) -> tuple[Appointment, Ticket]:
            t = await self._new_ticket(hall, a.service_id, kind=TicketKind.APPOINTMENT,
                                       order=min(now, a.start), appointment=a, session=session)
            doc = await lifecycle.move(self.store, a, AppointmentStatus.CHECKED_IN, now, self.cfg, session=session,
                                       ticket=TicketRef(t.id, t.number), clear_reminders=True)
            if doc is None:
                raise _Changed()  # rolls the ticket back
            return doc, t
        try:
            doc, t = await self.tx(tx)
        except _Changed:
            return await self.checkin(staff, code, ip)  # changed meanwhile: answer for its new state
        self.boards.poke(a.hall_id)
        await self.audit.staff(staff, "appointments.checkin", "appointment", str(a.id), ip,
                               {"ticket_number": t.number, "hall_id": a.hall_id})
        answer = await self._answer(doc, t, already=False)
        await self._tell(doc, "checked_in", f"appt:{a.id}:checked_in", ticket_number=t.number, ahead=answer["ahead"])
        return answer

    async def _tell(self, a: Appointment, kind: str, dedupe_key: str, **extra: Any) -> None:
        """A message to the resident of a booked ticket (once per ``dedupe_key``)."""
        await self.outbox.emit(f"appointment.{kind}", user_id=a.user_id, payload=event_payload(a, **extra),
                               dedupe_key=dedupe_key)

    async def _answer(self, a: Appointment, t: Ticket, *, already: bool) -> dict[str, Any]:
        v = await self._staff_ticket(t)
        return {"ticket_number": t.number, "ticket": v, "ahead": v["ahead"], "already_checked_in": already,
                "appointment": {**appointment_view(a, self.cfg), "resident": v["resident"]}}

    async def _staff_ticket(self, t: Ticket, ahead: int | None = None,
                            people: dict[str, Any] | None = None) -> dict[str, Any]:
        """A ticket as staff see it: with its resident, masked (``people``: those already read)."""
        uid = t.user_id
        if people is None:
            person = await self.users.get(uid) if uid else None
        else:
            person = people.get(uid) if uid else None
        return {**await ticket_view(self.store, t, self.clock.now(), ahead), "resident": resident_view(uid, person)}

    async def walk_in(self, staff: Staff, hall_id: str, service_id: str, ip: str) -> dict[str, Any]:
        hall = await self.halls.access_hall(staff, hall_id, "walk_in")
        try:
            svc = await self.catalogue.get_service(service_id, include_inactive=True)
        except errors.NotFound:
            svc = None
        if svc is None or hall_id not in svc.get("hall_ids", []):
            raise errors.InvalidInput({"service_id": "该事项不在本大厅办理"})
        await self._open_now(hall, [service_id], doing="现场取号")
        t = await self.tx(lambda s: self._new_ticket(hall, service_id, kind=TicketKind.WALK_IN,
                                                     order=self.clock.now(), appointment=None, session=s))
        self.boards.poke(hall_id)
        await self.audit.staff(staff, "appointments.ticket.walk_in", "ticket", str(t.id), ip,
                               {"ticket_number": t.number, "hall_id": hall_id, "service_id": service_id})
        view = await self._staff_ticket(t)
        return {**view, "estimated_wait_minutes": await self._wait_estimate(hall, t, view["ahead"])}

    async def _wait_estimate(self, hall: dict[str, Any], t: Ticket, ahead: int) -> int:
        """Minutes a ticket with ``ahead`` before it may wait: the area's recent pace (its latest
        served tickets today, or the configured default before any), shared by the windows that
        call the area. An estimate: booked residents whose slot starts go first (``lanes``)."""
        spans = await self.store.recent_service_minutes(t.hall_id, t.date, t.prefix)
        pace = sum(spans) / len(spans) if spans else float(self.cfg.default_service_minutes)
        windows = max(1, sum(1 for w in hall.get("windows", []) if w.get("area_prefix") == t.prefix))
        return round(ahead * pace / windows)

    async def _open_now(self, hall: dict[str, Any], service_ids: list[str], *, doing: str) -> None:
        """Walk-in tickets and calls only while the hall is open for one of ``service_ids`` (a
        window's, or a walk-in's one): the hall's own hours that day, unless an exception (the
        service's own before the hall-wide one) closes the day or opens it, adding its periods.
        ``doing`` names what is refused otherwise, with the hours of the last service asked."""
        now = self.clock.local_now()
        day = now.date()
        hhmm = f"{now:%H:%M}"
        exceptions = await self.store.exceptions_on(str(hall["_id"]), day.isoformat())
        periods: list[dict[str, Any]] = []
        for service_id in service_ids or [""]:
            periods = self._periods(hall, day, exception_for(exceptions, service_id))
            if any(p["start"] <= hhmm < p["end"] for p in periods):
                return
        hours = "、".join(f"{p['start']}–{p['end']}" for p in sorted(periods, key=lambda p: p["start"]))
        message = (f"现在不在大厅开放时间（今天 {hours}），不能{doing}" if hours
                   else f"大厅今天不开放，不能{doing}")
        raise HallClosed(message, details={
            "date": day.isoformat(), "opening_hours": [{"start": p["start"], "end": p["end"]} for p in periods]})

    def _periods(self, hall: dict[str, Any], day: dt.date, exc: DayException | None) -> list[dict[str, Any]]:
        """The hall's open periods on ``day`` under the exception that rules it (if any)."""
        if exc is not None and exc.kind == ExceptionKind.CLOSED:
            return []
        if exc is not None:
            periods = [p for p in hall.get("opening_hours", []) if p["weekday"] == day.isoweekday()]
            return periods + [{"start": p.start, "end": p.end} for p in exc.periods]
        return self.catalogue.opening_periods(hall, day)

    async def queue(self, staff: Staff, hall_id: str) -> dict[str, Any]:
        await self.halls.access_hall(staff, hall_id, "queue")
        date = self.clock.local_now().date().isoformat()
        tickets = await self.store.hall_day_tickets(hall_id, date)  # in queue order
        people = await self.users.get_many([t.user_id for t in tickets if t.user_id])
        place: dict[ObjectId, int] = {}  # a waiting ticket's place in its area's call order
        by_area: dict[str, int] = {}
        for t in in_call_order((t for t in tickets if t.status == TicketStatus.WAITING), ms(self.clock.now())):
            place[t.id] = by_area.get(t.prefix, 0)
            by_area[t.prefix] = place[t.id] + 1
        items = [await self._staff_ticket(t, place.get(t.id, 0), people) for t in tickets]
        return {"items": items, "next_cursor": None, "date": date,
                "waiting": sum(1 for t in tickets if t.status == TicketStatus.WAITING),
                "called": sum(1 for t in tickets if t.status == TicketStatus.CALLED)}

    async def call_next(self, staff: Staff, window_id: str, hall_id: str, ip: str) -> dict[str, Any]:
        hall = await self.halls.access_hall(staff, hall_id, "call")
        window = next((w for w in hall.get("windows", []) if w["id"] == window_id), None)
        if window is None:
            raise errors.NotFound("未找到该窗口")
        serves = set(window.get("service_ids", []))
        await self._open_now(hall, sorted(serves), doing="叫号")
        now = self.clock.now()
        date = now.astimezone(TZ).date().isoformat()
        call = Call(at=now, window_id=window_id, window_number=window["number"], by=staff.id)
        while True:
            line = [t for t in in_call_order(await self.store.waiting_tickets(hall_id, date), ms(now))
                    if t.service_id in serves]
            if not line:
                raise QueueEmpty("当前没有等候的号")
            t = line[0]
            if await self.store.call_ticket(t.id, call):
                break  # else another window called it first: take the next one
        t = replace(t, status=TicketStatus.CALLED, called_at=now, window_id=window_id,
                    window_number=window["number"])
        self.boards.poke(hall_id)
        await self.audit.staff(staff, "appointments.ticket.call", "ticket", str(t.id), ip,
                               {"ticket_number": t.number, "window": window["number"]})
        await self._tell_called(t, [w for w in line[1:] if w.prefix == t.prefix])
        return await self._staff_ticket(t)

    async def _tell_called(self, called: Ticket, area_line: list[Ticket]) -> None:
        """The called resident is told which window; the one who now has three ahead, that their
        turn is near (once)."""
        near = area_line[3] if len(area_line) > 3 else None
        for t, kind, extra in ((called, "called", {"window_number": called.window_number}),
                               (near, "turn_near", {"ahead": 3})):
            if t is None or not t.appointment_id:
                continue
            a = await self.store.appointment(t.appointment_id)
            if a is not None:
                await self._tell(a, kind, f"ticket:{t.id}:{kind}", ticket_number=t.number, **extra)

    async def recall(self, staff: Staff, ticket_id: str, ip: str) -> dict[str, Any]:
        t = await self.access.access_ticket(staff, ticket_id, "recall")
        if t.status != TicketStatus.CALLED:
            raise errors.InvalidState("只能重呼已叫的号", details={"status": t.status.value})
        if not await self.store.record_recall(t.id, self.clock.now(), max_recalls=self.cfg.max_recalls):
            raise RecallLimit(f"已重呼 {self.cfg.max_recalls} 次，请标记为过号",
                                  details={"max_recalls": self.cfg.max_recalls})
        doc = await self.store.ticket(t.id) or t
        self.boards.poke(doc.hall_id)
        await self.audit.staff(staff, "appointments.ticket.recall", "ticket", ticket_id, ip,
                               {"ticket_number": doc.number, "recalls": doc.recalls})
        return await self._staff_ticket(doc)

    async def finish(self, staff: Staff, ticket_id: str, to: TicketStatus, ip: str) -> dict[str, Any]:
        """served or absent (过号), from called only; the ticket's appointment moves with it. The
        first 过号 of a ticket sends it to the end of the line instead; the second is final."""
        t = await self.access.access_ticket(staff, ticket_id, "finish")
        now = self.clock.now()
        if to == TicketStatus.ABSENT and await self.store.requeue_ticket(t.id, now, order=ms(now)):
            back = replace(t, status=TicketStatus.WAITING, requeued=t.requeued + 1, window_id=None,
                           window_number=None, called_at=None, order=ms(now))
            self.boards.poke(t.hall_id)
            await self.audit.staff(staff, "appointments.ticket.requeue", "ticket", ticket_id, ip,
                                   {"ticket_number": t.number})
            return await self._staff_ticket(back)
        if not await self.store.finish_ticket(t.id, Finish(to=to, at=now, by=staff.id)):
            raise errors.InvalidState("只能对已叫的号进行此操作", details={"status": t.status.value})
        doc = replace(t, status=to)
        self.boards.poke(t.hall_id)
        if doc.appointment_id:
            a = await self.store.appointment(doc.appointment_id)
            if a is not None and a.status == AppointmentStatus.CHECKED_IN:
                await lifecycle.move(self.store, a, AppointmentStatus(to.value), now, self.cfg)
        await self.audit.staff(staff, f"appointments.ticket.{to}", "ticket", ticket_id, ip,
                               {"ticket_number": doc.number})
        return await self._staff_ticket(doc)

    async def hall_appointments(self, staff: Staff, hall_id: str, date: str) -> list[dict[str, Any]]:
        await self.halls.access_hall(staff, hall_id, "appointments")
        return await self._staff_appointments(await self.store.hall_day_appointments(hall_id, date))

    async def appointment_by_code(self, staff: Staff, code: str) -> list[dict[str, Any]]:
        """The booking of this code (预约码), with its resident: how a clerk finds who is at the window."""
        a = await self.store.by_code(code.strip().upper())
        if a is None or a.status in (AppointmentStatus.PENDING, AppointmentStatus.ABANDONED):
            return []
        await self.access.check_appointment(staff, a, "find")
        return await self._staff_appointments([a])

    async def _staff_appointments(self, appts: list[Appointment]) -> list[dict[str, Any]]:
        people = await self.users.get_many([a.user_id for a in appts]) if appts else {}
        return [{**appointment_view(a, self.cfg), "resident": resident_view(a.user_id, people.get(a.user_id))}
                for a in appts]
