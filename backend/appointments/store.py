"""Every query of the appointments domain, and its collections.

The two guards that make booking safe live in the database, not in Python:
- ``appt_slots``: a slot holds the set of appointment ids it has given a place to (``claims``)
  and the waitlist offers it is holding (``holds``), with ``booked``/``held``/``free`` counters
  changed in the same single-document update. A place is taken only by ``free > 0`` → ``$inc``.
- ``appointments``: per-person keys (``slot_key``, ``day_key``, ``svc_key``, ``open_key``) under
  unique partial indexes. A key exists only while it counts; taking one is the insert itself.

Nothing outside this module touches a collection; the services call the methods below, which
are named for what they do.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from backend.db.mongo import CollectionSpec, count_by

APPT_STATUSES = ("pending", "booked", "cancelled", "checked_in", "served", "absent", "no_show", "abandoned")
# Appointments whose place in the slot stays taken. A claim of any other status is released.
CLAIMING = ("pending", "booked", "checked_in", "served", "absent", "no_show")
TICKET_STATUSES = ("waiting", "called", "served", "absent")
WAITLIST_STATUSES = ("waiting", "offered", "accepted", "left", "expired")
PERSON_KEYS = ("slot_key", "day_key", "svc_key", "open_key")
_STR = {"$type": "string"}
# A lower bound every stored time passes: a partial index on ``{field: {$gte: EPOCH}}`` holds only
# documents that have the field, and a query bounded the same way can use it.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


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
        IndexModel([("remind_at", ASCENDING)], name="appt_remind_at",
                   partialFilterExpression={"remind_at": {"$gte": EPOCH}}),
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


class KeyTaken(Exception):
    """An insert hit a unique key: ``field`` names which one (``code``, ``slot_key``, ...)."""

    def __init__(self, field: str | None):
        super().__init__(field)
        self.field = field


def _taken(e: DuplicateKeyError) -> KeyTaken:
    return KeyTaken(next(iter((e.details or {}).get("keyPattern") or {}), None))


class AppointmentStore:
    def __init__(self, db: AsyncDatabase):
        self._schedules = db["appt_schedules"]
        self._exceptions = db["appt_exceptions"]
        self._slots = db["appt_slots"]
        self._appointments = db["appointments"]
        self._people = db["appt_people"]
        self._waitlist = db["appt_waitlist"]
        self._tickets = db["appt_tickets"]
        self._counters = db["appt_counters"]

    # == schedules and exceptions ==================================================================
    async def hall_schedules(self, hall_id: str) -> list[dict[str, Any]]:
        return await self._schedules.find({"hall_id": hall_id}).sort("service_id", ASCENDING).to_list(None)

    async def active_schedules(self, *, hall_id: str | None = None,
                               service_id: str | None = None) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"status": "active"}
        if hall_id:
            q["hall_id"] = hall_id
        if service_id:
            q["service_id"] = service_id
        return await self._schedules.find(q).to_list(None)

    async def save_schedule(self, hall_id: str, service_id: str, fields: dict[str, Any], now: dt.datetime) -> None:
        """Create or replace the schedule of a service in a hall (its version goes up)."""
        await self._schedules.update_one({"hall_id": hall_id, "service_id": service_id},
                                         {"$set": fields, "$inc": {"version": 1}, "$setOnInsert": {"created_at": now}},
                                         upsert=True)

    async def seed_schedule(self, doc: dict[str, Any]) -> None:
        """Create a schedule unless the hall already has one for the service (never overwrites)."""
        await self._schedules.update_one({"hall_id": doc["hall_id"], "service_id": doc["service_id"]},
                                         {"$setOnInsert": doc}, upsert=True)

    async def deactivate_schedules_except(self, hall_id: str, keep: list[str], now: dt.datetime) -> list[str]:
        """Every active schedule of the hall not for a service in ``keep`` becomes inactive.
        Returns the services of all the hall's inactive schedules."""
        await self._schedules.update_many({"hall_id": hall_id, "service_id": {"$nin": keep}, "status": "active"},
                                          {"$set": {"status": "inactive", "updated_at": now}, "$inc": {"version": 1}})
        docs = await self._schedules.find({"hall_id": hall_id, "status": "inactive"}, {"service_id": 1}).to_list(None)
        return [d["service_id"] for d in docs]

    async def hall_exceptions(self, hall_id: str, since: str | None = None) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"hall_id": hall_id}
        if since:
            q["date"] = {"$gte": since}
        return await self._exceptions.find(q).sort("date", ASCENDING).to_list(None)

    async def exceptions_on(self, hall_id: str, date: str) -> list[dict[str, Any]]:
        return await self._exceptions.find({"hall_id": hall_id, "date": date}).to_list(None)

    async def save_exception(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Set the exception of a hall (and service) on a date; returns it as stored."""
        key = {"hall_id": doc["hall_id"], "date": doc["date"], "service_id": doc["service_id"]}
        await self._exceptions.update_one(key, {"$set": doc}, upsert=True)
        return await self._exceptions.find_one(key)

    # == slots =====================================================================================
    async def slot(self, slot_id: str | ObjectId) -> dict[str, Any] | None:
        """A slot without its claims (the counters say how many)."""
        o = oid(slot_id)
        return None if o is None else await self._slots.find_one({"_id": o}, {"claims": 0})

    async def slot_with_claims(self, slot_id: str | ObjectId) -> dict[str, Any] | None:
        o = oid(slot_id)
        return None if o is None else await self._slots.find_one({"_id": o})

    async def day_slots(self, hall_id: str, service_id: str, date: str) -> list[dict[str, Any]]:
        return await self._slots.find({"hall_id": hall_id, "service_id": service_id, "date": date},
                                      {"claims": 0}).to_list(None)

    async def apply_slot_plan(self, new: list[dict[str, Any]], changed: list[tuple[ObjectId, dict[str, Any]]],
                              retired: list[ObjectId]) -> int:
        """Write a day's plan: insert new slots (never twice, even from two processes at once),
        set the planned fields of changed ones (``free`` recomputed from the same document), and
        retire those off the plan. Returns how many slots it wrote."""
        ops: list[UpdateOne] = []
        for doc in new:
            ops.append(UpdateOne({"hall_id": doc["hall_id"], "service_id": doc["service_id"], "start": doc["start"]},
                                 {"$setOnInsert": doc}, upsert=True))
        for slot_id, fields in changed:
            ops.append(UpdateOne({"_id": slot_id}, [{"$set": {
                **fields, "free": {"$subtract": [fields["capacity"], {"$add": ["$booked", "$held"]}]}}}]))
        for slot_id in retired:
            ops.append(UpdateOne({"_id": slot_id}, {"$set": {"status": "retired"}}))
        if not ops:
            return 0
        try:
            await self._slots.bulk_write(ops, ordered=False)
        except BulkWriteError as e:  # another process inserted the same slots at the same instant
            if any(w.get("code") != 11000 for w in e.details.get("writeErrors", [])):
                raise
        return len(ops)

    async def retire_future_slots(self, hall_id: str, service_ids: list[str], from_date: str) -> None:
        """Slots of withdrawn schedules are no longer offered (bookings in them stay valid)."""
        if service_ids:
            await self._slots.update_many({"hall_id": hall_id, "service_id": {"$in": service_ids},
                                           "date": {"$gte": from_date}, "status": "open"},
                                          {"$set": {"status": "retired"}})

    async def released_slots(self, service_id: str, date: str, now: dt.datetime,
                             hall_id: str | None = None) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"service_id": service_id, "date": date, "status": "open", "release_at": {"$lte": now}}
        if hall_id:
            q["hall_id"] = hall_id
        return await self._slots.find(q, {"claims": 0}).sort([("start", ASCENDING), ("hall_id", ASCENDING)]) \
            .to_list(None)

    async def hall_slots_between(self, hall_id: str, from_: str, to: str) -> list[dict[str, Any]]:
        return await self._slots.find({"hall_id": hall_id, "date": {"$gte": from_, "$lte": to}}, {"claims": 0}) \
            .sort([("start", ASCENDING), ("hall_id", ASCENDING)]).to_list(None)

    async def count_open_slots(self, hall_id: str, date: str, service_id: str | None = None) -> int:
        q: dict[str, Any] = {"hall_id": hall_id, "date": date, "status": "open"}
        if service_id:
            q["service_id"] = service_id
        return await self._slots.count_documents(q)

    async def take_place(self, slot_id: ObjectId, appt_id: ObjectId, now: dt.datetime) -> bool:
        """The booking's one contended write: take a free place if there is one."""
        res = await self._slots.update_one(
            {"_id": slot_id, "status": "open", "free": {"$gt": 0}, "release_at": {"$lte": now}},
            {"$inc": {"free": -1, "booked": 1}, "$push": {"claims": appt_id}})
        return res.modified_count == 1

    async def take_held_place(self, slot_id: ObjectId, waitlist_id: str, appt_id: ObjectId, now: dt.datetime) -> bool:
        res = await self._slots.update_one(
            {"_id": slot_id, "holds": {"$elemMatch": {"w": waitlist_id, "until": {"$gt": now}}}},
            {"$pull": {"holds": {"w": waitlist_id}}, "$inc": {"held": -1, "booked": 1}, "$push": {"claims": appt_id}})
        return res.modified_count == 1

    async def has_claim(self, slot_id: ObjectId, appt_id: ObjectId) -> bool:
        return await self._slots.count_documents({"_id": slot_id, "claims": appt_id}) > 0

    async def release_claim(self, slot_id: ObjectId, appt_id: ObjectId, *, hold_for: dict[str, Any] | None) -> bool:
        """Give a booked place back: to a waitlist hold when one is given, else to everyone."""
        if hold_for:
            update = {"$pull": {"claims": appt_id}, "$push": {"holds": hold_for}, "$inc": {"booked": -1, "held": 1}}
        else:
            update = {"$pull": {"claims": appt_id}, "$inc": {"booked": -1, "free": 1}}
        res = await self._slots.update_one({"_id": slot_id, "claims": appt_id}, update)
        return res.modified_count == 1

    async def release_hold(self, slot_id: ObjectId, waitlist_id: str, *, hold_for: dict[str, Any] | None,
                           only_expired_at: dt.datetime | None = None) -> bool:
        """A waitlist hold ends: it passes to ``hold_for`` (no moment when the place is free), or
        the place goes back to everyone."""
        match: dict[str, Any] = {"w": waitlist_id}
        if only_expired_at is not None:
            match["until"] = {"$lte": only_expired_at}
        q = {"_id": slot_id, "holds": {"$elemMatch": match}}
        if hold_for:
            res = await self._slots.update_one(q, {"$set": {"holds.$": hold_for}})
        else:
            res = await self._slots.update_one(q, {"$pull": {"holds": {"w": waitlist_id}}, "$inc": {"held": -1, "free": 1}})
        return res.modified_count == 1

    async def future_slots_with_holds(self, from_date: str) -> list[dict[str, Any]]:
        return await self._slots.find({"date": {"$gte": from_date}, "holds.0": {"$exists": True}},
                                      {"claims": 0}).to_list(None)

    async def recount(self, slot_id: ObjectId) -> None:
        """Counters from the sets they count (one atomic pipeline update)."""
        await self._slots.update_one({"_id": slot_id}, [{"$set": {
            "booked": {"$size": "$claims"}, "held": {"$size": "$holds"},
            "free": {"$subtract": ["$capacity", {"$add": [{"$size": "$claims"}, {"$size": "$holds"}]}]}}}])

    # == appointments ==============================================================================
    async def insert_appointment(self, doc: dict[str, Any]) -> None:
        """Insert a new appointment; its unique keys are the person rules (``KeyTaken`` says which)."""
        try:
            await self._appointments.insert_one(doc)
        except DuplicateKeyError as e:
            raise _taken(e) from None

    async def delete_pending(self, appt_id: ObjectId) -> None:
        """Undo an insert whose booking found no place."""
        await self._appointments.delete_one({"_id": appt_id, "status": "pending"})

    async def appointment(self, appt_id: str | ObjectId) -> dict[str, Any] | None:
        o = oid(appt_id)
        return None if o is None else await self._appointments.find_one({"_id": o})

    async def by_code(self, code: str) -> dict[str, Any] | None:
        return await self._appointments.find_one({"code": code})

    async def user_appointments(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return await self._appointments.find({"user_id": user_id, "status": {"$ne": "abandoned"}}) \
            .sort("start", DESCENDING).limit(limit).to_list(None)

    async def hall_day_appointments(self, hall_id: str, date: str) -> list[dict[str, Any]]:
        return await self._appointments.find({"hall_id": hall_id, "date": date,
                                              "status": {"$nin": ["pending", "abandoned"]}}) \
            .sort("start", ASCENDING).to_list(None)

    async def count_booked(self, hall_id: str, date: str, service_id: str | None = None) -> int:
        q: dict[str, Any] = {"hall_id": hall_id, "date": date, "status": "booked"}
        if service_id:
            q["service_id"] = service_id
        return await self._appointments.count_documents(q)

    async def count_same_service_day(self, user_id: str, service_id: str, date: str) -> int:
        """Bookings of this person for this service on this day that still count."""
        return await self._appointments.count_documents({"user_id": user_id, "service_id": service_id, "date": date,
                                                         "svc_key": _STR})

    async def count_open(self, user_id: str) -> int:
        return await self._appointments.count_documents({"user_id": user_id, "open_key": _STR})

    async def holds_slot(self, user_id: str, slot_id: str) -> bool:
        return await self._appointments.count_documents({"slot_key": f"{user_id}:{slot_id}"}) > 0

    async def set_status(self, appt_id: ObjectId, from_: str | tuple[str, ...], to: str, *, now: dt.datetime,
                         unset: tuple[str, ...] = (), extra: dict[str, Any] | None = None,
                         session: Any = None) -> dict[str, Any] | None:
        """The one guarded state change of an appointment: only from the expected status."""
        froms = [from_] if isinstance(from_, str) else list(from_)
        update: dict[str, Any] = {"$set": {"status": to, "updated_at": now, f"at.{to}": now, **(extra or {})}}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        return await self._appointments.find_one_and_update({"_id": appt_id, "status": {"$in": froms}}, update,
                                                            return_document=ReturnDocument.AFTER, session=session)

    async def set_ticket_number(self, appt_id: ObjectId, number: str, session: Any = None) -> None:
        await self._appointments.update_one({"_id": appt_id}, {"$set": {"ticket_number": number}}, session=session)

    async def mark_place_released(self, appt_id: ObjectId) -> None:
        await self._appointments.update_one({"_id": appt_id, "place_released": False},
                                            {"$set": {"place_released": True}})

    async def mark_no_show_recorded(self, appt_id: ObjectId, session: Any = None) -> None:
        await self._appointments.update_one({"_id": appt_id}, {"$set": {"no_show_recorded": True}}, session=session)

    async def ended_unattended(self, now: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
        """Booked appointments whose slot ended without a check-in."""
        return await self._appointments.find({"status": "booked", "end": {"$lte": now}}).limit(limit).to_list(None)

    async def unrecorded_no_shows(self, limit: int = 500) -> list[dict[str, Any]]:
        return await self._appointments.find({"status": "no_show", "no_show_recorded": False}).limit(limit).to_list(None)

    async def stale_pending(self, before: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
        return await self._appointments.find({"status": "pending", "created_at": {"$lte": before}}) \
            .limit(limit).to_list(None)

    async def places_to_release(self, limit: int = 500) -> list[dict[str, Any]]:
        """Cancelled or abandoned appointments whose place has not been given back yet."""
        return await self._appointments.find({"status": {"$in": ["cancelled", "abandoned"]},
                                              "place_released": False}).limit(limit).to_list(None)

    async def reminders_due(self, now: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
        return await self._appointments.find({"remind_at": {"$gte": EPOCH, "$lte": now}}) \
            .sort("remind_at", ASCENDING).limit(limit).to_list(None)

    async def next_reminder(self, appt_id: ObjectId, was: dt.datetime, remaining: list[int],
                            at: dt.datetime | None) -> None:
        """Move the appointment's reminder on (or end it), unless something else moved it meanwhile."""
        update: dict[str, Any] = {"$set": {"reminders": remaining}}
        if at is None:
            update["$unset"] = {"remind_at": ""}
        else:
            update["$set"]["remind_at"] = at
        await self._appointments.update_one({"_id": appt_id, "remind_at": was}, update)

    # == people ====================================================================================
    async def person(self, user_id: str) -> dict[str, Any] | None:
        return await self._people.find_one({"_id": user_id})

    async def add_no_show(self, user_id: str, entry: dict[str, Any], session: Any = None) -> dict[str, Any]:
        """Record a no-show once (by appointment) and return the person's record."""
        await self._people.update_one({"_id": user_id}, {"$addToSet": {"no_shows": entry}}, upsert=True,
                                      session=session)
        return await self._people.find_one({"_id": user_id}, session=session)

    async def block_person(self, user_id: str, until: dt.datetime, reason: str, now: dt.datetime,
                           session: Any = None) -> None:
        await self._people.update_one({"_id": user_id}, {"$set": {
            "blocked_until": until, "blocked_reason": reason, "blocked_at": now}}, session=session)

    # == waitlist ==================================================================================
    async def waitlist_entry(self, entry_id: str | ObjectId) -> dict[str, Any] | None:
        o = oid(entry_id)
        return None if o is None else await self._waitlist.find_one({"_id": o})

    async def insert_waitlist(self, doc: dict[str, Any]) -> ObjectId:
        """Join a waitlist; ``KeyTaken`` when the person already waits for that slot."""
        try:
            res = await self._waitlist.insert_one(doc)
        except DuplicateKeyError as e:
            raise _taken(e) from None
        return res.inserted_id

    async def first_waiting(self, slot_id: str, *, besides: str | None = None) -> dict[str, Any] | None:
        q: dict[str, Any] = {"slot_id": slot_id, "status": "waiting"}
        if besides:
            q["_id"] = {"$ne": oid(besides)}
        return await self._waitlist.find_one(q, sort=[("created_at", ASCENDING), ("_id", ASCENDING)])

    async def count_ahead(self, slot_id: str, created_at: dt.datetime) -> int:
        return await self._waitlist.count_documents({"slot_id": slot_id, "status": {"$in": ["waiting", "offered"]},
                                                     "created_at": {"$lt": created_at}})

    async def user_waitlist(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return await self._waitlist.find({"user_id": user_id}).sort("created_at", DESCENDING).limit(limit).to_list(None)

    async def mark_offered(self, entry_id: ObjectId, until: dt.datetime, now: dt.datetime,
                           session: Any = None) -> bool:
        res = await self._waitlist.update_one({"_id": entry_id, "status": "waiting"},
                                              {"$set": {"status": "offered", "offer_until": until, "offered_at": now}},
                                              session=session)
        return res.modified_count == 1

    async def expire_offer(self, entry_id: str, now: dt.datetime) -> None:
        await self._waitlist.update_one({"_id": oid(entry_id), "status": "offered", "offer_until": {"$lte": now}},
                                        {"$set": {"status": "expired"}, "$unset": {"active_key": ""}})

    async def mark_accepted(self, entry_id: ObjectId, appt_id: str) -> None:
        await self._waitlist.update_one({"_id": entry_id, "status": "offered"},
                                        {"$set": {"status": "accepted", "appointment_id": appt_id},
                                         "$unset": {"active_key": ""}})

    async def mark_left(self, entry_id: ObjectId, from_status: str) -> bool:
        res = await self._waitlist.update_one({"_id": entry_id, "status": from_status},
                                              {"$set": {"status": "left"}, "$unset": {"active_key": ""}})
        return res.modified_count == 1

    # == tickets ===================================================================================
    async def next_seq(self, key: str, session: Any = None) -> int:
        """The next number of a ticket sequence (run it in the ticket's transaction)."""
        await self._counters.update_one({"_id": key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": key}, session=session)
        return int(doc["seq"])

    async def insert_ticket(self, doc: dict[str, Any], session: Any = None) -> ObjectId:
        res = await self._tickets.insert_one(doc, session=session)
        return res.inserted_id

    async def ticket(self, ticket_id: str | ObjectId) -> dict[str, Any] | None:
        o = oid(ticket_id)
        return None if o is None else await self._tickets.find_one({"_id": o})

    async def appointment_ticket(self, appt_id: str) -> dict[str, Any] | None:
        return await self._tickets.find_one({"appointment_id": appt_id})

    async def hall_day_tickets(self, hall_id: str, date: str) -> list[dict[str, Any]]:
        return await self._tickets.find({"hall_id": hall_id, "date": date}).sort("order", ASCENDING).to_list(None)

    async def count_waiting_before(self, t: dict[str, Any]) -> int:
        """Waiting tickets of the same hall, day and area that come before ``t``."""
        return await self._tickets.count_documents({"hall_id": t["hall_id"], "date": t["date"], "prefix": t["prefix"],
                                                    "status": "waiting", "order": {"$lt": t["order"]}})

    async def first_waiting_ticket(self, hall_id: str, date: str, service_ids: list[str]) -> dict[str, Any] | None:
        return await self._tickets.find_one({"hall_id": hall_id, "date": date, "status": "waiting",
                                             "service_id": {"$in": service_ids}},
                                            sort=[("order", ASCENDING), ("_id", ASCENDING)])

    async def change_ticket(self, ticket_id: ObjectId, from_status: str, changes: dict[str, Any], *,
                            inc: dict[str, int] | None = None, extra_filter: dict[str, Any] | None = None) -> bool:
        """The guarded state change of a ticket: only from ``from_status``."""
        update: dict[str, Any] = {"$set": changes}
        if inc:
            update["$inc"] = inc
        res = await self._tickets.update_one({"_id": ticket_id, "status": from_status, **(extra_filter or {})}, update)
        return res.modified_count == 1

    # == figures ===================================================================================
    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._appointments, "status")
