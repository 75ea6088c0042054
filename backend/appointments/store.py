"""Every query of the appointments domain, and its collections.

The guards that make booking safe live in the database, not in Python:
- ``appt_slots``: a slot holds the set of appointment ids it has given a place to (``claims``)
  and the waitlist offers it is holding (``holds``), with ``booked``/``held``/``free`` counters
  changed in the same single-document update. Places are taken only by ``free >= n`` → ``$inc``,
  or from a hold; a place taken from a hold keeps it in ``taken`` until the slot's next check.
- ``appointments``: the person rules are keys in ``keys`` (e.g. ``d:<user>:<date>:0``) under one
  unique index, one per rule the limits need (``BookingKeys.needed``: with the defaults the day's
  and the open bookings' keys, which imply the others). A key is there only while it counts;
  taking one is the insert itself.

Periodic work is found through ``due_at`` (appointments), ``hold_due`` and ``check_due`` (slots:
waitlist holds, and places taken lately whose bookings are to be checked): each is set
only while something is due and sits under a partial index holding just those documents, so
the sweep costs the same at a thousand bookings as at millions.

Nothing outside this module touches a collection; the services call the methods below, which
are named for what they do. See docs/secantusdb-slow-paths.md for the query shapes avoided here.
"""
from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.appointments.store_documents import (
    ACTIVE_ENTRY,
    LEGACY_KEY_FIELDS,
    KeyTaken,
    appointment_doc,
    appointment_from_doc,
    entry_from_doc,
    hold_doc,
    key_taken,
    new_slot_doc,
    slot_from_doc,
)
from backend.appointments.store_keys import PersonKeyQueries
from backend.appointments.store_queue import QueueQueries
from backend.appointments.store_schedules import ScheduleQueries
from backend.appointments.values import (
    BOOKING_KEYS,
    Appointment,
    AppointmentStatus,
    Booked,
    Hold,
    KeysUpgrade,
    Move,
    PersonRule,
    ScheduleStatus,
    Settlement,
    Slot,
    SlotCheck,
    SlotPlan,
    SlotStatus,
    TicketStatus,
    WaitlistEntry,
    WaitlistJoin,
    WaitlistStatus,
)
from backend.core.batch import Batch, BatchedLookup
from backend.core.ids import object_id as oid
from backend.db.mongo import CollectionSpec, InsertBatch, drop_indexes, find_in, insert_new, names_by_id

# A lower bound every stored time passes. SecantusDB uses a partial index for a query only when
# the query implies the index's filter by a comparison (``$type`` filters are never used for
# reads), so "has a due time" is written ``{$gte: EPOCH}`` in both.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_HAS_TIME = {"$gte": EPOCH}


def _present(field: str, bound: dict[str, Any], *, unique: bool = False, name: str | None = None) -> IndexModel:
    """An index of the documents that have ``field`` (usable by queries bounded the same way)."""
    return IndexModel([(field, ASCENDING)], unique=unique, name=name or f"{field}_present",
                      partialFilterExpression={field: bound})


COLLECTIONS = [
    CollectionSpec("appt_schedules", indexes=(
        IndexModel([("hall_id", ASCENDING), ("service_id", ASCENDING)], unique=True),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["hall_id", "service_id", "periods", "slot_minutes", "windows", "status"],
                                  "properties": {"status": {"enum": [s.value for s in ScheduleStatus]},
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
        _present("hold_due", _HAS_TIME, name="appt_slots_hold_due"),
        _present("check_due", _HAS_TIME, name="appt_slots_check_due"),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["hall_id", "service_id", "date", "start", "end", "capacity",
                                               "booked", "held", "free", "claims", "holds", "status"],
                                  "properties": {"status": {"enum": [s.value for s in SlotStatus]},
                                                 "booked": {"bsonType": "int", "minimum": 0},
                                                 "held": {"bsonType": "int", "minimum": 0}}}},
        doc="Bookable time slots with their places (claims, waitlist holds, counters)."),
    CollectionSpec("appointments", indexes=(
        IndexModel([("code", ASCENDING)], unique=True),
        IndexModel([("keys", ASCENDING)], unique=True, name="appt_person_keys",
                   partialFilterExpression={"keys": {"$type": "string"}}),
        IndexModel([("user_id", ASCENDING), ("start", DESCENDING)]),
        IndexModel([("hall_id", ASCENDING), ("date", ASCENDING)]),
        _present("due_at", _HAS_TIME, name="appt_due_at"),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["code", "user_id", "slot_id", "hall_id", "service_id", "date",
                                               "start", "end", "status", "created_at"],
                                  "properties": {"status": {"enum": [s.value for s in AppointmentStatus]}}}},
        doc="Residents' bookings; one unique index over their person keys enforces the booking limits."),
    CollectionSpec("appt_people", doc="Per-resident booking record: no-shows, block until when and why."),
    CollectionSpec("appt_waitlist", indexes=(
        IndexModel([("slot_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("date", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("active_key", ASCENDING)], unique=True, name="appt_active_key",
                   partialFilterExpression={"active_key": {"$type": "string"}}),
    ), validator={"$jsonSchema": {"bsonType": "object", "required": ["slot_id", "user_id", "status", "created_at"],
                                  "properties": {"status": {"enum": [s.value for s in WaitlistStatus]}}}},
        doc="Waitlists of full slots; the first in line is offered a freed place for a while."),
    CollectionSpec("appt_tickets", indexes=(
        IndexModel([("hall_id", ASCENDING), ("date", ASCENDING), ("number", ASCENDING)], unique=True),
        IndexModel([("hall_id", ASCENDING), ("date", ASCENDING), ("status", ASCENDING), ("order", ASCENDING)]),
        IndexModel([("appointment_id", ASCENDING)], unique=True,
                   partialFilterExpression={"appointment_id": {"$type": "string"}}),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["hall_id", "date", "number", "prefix", "service_id", "status", "order"],
                                  "properties": {"status": {"enum": [s.value for s in TicketStatus]}}}},
        doc="Queue tickets (排队号) per hall per day, from check-ins and walk-ins."),
    CollectionSpec("appt_counters", doc="Ticket number sequences per hall, day and service area."),
    CollectionSpec("appt_settings", doc="What the stored bookings were made for: the person rules they "
                                        "carry keys for (``person_keys``), so a raised limit adds the keys it needs."),
]

# Indexes earlier versions created that nothing reads any more; dropped once at start-up so
# that no write keeps paying for them.
OBSOLETE_INDEXES = {
    "appointments": ("appt_slot_key", "appt_day_key", "appt_svc_key", "appt_open_key", "slot_id_1_status_1",
                     "status_1_end_1", "appt_remind_at"),
    "appt_slots": ("date_1",),
}






@dataclass(frozen=True)
class _Take:
    """Places for ``appt_ids`` in one slot (``take_places``)."""
    slot_id: ObjectId
    appt_ids: tuple[ObjectId, ...]
    now: dt.datetime
    check_at: dt.datetime


def _take(t: _Take) -> tuple[dict[str, Any], dict[str, Any]]:
    """The conditional update that takes ``t``'s places: (filter, update)."""
    n = len(t.appt_ids)
    return ({"_id": t.slot_id, "status": "open", "free": {"$gte": n}, "release_at": {"$lte": t.now}},
            {"$inc": {"free": -n, "booked": n}, "$push": {"claims": {"$each": list(t.appt_ids)}},
             "$min": {"check_due": t.check_at}})


class AppointmentStore(ScheduleQueries, QueueQueries, PersonKeyQueries):
    def __init__(self, db: AsyncDatabase[Any]):
        self._schedules = db["appt_schedules"]
        self._exceptions = db["appt_exceptions"]
        self._slots = db["appt_slots"]
        self._appointments = db["appointments"]
        self._people = db["appt_people"]
        self._waitlist = db["appt_waitlist"]
        self._tickets = db["appt_tickets"]
        self._counters = db["appt_counters"]
        self._settings = db["appt_settings"]
        # A wave of bookings (booking.GroupCommit) asks for its slots, people, places and
        # insertions in the same turns of the event loop: each goes to the database as one command.
        self._slot_reads: BatchedLookup[ObjectId] = BatchedLookup(self._slots_by_id)
        self._people_reads: Batch[list[str], dict[str, dict[str, Any]]] = Batch(self._people_of)
        self._takes: Batch[_Take, bool] = Batch(self._take_first)
        self._appointment_inserts = InsertBatch(self._appointments)

    # == slots =====================================================================================
    async def appointment_names(self, ids: list[str]) -> dict[str, str]:
        """Bookings by their code (预约码), the audit log's names for them."""
        return await names_by_id(self._appointments, ids, ["code"], lambda d: f"预约码 {d.get('code') or ''}")

    async def ticket_names(self, ids: list[str]) -> dict[str, str]:
        return await names_by_id(self._tickets, ids, ["number", "date"],
                                 lambda d: f"{d.get('number') or ''}（{d.get('date') or ''}）")

    async def slot(self, slot_id: str | ObjectId) -> Slot | None:
        """A slot with its holds, without its claims (the counters say how many)."""
        o = oid(slot_id)
        doc = None if o is None else await self._slot_reads.get(o)
        return None if doc is None else slot_from_doc(doc)

    async def _slots_by_id(self, ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        return {d["_id"]: d async for d in find_in(self._slots, "_id", ids, {"claims": 0})}

    async def day_slots(self, hall_id: str, service_id: str, day_start: dt.datetime,
                        day_end: dt.datetime) -> list[Slot]:
        """The slots of one schedule starting within one day (a range on the unique index)."""
        docs = await self._slots.find({"hall_id": hall_id, "service_id": service_id,
                                       "start": {"$gte": day_start, "$lt": day_end}}, {"claims": 0}).to_list(None)
        return [slot_from_doc(d) for d in docs]

    async def apply_slot_plan(self, plan: SlotPlan) -> int:
        """Write a day's plan: insert new slots (never twice, even from two processes at once),
        set the planned fields of changed ones (``free`` recomputed from the same document), and
        retire those off the plan. Returns how many slots it wrote."""
        if plan.new:  # read as missing just before: inserted, not upserted (an upsert is a read and a write)
            # refused: another process inserted it at the same instant
            await insert_new(self._slots, [new_slot_doc(s) for s in plan.new])
        ops: list[UpdateOne] = []
        for c in plan.changed:
            ops.append(UpdateOne({"_id": c.slot_id}, [{"$set": {
                "capacity": c.capacity, "status": SlotStatus.OPEN.value, "release_at": c.release_at, "end": c.end,
                "free": {"$subtract": [c.capacity, {"$add": ["$booked", "$held"]}]}}}]))
        for slot_id in plan.retired:
            ops.append(UpdateOne({"_id": slot_id}, {"$set": {"status": SlotStatus.RETIRED.value}}))
        if ops:
            await self._slots.bulk_write(ops, ordered=False)
        return len(plan.new) + len(ops)

    async def retire_future_slots(self, hall_id: str, service_ids: list[str], from_date: str) -> None:
        """Slots of withdrawn schedules are no longer offered (bookings in them stay valid)."""
        if not service_ids:
            return
        docs = await self._slots.find({"hall_id": hall_id, "date": {"$gte": from_date}},
                                      {"service_id": 1, "status": 1}).to_list(None)
        ids = [d["_id"] for d in docs if d["service_id"] in service_ids and d["status"] == "open"]
        if ids:
            await self._slots.update_many({"_id": {"$in": ids}, "status": "open"}, {"$set": {"status": "retired"}})

    async def released_slots(self, service_id: str, date: str, now: dt.datetime,
                             hall_id: str | None = None) -> list[Slot]:
        docs = await self._slots.find({"service_id": service_id, "date": date}, {"claims": 0, "holds": 0}) \
            .sort([("start", ASCENDING), ("hall_id", ASCENDING)]).to_list(None)
        return [slot_from_doc(d) for d in docs if d["status"] == "open" and d["release_at"] <= now
                and (not hall_id or d["hall_id"] == hall_id)]

    async def hall_slots_between(self, hall_id: str, from_: str, to: str) -> list[Slot]:
        docs = await self._slots.find({"hall_id": hall_id, "date": {"$gte": from_, "$lte": to}},
                                      {"claims": 0, "holds": 0}) \
            .sort([("start", ASCENDING), ("hall_id", ASCENDING)]).to_list(None)
        return [slot_from_doc(d) for d in docs]

    async def count_open_slots(self, hall_id: str, date: str, service_id: str | None = None) -> int:
        docs = await self._slots.find({"hall_id": hall_id, "date": date}, {"service_id": 1, "status": 1}).to_list(None)
        return sum(1 for d in docs if d["status"] == "open" and (not service_id or d["service_id"] == service_id))

    async def take_places(self, slot_id: ObjectId, appt_ids: list[ObjectId], now: dt.datetime,
                          check_at: dt.datetime) -> int:
        """The booking's one contended write, for several bookings at once: take places for the
        first of ``appt_ids``, as many as are free, and have the slot checked at ``check_at`` at
        the latest (``check_due``: a place whose booking never got written goes back then).
        Returns how many were taken (a prefix)."""
        n = len(appt_ids)
        if n and await self._takes.submit(_Take(slot_id, tuple(appt_ids), now, check_at)):
            return n
        for _ in range(len(appt_ids) + 8):  # each miss means another writer changed the slot meanwhile
            if n <= 0:
                return 0
            res = await self._slots.update_one(*_take(_Take(slot_id, tuple(appt_ids[:n]), now, check_at)))
            if res.modified_count == 1:
                return n
            slot = await self._slots.find_one({"_id": slot_id}, {"free": 1, "status": 1, "release_at": 1})
            if slot is None or slot["status"] != "open" or slot["release_at"] > now:
                return 0
            n = min(n, slot["free"])
        return 0

    async def _take_first(self, takes: list[_Take]) -> list[bool]:
        """The first try of several ``take_places`` at once, in one command; which of them took
        their places (when not all did) is read back from the slots' claims."""
        if len(takes) == 1:
            return [(await self._slots.update_one(*_take(takes[0]))).modified_count == 1]
        res = await self._slots.bulk_write([UpdateOne(*_take(t)) for t in takes], ordered=False)
        if res.modified_count == len(takes):
            return [True] * len(takes)
        claims = {d["_id"]: set(d["claims"]) async for d in
                  self._slots.find({"_id": {"$in": list({t.slot_id for t in takes})}}, {"claims": 1})}
        return [t.appt_ids[0] in claims.get(t.slot_id, ()) for t in takes]

    async def take_held_place(self, slot_id: ObjectId, offer: Hold, appt_id: ObjectId, now: dt.datetime,
                              check_at: dt.datetime) -> bool:
        """Take the place held for a waitlist entry (unless its hold ran out), and have the slot
        checked at ``check_at`` at the latest, as ``take_places`` does. The hold it came from is
        kept with the claim (``taken``) until that check, which gives a place whose booking was
        never written back to the hold."""
        res = await self._slots.update_one(
            {"_id": slot_id, "holds": {"$elemMatch": {"w": offer.entry_id, "until": {"$gt": now}}}},
            {"$pull": {"holds": {"w": offer.entry_id}}, "$inc": {"held": -1, "booked": 1},
             "$push": {"claims": appt_id, "taken": {"a": appt_id, **hold_doc(offer)}},
             "$min": {"check_due": check_at}})
        return res.modified_count == 1

    async def has_claim(self, slot_id: ObjectId, appt_id: ObjectId) -> bool:
        return await self._slots.count_documents({"_id": slot_id, "claims": appt_id}) > 0

    async def release_claim(self, slot_id: ObjectId, appt_id: ObjectId, *, hold_for: Hold | None,
                            now: dt.datetime) -> bool:
        """Give a booked place back: to a waitlist hold when one is given (due now, so the sweep
        sends its offer should the caller not get to it), else to everyone. Happens once: only
        while the claim is there."""
        if hold_for:
            update: dict[str, Any] = {"$pull": {"claims": appt_id}, "$push": {"holds": hold_doc(hold_for)},
                                      "$inc": {"booked": -1, "held": 1},
                      "$set": {"hold_due": now}}
        else:
            update = {"$pull": {"claims": appt_id}, "$inc": {"booked": -1, "free": 1}}
        res = await self._slots.update_one({"_id": slot_id, "claims": appt_id}, update)
        return res.modified_count == 1

    async def release_hold(self, slot_id: ObjectId, waitlist_id: str, *, hold_for: Hold | None,
                           now: dt.datetime, only_expired_at: dt.datetime | None = None) -> bool:
        """A waitlist hold ends: it passes to ``hold_for`` (no moment when the place is free; due
        now for its offer), or the place goes back to everyone."""
        match: dict[str, Any] = {"w": waitlist_id}
        if only_expired_at is not None:
            match["until"] = {"$lte": only_expired_at}
        q = {"_id": slot_id, "holds": {"$elemMatch": match}}
        if hold_for:
            res = await self._slots.update_one(q, {"$set": {"holds.$": hold_doc(hold_for), "hold_due": now}})
        else:
            res = await self._slots.update_one(q, {"$pull": {"holds": {"w": waitlist_id}},
                                                   "$inc": {"held": -1, "free": 1}})
        return res.modified_count == 1

    async def slots_with_holds_due(self, now: dt.datetime, limit: int = 200) -> list[Slot]:
        docs = await self._slots.find({"hold_due": {**_HAS_TIME, "$lte": now}}, {"claims": 0}) \
            .limit(limit).to_list(None)
        return [slot_from_doc(d) for d in docs]

    async def set_hold_due(self, slot_id: ObjectId, was: dt.datetime, at: dt.datetime | None) -> None:
        """When the slot's holds need looking at next (none: no holds left), unless a hold was
        added meanwhile (which made it due now)."""
        update: dict[str, Any] = {"$unset": {"hold_due": ""}} if at is None else {"$set": {"hold_due": at}}
        await self._slots.update_one({"_id": slot_id, "hold_due": was}, update)

    async def slots_with_checks_due(self, now: dt.datetime, limit: int = 200) -> list[SlotCheck]:
        docs = await self._slots.find({"check_due": {**_HAS_TIME, "$lte": now}},
                                      {"check_due": 1, "claims": 1, "taken": 1}).limit(limit).to_list(None)
        return [SlotCheck(slot_id=d["_id"], check_due=d["check_due"], claims=tuple(d["claims"]),
                          taken={t["a"]: Hold(t["w"], t["until"]) for t in d.get("taken", [])}) for d in docs]

    async def set_check_due(self, slot_id: ObjectId, was: dt.datetime, claims: list[ObjectId],
                            at: dt.datetime | None) -> bool:
        """When the slot's places need checking next (none: all checked), unless its places
        changed since they were read (then it stays due and is looked at again)."""
        update: dict[str, Any] = {"$unset": {"check_due": "", "taken": ""}} if at is None \
            else {"$set": {"check_due": at}}
        res = await self._slots.update_one({"_id": slot_id, "check_due": was, "claims": claims}, update)
        return res.modified_count == 1

    async def recount(self, slot_id: ObjectId) -> None:
        """Counters from the sets they count (one atomic pipeline update)."""
        await self._slots.update_one({"_id": slot_id}, [{"$set": {
            "booked": {"$size": "$claims"}, "held": {"$size": "$holds"},
            "free": {"$subtract": ["$capacity", {"$add": [{"$size": "$claims"}, {"$size": "$holds"}]}]}}}])

    # == appointments ==============================================================================
    async def insert_appointments(self, appts: list[Appointment]) -> dict[int, KeyTaken]:
        """Insert new appointments in one write; returns, by position, the ones refused by a
        unique key (a person rule or, rarely, the code), every other one is in."""
        docs = [appointment_doc(a) for a in appts]
        return {i: key_taken(w) for i, w in (await self._appointment_inserts.insert(docs)).items()}

    async def delete_pending(self, appt_ids: list[ObjectId]) -> None:
        """Undo inserts whose booking found no place."""
        if appt_ids:
            await self._appointments.delete_many({"_id": {"$in": appt_ids}, "status": "pending"})

    async def mark_booked(self, appt_ids: list[ObjectId], booked: Booked) -> int:
        """pending → booked for bookings that hold a place (one write for all); returns how many."""
        res = await self._appointments.update_many(
            {"_id": {"$in": appt_ids}, "status": AppointmentStatus.PENDING.value},
            {"$set": {"status": AppointmentStatus.BOOKED.value, "updated_at": booked.at, "at.booked": booked.at,
                      "due_at": booked.at, "notes": ["booked"], "reminders": list(booked.reminders)},
             "$inc": {"v": 1}})
        return res.modified_count

    async def appointments(self, appt_ids: list[ObjectId]) -> dict[ObjectId, Appointment]:
        """The appointments of those ids that exist, by id (one ``$in`` read)."""
        if not appt_ids:
            return {}
        docs = await self._appointments.find({"_id": {"$in": appt_ids}}).to_list(None)
        return {d["_id"]: appointment_from_doc(d) for d in docs}

    async def appointment(self, appt_id: str | ObjectId) -> Appointment | None:
        o = oid(appt_id)
        doc = None if o is None else await self._appointments.find_one({"_id": o})
        return None if doc is None else appointment_from_doc(doc)

    async def by_code(self, code: str) -> Appointment | None:
        doc = await self._appointments.find_one({"code": code})
        return None if doc is None else appointment_from_doc(doc)

    async def user_appointments(self, user_id: str, limit: int = 100) -> list[Appointment]:
        docs = await self._appointments.find({"user_id": user_id, "status": {"$ne": "abandoned"}}) \
            .sort("start", DESCENDING).limit(limit).to_list(None)
        return [appointment_from_doc(d) for d in docs]

    async def hall_day_appointments(self, hall_id: str, date: str) -> list[Appointment]:
        docs = await self._appointments.find({"hall_id": hall_id, "date": date}).sort("start", ASCENDING).to_list(None)
        return [appointment_from_doc(d) for d in docs if d["status"] not in ("pending", "abandoned")]

    async def count_booked(self, hall_id: str, date: str, service_id: str | None = None) -> int:
        docs = await self._appointments.find({"hall_id": hall_id, "date": date},
                                             {"status": 1, "service_id": 1}).to_list(None)
        return sum(1 for d in docs if d["status"] == "booked" and (not service_id or d["service_id"] == service_id))

    async def booked_on(self, hall_id: str | None, dates: list[str],
                        service_ids: list[str] | None = None) -> list[Appointment]:
        """Booked appointments on ``dates`` (of one hall, or of every hall; of some services only)."""
        if not dates:
            return []
        q: dict[str, Any] = {}
        if hall_id:  # first: the clause the (hall_id, date) index serves
            q["hall_id"] = hall_id
        q["date"] = {"$in": sorted(set(dates))}
        docs = await self._appointments.find(q).to_list(None)
        return [appointment_from_doc(d) for d in docs
                if d["status"] == "booked" and (service_ids is None or d["service_id"] in service_ids)]

    async def count_same_service_day(self, user_id: str, service_id: str, date: str) -> int:
        """This person's bookings of the service on the day that still count against the rule."""
        return await self._appointments.count_documents({
            "user_id": user_id, "service_id": service_id, "date": date,
            "status": {"$in": BOOKING_KEYS.counted_in(PersonRule.SERVICE)}})

    async def count_open(self, user_id: str) -> int:
        return await self._appointments.count_documents({"user_id": user_id,
                                                         "status": {"$in": BOOKING_KEYS.counted_in(PersonRule.OPEN)}})

    async def holds_slot(self, user_id: str, slot_id: str) -> bool:
        return await self._appointments.count_documents({
            "user_id": user_id, "slot_id": slot_id,
            "status": {"$in": BOOKING_KEYS.counted_in(PersonRule.SLOT)}}) > 0

    @staticmethod
    def _move_fields(m: Move) -> tuple[dict[str, Any], list[str]]:
        """What a move sets and what it unsets in the document."""
        changes: dict[str, Any] = {"status": m.to.value, "updated_at": m.at, f"at.{m.to.value}": m.at}
        if m.release_place:
            changes["place_released"] = False
        if m.record_no_show:
            changes["no_show_recorded"] = False
        if m.clear_reminders:
            changes["reminders"] = []
        if m.cancel_reason is not None:
            changes["cancel_reason"] = m.cancel_reason
        if m.ticket is not None:
            changes["ticket_id"] = m.ticket.id
            changes["ticket_number"] = m.ticket.number
        unset: list[str] = []
        if m.keys:
            changes["keys"] = list(m.keys)
        else:
            unset.append("keys")
        if m.due_at is None:
            unset.append("due_at")
        else:
            changes["due_at"] = m.due_at
        return changes, unset

    @staticmethod
    def moved(a: Appointment, m: Move) -> Appointment:
        """The appointment ``a`` as it is once ``m`` is written (what ``move`` makes of it)."""
        return replace(
            a, status=m.to, updated_at=m.at, at={**a.at, m.to.value: m.at}, keys=m.keys, due_at=m.due_at,
            notes=tuple(sorted({*a.notes, *m.notes})), v=a.v + 1,
            place_released=False if m.release_place else a.place_released,
            no_show_recorded=False if m.record_no_show else a.no_show_recorded,
            reminders=() if m.clear_reminders else a.reminders,
            cancel_reason=a.cancel_reason if m.cancel_reason is None else m.cancel_reason,
            ticket_id=a.ticket_id if m.ticket is None else m.ticket.id,
            ticket_number=a.ticket_number if m.ticket is None else m.ticket.number)

    async def move(self, appt_id: ObjectId, m: Move, *, session: Any = None) -> bool:
        """The one guarded state change of an appointment: only from the status it was read in.
        Its notes are messages the move causes, kept in the document until the sweep has put
        them in the outbox."""
        changes, unset = self._move_fields(m)
        update: dict[str, Any] = {"$set": changes, "$inc": {"v": 1}}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        if m.notes:
            update["$addToSet"] = {"notes": {"$each": list(m.notes)}}
        res = await self._appointments.update_one({"_id": appt_id, "status": m.from_.value}, update, session=session)
        return res.modified_count == 1

    async def settle(self, appt_id: ObjectId | list[ObjectId], v: int, done: Settlement) -> int:
        """Record that what was due has been done (messages sent, place given back, ...), unless
        the appointment changed since it was read at version ``v``."""
        ids = appt_id if isinstance(appt_id, list) else [appt_id]
        changes: dict[str, Any] = {"notes": []}
        if done.place_released:
            changes["place_released"] = True
        if done.no_show_recorded:
            changes["no_show_recorded"] = True
        if done.reminders is not None:
            changes["reminders"] = list(done.reminders)
        update: dict[str, Any] = {"$set": changes, "$inc": {"v": 1}}
        if done.due_at is None:
            update["$unset"] = {"due_at": ""}
        else:
            changes["due_at"] = done.due_at
        q = {"_id": ids[0], "v": v} if len(ids) == 1 else {"_id": {"$in": ids}, "v": v}
        res = await (self._appointments.update_one(q, update) if len(ids) == 1
                     else self._appointments.update_many(q, update))
        return res.modified_count

    async def due(self, now: dt.datetime, limit: int = 200) -> list[Appointment]:
        """Appointments with something due by ``now`` (a message, a reminder, a no-show, a
        half-done booking, a place to give back), earliest first."""
        docs = await self._appointments.find({"due_at": {**_HAS_TIME, "$lte": now}}) \
            .sort("due_at", ASCENDING).limit(limit).to_list(None)
        return [appointment_from_doc(d) for d in docs]

    # == people ====================================================================================
    async def person(self, user_id: str) -> dict[str, Any] | None:
        return await self._people.find_one({"_id": user_id})

    async def people(self, user_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The booking records of several people at once (only those who have one)."""
        return await self._people_reads.submit(user_ids)

    async def _people_of(self, asked: list[list[str]]) -> list[dict[str, dict[str, Any]]]:
        docs = await find_in(self._people, "_id", sorted({u for ids in asked for u in ids})).to_list(None)
        found = {d["_id"]: d for d in docs}
        return [{u: copy.deepcopy(found[u]) for u in ids if u in found} for ids in asked]

    async def add_no_show(self, user_id: str, entry: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Record a no-show once (by appointment); returns whether it was new, and the record."""
        res = await self._people.update_one({"_id": user_id}, {"$addToSet": {"no_shows": entry}}, upsert=True)
        doc = await self._people.find_one({"_id": user_id})
        return bool(res.modified_count or res.upserted_id is not None), doc or {}

    async def block_person(self, user_id: str, until: dt.datetime, reason: str, now: dt.datetime,
                           by_appointment: str) -> None:
        """Block booking until ``until``, unless a block is already running."""
        await self._people.update_one(
            {"_id": user_id, "blocked_until": {"$not": {"$gt": now}}},
            {"$set": {"blocked_until": until, "blocked_reason": reason, "blocked_at": now,
                      "blocked_by": by_appointment}})

    # == waitlist ==================================================================================
    async def waitlist_entry(self, entry_id: str | ObjectId) -> WaitlistEntry | None:
        o = oid(entry_id)
        doc = None if o is None else await self._waitlist.find_one({"_id": o})
        return None if doc is None else entry_from_doc(doc)

    async def insert_waitlist(self, join: WaitlistJoin) -> WaitlistEntry:
        """Join a waitlist; ``KeyTaken`` when the person already waits for that slot."""
        doc: dict[str, Any] = {"slot_id": join.slot_id, "user_id": join.user_id, "hall_id": join.hall_id,
                               "service_id": join.service_id, "start": join.start, "end": join.end, "date": join.date,
                               "service_name": join.service_name, "hall_name": join.hall_name,
                               "status": WaitlistStatus.WAITING.value, "active_key": f"{join.user_id}:{join.slot_id}",
                               "created_at": join.created_at}
        try:
            res = await self._waitlist.insert_one(doc)
        except DuplicateKeyError as e:
            raise key_taken(e.details) from None
        return entry_from_doc({**doc, "_id": ObjectId(res.inserted_id)})

    async def first_waiting(self, slot_id: str, *, besides: str | None = None) -> WaitlistEntry | None:
        q: dict[str, Any] = {"slot_id": slot_id, "status": WaitlistStatus.WAITING.value}
        if besides:
            q["_id"] = {"$ne": oid(besides)}
        doc = await self._waitlist.find_one(q, sort=[("created_at", ASCENDING), ("_id", ASCENDING)])
        return None if doc is None else entry_from_doc(doc)

    async def count_ahead(self, slot_id: str, created_at: dt.datetime) -> int:
        return await self._waitlist.count_documents({"slot_id": slot_id, "status": {"$in": ACTIVE_ENTRY},
                                                     "created_at": {"$lt": created_at}})

    async def active_waitlist_on(self, hall_id: str | None, dates: list[str],
                                 service_ids: list[str] | None = None) -> list[WaitlistEntry]:
        """Waitlist entries still waiting or offered for slots on ``dates`` (of a hall, or all halls)."""
        if not dates:
            return []
        docs = await self._waitlist.find({"status": {"$in": ACTIVE_ENTRY},
                                          "date": {"$in": sorted(set(dates))}}).to_list(None)
        return [entry_from_doc(d) for d in docs if (not hall_id or d["hall_id"] == hall_id)
                and (service_ids is None or d["service_id"] in service_ids)]

    async def end_waitlist_by_centre(self, entry_id: ObjectId, from_status: WaitlistStatus, reason: str,
                                     now: dt.datetime, session: Any = None) -> bool:
        """A waiting or offered entry ends because the centre closed its day (once)."""
        res = await self._waitlist.update_one(
            {"_id": entry_id, "status": from_status.value},
            {"$set": {"status": WaitlistStatus.CANCELLED_BY_CENTRE.value, "cancel_reason": reason, "ended_at": now},
             "$unset": {"active_key": ""}}, session=session)
        return res.modified_count == 1

    async def count_active_waitlists(self, user_id: str) -> int:
        """How many waitlists the person waits on or holds an offer from (on the user index)."""
        return await self._waitlist.count_documents({"user_id": user_id, "status": {"$in": [
            WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value]}})

    async def user_waitlist(self, user_id: str, limit: int = 50) -> list[WaitlistEntry]:
        docs = await self._waitlist.find({"user_id": user_id}).sort("created_at", DESCENDING).limit(limit) \
            .to_list(None)
        return [entry_from_doc(d) for d in docs]

    async def delete_waitlist_of(self, user_id: str) -> int:
        res = await self._waitlist.delete_many({"user_id": user_id, "status": {"$nin": ["waiting", "offered"]}})
        return res.deleted_count

    async def mark_offered(self, entry_id: ObjectId, until: dt.datetime, now: dt.datetime,
                           session: Any = None) -> bool:
        res = await self._waitlist.update_one({"_id": entry_id, "status": WaitlistStatus.WAITING.value},
                                              {"$set": {"status": WaitlistStatus.OFFERED.value, "offer_until": until,
                                                        "offered_at": now}},
                                              session=session)
        return res.modified_count == 1

    async def expire_offer(self, entry_id: str, now: dt.datetime) -> None:
        await self._waitlist.update_one({"_id": oid(entry_id), "status": WaitlistStatus.OFFERED.value,
                                         "offer_until": {"$lte": now}},
                                        {"$set": {"status": WaitlistStatus.EXPIRED.value},
                                         "$unset": {"active_key": ""}})

    async def mark_accepted(self, entry_id: ObjectId, appt_id: str) -> None:
        await self._waitlist.update_one({"_id": entry_id, "status": WaitlistStatus.OFFERED.value},
                                        {"$set": {"status": WaitlistStatus.ACCEPTED.value, "appointment_id": appt_id},
                                         "$unset": {"active_key": ""}})

    async def mark_left(self, entry_id: ObjectId, from_status: WaitlistStatus) -> bool:
        res = await self._waitlist.update_one({"_id": entry_id, "status": from_status.value},
                                              {"$set": {"status": WaitlistStatus.LEFT.value},
                                               "$unset": {"active_key": ""}})
        return res.modified_count == 1

    # == upkeep and figures ========================================================================
    async def drop_obsolete_indexes(self) -> list[str]:
        """Drop the indexes of ``OBSOLETE_INDEXES`` still present; returns what was dropped."""
        dropped = []
        for name, indexes in OBSOLETE_INDEXES.items():
            col = getattr(self, {"appointments": "_appointments", "appt_slots": "_slots"}[name])
            dropped += [f"{name}.{index}" for index in await drop_indexes(col, indexes)]
        return dropped

    async def old_format_appointments(self) -> list[Appointment]:
        """Appointments written before person keys and due times (read once, when upgrading),
        with the keys their old fields stand for."""
        docs = await self._appointments.find({"v": {"$exists": False}, "status": {"$in": [
            "pending", "booked", "checked_in", "cancelled", "abandoned", "no_show"]}}).to_list(None)
        return [appointment_from_doc(d) for d in docs]

    async def upgrade(self, appt_id: ObjectId, up: KeysUpgrade) -> None:
        """Give an appointment of an earlier version person keys and a due time (once), and drop
        the fields it kept them in."""
        changes: dict[str, Any] = {"v": 0, "notes": [], "reminders": []}
        if up.keys:
            changes["keys"] = list(up.keys)
        if up.due_at is not None:
            changes["due_at"] = up.due_at
        update: dict[str, Any] = {"$set": changes, "$unset": {k: "" for k in [*LEGACY_KEY_FIELDS, "remind_at"]}}
        await self._appointments.update_one({"_id": appt_id, "v": {"$exists": False}}, update)

    async def count_due_by_status(self, now: dt.datetime) -> list[tuple[str, int]]:
        """Appointments with work due by now (a backlog: normally none), by status. Read through
        the due index, so a scrape costs the same however many appointments there are."""
        docs = await self._appointments.find({"due_at": {**_HAS_TIME, "$lte": now}}, {"status": 1}) \
            .limit(100_000).to_list(None)
        return sorted(Counter(d["status"] for d in docs).items())
