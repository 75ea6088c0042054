"""At the hall: check-in for a queue ticket (排队号), walk-in tickets, calling (叫号).

Ticket numbers come from a per hall/day/area counter (``$inc`` upsert) and are unique by index;
calling takes the first waiting ticket with one ``find_one_and_update``, so two windows never
call the same person. An appointment's ticket ranks as if its holder came at the slot's start
(or earlier, when they did): booking to the hour means being served at that hour.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument

from backend.appointments.service import AppointmentService
from backend.appointments.store import oid
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import TZ, iso


def _ms(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


class QueueService:
    def __init__(self, appointments: AppointmentService):
        self.appts = appointments
        self.store = appointments.store
        self.clock = appointments.clock
        self.cfg = appointments.cfg

    @staticmethod
    def prefix_for(hall: dict[str, Any], service_id: str) -> str:
        windows = sorted((w for w in hall.get("windows", []) if service_id in w.get("service_ids", [])),
                         key=lambda w: w["number"])
        return windows[0]["area_prefix"] if windows else "Z"

    async def _new_ticket(self, hall: dict[str, Any], service_id: str, *, kind: str, order: dt.datetime,
                          appointment: dict[str, Any] | None, session: Any) -> dict[str, Any]:
        now = self.clock.now()
        date = now.astimezone(TZ).date().isoformat()
        hall_id = str(hall["_id"])
        prefix = self.prefix_for(hall, service_id)
        seq = await self.store.next_seq(f"{hall_id}:{date}:{prefix}", session=session)
        doc = {"hall_id": hall_id, "date": date, "number": f"{prefix}{seq:03d}", "prefix": prefix, "seq": seq,
               "order": _ms(order), "service_id": service_id, "service_name": await self.appts.name("services", service_id),
               "kind": kind, "status": "waiting", "recalls": 0, "created_at": now}
        if appointment is not None:
            doc["appointment_id"] = str(appointment["_id"])
            doc["user_id"] = appointment["user_id"]
        res = await self.store.tickets.insert_one(doc, session=session)
        doc["_id"] = res.inserted_id
        return doc

    async def checkin(self, staff: Staff, code: str, ip: str) -> dict[str, Any]:
        a = await self.store.by_code(code.strip().upper())
        if a is None or a["status"] in ("pending", "abandoned"):
            raise errors.NotFound("未找到该预约码，请核对")
        hall = await self.appts.scope(staff, a["hall_id"])
        if a["status"] in ("checked_in", "served", "absent"):
            t = await self.store.tickets.find_one({"appointment_id": str(a["_id"])})
            if t is not None:
                return await self._answer(a, t, already=True)
        if a["status"] == "cancelled":
            raise errors.InvalidState("该预约已取消", details={"status": "cancelled"})
        now = self.clock.now()
        opens = a["start"] - dt.timedelta(minutes=self.cfg.checkin_before_minutes)
        closes = a["start"] + dt.timedelta(minutes=self.cfg.checkin_after_minutes)
        if a["status"] == "no_show" or now > closes:
            raise errors.Conflict(f"已超过签到时间（开始后 {self.cfg.checkin_after_minutes} 分钟），"
                                  "请重新预约或现场取号", code="checkin_too_late",
                                  details={"checkin_closes_at": iso(closes), "start": iso(a["start"])})
        if now < opens:
            raise errors.Conflict(f"签到时间未到，请于 {opens.astimezone(TZ):%m月%d日 %H:%M} 后签到",
                                  code="checkin_too_early",
                                  details={"checkin_opens_at": iso(opens), "start": iso(a["start"])})

        async def tx(session: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
            doc = await self.store.set_status(a["_id"], "booked", "checked_in", now=now, unset=("open_key",),
                                              session=session)
            if doc is None:
                return None
            t = await self._new_ticket(hall, a["service_id"], kind="appointment", order=min(now, a["start"]),
                                       appointment=a, session=session)
            await self.store.appointments.update_one({"_id": a["_id"]}, {"$set": {"ticket_number": t["number"]}},
                                                     session=session)
            await self.store.skip_reminders(str(a["_id"]), "checked_in", session=session)
            return doc, t
        done = await self.appts._tx(tx)
        if done is None:
            return await self.checkin(staff, code, ip)  # changed meanwhile: answer for its new state
        doc, t = done
        await self.appts._audit(staff, "appointments.checkin", "appointment", str(a["_id"]), ip,
                                {"ticket_number": t["number"], "hall_id": a["hall_id"]})
        return await self._answer(doc, t, already=False)

    async def _answer(self, a: dict[str, Any], t: dict[str, Any], *, already: bool) -> dict[str, Any]:
        v = await self.appts.ticket_view(t)
        return {"ticket_number": t["number"], "ticket": v, "ahead": v["ahead"], "already_checked_in": already,
                "appointment": self.appts.view(a)}

    async def walk_in(self, staff: Staff, hall_id: str, service_id: str, ip: str) -> dict[str, Any]:
        hall = await self.appts.scope(staff, hall_id)
        svc = await self.appts.catalogue.store.get("services", service_id)
        if svc is None or hall_id not in svc.get("hall_ids", []):
            raise errors.InvalidInput({"service_id": "该事项不在本大厅办理"})
        t = await self.appts._tx(lambda s: self._new_ticket(hall, service_id, kind="walk_in", order=self.clock.now(),
                                                            appointment=None, session=s))
        await self.appts._audit(staff, "appointments.ticket.walk_in", "ticket", str(t["_id"]), ip,
                                {"ticket_number": t["number"], "hall_id": hall_id, "service_id": service_id})
        return await self.appts.ticket_view(t)

    async def queue(self, staff: Staff, hall_id: str) -> dict[str, Any]:
        await self.appts.scope(staff, hall_id)
        date = self.clock.local_now().date().isoformat()
        docs = await self.store.tickets.find({"hall_id": hall_id, "date": date}).sort("order", ASCENDING).to_list(None)
        views = [await self.appts.ticket_view(t) for t in docs]
        return {"items": views, "next_cursor": None, "date": date,
                "waiting": sum(1 for t in docs if t["status"] == "waiting"),
                "called": sum(1 for t in docs if t["status"] == "called")}

    async def call_next(self, staff: Staff, window_id: str, hall_id: str, ip: str) -> dict[str, Any]:
        hall = await self.appts.scope(staff, hall_id)
        window = next((w for w in hall.get("windows", []) if w["id"] == window_id), None)
        if window is None:
            raise errors.NotFound("未找到该窗口")
        now = self.clock.now()
        date = now.astimezone(TZ).date().isoformat()
        t = await self.store.tickets.find_one_and_update(
            {"hall_id": hall_id, "date": date, "status": "waiting", "service_id": {"$in": window.get("service_ids", [])}},
            {"$set": {"status": "called", "called_at": now, "window_id": window_id, "window_number": window["number"],
                      "called_by": staff.id}},
            sort=[("order", ASCENDING), ("_id", ASCENDING)], return_document=ReturnDocument.AFTER)
        if t is None:
            raise errors.Conflict("当前没有等候的号", code="queue_empty")
        await self.appts._audit(staff, "appointments.ticket.call", "ticket", str(t["_id"]), ip,
                                {"ticket_number": t["number"], "window": window["number"]})
        return await self.appts.ticket_view(t)

    async def _ticket_in_scope(self, staff: Staff, ticket_id: str) -> dict[str, Any]:
        t = await self.store.ticket(ticket_id)
        if t is None:
            raise errors.NotFound("未找到该排队号")
        await self.appts.scope(staff, t["hall_id"])
        return t

    async def recall(self, staff: Staff, ticket_id: str, ip: str) -> dict[str, Any]:
        t = await self._ticket_in_scope(staff, ticket_id)
        if t["status"] != "called":
            raise errors.InvalidState("只能重呼已叫的号", details={"status": t["status"]})
        doc = await self.store.tickets.find_one_and_update(
            {"_id": t["_id"], "status": "called", "recalls": {"$lt": self.cfg.max_recalls}},
            {"$inc": {"recalls": 1}, "$set": {"recalled_at": self.clock.now()}}, return_document=ReturnDocument.AFTER)
        if doc is None:
            raise errors.Conflict(f"已重呼 {self.cfg.max_recalls} 次，请标记为过号", code="recall_limit",
                                  details={"max_recalls": self.cfg.max_recalls})
        await self.appts._audit(staff, "appointments.ticket.recall", "ticket", ticket_id, ip,
                                {"ticket_number": doc["number"], "recalls": doc["recalls"]})
        return await self.appts.ticket_view(doc)

    async def finish(self, staff: Staff, ticket_id: str, to: str, ip: str) -> dict[str, Any]:
        """served or absent (过号), from called only."""
        t = await self._ticket_in_scope(staff, ticket_id)
        now = self.clock.now()
        doc = await self.store.tickets.find_one_and_update(
            {"_id": t["_id"], "status": "called"}, {"$set": {"status": to, f"{to}_at": now, "finished_by": staff.id}},
            return_document=ReturnDocument.AFTER)
        if doc is None:
            raise errors.InvalidState("只能对已叫的号进行此操作", details={"status": t["status"]})
        if doc.get("appointment_id"):
            await self.store.set_status(ObjectId(doc["appointment_id"]), "checked_in", to, now=now,
                                        unset=("svc_key", "slot_key"))
        await self.appts._audit(staff, f"appointments.ticket.{to}", "ticket", ticket_id, ip,
                                {"ticket_number": doc["number"]})
        return await self.appts.ticket_view(doc)

    async def hall_appointments(self, staff: Staff, hall_id: str, date: str) -> list[dict[str, Any]]:
        await self.appts.scope(staff, hall_id)
        docs = await self.store.appointments.find({"hall_id": hall_id, "date": date,
                                                   "status": {"$nin": ["pending", "abandoned"]}}) \
            .sort("start", ASCENDING).to_list(None)
        return [self.appts.view(a) for a in docs]


__all__ = ["QueueService", "oid"]
