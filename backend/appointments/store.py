"""Every query of the appointments domain, and its collections.

The two guards that make booking safe live in the database, not in Python:
- ``appt_slots``: a slot holds the set of appointment ids it has given a place to (``claims``)
  and the waitlist offers it is holding (``holds``), with ``booked``/``held``/``free`` counters
  changed in the same single-document update. A place is taken only by ``free > 0`` → ``$inc``.
- ``appointments``: per-person keys (``slot_key``, ``day_key``, ``svc_key``, ``open_key``) under
  unique partial indexes. A key exists only while it counts; taking one is the insert itself.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from backend.db.mongo import CollectionSpec, count_by

APPT_STATUSES = ("pending", "booked", "cancelled", "checked_in", "served", "absent", "no_show", "abandoned")
# Appointments whose place in the slot stays taken. A claim of any other status is released.
CLAIMING = ("pending", "booked", "checked_in", "served", "absent", "no_show")
TICKET_STATUSES = ("waiting", "called", "served", "absent")
WAITLIST_STATUSES = ("waiting", "offered", "accepted", "left", "expired")
_STR = {"$type": "string"}


def _key_index(field: str) -> IndexModel:
    return IndexModel([(field, ASCENDING)], unique=True, name=f"appt_{field}",
                      partialFilterExpression={field: _STR})


COLLECTIONS = [
    CollectionSpec("appt_schedules", indexes=(
        IndexModel([("hall_id", ASCENDING), ("service_id", ASCENDING)], unique=True),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["hall_id", "service_id", "periods", "slot_minutes", "windows", "status"],
                                  "properties": {"status": {"enum": ["active", "inactive"]},
                                                 "slot_minutes": {"bsonType": "int", "minimum": 5}}}},
        doc="Weekly booking schedules per hall and service (periods, slot length, windows)."),
    CollectionSpec("appt_exceptions", indexes=(
        IndexModel([("hall_id", ASCENDING), ("date", ASCENDING), ("service_id", ASCENDING)], unique=True),
    ), validator={"$jsonSchema": {"bsonType": "object", "required": ["hall_id", "date", "service_id", "kind"],
                                  "properties": {"kind": {"enum": ["closed", "open"]}}}},
        doc="Schedule exceptions: closed days and extra open days, per hall (and service)."),
    CollectionSpec("appt_slots", indexes=(
        IndexModel([("hall_id", ASCENDING), ("service_id", ASCENDING), ("start", ASCENDING)], unique=True),
        IndexModel([("service_id", ASCENDING), ("date", ASCENDING)]),
        IndexModel([("hall_id", ASCENDING), ("date", ASCENDING)]),
        IndexModel([("date", ASCENDING)]),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["hall_id", "service_id", "date", "start", "end", "capacity",
                                               "booked", "held", "free", "claims", "holds", "status"],
                                  "properties": {"status": {"enum": ["open", "retired"]},
                                                 "booked": {"bsonType": "int", "minimum": 0},
                                                 "held": {"bsonType": "int", "minimum": 0}}}},
        doc="Bookable time slots with their places (claims, waitlist holds, counters)."),
    CollectionSpec("appointments", indexes=(
        IndexModel([("code", ASCENDING)], unique=True),
        _key_index("slot_key"), _key_index("day_key"), _key_index("svc_key"), _key_index("open_key"),
        IndexModel([("user_id", ASCENDING), ("start", DESCENDING)]),
        IndexModel([("slot_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("end", ASCENDING)]),
        IndexModel([("hall_id", ASCENDING), ("date", ASCENDING)]),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["code", "user_id", "slot_id", "hall_id", "service_id", "date",
                                               "start", "end", "status", "created_at"],
                                  "properties": {"status": {"enum": list(APPT_STATUSES)}}}},
        doc="Residents' bookings; unique partial per-person keys enforce the booking limits."),
    CollectionSpec("appt_people", doc="Per-resident booking record: no-shows, block until when and why."),
    CollectionSpec("appt_waitlist", indexes=(
        IndexModel([("slot_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),
        _key_index("active_key"),
    ), validator={"$jsonSchema": {"bsonType": "object", "required": ["slot_id", "user_id", "status", "created_at"],
                                  "properties": {"status": {"enum": list(WAITLIST_STATUSES)}}}},
        doc="Waitlists of full slots; the first in line is offered a freed place for a while."),
    CollectionSpec("appt_tickets", indexes=(
        IndexModel([("hall_id", ASCENDING), ("date", ASCENDING), ("number", ASCENDING)], unique=True),
        IndexModel([("hall_id", ASCENDING), ("date", ASCENDING), ("status", ASCENDING), ("order", ASCENDING)]),
        IndexModel([("appointment_id", ASCENDING)], unique=True,
                   partialFilterExpression={"appointment_id": _STR}),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["hall_id", "date", "number", "prefix", "service_id", "status", "order"],
                                  "properties": {"status": {"enum": list(TICKET_STATUSES)}}}},
        doc="Queue tickets (排队号) per hall per day, from check-ins and walk-ins."),
    CollectionSpec("appt_counters", doc="Ticket number sequences per hall, day and service area."),
]


def oid(value: Any) -> ObjectId | None:
    try:
        return ObjectId(value) if isinstance(value, (str, ObjectId)) else None
    except (InvalidId, TypeError):
        return None


class AppointmentStore:
    def __init__(self, db: AsyncDatabase):
        self.db = db
        self.schedules = db["appt_schedules"]
        self.exceptions = db["appt_exceptions"]
        self.slots = db["appt_slots"]
        self.appointments = db["appointments"]
        self.people = db["appt_people"]
        self.waitlist = db["appt_waitlist"]
        self.tickets = db["appt_tickets"]
        self.counters = db["appt_counters"]
        self.outbox = db["outbox"]

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self.appointments, "status")

    # -- schedules -------------------------------------------------------------------------------
    async def hall_schedules(self, hall_id: str) -> list[dict[str, Any]]:
        return await self.schedules.find({"hall_id": hall_id}).sort("service_id", ASCENDING).to_list(None)

    async def active_schedules(self, **filters: Any) -> list[dict[str, Any]]:
        return await self.schedules.find({"status": "active", **filters}).to_list(None)

    async def hall_exceptions(self, hall_id: str, since: str | None = None) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"hall_id": hall_id}
        if since:
            q["date"] = {"$gte": since}
        return await self.exceptions.find(q).sort("date", ASCENDING).to_list(None)

    async def exceptions_on(self, hall_id: str, date: str) -> list[dict[str, Any]]:
        return await self.exceptions.find({"hall_id": hall_id, "date": date}).to_list(None)

    # -- slots -----------------------------------------------------------------------------------
    async def slot(self, slot_id: str) -> dict[str, Any] | None:
        o = oid(slot_id)
        return None if o is None else await self.slots.find_one({"_id": o})

    async def slots_for(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.slots.find(query, {"claims": 0}).sort([("start", ASCENDING), ("hall_id", ASCENDING)]).to_list(None)

    async def take_place(self, slot_id: ObjectId, appt_id: ObjectId, now: dt.datetime) -> bool:
        """The booking's one contended write: take a free place if there is one."""
        res = await self.slots.update_one(
            {"_id": slot_id, "status": "open", "free": {"$gt": 0}, "release_at": {"$lte": now}},
            {"$inc": {"free": -1, "booked": 1}, "$push": {"claims": appt_id}})
        return res.modified_count == 1

    async def take_held_place(self, slot_id: ObjectId, waitlist_id: str, appt_id: ObjectId, now: dt.datetime) -> bool:
        res = await self.slots.update_one(
            {"_id": slot_id, "holds": {"$elemMatch": {"w": waitlist_id, "until": {"$gt": now}}}},
            {"$pull": {"holds": {"w": waitlist_id}}, "$inc": {"held": -1, "booked": 1}, "$push": {"claims": appt_id}})
        return res.modified_count == 1

    async def release_claim(self, slot_id: ObjectId, appt_id: ObjectId, *, hold_for: dict[str, Any] | None) -> bool:
        """Give a booked place back: to a waitlist hold when one is given, else to everyone."""
        if hold_for:
            update = {"$pull": {"claims": appt_id}, "$push": {"holds": hold_for}, "$inc": {"booked": -1, "held": 1}}
        else:
            update = {"$pull": {"claims": appt_id}, "$inc": {"booked": -1, "free": 1}}
        res = await self.slots.update_one({"_id": slot_id, "claims": appt_id}, update)
        return res.modified_count == 1

    async def release_hold(self, slot_id: ObjectId, waitlist_id: str, *, hold_for: dict[str, Any] | None,
                           only_expired_at: dt.datetime | None = None) -> bool:
        match: dict[str, Any] = {"w": waitlist_id}
        if only_expired_at is not None:
            match["until"] = {"$lte": only_expired_at}
        q = {"_id": slot_id, "holds": {"$elemMatch": match}}
        if hold_for:
            res = await self.slots.update_one(q, {"$set": {"holds.$": hold_for}})
        else:
            res = await self.slots.update_one(q, {"$pull": {"holds": {"w": waitlist_id}}, "$inc": {"held": -1, "free": 1}})
        return res.modified_count == 1

    async def recount(self, slot_id: ObjectId) -> None:
        """Counters from the sets they count (one atomic pipeline update)."""
        await self.slots.update_one({"_id": slot_id}, [{"$set": {
            "booked": {"$size": "$claims"}, "held": {"$size": "$holds"},
            "free": {"$subtract": ["$capacity", {"$add": [{"$size": "$claims"}, {"$size": "$holds"}]}]}}}])

    # -- appointments ----------------------------------------------------------------------------
    async def appointment(self, appt_id: str) -> dict[str, Any] | None:
        o = oid(appt_id)
        return None if o is None else await self.appointments.find_one({"_id": o})

    async def by_code(self, code: str) -> dict[str, Any] | None:
        return await self.appointments.find_one({"code": code})

    async def user_appointments(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return await self.appointments.find({"user_id": user_id, "status": {"$ne": "abandoned"}}) \
            .sort("start", DESCENDING).limit(limit).to_list(None)

    async def set_status(self, appt_id: ObjectId, from_: str | tuple[str, ...], to: str, *, now: dt.datetime,
                         unset: tuple[str, ...] = (), extra: dict[str, Any] | None = None,
                         session: Any = None) -> dict[str, Any] | None:
        """The one guarded state change of an appointment: only from the expected status."""
        froms = [from_] if isinstance(from_, str) else list(from_)
        update: dict[str, Any] = {"$set": {"status": to, "updated_at": now, f"at.{to}": now, **(extra or {})}}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        return await self.appointments.find_one_and_update({"_id": appt_id, "status": {"$in": froms}}, update,
                                                           return_document=ReturnDocument.AFTER, session=session)

    async def skip_reminders(self, appt_id: str, reason: str, session: Any = None) -> None:
        """Reminders of an appointment that will not happen are marked ``skipped`` in the outbox."""
        await self.outbox.update_many({"kind": "appointment.reminder", "payload.appointment_id": appt_id,
                                       "status": "pending"},
                                      {"$set": {"status": "skipped", "skip_reason": reason}}, session=session)

    # -- tickets ---------------------------------------------------------------------------------
    async def next_seq(self, key: str, session: Any = None) -> int:
        doc = await self.counters.find_one_and_update({"_id": key}, {"$inc": {"seq": 1}}, upsert=True,
                                                      return_document=ReturnDocument.AFTER, session=session)
        return int(doc["seq"])

    async def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        o = oid(ticket_id)
        return None if o is None else await self.tickets.find_one({"_id": o})
