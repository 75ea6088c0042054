"""Every query of cases (``applications``), their serial counters, ratings and rectification orders.

The service above never sees a collection: it asks this module for what it needs by name. Every
change of a case is conditional on the status and version it was read with; a change of a
rectification order is conditional on its previous status.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.cases.values import OPEN, CaseMove, CaseRef, CaseStatus, PromiseTimes, RectificationStatus
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec, count_by

STATUSES = [str(s) for s in CaseStatus]
_OPEN = [str(s) for s in OPEN]

COLLECTIONS = [
    CollectionSpec("cases", indexes=(
        IndexModel([("serial", ASCENDING)], unique=True),
        IndexModel([("applicant_id", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("status", ASCENDING), ("department_id", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("light", ASCENDING), ("department_id", ASCENDING)]),
        IndexModel([("rating_remind_at", ASCENDING)]),
        IndexModel([("light_due_at", ASCENDING)]),
        # Deadlines counted on a year whose official holiday schedule was not entered yet: few, and
        # read once when it is entered.
        IndexModel([("deadline_provisional", ASCENDING)], name="deadline_provisional",
                   partialFilterExpression={"deadline_provisional": True}),
        # Open 容缺 promises: the reminder job and the staff's list of (overdue) promises.
        IndexModel([("promise_remind_at", ASCENDING)], name="promise_remind_at"),
        IndexModel([("promise_due_at", ASCENDING)], name="promise_due_at"),
        # The cases of a 一件事 (only those have a bundle_id).
        IndexModel([("bundle_id", ASCENDING)], name="bundle_id", sparse=True),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["serial", "service_id", "applicant_id", "status", "version", "timeline"],
                                  "properties": {"status": {"enum": STATUSES}, "version": {"bsonType": "int"}}}},
        doc="Cases (办件) with their timeline; status changes are conditional on status and version."),
    CollectionSpec("case_counters", doc="Per-day serial numbers of cases (办件编号), gap-free."),
    CollectionSpec("ratings", indexes=(IndexModel([("application_id", ASCENDING)], unique=True),
                                       IndexModel([("department_id", ASCENDING), ("created_at", DESCENDING)])),
                   validator={"$jsonSchema": {"bsonType": "object", "required": ["application_id", "score"],
                                              "properties": {"score": {"bsonType": "int", "minimum": 1,
                                                                       "maximum": 5}}}},
                   doc="Ratings (好差评): one per finished case."),
    CollectionSpec("rectifications", indexes=(IndexModel([("status", ASCENDING), ("due", ASCENDING)]),
                                              IndexModel([("application_id", ASCENDING)], unique=True)),
                   doc="Rectification orders (整改) opened by a 1–2 rating."),
    CollectionSpec("submission_claims", indexes=(IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),),
                   doc="One claim per resident submission (its Idempotency-Key, and its content for a few "
                       "minutes), written with the case or bundle it made: the unique _id makes a repeat "
                       "answer the first result."),
]

_NO_BULK = {"timeline": 0, "form": 0}  # what periodic jobs and figures never need
# The lower bound of "due" ranges: the index holds every case, those with nothing due as null,
# and a range open below would walk all of those first.
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


class RatingExists(Exception):
    """The case has a rating already (the unique index on ``application_id`` said so)."""


class AlreadyClaimed(Exception):
    """A submission with this claim was made already and is still within its window."""



class CaseStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._cases = db["cases"]
        self._counters = db["case_counters"]
        self._ratings = db["ratings"]
        self._rects = db["rectifications"]
        self._claims = db["submission_claims"]

    # Cases ----------------------------------------------------------------------------------------
    async def next_serial_number(self, day_key: str, session: Any) -> int:
        """The next number of the day, in the caller's transaction (so a failed submission gives
        its number back and the day's serials stay gap-free)."""
        await self._counters.update_one({"_id": day_key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": day_key}, session=session)
        if doc is None:  # the upsert above wrote it in this transaction
            raise RuntimeError(f"case counter {day_key} not found after its increment")
        return int(doc["seq"])

    async def insert_case(self, doc: dict[str, Any], session: Any) -> ObjectId:
        oid: ObjectId = (await self._cases.insert_one(doc, session=session)).inserted_id
        return oid

    async def case(self, case_id: Any, *, brief: bool = False) -> dict[str, Any] | None:
        """The case, or None; ``brief`` leaves out its timeline and form."""
        oid = object_id(case_id)
        return None if oid is None else await self._cases.find_one({"_id": oid}, _NO_BULK if brief else None)

    async def open_case_of(self, applicant_id: str, service_id: str) -> dict[str, Any] | None:
        """The newest case of this person for this service still being handled, or None."""
        return await self._cases.find_one({"applicant_id": applicant_id, "service_id": service_id,
                                           "status": {"$in": _OPEN}}, _NO_BULK,
                                          sort=[("created_at", DESCENDING)])

    async def bundle_accepted_before(self, bundle_id: str, case_id: ObjectId, session: Any) -> bool:
        """Whether another case of this 一件事 was accepted already (read in the caller's transaction)."""
        return await self._cases.count_documents({"bundle_id": bundle_id, "_id": {"$ne": case_id},
                                                  "timeline.status": "accepted"}, limit=1, session=session) > 0

    async def case_by_serial(self, serial: str) -> dict[str, Any] | None:
        return await self._cases.find_one({"serial": serial})

    async def case_ref(self, case_id: Any) -> CaseRef | None:
        """What other domains may know of the case, or None."""
        doc = await self.case(case_id, brief=True)
        return None if doc is None else _ref_from_doc(doc)

    async def case_ref_by_serial(self, serial: str) -> CaseRef | None:
        doc = await self._cases.find_one({"serial": serial}, _NO_BULK)
        return None if doc is None else _ref_from_doc(doc)

    async def move_case(self, case_id: ObjectId, *, was: str, version: int, move: CaseMove,
                        session: Any) -> dict[str, Any] | None:
        """Take one step of the state machine only if the case is still at ``was``/``version``;
        the case after it, or None when someone else moved it first."""
        res = await self._cases.update_one({"_id": case_id, "status": was, "version": version}, _move_update(move),
                                           session=session)
        if res.modified_count != 1:
            return None
        return await self._cases.find_one({"_id": case_id}, session=session)

    async def replace_materials(self, case_id: ObjectId, *, version: int, statuses: tuple[str, ...],
                                materials: list[dict[str, Any]], at: dt.datetime,
                                promises: PromiseTimes | None = None, session: Any = None) -> bool:
        """Replace a case's materials (staff judging them, promised ones supplied) if it is still
        that version, in one of ``statuses``; with them the times of its open promises when given."""
        sets: dict[str, Any] = {"materials": materials, "updated_at": at}
        if promises is not None:
            sets.update(_promise_fields(promises))
        filt = {"_id": case_id, "version": version, "status": {"$in": [str(x) for x in statuses]}}
        res = await self._cases.update_one(filt, {"$set": sets, "$inc": {"version": 1}}, session=session)
        return res.modified_count == 1

    async def promises_due_for_reminder(self, now: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
        """Cases whose open 容缺 promise is due to be reminded (``promise_remind_at`` passed)."""
        return await self._cases.find({"promise_remind_at": {"$gte": _EPOCH, "$lte": now}}, _NO_BULK) \
            .limit(limit).to_list(limit)

    async def clear_promise_reminder(self, case_id: ObjectId, was: dt.datetime) -> None:
        await self._cases.update_one({"_id": case_id, "promise_remind_at": was}, {"$set": {"promise_remind_at": None}})

    async def cases_with_open_promises(self, *, overdue_at: dt.datetime | None, before: ObjectId | None,
                                       limit: int) -> list[dict[str, Any]]:
        """Cases with an open 容缺 promise (due before ``overdue_at`` when given), newest first."""
        filt: dict[str, Any] = {"promise_due_at": {"$gte": _EPOCH, **({"$lt": overdue_at} if overdue_at else {})}}
        if before is not None:
            filt["_id"] = {"$lt": before}
        return await self._cases.find(filt).sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def cases_of_applicant(self, applicant_id: str, *, before: ObjectId | None,
                                 limit: int) -> list[dict[str, Any]]:
        return await self._page({"applicant_id": applicant_id}, before, limit)

    async def cases_of_applicants(self, applicant_ids: list[str], *, before: ObjectId | None,
                                  limit: int) -> list[dict[str, Any]]:
        if not applicant_ids:
            return []
        return await self._page({"applicant_id": {"$in": sorted(set(applicant_ids))}}, before, limit)

    async def cases_for_staff(self, *, status: str | None = None, statuses: tuple[str, ...] = (),
                              department_id: str | None = None, light: str | None = None,
                              before: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        filt: dict[str, Any] = {}
        if status:
            filt["status"] = status
        elif statuses:
            filt["status"] = {"$in": [str(x) for x in statuses]}
        if department_id:
            filt["department_id"] = department_id
        if light:
            filt["light"] = light
        return await self._page(filt, before, limit)

    async def _page(self, filt: dict[str, Any], before: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        if before is not None:
            filt = {**filt, "_id": {"$lt": before}}
        return await self._cases.find(filt).sort("_id", DESCENDING).limit(limit).to_list(limit)

    def cases_due_for_light(self, now: dt.datetime) -> AsyncIterator[dict[str, Any]]:
        """Cases whose supervision light is due to change (``light_due_at`` is when it next does;
        None while the clock is stopped or the case is finished)."""
        return self._cases.find({"light_due_at": {"$gte": _EPOCH, "$lte": now}}, _NO_BULK).sort("light_due_at",
                                                                                                ASCENDING)

    def open_cases_without_light_plan(self) -> AsyncIterator[dict[str, Any]]:
        return self._cases.find({"status": {"$in": _OPEN}, "light_due_at": {"$exists": False}}, _NO_BULK)

    def provisional_deadlines(self) -> AsyncIterator[dict[str, Any]]:
        """Cases whose deadline was counted on a provisional year (the partial index holds only those)."""
        return self._cases.find({"deadline_provisional": True}, _NO_BULK)

    async def move_deadline(self, case_id: ObjectId, *, was: dt.datetime, deadline: dt.datetime, provisional: bool,
                            light_due_at: dt.datetime | None) -> bool:
        """Replace a deadline counted again on the official calendar, if it is still the one read."""
        sets: dict[str, Any] = {"deadline": deadline, "light_due_at": light_due_at}
        update: dict[str, Any] = {"$set": sets}
        if provisional:
            sets["deadline_provisional"] = True
        else:
            update["$unset"] = {"deadline_provisional": ""}
        res = await self._cases.update_one({"_id": case_id, "deadline": was, "deadline_provisional": True}, update)
        return res.modified_count == 1

    async def set_light(self, case_id: ObjectId, *, was: str | None, due: dt.datetime | None, light: str | None,
                        next_due: dt.datetime | None, unplanned: bool = False) -> bool:
        """Set the light and when it is next due, if neither changed since they were read."""
        filt: dict[str, Any] = {"_id": case_id, "light": was}
        filt["light_due_at"] = {"$exists": False} if unplanned else due
        res = await self._cases.update_one(filt, {"$set": {"light": light, "light_due_at": next_due}})
        return res.modified_count == 1

    def due_rating_reminders(self, now: dt.datetime) -> AsyncIterator[dict[str, Any]]:
        """Finished cases whose rating reminder is due (``rating_remind_at`` is set when a case
        finishes and cleared by a rating or the reminder)."""
        return self._cases.find({"rating_remind_at": {"$gte": _EPOCH, "$lte": now}}, _NO_BULK)

    async def clear_rating_reminder(self, case_id: ObjectId, session: Any = None) -> None:
        await self._cases.update_one({"_id": case_id}, {"$unset": {"rating_remind_at": ""}}, session=session)

    def handling_figures(self) -> AsyncIterator[dict[str, Any]]:
        """Status, light, department and times of every case (for the supervision summary)."""
        return self._cases.find({}, {"status": 1, "light": 1, "department_id": 1, "deadline": 1,
                                     "completed_at": 1, "created_at": 1})

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._cases, "status")

    # Submission claims --------------------------------------------------------------------------
    async def claim_submission(self, claim: dict[str, Any], *, taken_before: dt.datetime, session: Any) -> None:
        """Write ``claim`` (keyed by its ``_id``) in the caller's transaction, replacing one taken
        before ``taken_before`` (its window over); ``AlreadyClaimed`` when a newer one holds it.
        One atomic upsert: two requests at once cannot both claim."""
        fields = {k: v for k, v in claim.items() if k != "_id"}
        try:
            await self._claims.update_one({"_id": claim["_id"], "created_at": {"$lt": taken_before}},
                                          {"$set": fields}, upsert=True, session=session)
        except DuplicateKeyError:
            raise AlreadyClaimed() from None

    async def submission_claim(self, claim_id: str) -> dict[str, Any] | None:
        return await self._claims.find_one({"_id": claim_id})

    # Ratings ----------------------------------------------------------------------------------------
    async def add_rating(self, rating: dict[str, Any], session: Any) -> ObjectId:
        try:
            oid: ObjectId = (await self._ratings.insert_one(rating, session=session)).inserted_id
            return oid
        except DuplicateKeyError:
            raise RatingExists() from None

    async def is_rated(self, application_id: str) -> bool:
        return await self._ratings.count_documents({"application_id": application_id}, limit=1) > 0

    async def latest_ratings(self, limit: int) -> list[dict[str, Any]]:
        return await self._ratings.find({}).sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def rating_totals_by_department(self) -> dict[str, tuple[int, int]]:
        """department id → (number of ratings, sum of scores)."""
        cursor = await self._ratings.aggregate([{"$group": {"_id": "$department_id", "n": {"$sum": 1},
                                                            "sum": {"$sum": "$score"}}}])
        return {g["_id"]: (int(g["n"]), int(g["sum"])) async for g in cursor}

    # Rectification orders ----------------------------------------------------------------------------
    async def open_rectification(self, doc: dict[str, Any], session: Any) -> ObjectId:
        oid: ObjectId = (await self._rects.insert_one(doc, session=session)).inserted_id
        return oid

    async def rectification(self, rect_id: Any) -> dict[str, Any] | None:
        oid = object_id(rect_id)
        return None if oid is None else await self._rects.find_one({"_id": oid})

    async def rectifications(self, status: str | None, limit: int = 500) -> list[dict[str, Any]]:
        return await self._rects.find({"status": status} if status else {}).sort("due", ASCENDING).to_list(limit)

    async def reply_rectification(self, rect_id: Any, *, reply: str, at: dt.datetime,
                                  by: str) -> dict[str, Any] | None:
        """An open order answered; the order after it, or None when it was not open."""
        return await self._move_rectification(rect_id, RectificationStatus.OPEN, RectificationStatus.REPLIED,
                                              {"reply": reply, "replied_at": at, "replied_by": by})

    async def close_rectification(self, rect_id: Any, *, note: str | None,
                                  at: dt.datetime) -> dict[str, Any] | None:
        """An answered order closed; the order after it, or None when it was not answered."""
        return await self._move_rectification(rect_id, RectificationStatus.REPLIED, RectificationStatus.CLOSED,
                                              {"closed_at": at, "close_note": note})

    async def _move_rectification(self, rect_id: Any, was: RectificationStatus, to: RectificationStatus,
                                  fields: dict[str, Any]) -> dict[str, Any] | None:
        oid = object_id(rect_id)
        if oid is None:
            return None
        res = await self._rects.update_one({"_id": oid, "status": str(was)}, {"$set": {"status": str(to), **fields}})
        if res.modified_count != 1:
            return None
        return await self._rects.find_one({"_id": oid})


def _promise_fields(p: PromiseTimes) -> dict[str, Any]:
    return {"promise_due_at": p.due_at, "promise_remind_at": p.remind_at}


def _move_update(move: CaseMove) -> dict[str, Any]:
    """The one update of a step: its status and timeline entry, and what else it changes."""
    step = move.step
    entry = {"status": str(step.status), "at": step.at, "note": step.note,
             "actor": {"type": step.actor.type, "id": step.actor.id, "name": step.actor.name}}
    sets: dict[str, Any] = {"status": str(move.to), "updated_at": step.at, "light_due_at": move.light_due_at}
    unsets: dict[str, Any] = {}
    if move.form is not None:
        sets["form"] = move.form
    if move.materials is not None:
        sets["materials"] = move.materials
    if move.promises is not None:
        sets.update(_promise_fields(move.promises))
    if move.refusal is not None:
        sets["rejection_reason"], outcome = move.refusal
        sets["outcome"] = None if outcome is None else str(outcome)
    if move.correction is not None:
        c = move.correction
        sets["correction"] = {"missing": list(c.missing), "materials": list(c.materials),
                              "due": c.due.isoformat(), "requested_at": c.requested_at}
        sets["paused_at"] = c.requested_at  # the time limit stops while the resident corrects
    if move.resumed:
        unsets.update({"paused_at": "", "correction": ""})
    if move.deadline is not None:
        sets["deadline"] = move.deadline.at
        if move.deadline.provisional:
            sets["deadline_provisional"] = True
    if move.decided_at is not None:
        sets["decided_at"] = move.decided_at
    if move.completed_at is not None:
        sets["completed_at"] = move.completed_at
    if move.rating_remind_at is not None:
        sets["rating_remind_at"] = move.rating_remind_at
    update: dict[str, Any] = {"$set": sets, "$inc": {"version": 1}, "$push": {"timeline": entry}}
    if unsets:
        update["$unset"] = unsets
    return update


def _ref_from_doc(doc: dict[str, Any]) -> CaseRef:
    return CaseRef(id=str(doc["_id"]), serial=str(doc["serial"]), applicant_id=str(doc["applicant_id"]),
                   service_id=str(doc["service_id"]), service_name=str(doc.get("service_name") or ""),
                   department_id=doc.get("department_id"), status=str(doc["status"]),
                   outcome=doc.get("outcome") if doc["status"] == CaseStatus.REJECTED else None)


async def rename_applications_collection(db: AsyncDatabase) -> None:
    """Cases were stored as ``applications`` by earlier versions: the collection takes the one name
    the code uses (``cases``), with its documents and indexes. Runs before the schema is ensured, so
    ``cases`` does not exist yet unless a start died after creating it empty."""
    names = set(await db.list_collection_names())
    if "applications" not in names:
        return
    if "cases" in names:
        if await db["cases"].estimated_document_count():
            raise RuntimeError("both applications and cases hold documents: merge them by hand")
        await db["cases"].drop()
    await db.client.admin.command({"renameCollection": f"{db.name}.applications", "to": f"{db.name}.cases"})

