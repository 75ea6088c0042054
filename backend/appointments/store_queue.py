"""The appointments store's queries of the hall queue: tickets and their numbering (a part of
``AppointmentStore``, which mixes it in; its collections are declared in ``store.py``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from backend.appointments.store_documents import ticket_from_doc
from backend.appointments.values import (
    Appointment,
    AppointmentStatus,
    Call,
    Finish,
    NewTicket,
    Ticket,
    TicketStatus,
)
from backend.core.ids import object_id as oid


class QueueQueries:
    _tickets: AsyncCollection[Any]
    _counters: AsyncCollection[Any]

    # == tickets ===================================================================================
    async def next_seq(self, key: str, session: Any = None) -> int:
        """The next number of a ticket sequence (run it in the ticket's transaction)."""
        await self._counters.update_one({"_id": key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": key}, session=session)
        return int((doc or {})["seq"])

    async def insert_ticket(self, new: NewTicket, session: Any = None) -> Ticket:
        doc: dict[str, Any] = {"hall_id": new.hall_id, "date": new.date, "number": new.number, "prefix": new.prefix,
                               "seq": new.seq, "order": new.order, "service_id": new.service_id,
                               "service_name": new.service_name, "kind": new.kind.value,
                               "status": TicketStatus.WAITING.value, "recalls": 0, "created_at": new.created_at}
        if new.appointment_id is not None:
            doc["appointment_id"] = new.appointment_id
            doc["user_id"] = new.user_id
        if new.due is not None:
            doc["due"] = new.due
        res = await self._tickets.insert_one(doc, session=session)
        return ticket_from_doc({**doc, "_id": ObjectId(res.inserted_id)})

    async def ticket(self, ticket_id: str | ObjectId) -> Ticket | None:
        o = oid(ticket_id)
        doc = None if o is None else await self._tickets.find_one({"_id": o})
        return None if doc is None else ticket_from_doc(doc)

    async def appointment_ticket(self, appt: Appointment) -> Ticket | None:
        """The queue ticket of a checked-in appointment (by the id it keeps; older ones by search)."""
        if appt.ticket_id:
            return await self.ticket(appt.ticket_id)
        if appt.status not in (AppointmentStatus.CHECKED_IN, AppointmentStatus.SERVED, AppointmentStatus.ABSENT):
            return None
        doc = await self._tickets.find_one({"appointment_id": str(appt.id)})
        return None if doc is None else ticket_from_doc(doc)

    async def hall_day_tickets(self, hall_id: str, date: str) -> list[Ticket]:
        docs = await self._tickets.find({"hall_id": hall_id, "date": date}).sort("order", ASCENDING).to_list(None)
        return [ticket_from_doc(d) for d in docs]

    async def waiting_tickets(self, hall_id: str, date: str) -> list[Ticket]:
        """The tickets of one hall and day still waiting (a day's queue: tens to hundreds)."""
        docs = await self._tickets.find({"hall_id": hall_id, "date": date, "status": TicketStatus.WAITING.value}) \
            .to_list(None)
        return [ticket_from_doc(d) for d in docs]

    async def recent_service_minutes(self, hall_id: str, date: str, prefix: str, limit: int = 20) -> list[float]:
        """How long the area's latest served tickets of the day took at the window (called → served)."""
        docs = await self._tickets.find(
            {"hall_id": hall_id, "date": date, "status": TicketStatus.SERVED.value, "prefix": prefix},
            {"called_at": 1, "served_at": 1}).to_list(None)
        spans = sorted(((d["served_at"], (d["served_at"] - d["called_at"]).total_seconds() / 60) for d in docs
                        if d.get("called_at") and d.get("served_at")), reverse=True)
        return [minutes for _, minutes in spans[:limit]]

    async def call_ticket(self, ticket_id: ObjectId, call: Call) -> bool:
        """A window calls a waiting ticket; False when another window called it first."""
        res = await self._tickets.update_one(
            {"_id": ticket_id, "status": TicketStatus.WAITING.value},
            {"$set": {"status": TicketStatus.CALLED.value, "called_at": call.at, "window_id": call.window_id,
                      "window_number": call.window_number, "called_by": call.by}})
        return res.modified_count == 1

    async def record_recall(self, ticket_id: ObjectId, at: dt.datetime, *, max_recalls: int) -> bool:
        """A called ticket is called again, unless it has been ``max_recalls`` times already."""
        res = await self._tickets.update_one(
            {"_id": ticket_id, "status": TicketStatus.CALLED.value, "recalls": {"$lt": max_recalls}},
            {"$set": {"recalled_at": at}, "$inc": {"recalls": 1}})
        return res.modified_count == 1

    async def requeue_ticket(self, ticket_id: ObjectId, at: dt.datetime, *, order: int, once: int = 1) -> bool:
        """A called ticket that did not come (过号) goes back to the end of the line (``order``: as
        if it came at ``at``), ``once`` time(s) at most; False when it is not called or has been
        sent back already."""
        res = await self._tickets.update_one(
            {"_id": ticket_id, "status": TicketStatus.CALLED.value, "requeued": {"$not": {"$gte": once}}},
            {"$set": {"status": TicketStatus.WAITING.value, "order": order, "requeued_at": at},
             "$inc": {"requeued": 1}, "$unset": {"window_id": "", "window_number": "", "called_at": ""}})
        return res.modified_count == 1

    async def finish_ticket(self, ticket_id: ObjectId, finish: Finish) -> bool:
        """A called ticket is served or absent (once; False when it is not called)."""
        res = await self._tickets.update_one(
            {"_id": ticket_id, "status": TicketStatus.CALLED.value},
            {"$set": {"status": finish.to.value, f"{finish.to.value}_at": finish.at, "finished_by": finish.by}})
        return res.modified_count == 1
