"""Appointments: schedules → slots, booking rules, cancel, waitlist, no-shows, the reconciler.

How a booking stays correct under any concurrency and any crash (see docs/appointments.md):
1. insert the appointment as ``pending`` carrying the person's keys; unique partial indexes
   make the insert itself the check of every per-person rule (one writer wins, always);
2. take a place in the slot with one conditional single-document update (``free > 0`` →
   ``$inc`` and ``$push`` the appointment id into ``claims``): never more than capacity;
3. in one small transaction: ``pending`` → ``booked`` and the outbox events.
If 2 finds no place the pending insert is deleted (compensation). A crash between steps leaves
a ``pending`` appointment; the reconciler (``sweep``) finishes it when the slot's ``claims``
hold its id, or abandons it otherwise. Counters live in the same document as the set they
count and change in the same update, so they can never disagree.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import secrets
import time
from typing import Any

import qrcode
from bson import ObjectId
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError

from backend.appointments import slots as slotgen
from backend.appointments.store import AppointmentStore, oid
from backend.audit.service import AuditLog, staff_actor, system_actor
from backend.catalogue.service import CatalogueService
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.access import Resident, Staff, access_own, access_realname
from backend.core.clock import TZ, Clock, iso
from backend.db.mongo import in_transaction
from notify.outbox import Outbox

log = logging.getLogger("zjb.appointments")
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
PERSON_KEYS = ("slot_key", "day_key", "svc_key", "open_key")
ACTIVE = ("pending", "booked", "checked_in")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def qr_png_base64(code: str) -> str:
    img = qrcode.make(f"ZJB-APPT:{code}", box_size=6, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def local_hm(value: dt.datetime) -> str:
    return value.astimezone(TZ).strftime("%m月%d日 %H:%M")


def public_slot(s: dict[str, Any], now: dt.datetime, notice: dt.timedelta) -> dict[str, Any]:
    return {"id": str(s["_id"]), "hall_id": s["hall_id"], "service_id": s["service_id"], "date": s["date"],
            "start": s["start"], "end": s["end"], "capacity": s["capacity"], "remaining": max(0, s["free"]),
            "bookable": s["status"] == "open" and s["free"] > 0 and s["start"] - notice > now}


class AppointmentService:
    def __init__(self, *, store: AppointmentStore, catalogue: CatalogueService, staff: Any, outbox: Outbox,
                 audit: AuditLog, clock: Clock, config: AppointmentsConfig, client: AsyncMongoClient):
        self.store = store
        self.catalogue = catalogue
        self.staff = staff
        self.outbox = outbox
        self.audit = audit
        self.clock = clock
        self.cfg = config
        self.client = client
        self._names: dict[tuple[str, str], tuple[float, str]] = {}
        self._generated: set[tuple[str, int, str]] = set()
        # Tests only: called between the steps of a booking to simulate a crash there.
        self.fault_hook: Any = None

    @property
    def notice(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.cfg.min_notice_minutes)

    async def _tx(self, fn: Any) -> Any:
        return await in_transaction(self.client, fn)

    async def name(self, kind: str, id_: str) -> str:
        hit = self._names.get((kind, id_))
        if hit and hit[0] > time.monotonic():
            return hit[1]
        doc = await self.catalogue.store.get(kind, id_)
        value = doc["name"] if doc else ""
        self._names[(kind, id_)] = (time.monotonic() + 60, value)
        return value

    async def scope(self, staff: Staff, hall_id: str) -> dict[str, Any]:
        """The hall, if this staff member may act in it (accounts with ``hall_ids`` are scoped)."""
        doc = await self.staff.get(staff.id)
        if doc.get("hall_ids") and hall_id not in doc["hall_ids"]:
            raise errors.Forbidden("您无权操作该大厅", code="hall_scope", details={"hall_id": hall_id})
        return await self.catalogue.hall(hall_id)

    async def _audit(self, staff: Staff, action: str, target_type: str, target_id: str, ip: str | None,
                     details: dict[str, Any] | None = None) -> None:
        await self.audit.record(actor=staff_actor(staff), action=action, target_type=target_type,
                                target_id=target_id, details=details or {}, ip=ip)

    # == schedules (hall_manager) ==================================================================
    def _public_schedule(self, s: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(s["_id"]), "hall_id": s["hall_id"], "service_id": s["service_id"],
                "periods": s["periods"], "slot_minutes": s["slot_minutes"], "windows": s["windows"],
                "per_window": s.get("per_window", 1), "capacity": slotgen.capacity(s),
                "release_days": s["release_days"], "release_time": s["release_time"], "status": s["status"],
                "version": s.get("version", 1), "updated_at": s.get("updated_at")}

    def _public_exception(self, e: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(e["_id"]), "hall_id": e["hall_id"], "date": e["date"],
                "service_id": None if e["service_id"] == "*" else e["service_id"], "kind": e["kind"],
                "periods": e.get("periods", []), "note": e.get("note")}

    async def schedules(self, staff: Staff, hall_id: str) -> dict[str, Any]:
        await self.scope(staff, hall_id)
        today = self.clock.local_now().date().isoformat()
        return {"items": [self._public_schedule(s) for s in await self.store.hall_schedules(hall_id)],
                "exceptions": [self._public_exception(e) for e in await self.store.hall_exceptions(hall_id, today)],
                "next_cursor": None}

    async def put_schedules(self, staff: Staff, hall_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        hall = await self.scope(staff, hall_id)
        now = self.clock.now()
        seen: set[str] = set()
        bad: dict[str, str] = {}
        for i, item in enumerate(body["items"]):
            sid = item["service_id"]
            if sid in seen:
                bad[f"items.{i}.service_id"] = "同一事项只能有一个排班"
            seen.add(sid)
            svc = await self.catalogue.store.get("services", sid)
            if svc is None or svc["status"] != "active":
                bad[f"items.{i}.service_id"] = "事项不存在"
            elif hall_id not in svc.get("hall_ids", []):
                bad[f"items.{i}.service_id"] = "该事项不在本大厅办理"
            elif not svc["guide"].get("bookable"):
                bad[f"items.{i}.service_id"] = "该事项不可预约"
            for j, p in enumerate(item["periods"]):
                if p["start"] >= p["end"]:
                    bad[f"items.{i}.periods.{j}"] = "结束时间须晚于开始时间"
        if bad:
            raise errors.InvalidInput(bad)
        for item in body["items"]:
            fields = {"periods": sorted(item["periods"], key=lambda p: (p["weekday"], p["start"])),
                      "slot_minutes": item["slot_minutes"], "windows": item["windows"],
                      "per_window": item.get("per_window", 1),
                      "release_days": item.get("release_days", self.cfg.release_days),
                      "release_time": item.get("release_time", self.cfg.release_time),
                      "status": "active", "updated_at": now, "updated_by": staff.id}
            await self.store.schedules.update_one(
                {"hall_id": hall_id, "service_id": item["service_id"]},
                {"$set": fields, "$inc": {"version": 1}, "$setOnInsert": {"created_at": now}}, upsert=True)
        await self.store.schedules.update_many({"hall_id": hall_id, "service_id": {"$nin": sorted(seen)},
                                                "status": "active"},
                                               {"$set": {"status": "inactive", "updated_at": now}, "$inc": {"version": 1}})
        today = self.clock.local_now().date().isoformat()
        # Withdrawn schedules: their future slots are no longer offered (bookings stay valid).
        for s in await self.store.schedules.find({"hall_id": hall_id, "status": "inactive"}).to_list(None):
            await self.store.slots.update_many({"hall_id": hall_id, "service_id": s["service_id"],
                                                "date": {"$gte": today}, "status": "open"},
                                               {"$set": {"status": "retired"}})
        await self.generate(hall_id=hall_id)
        await self._audit(staff, "appointments.schedules.put", "hall", hall_id, ip,
                          {"services": sorted(seen), "hall": hall["name"]})
        return await self.schedules(staff, hall_id)

    async def add_exception(self, staff: Staff, hall_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        await self.scope(staff, hall_id)
        sid = body.get("service_id") or "*"
        if body["kind"] == "open":
            for j, p in enumerate(body.get("periods", [])):
                if p["start"] >= p["end"]:
                    raise errors.InvalidInput({f"periods.{j}": "结束时间须晚于开始时间"})
        doc = {"hall_id": hall_id, "date": body["date"], "service_id": sid, "kind": body["kind"],
               "periods": body.get("periods", []), "note": body.get("note"), "updated_at": self.clock.now(),
               "updated_by": staff.id}
        saved = await self.store.exceptions.find_one_and_update(
            {"hall_id": hall_id, "date": body["date"], "service_id": sid}, {"$set": doc}, upsert=True,
            return_document=True)
        day = dt.date.fromisoformat(body["date"])
        affected = 0
        for s in await self.store.active_schedules(hall_id=hall_id):
            if sid in ("*", s["service_id"]):
                await self._generate_day(s, day, force=True)
        if body["kind"] == "closed":
            q: dict[str, Any] = {"hall_id": hall_id, "date": body["date"], "status": "booked"}
            if sid != "*":
                q["service_id"] = sid
            affected = await self.store.appointments.count_documents(q)
        await self._audit(staff, "appointments.exception.set", "hall", hall_id, ip,
                          {"date": body["date"], "kind": body["kind"], "service_id": sid})
        return {**self._public_exception(saved), "affected_bookings": affected}

    # == slots =======================================================================================
    async def _generate_day(self, schedule: dict[str, Any], day: dt.date, *, force: bool = False,
                            release_now: bool = False) -> int:
        key = (str(schedule["_id"]), int(schedule.get("version", 1)), day.isoformat())
        if key in self._generated and not force and not release_now:
            return 0
        hall = await self.catalogue.store.get("halls", schedule["hall_id"])
        if hall is None:
            return 0
        planned = slotgen.plan_day(schedule, day, hall_open=hall["status"] == "active" and
                                   self.catalogue.hall_open_on(hall, day),
                                   exceptions=await self.store.exceptions_on(schedule["hall_id"], day.isoformat()))
        try:
            n = await slotgen.write_day(self.store, schedule, day, planned, self.clock.now(), release_now=release_now)
        except BulkWriteError as e:  # another process wrote the same slots at the same instant
            if any(w.get("code") != 11000 for w in e.details.get("writeErrors", [])):
                raise
            n = 0
        self._generated.add(key)
        return n

    async def generate(self, *, hall_id: str | None = None) -> int:
        """The periodic job: slots for every active schedule up to its release horizon (+1 day,
        so they exist before their release time)."""
        today = self.clock.local_now().date()
        n = 0
        filters = {"hall_id": hall_id} if hall_id else {}
        for s in await self.store.active_schedules(**filters):
            for d in range(int(s["release_days"]) + 2):
                n += await self._generate_day(s, today + dt.timedelta(days=d), force=hall_id is not None)
        return n

    async def release(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        """Generate and release the slots of one day now (hall managers; the bench)."""
        await self.scope(staff, body["hall_id"])
        day = dt.date.fromisoformat(body["date"])
        if day < self.clock.local_now().date():
            raise errors.InvalidInput({"date": "不能开放过去的日期"})
        filters: dict[str, Any] = {"hall_id": body["hall_id"]}
        if body.get("service_id"):
            filters["service_id"] = body["service_id"]
        schedules = await self.store.active_schedules(**filters)
        for s in schedules:
            await self._generate_day(s, day, release_now=True)
        q = {**filters, "date": body["date"], "status": "open"}
        count = await self.store.slots.count_documents(q)
        await self._audit(staff, "appointments.slots.release", "hall", body["hall_id"], ip,
                          {"date": body["date"], "service_id": body.get("service_id"), "slots": count})
        return {"released": count, "date": body["date"], "hall_id": body["hall_id"]}

    async def slots(self, service_id: str, date: str, hall_id: str | None = None) -> list[dict[str, Any]]:
        await self.catalogue.get_service(service_id)
        day = dt.date.fromisoformat(date)
        today = self.clock.local_now().date()
        filters: dict[str, Any] = {"service_id": service_id}
        if hall_id:
            filters["hall_id"] = hall_id
        for s in await self.store.active_schedules(**filters):  # on demand, when the job has not yet run
            if today <= day <= today + dt.timedelta(days=int(s["release_days"]) + 1):
                await self._generate_day(s, day)
        now = self.clock.now()
        docs = await self.store.slots_for({**filters, "date": date, "status": "open", "release_at": {"$lte": now}})
        return [public_slot(s, now, self.notice) for s in docs]

    async def calendar(self, staff: Staff, hall_id: str, from_: str, to: str) -> list[dict[str, Any]]:
        await self.scope(staff, hall_id)
        a, b = dt.date.fromisoformat(from_), dt.date.fromisoformat(to)
        if b < a or (b - a).days > 31:
            raise errors.InvalidInput({"to": "日期范围须在 31 天以内且不早于开始日期"})
        now = self.clock.now()
        docs = await self.store.slots_for({"hall_id": hall_id, "date": {"$gte": from_, "$lte": to}})
        out = []
        for s in docs:
            out.append({**public_slot(s, now, self.notice), "service_name": await self.name("services", s["service_id"]),
                        "booked": s["booked"], "held": s["held"], "status": s["status"], "release_at": s["release_at"],
                        "released": s["release_at"] <= now,
                        "fill_rate": round(s["booked"] / s["capacity"], 3) if s["capacity"] else 0.0})
        return out

    # == booking =====================================================================================
    async def person(self, user_id: str) -> dict[str, Any]:
        return await self.store.people.find_one({"_id": user_id}) or {"_id": user_id, "no_shows": []}

    async def _check_not_blocked(self, user_id: str, now: dt.datetime) -> None:
        p = await self.person(user_id)
        until = p.get("blocked_until")
        if until and until > now:
            raise errors.Forbidden(
                f"您在 {self.cfg.no_show_window_days} 天内爽约 {self.cfg.no_show_limit} 次，"
                f"{until.astimezone(TZ):%Y年%m月%d日 %H:%M}前暂停网上预约，可到大厅现场取号办理",
                code="booking_blocked", details={"blocked_until": iso(until), "reason": p.get("blocked_reason"),
                                                 "no_shows": self.cfg.no_show_limit})

    def _check_time(self, slot: dict[str, Any], now: dt.datetime, *, released: bool = True) -> None:
        if slot["status"] != "open" or (released and slot["release_at"] > now):
            raise errors.Conflict("该时段尚未开放预约", code="slot_not_open")
        if slot["start"] - self.notice <= now:
            raise errors.Conflict(f"该时段已过或距开始不足 {self.cfg.min_notice_minutes} 分钟，不能预约",
                                  code="slot_closed")

    async def book(self, resident: Resident, slot_id: str, *, waitlist: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.cfg.require_realname:
            access_realname(resident)
        now = self.clock.now()
        slot = await self.store.slot(slot_id)
        if slot is None:
            raise errors.NotFound("未找到该时段")
        self._check_time(slot, now, released=waitlist is None)
        await self._check_not_blocked(resident.id, now)
        if waitlist is None and slot["free"] <= 0:  # fast refusal; the real guard is step 2
            raise self._full(slot)
        appt_id = ObjectId()
        doc = {"_id": appt_id, "user_id": resident.id, "slot_id": str(slot["_id"]), "hall_id": slot["hall_id"],
               "service_id": slot["service_id"], "date": slot["date"], "start": slot["start"], "end": slot["end"],
               "service_name": await self.name("services", slot["service_id"]),
               "hall_name": await self.name("halls", slot["hall_id"]),
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
            await self.store.appointments.delete_one({"_id": appt_id, "status": "pending"})
            if waitlist is not None:
                raise errors.Conflict("候补名额已过期", code="offer_expired")
            raise self._full(slot)
        await self._fault("after_claim")
        booked = await self._finalize(appt_id, now)                             # step 3
        if booked is None:  # the reconciler gave up on it meanwhile (only after a very long stall)
            await self._release_claim(slot["_id"], appt_id, now)
            raise errors.ServiceUnavailable("预约未完成，请重试")
        return self.view(booked, qr=True)

    async def _fault(self, step: str) -> None:
        if self.fault_hook is not None:
            await self.fault_hook(step)

    def _full(self, slot: dict[str, Any]) -> errors.AppError:
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
                await self.store.appointments.insert_one(doc)
                return
            except DuplicateKeyError as e:
                field = next(iter((e.details or {}).get("keyPattern") or {}), None)
                if field == "code":
                    continue
                if field == "slot_key":
                    raise errors.Conflict("您已预约该时段", code="already_booked") from None
                if field not in limits:
                    raise
                k[field] += 1
                if k[field] >= limits[field]:
                    raise await self._limit_error(field, doc) from None
        raise errors.ServiceUnavailable()  # pragma: no cover - bounded loop

    async def _limit_error(self, field: str, doc: dict[str, Any]) -> errors.AppError:
        same_service = await self.store.appointments.count_documents(
            {"user_id": doc["user_id"], "service_id": doc["service_id"], "date": doc["date"],
             "svc_key": {"$type": "string"}})
        if field == "svc_key" or (field == "day_key" and same_service >= self.cfg.max_per_service_per_day):
            return errors.Conflict("您当天已预约过该事项", code="already_booked",
                                   details={"date": doc["date"], "service_id": doc["service_id"]})
        if field == "day_key":
            return errors.Conflict(f"每人每天最多预约 {self.cfg.max_per_day} 次", code="daily_limit",
                                   details={"date": doc["date"], "limit": self.cfg.max_per_day})
        return errors.Conflict(f"您已有 {self.cfg.max_open} 个未办理的预约，请办理或取消后再预约",
                               code="too_many_open", details={"limit": self.cfg.max_open})

    async def _finalize(self, appt_id: ObjectId, now: dt.datetime) -> dict[str, Any] | None:
        """pending → booked and its events, in one transaction."""
        async def tx(session: Any) -> dict[str, Any] | None:
            doc = await self.store.set_status(appt_id, "pending", "booked", now=now, session=session)
            if doc is not None:
                await self._emit_booked(doc, now, session)
            return doc
        return await self._tx(tx)

    def _payload(self, a: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"appointment_id": str(a["_id"]), "code": a["code"], "service_name": a.get("service_name", ""),
                "hall_name": a.get("hall_name", ""), "start": iso(a["start"]), "end": iso(a["end"]), **extra}

    async def _emit_booked(self, a: dict[str, Any], now: dt.datetime, session: Any) -> None:
        aid = str(a["_id"])
        await self.outbox.emit("appointment.booked", user_id=a["user_id"], payload=self._payload(a),
                               session=session, dedupe_key=f"appt:{aid}:booked")
        for minutes in (self.cfg.first_reminder_minutes, self.cfg.second_reminder_minutes):
            at = a["start"] - dt.timedelta(minutes=minutes)
            if minutes > 0 and at > now:
                await self.outbox.emit("appointment.reminder", user_id=a["user_id"],
                                       payload=self._payload(a, minutes_before=minutes), session=session,
                                       deliver_after=at, dedupe_key=f"appt:{aid}:reminder:{minutes}")

    # == the resident's bookings ======================================================================
    def view(self, a: dict[str, Any], *, qr: bool = False, ticket: dict[str, Any] | None = None) -> dict[str, Any]:
        out = {"id": str(a["_id"]), "code": a["code"], "status": a["status"],
               "slot": {"id": a["slot_id"], "hall_id": a["hall_id"], "start": a["start"], "end": a["end"]},
               "service_id": a["service_id"], "service_name": a.get("service_name", ""), "hall_id": a["hall_id"],
               "hall_name": a.get("hall_name", ""), "date": a["date"], "start": a["start"], "end": a["end"],
               "cancel_deadline": a["start"] - dt.timedelta(minutes=self.cfg.cancel_before_minutes),
               "created_at": a["created_at"], "ticket_number": a.get("ticket_number")}
        if qr:
            out["qr_png_base64"] = qr_png_base64(a["code"])
        if ticket is not None:
            out["ticket"] = ticket
        return out

    async def mine(self, resident: Resident) -> list[dict[str, Any]]:
        return [self.view(a) for a in await self.store.user_appointments(resident.id)]

    async def get_mine(self, resident: Resident, appt_id: str) -> dict[str, Any]:
        a = access_own(resident, await self.store.appointment(appt_id))
        if a["status"] == "abandoned":
            raise errors.NotFound()
        ticket = await self.store.tickets.find_one({"appointment_id": str(a["_id"])})
        return self.view(a, qr=True, ticket=await self.ticket_view(ticket) if ticket else None)

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
            doc = await self.store.set_status(a["_id"], "booked", "cancelled", now=now, unset=PERSON_KEYS,
                                              extra={"place_released": False}, session=session)
            if doc is not None:
                await self.store.skip_reminders(str(a["_id"]), "appointment_cancelled", session=session)
                await self.outbox.emit("appointment.cancelled", user_id=doc["user_id"], payload=self._payload(doc),
                                       session=session, dedupe_key=f"appt:{doc['_id']}:cancelled")
            return doc
        doc = await self._tx(tx)
        if doc is None:
            return await self.cancel(resident, appt_id)  # it changed meanwhile: answer for its new state
        await self._fault("after_cancel")
        await self._release_claim(ObjectId(doc["slot_id"]), doc["_id"], now)
        return self.view(doc)

    async def _release_claim(self, slot_id: ObjectId, appt_id: ObjectId, now: dt.datetime) -> None:
        """Give the place back: first to the waitlist (held for a while), else to everyone."""
        slot = await self.store.slots.find_one({"_id": slot_id}, {"claims": 0})
        hold = None
        head = None
        if slot is not None and slot["status"] == "open" and slot["start"] - self.notice > now:
            head = await self.store.waitlist.find_one({"slot_id": str(slot_id), "status": "waiting"},
                                                      sort=[("created_at", ASCENDING), ("_id", ASCENDING)])
            if head is not None:
                hold = {"w": str(head["_id"]), "until": self._offer_until(slot, now)}
        if await self.store.release_claim(slot_id, appt_id, hold_for=hold) and head is not None:
            await self._offer(head, hold["until"])
        await self.store.appointments.update_one({"_id": appt_id, "place_released": False},
                                                 {"$set": {"place_released": True}})

    def _offer_until(self, slot: dict[str, Any], now: dt.datetime) -> dt.datetime:
        return min(now + dt.timedelta(minutes=self.cfg.waitlist_offer_minutes), slot["start"] - self.notice)

    # == waitlist =====================================================================================
    async def _offer(self, entry: dict[str, Any], until: dt.datetime) -> None:
        now = self.clock.now()

        async def tx(session: Any) -> None:
            doc = await self.store.waitlist.find_one_and_update(
                {"_id": entry["_id"], "status": "waiting"},
                {"$set": {"status": "offered", "offer_until": until, "offered_at": now}},
                return_document=True, session=session)
            if doc is not None:
                await self.outbox.emit("appointment.waitlist_offer", user_id=doc["user_id"], payload={
                    "waitlist_id": str(doc["_id"]), "slot_id": doc["slot_id"], "service_name": doc.get("service_name", ""),
                    "hall_name": doc.get("hall_name", ""), "start": iso(doc["start"]), "offer_until": iso(until)},
                    session=session, dedupe_key=f"wl:{doc['_id']}:offer")
        await self._tx(tx)

    async def _pass_hold(self, slot: dict[str, Any], w: str, now: dt.datetime, *, expired_only: bool) -> None:
        """A held place that is not taken goes to the next in line, or back to everyone."""
        await self.store.waitlist.update_one({"_id": oid(w), "status": "offered", "offer_until": {"$lte": now}},
                                             {"$set": {"status": "expired"}, "$unset": {"active_key": ""}})
        head = None
        hold = None
        if slot["status"] == "open" and slot["start"] - self.notice > now:
            head = await self.store.waitlist.find_one({"slot_id": str(slot["_id"]), "status": "waiting",
                                                       "_id": {"$ne": oid(w)}},
                                                      sort=[("created_at", ASCENDING), ("_id", ASCENDING)])
            if head is not None:
                hold = {"w": str(head["_id"]), "until": self._offer_until(slot, now)}
        if await self.store.release_hold(slot["_id"], w, hold_for=hold,
                                         only_expired_at=now if expired_only else None) and head is not None:
            await self._offer(head, hold["until"])

    async def join_waitlist(self, resident: Resident, slot_id: str) -> dict[str, Any]:
        if self.cfg.require_realname:
            access_realname(resident)
        now = self.clock.now()
        slot = await self.store.slot(slot_id)
        if slot is None:
            raise errors.NotFound("未找到该时段")
        self._check_time(slot, now)
        await self._check_not_blocked(resident.id, now)
        if slot["free"] > 0:
            raise errors.Conflict("该时段还有名额，请直接预约", code="slot_available")
        if await self.store.appointments.count_documents({"slot_key": f"{resident.id}:{slot_id}"}):
            raise errors.Conflict("您已预约该时段", code="already_booked")
        doc = {"slot_id": slot_id, "user_id": resident.id, "hall_id": slot["hall_id"], "service_id": slot["service_id"],
               "start": slot["start"], "end": slot["end"], "date": slot["date"],
               "service_name": await self.name("services", slot["service_id"]),
               "hall_name": await self.name("halls", slot["hall_id"]),
               "status": "waiting", "active_key": f"{resident.id}:{slot_id}", "created_at": now}
        try:
            res = await self.store.waitlist.insert_one(doc)
        except DuplicateKeyError:
            raise errors.Conflict("您已在该时段的候补名单中", code="already_waitlisted") from None
        doc["_id"] = res.inserted_id
        return await self.waitlist_view(doc)

    async def waitlist_view(self, w: dict[str, Any]) -> dict[str, Any]:
        ahead = None
        if w["status"] == "waiting":
            ahead = await self.store.waitlist.count_documents(
                {"slot_id": w["slot_id"], "status": {"$in": ["waiting", "offered"]}, "created_at": {"$lt": w["created_at"]}})
        return {"id": str(w["_id"]), "slot_id": w["slot_id"], "hall_id": w["hall_id"], "service_id": w["service_id"],
                "service_name": w.get("service_name", ""), "hall_name": w.get("hall_name", ""),
                "start": w["start"], "end": w["end"], "status": w["status"], "ahead": ahead,
                "offer_until": w.get("offer_until"), "appointment_id": w.get("appointment_id"),
                "created_at": w["created_at"]}

    async def my_waitlist(self, resident: Resident) -> list[dict[str, Any]]:
        docs = await self.store.waitlist.find({"user_id": resident.id}).sort("created_at", -1).limit(50).to_list(None)
        return [await self.waitlist_view(w) for w in docs]

    async def accept_offer(self, resident: Resident, waitlist_id: str) -> dict[str, Any]:
        w = access_own(resident, await self.store.waitlist.find_one({"_id": oid(waitlist_id)}) if oid(waitlist_id) else None)
        now = self.clock.now()
        if w["status"] != "offered" or w["offer_until"] <= now:
            raise errors.Conflict("没有可接受的候补名额（未轮到或已过期）", code="offer_expired",
                                  details={"status": w["status"]})
        booked = await self.book(resident, w["slot_id"], waitlist=w)
        await self.store.waitlist.update_one({"_id": w["_id"], "status": "offered"},
                                             {"$set": {"status": "accepted", "appointment_id": booked["id"]},
                                              "$unset": {"active_key": ""}})
        return booked

    async def leave_waitlist(self, resident: Resident, waitlist_id: str) -> dict[str, Any]:
        w = access_own(resident, await self.store.waitlist.find_one({"_id": oid(waitlist_id)}) if oid(waitlist_id) else None)
        if w["status"] not in ("waiting", "offered"):
            raise errors.InvalidState("该候补已结束", details={"status": w["status"]})
        doc = await self.store.waitlist.find_one_and_update(
            {"_id": w["_id"], "status": w["status"]}, {"$set": {"status": "left"}, "$unset": {"active_key": ""}},
            return_document=True)
        if doc is None:
            return await self.leave_waitlist(resident, waitlist_id)
        if w["status"] == "offered":
            slot = await self.store.slots.find_one({"_id": ObjectId(w["slot_id"])}, {"claims": 0})
            if slot is not None:
                await self._pass_hold(slot, str(w["_id"]), self.clock.now(), expired_only=False)
        return await self.waitlist_view(doc)

    async def booking_status(self, resident: Resident) -> dict[str, Any]:
        now = self.clock.now()
        p = await self.person(resident.id)
        since = now - dt.timedelta(days=self.cfg.no_show_window_days)
        recent = [n for n in p.get("no_shows", []) if n["at"] >= since]
        until = p.get("blocked_until")
        blocked = bool(until and until > now)
        open_count = await self.store.appointments.count_documents({"user_id": resident.id, "open_key": {"$type": "string"}})
        return {"blocked": blocked, "blocked_until": until if blocked else None,
                "reason": p.get("blocked_reason") if blocked else None, "recent_no_shows": len(recent),
                "open_bookings": open_count, "realname_verified": resident.realname_verified,
                "limits": {"max_open": self.cfg.max_open, "max_per_day": self.cfg.max_per_day,
                           "max_per_service_per_day": self.cfg.max_per_service_per_day,
                           "cancel_before_minutes": self.cfg.cancel_before_minutes,
                           "no_show_limit": self.cfg.no_show_limit, "no_show_window_days": self.cfg.no_show_window_days,
                           "block_days": self.cfg.block_days}}

    # == the sweep: no-shows, waitlist offers, the reconciler ==========================================
    async def sweep(self) -> dict[str, int]:
        now = self.clock.now()
        stats = {"no_shows": 0, "finished": 0, "abandoned": 0, "released": 0, "holds": 0}
        # 1. booked and not checked in by the end of the slot → no-show.
        for a in await self.store.appointments.find({"status": "booked", "end": {"$lte": now}}).limit(500).to_list(None):
            if await self.store.set_status(a["_id"], "booked", "no_show", now=now,
                                           unset=("open_key", "svc_key", "slot_key"),
                                           extra={"no_show_recorded": False}):
                stats["no_shows"] += 1
        for a in await self.store.appointments.find({"status": "no_show", "no_show_recorded": False}).limit(500).to_list(None):
            await self._record_no_show(a, now)
        # 2. bookings stuck half-way (a crash between steps): finish or undo.
        stale = now - dt.timedelta(seconds=self.cfg.pending_timeout_seconds)
        for a in await self.store.appointments.find({"status": "pending", "created_at": {"$lte": stale}}).limit(500).to_list(None):
            claimed = await self.store.slots.count_documents({"_id": ObjectId(a["slot_id"]), "claims": a["_id"]})
            if claimed:
                if await self._finalize(a["_id"], now):
                    stats["finished"] += 1
            elif await self.store.set_status(a["_id"], "pending", "abandoned", now=now, unset=PERSON_KEYS,
                                             extra={"place_released": False}):
                stats["abandoned"] += 1
        # 3. places of cancelled or abandoned bookings not yet given back.
        for a in await self.store.appointments.find({"status": {"$in": ["cancelled", "abandoned"]},
                                                     "place_released": False}).limit(500).to_list(None):
            await self._release_claim(ObjectId(a["slot_id"]), a["_id"], now)
            stats["released"] += 1
        # 4. waitlist holds: expired ones move on; ones whose offer was never sent are sent.
        today = self.clock.local_now().date().isoformat()
        for slot in await self.store.slots.find({"date": {"$gte": today}, "holds.0": {"$exists": True}},
                                                {"claims": 0}).to_list(None):
            for h in slot["holds"]:
                entry = await self.store.waitlist.find_one({"_id": oid(h["w"])})
                if h["until"] <= now or entry is None or entry["status"] not in ("waiting", "offered"):
                    await self._pass_hold(slot, h["w"], now, expired_only=False)
                    stats["holds"] += 1
                elif entry["status"] == "waiting":
                    await self._offer(entry, h["until"])
                    stats["holds"] += 1
        return stats

    async def _record_no_show(self, a: dict[str, Any], now: dt.datetime) -> None:
        uid = a["user_id"]
        since = now - dt.timedelta(days=self.cfg.no_show_window_days)

        async def tx(session: Any) -> None:
            p = await self.store.people.find_one_and_update(
                {"_id": uid}, {"$addToSet": {"no_shows": {"appointment_id": str(a["_id"]), "at": a["end"]}}},
                upsert=True, return_document=True, session=session)
            await self.outbox.emit("appointment.no_show", user_id=uid, payload=self._payload(a), session=session,
                                   dedupe_key=f"appt:{a['_id']}:no_show")
            recent = [n for n in p.get("no_shows", []) if n["at"] >= since]
            blocked = p.get("blocked_until") and p["blocked_until"] > now
            if len(recent) >= self.cfg.no_show_limit and not blocked:
                until = now + dt.timedelta(days=self.cfg.block_days)
                reason = f"{self.cfg.no_show_window_days} 天内爽约 {len(recent)} 次"
                await self.store.people.update_one({"_id": uid}, {"$set": {
                    "blocked_until": until, "blocked_reason": reason, "blocked_at": now}}, session=session)
                await self.outbox.emit("appointment.booking_blocked", user_id=uid, payload={
                    **self._payload(a), "blocked_until": iso(until), "reason": reason}, session=session,
                    dedupe_key=f"appt:{a['_id']}:blocked")
            await self.store.appointments.update_one({"_id": a["_id"]}, {"$set": {"no_show_recorded": True}},
                                                     session=session)
        await self._tx(tx)
        await self.audit.record(actor=system_actor("appointments.sweep"), action="appointments.no_show",
                                target_type="appointment", target_id=str(a["_id"]), details={"user_id": uid})

    # == tickets (used by the queue) ==================================================================
    async def ticket_view(self, t: dict[str, Any]) -> dict[str, Any]:
        ahead = 0
        if t["status"] == "waiting":
            ahead = await self.store.tickets.count_documents(
                {"hall_id": t["hall_id"], "date": t["date"], "prefix": t["prefix"], "status": "waiting",
                 "order": {"$lt": t["order"]}})
        return {"id": str(t["_id"]), "ticket_number": t["number"], "hall_id": t["hall_id"], "date": t["date"],
                "service_id": t["service_id"], "service_name": t.get("service_name", ""), "kind": t["kind"],
                "appointment_id": t.get("appointment_id"), "status": t["status"], "ahead": ahead,
                "window_id": t.get("window_id"), "window_number": t.get("window_number"),
                "recalls": t.get("recalls", 0), "created_at": t["created_at"], "called_at": t.get("called_at")}

    async def queue_position(self, resident: Resident, appt_id: str) -> dict[str, Any]:
        a = access_own(resident, await self.store.appointment(appt_id))
        t = await self.store.tickets.find_one({"appointment_id": str(a["_id"])})
        if t is None:
            return {"ticket_number": None, "ahead": None, "status": a["status"], "window_number": None}
        v = await self.ticket_view(t)
        return {"ticket_number": v["ticket_number"], "ahead": v["ahead"], "status": v["status"],
                "window_number": v["window_number"]}
