"""Booking: the rules, cancel, the resident's bookings, no-shows, reminders and the reconciler.

How a booking stays correct under any concurrency and any crash (see docs/appointments.md):
1. insert the appointment as ``pending`` carrying the person's keys; unique partial indexes
   make the insert itself the check of every per-person rule (one writer wins, always);
2. take a place in the slot with one conditional single-document update (``free > 0`` →
   ``$inc`` and ``$push`` the appointment id into ``claims``): never more than capacity;
3. in one small transaction: ``pending`` → ``booked`` and the ``appointment.booked`` message.
If 2 finds no place the pending insert is deleted (compensation). A crash between steps leaves
a ``pending`` appointment; the reconciler (``sweep``) finishes it when the slot's ``claims``
hold its id, or abandons it otherwise. Counters live in the same document as the set they
count and change in the same update, so they can never disagree.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from bson import ObjectId

from backend.appointments.common import Names, StaffAudit, Transaction, appointment_view, event_payload
from backend.appointments.queue import ticket_view
from backend.appointments.rules import BookingRules
from backend.appointments.store import PERSON_KEYS, AppointmentStore, KeyTaken
from backend.appointments.waitlist import WaitlistService
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.access import Resident, access_own, access_realname
from backend.core.clock import Clock, iso
from notify.outbox import Outbox

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class BookingService:
    def __init__(self, *, store: AppointmentStore, rules: BookingRules, waitlist: WaitlistService, outbox: Outbox,
                 names: Names, audit: StaffAudit, transaction: Transaction, clock: Clock, config: AppointmentsConfig):
        self.store = store
        self.rules = rules
        self.waitlist = waitlist
        self.outbox = outbox
        self.names = names
        self.audit = audit
        self.tx = transaction
        self.clock = clock
        self.cfg = config
        # Tests only: called between the steps of a booking to simulate a crash there.
        self.fault_hook: Callable[[str], Awaitable[None]] | None = None

    def view(self, a: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return appointment_view(a, self.cfg, **kw)

    async def _fault(self, step: str) -> None:
        if self.fault_hook is not None:
            await self.fault_hook(step)

    # == booking ===================================================================================
    async def book(self, resident: Resident, slot_id: str, *, waitlist: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.cfg.require_realname:
            access_realname(resident)
        now = self.clock.now()
        slot = await self.store.slot(slot_id)
        if slot is None:
            raise errors.NotFound("未找到该时段")
        self.rules.check_time(slot, now, released=waitlist is None)
        await self.rules.check_not_blocked(resident.id, now)
        if waitlist is None and slot["free"] <= 0:  # fast refusal; the real guard is step 2
            raise self._full(slot)
        appt_id = ObjectId()
        doc = {"_id": appt_id, "user_id": resident.id, "slot_id": str(slot["_id"]), "hall_id": slot["hall_id"],
               "service_id": slot["service_id"], "date": slot["date"], "start": slot["start"], "end": slot["end"],
               "service_name": await self.names.service(slot["service_id"]),
               "hall_name": await self.names.hall(slot["hall_id"]),
               "status": "pending", "created_at": now, "updated_at": now, "at": {"pending": now}}
        if waitlist is not None:
            doc["waitlist_id"] = str(waitlist["_id"])
        await self._insert_with_keys(doc)                                       # step 1
        await self._fault("after_insert")
        if waitlist is not None:
            took = await self.store.take_held_place(slot["_id"], str(waitlist["_id"]), appt_id, now)
        else:
            took = await self.store.take_place(slot["_id"], appt_id, now)      # step 2
        if not took:
            await self.store.delete_pending(appt_id)
            if waitlist is not None:
                raise errors.Conflict("候补名额已过期", code="offer_expired")
            raise self._full(slot)
        await self._fault("after_claim")
        booked = await self._finalize(doc, now)                             # step 3
        if booked is None:  # the reconciler gave up on it meanwhile (only after a very long stall)
            await self.waitlist.give_back_place(slot["_id"], appt_id, now)
            raise errors.ServiceUnavailable("预约未完成，请重试")
        return self.view(booked, qr=True)

    @staticmethod
    def _full(slot: dict[str, Any]) -> errors.AppError:
        return errors.Conflict("该时段已约满，可加入候补", code="slot_full", details={"slot_id": str(slot["_id"])})

    async def _insert_with_keys(self, doc: dict[str, Any]) -> None:
        uid, date, svc = doc["user_id"], doc["date"], doc["service_id"]
        limits = {"day_key": max(1, self.cfg.max_per_day), "svc_key": max(1, self.cfg.max_per_service_per_day),
                  "open_key": max(1, self.cfg.max_open)}
        k = {name: 0 for name in limits}
        for _ in range(sum(limits.values()) + 5):
            doc.update(code=new_code(), slot_key=f"{uid}:{doc['slot_id']}", day_key=f"{uid}:{date}:{k['day_key']}",
                       svc_key=f"{uid}:{svc}:{date}:{k['svc_key']}", open_key=f"{uid}:{k['open_key']}")
            try:
                await self.store.insert_appointment(doc)
                return
            except KeyTaken as e:
                if e.field == "code":
                    continue
                if e.field == "slot_key":
                    raise errors.Conflict("您已预约该时段", code="already_booked") from None
                if e.field not in limits:
                    raise
                k[e.field] += 1
                if k[e.field] >= limits[e.field]:
                    raise await self._limit_error(e.field, doc) from None
        raise errors.ServiceUnavailable()  # pragma: no cover - bounded loop

    async def _limit_error(self, field: str, doc: dict[str, Any]) -> errors.AppError:
        same_service = await self.store.count_same_service_day(doc["user_id"], doc["service_id"], doc["date"])
        if field == "svc_key" or (field == "day_key" and same_service >= self.cfg.max_per_service_per_day):
            return errors.Conflict("您当天已预约过该事项", code="already_booked",
                                   details={"date": doc["date"], "service_id": doc["service_id"]})
        if field == "day_key":
            return errors.Conflict(f"每人每天最多预约 {self.cfg.max_per_day} 次", code="daily_limit",
                                   details={"date": doc["date"], "limit": self.cfg.max_per_day})
        return errors.Conflict(f"您已有 {self.cfg.max_open} 个未办理的预约，请办理或取消后再预约",
                               code="too_many_open", details={"limit": self.cfg.max_open})

    def _reminders(self, start: dt.datetime, now: dt.datetime) -> tuple[list[int], dt.datetime | None]:
        """The reminders still ahead of a booking made now (minutes before the start), and when
        the first is due."""
        left = sorted({m for m in (self.cfg.first_reminder_minutes, self.cfg.second_reminder_minutes)
                       if m > 0 and start - dt.timedelta(minutes=m) > now}, reverse=True)
        return left, (start - dt.timedelta(minutes=left[0]) if left else None)

    async def _finalize(self, appt: dict[str, Any], now: dt.datetime) -> dict[str, Any] | None:
        """pending → booked and its message, in one transaction."""
        appt_id = appt["_id"]
        reminders, remind_at = self._reminders(appt["start"], now)
        extra: dict[str, Any] = {"reminders": reminders}
        if remind_at is not None:
            extra["remind_at"] = remind_at

        async def tx(session: Any) -> dict[str, Any] | None:
            doc = await self.store.set_status(appt_id, "pending", "booked", now=now, extra=extra, session=session)
            if doc is not None:
                await self.outbox.emit("appointment.booked", user_id=doc["user_id"], payload=event_payload(doc),
                                       session=session, dedupe_key=f"appt:{doc['_id']}:booked")
            return doc
        return await self.tx(tx)

    async def accept_offer(self, resident: Resident, entry_id: str) -> dict[str, Any]:
        w = await self.waitlist.own_entry(resident, entry_id)
        now = self.clock.now()
        if w["status"] != "offered" or w["offer_until"] <= now:
            raise errors.Conflict("没有可接受的候补名额（未轮到或已过期）", code="offer_expired",
                                  details={"status": w["status"]})
        booked = await self.book(resident, w["slot_id"], waitlist=w)
        await self.store.mark_accepted(w["_id"], booked["id"])
        return booked

    # == the resident's bookings ===================================================================
    async def mine(self, resident: Resident) -> list[dict[str, Any]]:
        return [self.view(a) for a in await self.store.user_appointments(resident.id)]

    async def get_mine(self, resident: Resident, appt_id: str) -> dict[str, Any]:
        a = access_own(resident, await self.store.appointment(appt_id))
        if a["status"] == "abandoned":
            raise errors.NotFound()
        ticket = await self.store.appointment_ticket(str(a["_id"]))
        return self.view(a, qr=True, ticket=await ticket_view(self.store, ticket) if ticket else None)

    async def cancel(self, resident: Resident, appt_id: str) -> dict[str, Any]:
        a = access_own(resident, await self.store.appointment(appt_id))
        if a["status"] == "cancelled":
            return self.view(a)
        if a["status"] != "booked":
            raise errors.InvalidState("该预约当前状态不能取消", details={"status": a["status"]})
        now = self.clock.now()
        deadline = a["start"] - dt.timedelta(minutes=self.cfg.cancel_before_minutes)
        if now > deadline:
            raise errors.Conflict(f"距开始不足 {self.cfg.cancel_before_minutes // 60} 小时，不能取消；"
                                  "如不能前往，未签到将记为爽约", code="cancel_too_late",
                                  details={"cancel_deadline": iso(deadline)})

        async def tx(session: Any) -> dict[str, Any] | None:
            doc = await self.store.set_status(a["_id"], "booked", "cancelled", now=now,
                                              unset=(*PERSON_KEYS, "remind_at"),
                                              extra={"place_released": False}, session=session)
            if doc is not None:
                await self.outbox.emit("appointment.cancelled", user_id=doc["user_id"], payload=event_payload(doc),
                                       session=session, dedupe_key=f"appt:{doc['_id']}:cancelled")
            return doc
        doc = await self.tx(tx)
        if doc is None:
            return await self.cancel(resident, appt_id)  # it changed meanwhile: answer for its new state
        await self._fault("after_cancel")
        await self.waitlist.give_back_place(ObjectId(doc["slot_id"]), doc["_id"], now)
        return self.view(doc)

    async def booking_status(self, resident: Resident) -> dict[str, Any]:
        now = self.clock.now()
        p = await self.rules.person(resident.id)
        since = now - dt.timedelta(days=self.cfg.no_show_window_days)
        recent = [n for n in p.get("no_shows", []) if n["at"] >= since]
        until = p.get("blocked_until")
        blocked = bool(until and until > now)
        return {"blocked": blocked, "blocked_until": until if blocked else None,
                "reason": p.get("blocked_reason") if blocked else None, "recent_no_shows": len(recent),
                "open_bookings": await self.store.count_open(resident.id),
                "realname_verified": resident.realname_verified,
                "limits": {"max_open": self.cfg.max_open, "max_per_day": self.cfg.max_per_day,
                           "max_per_service_per_day": self.cfg.max_per_service_per_day,
                           "cancel_before_minutes": self.cfg.cancel_before_minutes,
                           "no_show_limit": self.cfg.no_show_limit, "no_show_window_days": self.cfg.no_show_window_days,
                           "block_days": self.cfg.block_days}}

    # == the sweep: no-shows, reminders, waitlist holds, the reconciler ==============================
    async def sweep(self) -> dict[str, int]:
        now = self.clock.now()
        stats = {"no_shows": 0, "finished": 0, "abandoned": 0, "released": 0, "holds": 0, "reminders": 0}
        # 1. booked and not checked in by the end of the slot → no-show.
        for a in await self.store.ended_unattended(now):
            if await self.store.set_status(a["_id"], "booked", "no_show", now=now,
                                           unset=("open_key", "svc_key", "slot_key", "remind_at"),
                                           extra={"no_show_recorded": False}):
                stats["no_shows"] += 1
        for a in await self.store.unrecorded_no_shows():
            await self._record_no_show(a, now)
        # 2. bookings stuck half-way (a crash between steps): finish or undo.
        stale = now - dt.timedelta(seconds=self.cfg.pending_timeout_seconds)
        for a in await self.store.stale_pending(stale):
            if await self.store.has_claim(ObjectId(a["slot_id"]), a["_id"]):
                if await self._finalize(a, now):
                    stats["finished"] += 1
            elif await self.store.set_status(a["_id"], "pending", "abandoned", now=now, unset=PERSON_KEYS,
                                             extra={"place_released": False}):
                stats["abandoned"] += 1
        # 3. places of cancelled or abandoned bookings not yet given back.
        for a in await self.store.places_to_release():
            await self.waitlist.give_back_place(ObjectId(a["slot_id"]), a["_id"], now)
            stats["released"] += 1
        # 4. waitlist holds: expired ones move on; ones whose offer was never sent are sent.
        stats["holds"] = await self.waitlist.sweep_holds(now)
        # 5. reminders now due.
        stats["reminders"] = await self.send_reminders(now)
        return stats

    async def send_reminders(self, now: dt.datetime) -> int:
        """Each booking is reminded the day before and an hour before (``appointment.reminder``),
        only while it is still booked; a reminder whose time passed unsent (the job was down) is
        dropped when a later one is also due."""
        sent = 0
        for a in await self.store.reminders_due(now):
            left = list(a.get("reminders", []))
            due = [m for m in left if a["start"] - dt.timedelta(minutes=m) <= now]
            later = [m for m in left if m not in due]
            if due and a["status"] == "booked" and now < a["start"]:
                m = min(due)
                await self.outbox.emit("appointment.reminder", user_id=a["user_id"],
                                       payload=event_payload(a, minutes_before=m),
                                       deliver_after=a["start"] - dt.timedelta(minutes=m),
                                       dedupe_key=f"appt:{a['_id']}:reminder:{m}")
                sent += 1
            nxt = a["start"] - dt.timedelta(minutes=max(later)) if later and a["status"] == "booked" else None
            await self.store.next_reminder(a["_id"], a["remind_at"], later, nxt)
        return sent

    async def _record_no_show(self, a: dict[str, Any], now: dt.datetime) -> None:
        uid = a["user_id"]
        since = now - dt.timedelta(days=self.cfg.no_show_window_days)

        async def tx(session: Any) -> None:
            p = await self.store.add_no_show(uid, {"appointment_id": str(a["_id"]), "at": a["end"]}, session=session)
            await self.outbox.emit("appointment.no_show", user_id=uid, payload=event_payload(a), session=session,
                                   dedupe_key=f"appt:{a['_id']}:no_show")
            recent = [n for n in p.get("no_shows", []) if n["at"] >= since]
            blocked = p.get("blocked_until") and p["blocked_until"] > now
            if len(recent) >= self.cfg.no_show_limit and not blocked:
                until = now + dt.timedelta(days=self.cfg.block_days)
                reason = f"{self.cfg.no_show_window_days} 天内爽约 {len(recent)} 次"
                await self.store.block_person(uid, until, reason, now, session=session)
                await self.outbox.emit("appointment.booking_blocked", user_id=uid, payload={
                    **event_payload(a), "blocked_until": iso(until), "reason": reason}, session=session,
                    dedupe_key=f"appt:{a['_id']}:blocked")
            await self.store.mark_no_show_recorded(a["_id"], session=session)
        await self.tx(tx)
        await self.audit.system("appointments.sweep", "appointments.no_show", "appointment", str(a["_id"]),
                                {"user_id": uid})
