"""Every query of cases (``cases``), their serial counters, ratings and rectification orders.

The service above never sees a collection: it asks this module for what it needs by name. Every
change of a case is conditional on the status and version it was read with; a change of a
rectification order is conditional on its previous status.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.cases.store_trend import TrendQueries
from backend.cases.store_worklist import EPOCH, WorklistQueries
from backend.cases.values import (
    OPEN,
    Actor,
    Agent,
    AlreadyClaimed,
    BundleLink,
    Case,
    CaseMove,
    CaseRef,
    CaseStatus,
    Channel,
    Correction,
    CorrectionAsked,
    FormField,
    HandlingFigure,
    Light,
    Material,
    MaterialFile,
    MaterialLicence,
    MaterialSource,
    Outcome,
    Promise,
    PromiseStatus,
    PromiseTimes,
    Rating,
    Rectification,
    RectificationStatus,
    Replaced,
    Review,
    ReviewStatus,
    Step,
    SubmissionClaim,
)
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec, count_by, names_by_id

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
        # The supervision trend counts a period's cases by when they came, finished and fell due.
        IndexModel([("created_at", ASCENDING)], name="created_at"),
        IndexModel([("completed_at", ASCENDING)], name="completed_at"),
        IndexModel([("deadline", ASCENDING)], name="deadline"),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["serial", "service_id", "applicant_id", "status", "version", "timeline"],
                                  "properties": {"status": {"enum": STATUSES}, "version": {"bsonType": "int"}}}},
        doc="Cases (办件) with their timeline; status changes are conditional on status and version."),
    CollectionSpec("case_counters", doc="Per-day serial numbers of cases (办件编号), gap-free."),
    CollectionSpec("ratings", indexes=(IndexModel([("application_id", ASCENDING)], unique=True),
                                       IndexModel([("department_id", ASCENDING), ("created_at", DESCENDING)]),
                                       IndexModel([("created_at", ASCENDING)], name="created_at")),
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
_EPOCH = EPOCH


class RatingExists(Exception):
    """The case has a rating already (the unique index on ``application_id`` said so)."""



class CaseStore(TrendQueries, WorklistQueries):
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._cases = db["cases"]
        self._counters = db["case_counters"]
        self._ratings = db["ratings"]
        self._rects = db["rectifications"]
        self._claims = db["submission_claims"]

    # Cases ----------------------------------------------------------------------------------------
    async def case_names(self, ids: list[str]) -> dict[str, str]:
        """Cases by their serial (the audit log's names for them)."""
        return await names_by_id(self._cases, ids, ["serial"], lambda d: str(d.get("serial") or ""))

    async def next_serial_number(self, day_key: str, session: Any) -> int:
        """The next number of the day, in the caller's transaction (so a failed submission gives
        its number back and the day's serials stay gap-free)."""
        await self._counters.update_one({"_id": day_key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": day_key}, session=session)
        if doc is None:  # the upsert above wrote it in this transaction
            raise RuntimeError(f"case counter {day_key} not found after its increment")
        return int(doc["seq"])

    async def insert_case(self, case: Case, session: Any) -> None:
        await self._cases.insert_one(_case_to_doc(case), session=session)

    async def case(self, case_id: str, *, brief: bool = False) -> Case | None:
        """The case, or None; ``brief`` leaves out its timeline and form."""
        oid = object_id(case_id)
        doc = None if oid is None else await self._cases.find_one({"_id": oid}, _NO_BULK if brief else None)
        return None if doc is None else _case_from_doc(doc)

    async def open_case_of(self, applicant_id: str, service_id: str) -> Case | None:
        """The newest case of this person for this service still being handled, or None."""
        doc = await self._cases.find_one({"applicant_id": applicant_id, "service_id": service_id,
                                          "status": {"$in": _OPEN}}, _NO_BULK, sort=[("created_at", DESCENDING)])
        return None if doc is None else _case_from_doc(doc)

    async def bundle_accepted_before(self, bundle_id: str, case_id: str, session: Any) -> bool:
        """Whether another case of this 一件事 was accepted already (read in the caller's transaction)."""
        return await self._cases.count_documents({"bundle_id": bundle_id, "_id": {"$ne": ObjectId(case_id)},
                                                  "timeline.status": "accepted"}, limit=1, session=session) > 0

    async def case_by_serial(self, serial: str) -> Case | None:
        doc = await self._cases.find_one({"serial": serial})
        return None if doc is None else _case_from_doc(doc)

    async def case_ref(self, case_id: str) -> CaseRef | None:
        """What other domains may know of the case, or None."""
        case = await self.case(case_id, brief=True)
        return None if case is None else case.ref()

    async def case_ref_by_serial(self, serial: str) -> CaseRef | None:
        doc = await self._cases.find_one({"serial": serial}, _NO_BULK)
        return None if doc is None else _case_from_doc(doc).ref()

    async def move_case(self, case: Case, move: CaseMove, session: Any) -> Case | None:
        """Take one step of the state machine only if the case is still at the status and version
        it was read with; the case after it, or None when someone else moved it first."""
        oid = ObjectId(case.id)
        res = await self._cases.update_one({"_id": oid, "status": str(case.status), "version": case.version},
                                           _move_update(move), session=session)
        if res.modified_count != 1:
            return None
        doc = await self._cases.find_one({"_id": oid}, session=session)
        return None if doc is None else _case_from_doc(doc)

    async def replace_materials(self, case: Case, *, statuses: tuple[str, ...], materials: Sequence[Material],
                                at: dt.datetime, promises: PromiseTimes | None = None, session: Any = None) -> bool:
        """Replace a case's materials (staff judging them, promised ones supplied) if it is still
        the version read, in one of ``statuses``; with them the times of its open promises when given."""
        sets: dict[str, Any] = {"materials": [_material_doc(m) for m in materials], "updated_at": at}
        if promises is not None:
            sets.update(_promise_fields(promises))
        filt = {"_id": ObjectId(case.id), "version": case.version, "status": {"$in": [str(x) for x in statuses]}}
        res = await self._cases.update_one(filt, {"$set": sets, "$inc": {"version": 1}}, session=session)
        return res.modified_count == 1

    async def promises_due_for_reminder(self, now: dt.datetime, limit: int = 200) -> list[Case]:
        """Cases whose open 容缺 promise is due to be reminded (``promise_remind_at`` passed)."""
        docs = await self._cases.find({"promise_remind_at": {"$gte": _EPOCH, "$lte": now}}, _NO_BULK) \
            .limit(limit).to_list(limit)
        return [_case_from_doc(d) for d in docs]

    async def clear_promise_reminder(self, case: Case) -> None:
        """The promise reminder of ``case`` sent: cleared, unless the reminder time moved since it was read."""
        await self._cases.update_one({"_id": ObjectId(case.id), "promise_remind_at": case.promises.remind_at},
                                     {"$set": {"promise_remind_at": None}})

    async def cases_with_open_promises(self, *, overdue_at: dt.datetime | None, before: ObjectId | None,
                                       limit: int) -> list[Case]:
        """Cases with an open 容缺 promise (due before ``overdue_at`` when given), newest first."""
        filt: dict[str, Any] = {"promise_due_at": {"$gte": _EPOCH, **({"$lt": overdue_at} if overdue_at else {})}}
        return await self._page(filt, before, limit)

    async def cases_of_applicant(self, applicant_id: str, *, before: ObjectId | None, limit: int) -> list[Case]:
        return await self._page({"applicant_id": applicant_id}, before, limit)

    async def cases_of_applicants(self, applicant_ids: list[str], *, before: ObjectId | None,
                                  limit: int) -> list[Case]:
        if not applicant_ids:
            return []
        return await self._page({"applicant_id": {"$in": sorted(set(applicant_ids))}}, before, limit)

    async def cases_for_staff(self, *, status: str | None = None, statuses: tuple[str, ...] = (),
                              department_id: str | None = None, light: str | None = None,
                              before: ObjectId | None, limit: int, oldest: bool = False) -> list[Case]:
        """Staff's list of cases, newest first, or ``oldest`` first (a worklist: the cursor is then
        the last case of the page before, and the page goes on after it)."""
        filt: dict[str, Any] = {}
        if status:
            filt["status"] = status
        elif statuses:
            filt["status"] = {"$in": [str(x) for x in statuses]}
        if department_id:
            filt["department_id"] = department_id
        if light:
            filt["light"] = light
        return await self._page(filt, before, limit, oldest=oldest)

    async def _page(self, filt: dict[str, Any], before: ObjectId | None, limit: int, *,
                    oldest: bool = False) -> list[Case]:
        # The status (or applicant, or promise) clause comes first and rides its index; the cursor's
        # range on _id is checked on what that read returns.
        if before is not None:
            filt = {**filt, "_id": {"$gt" if oldest else "$lt": before}}
        docs = await self._cases.find(filt).sort("_id", ASCENDING if oldest else DESCENDING) \
            .limit(limit).to_list(limit)
        return [_case_from_doc(d) for d in docs]

    def cases_due_for_light(self, now: dt.datetime) -> AsyncIterator[Case]:
        """Cases whose supervision light is due to change (``light_due_at`` is when it next does;
        None while the clock is stopped or the case is finished)."""
        return _each(self._cases.find({"light_due_at": {"$gte": _EPOCH, "$lte": now}}, _NO_BULK)
                     .sort("light_due_at", ASCENDING))

    def open_cases_without_light_plan(self) -> AsyncIterator[Case]:
        return _each(self._cases.find({"status": {"$in": _OPEN}, "light_due_at": {"$exists": False}}, _NO_BULK))

    def provisional_deadlines(self) -> AsyncIterator[Case]:
        """Cases whose deadline was counted on a provisional year (the partial index holds only those)."""
        return _each(self._cases.find({"deadline_provisional": True}, _NO_BULK))

    async def move_deadline(self, case: Case, *, deadline: dt.datetime, provisional: bool,
                            light_due_at: dt.datetime | None) -> bool:
        """Replace a deadline counted again on the official calendar, if it is still the one read."""
        sets: dict[str, Any] = {"deadline": deadline, "light_due_at": light_due_at}
        update: dict[str, Any] = {"$set": sets}
        if provisional:
            sets["deadline_provisional"] = True
        else:
            update["$unset"] = {"deadline_provisional": ""}
        res = await self._cases.update_one({"_id": ObjectId(case.id), "deadline": case.deadline,
                                            "deadline_provisional": True}, update)
        return res.modified_count == 1

    async def set_light(self, case: Case, *, light: Light | None, next_due: dt.datetime | None,
                        unplanned: bool = False) -> bool:
        """Set the light and when it is next due, if neither changed since ``case`` was read
        (``unplanned``: it had no time to be looked at)."""
        filt: dict[str, Any] = {"_id": ObjectId(case.id), "light": None if case.light is None else str(case.light)}
        filt["light_due_at"] = {"$exists": False} if unplanned else case.light_due_at
        res = await self._cases.update_one(filt, {"$set": {"light": None if light is None else str(light),
                                                           "light_due_at": next_due}})
        return res.modified_count == 1

    def due_rating_reminders(self, now: dt.datetime) -> AsyncIterator[Case]:
        """Finished cases whose rating reminder is due (``rating_remind_at`` is set when a case
        finishes and cleared by a rating or the reminder)."""
        return _each(self._cases.find({"rating_remind_at": {"$gte": _EPOCH, "$lte": now}}, _NO_BULK))

    async def clear_rating_reminder(self, case_id: str, session: Any = None) -> None:
        await self._cases.update_one({"_id": ObjectId(case_id)}, {"$unset": {"rating_remind_at": ""}},
                                     session=session)

    async def handling_figures(self, departments: Collection[str] = ()) -> AsyncIterator[HandlingFigure]:
        """Status, light, department and times of every case, or of these departments' (for the
        supervision summary)."""
        async for d in self._cases.find(_of(departments), {"status": 1, "light": 1, "department_id": 1, "deadline": 1,
                                             "completed_at": 1, "created_at": 1}):
            yield HandlingFigure(status=CaseStatus(d["status"]), light=_light(d.get("light")),
                                 department_id=d["department_id"], deadline=d.get("deadline"),
                                 completed_at=d.get("completed_at"), created_at=d["created_at"])

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._cases, "status")

    # Submission claims --------------------------------------------------------------------------
    async def claim_submission(self, claim: SubmissionClaim, *, taken_before: dt.datetime, session: Any) -> None:
        """Write ``claim`` in the caller's transaction, replacing one taken before ``taken_before``
        (its window over); ``AlreadyClaimed`` when a newer one holds it. One atomic upsert: two
        requests at once cannot both claim."""
        fields = {"user_id": claim.user_id, "scope": claim.scope, "fingerprint": claim.fingerprint,
                  "result": dict(claim.result), "created_at": claim.created_at, "expires_at": claim.expires_at}
        try:
            await self._claims.update_one({"_id": claim.id, "created_at": {"$lt": taken_before}},
                                          {"$set": fields}, upsert=True, session=session)
        except DuplicateKeyError:
            raise AlreadyClaimed() from None

    async def submission_claim(self, claim_id: str) -> SubmissionClaim | None:
        d = await self._claims.find_one({"_id": claim_id})
        if d is None:
            return None
        return SubmissionClaim(id=str(d["_id"]), user_id=d["user_id"], scope=d["scope"], fingerprint=d["fingerprint"],
                               result={str(k): str(v) for k, v in d["result"].items()}, created_at=d["created_at"],
                               expires_at=d["expires_at"])

    # Ratings ----------------------------------------------------------------------------------------
    async def add_rating(self, rating: Rating, session: Any) -> None:
        doc: dict[str, Any] = {
            "_id": ObjectId(rating.id), "application_id": rating.application_id, "serial": rating.serial,
            "department_id": rating.department_id, "service_id": rating.service_id,
            "service_name": rating.service_name, "result": rating.result, "score": rating.score,
            "comment": rating.comment, "indicators": list(rating.indicators), "created_at": rating.created_at}
        if rating.rectification_id is not None:
            doc["rectification_id"] = rating.rectification_id
        try:
            await self._ratings.insert_one(doc, session=session)
        except DuplicateKeyError:
            raise RatingExists() from None

    async def is_rated(self, application_id: str) -> bool:
        return await self._ratings.count_documents({"application_id": application_id}, limit=1) > 0

    async def latest_ratings(self, limit: int, departments: Collection[str] = ()) -> list[Rating]:
        docs = await self._ratings.find(_of(departments)).sort("_id", DESCENDING).limit(limit).to_list(limit)
        return [_rating_from_doc(d) for d in docs]

    async def rating_totals_by_department(self, departments: Collection[str] = ()) -> dict[str, tuple[int, int]]:
        """department id → (number of ratings, sum of scores), of every department or these."""
        cursor = await self._ratings.aggregate([
            {"$match": _of(departments)},
            {"$group": {"_id": "$department_id", "n": {"$sum": 1}, "sum": {"$sum": "$score"}}}])
        return {g["_id"]: (int(g["n"]), int(g["sum"])) async for g in cursor}

    # Rectification orders ----------------------------------------------------------------------------
    async def open_rectification(self, rect: Rectification, session: Any) -> None:
        await self._rects.insert_one({
            "_id": ObjectId(rect.id), "application_id": rect.application_id, "serial": rect.serial,
            "service_name": rect.service_name, "department_id": rect.department_id,
            "applicant_id": rect.applicant_id, "score": rect.score, "comment": rect.comment,
            "status": str(rect.status), "due": rect.due, "created_at": rect.created_at}, session=session)

    async def rectification(self, rect_id: str) -> Rectification | None:
        oid = object_id(rect_id)
        doc = None if oid is None else await self._rects.find_one({"_id": oid})
        return None if doc is None else _rect_from_doc(doc)

    async def rectifications(self, status: str | None, departments: Collection[str] = (),
                             limit: int = 500) -> list[Rectification]:
        q = {**({"status": status} if status else {}), **_of(departments)}
        docs = await self._rects.find(q).sort("due", ASCENDING).to_list(limit)
        return [_rect_from_doc(d) for d in docs]

    async def reply_rectification(self, rect_id: str, *, reply: str, at: dt.datetime,
                                  by: str) -> Rectification | None:
        """An open order answered; the order after it, or None when it was not open."""
        return await self._move_rectification(rect_id, RectificationStatus.OPEN, RectificationStatus.REPLIED,
                                              {"reply": reply, "replied_at": at, "replied_by": by})

    async def close_rectification(self, rect_id: str, *, note: str | None,
                                  at: dt.datetime) -> Rectification | None:
        """An answered order closed; the order after it, or None when it was not answered."""
        return await self._move_rectification(rect_id, RectificationStatus.REPLIED, RectificationStatus.CLOSED,
                                              {"closed_at": at, "close_note": note})

    async def _move_rectification(self, rect_id: str, was: RectificationStatus, to: RectificationStatus,
                                  fields: dict[str, Any]) -> Rectification | None:
        oid = object_id(rect_id)
        if oid is None:
            return None
        res = await self._rects.update_one({"_id": oid, "status": str(was)}, {"$set": {"status": str(to), **fields}})
        if res.modified_count != 1:
            return None
        doc = await self._rects.find_one({"_id": oid})
        return None if doc is None else _rect_from_doc(doc)


def _of(departments: Collection[str]) -> dict[str, Any]:
    """The clause keeping to these departments; none: every department."""
    return {"department_id": {"$in": sorted(departments)}} if departments else {}


async def _each(cursor: AsyncCursor[dict[str, Any]]) -> AsyncIterator[Case]:
    async for doc in cursor:
        yield _case_from_doc(doc)


def _promise_fields(p: PromiseTimes) -> dict[str, Any]:
    return {"promise_due_at": p.due_at, "promise_remind_at": p.remind_at}


def _actor_doc(a: Actor) -> dict[str, Any]:
    return {"type": a.type, "id": a.id, "name": a.name}


def _step_doc(step: Step) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": str(step.status), "at": step.at, "note": step.note,
                             "actor": _actor_doc(step.actor)}
    if step.agent is not None:
        entry["agent"] = {"type": step.agent.type, "id": step.agent.id, "name_masked": step.agent.name_masked}
    return entry


def _correction_doc(c: Correction) -> dict[str, Any]:
    return {"missing": list(c.missing), "materials": list(c.materials), "due": c.due.isoformat(),
            "requested_at": c.requested_at}


def _move_update(move: CaseMove) -> dict[str, Any]:
    """The one update of a step: its status and timeline entry, and what else it changes."""
    step = move.step
    sets: dict[str, Any] = {"status": str(move.to), "updated_at": step.at, "light_due_at": move.light_due_at}
    unsets: dict[str, Any] = {}
    if move.form is not None:
        sets["form"] = move.form
    if move.materials is not None:
        sets["materials"] = [_material_doc(m) for m in move.materials]
    if move.promises is not None:
        sets.update(_promise_fields(move.promises))
    if move.refusal is not None:
        sets["rejection_reason"], outcome = move.refusal
        sets["outcome"] = None if outcome is None else str(outcome)
    if move.correction is not None:
        sets["correction"] = _correction_doc(move.correction)
        sets["paused_at"] = move.correction.requested_at  # the time limit stops while the resident corrects
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
    update: dict[str, Any] = {"$set": sets, "$inc": {"version": 1}, "$push": {"timeline": _step_doc(step)}}
    if unsets:
        update["$unset"] = unsets
    return update


def _light(value: str | None) -> Light | None:
    return None if value is None else Light(value)


def _step_from_doc(e: dict[str, Any]) -> Step:
    a = e.get("actor") or {}
    g = e.get("agent")
    return Step(status=CaseStatus(e["status"]), at=e["at"], note=e.get("note"),
                actor=Actor(type=str(a.get("type") or ""), id=str(a.get("id") or ""), name=a.get("name")),
                agent=None if not g else Agent(type=str(g["type"]), id=str(g.get("id") or ""),
                                               name_masked=str(g["name_masked"])))


def _case_from_doc(d: dict[str, Any]) -> Case:
    c = d.get("correction")
    outcome = d.get("outcome")
    channel = d.get("channel")
    return Case(
        id=str(d["_id"]), serial=str(d.get("serial") or ""), service_id=str(d["service_id"]),
        service_name=str(d.get("service_name") or ""), department_id=d.get("department_id"),
        department_name=str(d.get("department_name") or ""), applicant_id=str(d["applicant_id"]),
        status=CaseStatus(d["status"]), version=int(d["version"]),
        channel=None if channel is None else Channel(channel), form=dict(d.get("form") or {}),
        form_fields=tuple(FormField(key=f["key"], label=f["label"], type=f.get("type") or "string")
                          for f in d.get("form_fields") or []),
        materials=tuple(_material_from_doc(m) for m in d.get("materials") or ()),
        promises=PromiseTimes(due_at=d.get("promise_due_at"), remind_at=d.get("promise_remind_at")),
        promised_days=d.get("promised_days"), deadline=d.get("deadline"),
        deadline_provisional=bool(d.get("deadline_provisional")), light=_light(d.get("light")),
        light_due_at=d.get("light_due_at"), created_at=d["created_at"], updated_at=d["updated_at"],
        timeline=tuple(_step_from_doc(e) for e in d.get("timeline") or []),
        correction=None if not c else Correction(missing=tuple(c.get("missing") or ()),
                                                 materials=tuple(c.get("materials") or ()),
                                                 due=dt.date.fromisoformat(c["due"]),
                                                 requested_at=c["requested_at"]),
        paused_at=d.get("paused_at"), rejection_reason=d.get("rejection_reason"),
        outcome=None if outcome is None else Outcome(outcome), decided_at=d.get("decided_at"),
        completed_at=d.get("completed_at"), rating_remind_at=d.get("rating_remind_at"),
        bundle=None if not d.get("bundle_id") else BundleLink(id=str(d["bundle_id"]), serial=d.get("bundle_serial"),
                                                              name=d.get("bundle_name")))


def _case_to_doc(c: Case) -> dict[str, Any]:
    """A new case as stored: what is not set yet is left out (not stored as null)."""
    doc: dict[str, Any] = {
        "_id": ObjectId(c.id), "serial": c.serial, "service_id": c.service_id, "service_name": c.service_name,
        "department_id": c.department_id, "department_name": c.department_name, "applicant_id": c.applicant_id,
        "status": str(c.status), "version": c.version, "channel": None if c.channel is None else str(c.channel),
        "form": c.form, "form_fields": [{"key": f.key, "label": f.label, "type": f.type} for f in c.form_fields],
        "materials": [_material_doc(m) for m in c.materials], **_promise_fields(c.promises),
        "promised_days": c.promised_days,
        "deadline": c.deadline, "light": None if c.light is None else str(c.light), "light_due_at": c.light_due_at,
        "created_at": c.created_at, "updated_at": c.updated_at, "timeline": [_step_doc(s) for s in c.timeline]}
    if c.deadline_provisional:
        doc["deadline_provisional"] = True
    if c.correction is not None:
        doc["correction"] = _correction_doc(c.correction)
    optional = {"paused_at": c.paused_at, "rejection_reason": c.rejection_reason,
                "outcome": None if c.outcome is None else str(c.outcome), "decided_at": c.decided_at,
                "completed_at": c.completed_at, "rating_remind_at": c.rating_remind_at}
    doc.update({k: v for k, v in optional.items() if v is not None})
    if c.bundle is not None:
        doc.update({"bundle_id": c.bundle.id, "bundle_serial": c.bundle.serial, "bundle_name": c.bundle.name})
    return doc


def _actor_from_doc(a: Any) -> Actor | None:
    if not a:
        return None
    return Actor(type=str(a.get("type") or ""), id=str(a.get("id") or ""), name=a.get("name"))


def _actor_or_none(a: Actor | None) -> dict[str, Any] | None:
    return None if a is None else _actor_doc(a)


def _source(value: Any) -> MaterialSource | None:
    return MaterialSource(value) if value else None


def _files_from_doc(files: Any) -> tuple[MaterialFile, ...]:
    return tuple(MaterialFile(id=str(f["id"]), name=str(f.get("name") or ""),
                              content_type=str(f.get("content_type") or ""),
                              size_bytes=int(f.get("size_bytes") or 0), has_thumbnail=bool(f.get("has_thumbnail")))
                 for f in files or ())


def _files_doc(files: tuple[MaterialFile, ...]) -> list[dict[str, Any]]:
    return [{"id": f.id, "name": f.name, "content_type": f.content_type, "size_bytes": f.size_bytes,
             "has_thumbnail": f.has_thumbnail} for f in files]


def _licence_from_doc(x: Any) -> MaterialLicence | None:
    if not x:
        return None
    return MaterialLicence(id=str(x["id"]), type=str(x.get("type") or ""), name=str(x.get("name") or ""),
                           number=str(x.get("number") or ""), holder_masked=str(x.get("holder_masked") or ""),
                           issuer=str(x.get("issuer") or ""), expires_at=x.get("expires_at"),
                           status=str(x.get("status") or ""))


def _licence_doc(x: MaterialLicence | None) -> dict[str, Any] | None:
    if x is None:
        return None
    return {"id": x.id, "type": x.type, "name": x.name, "number": x.number, "holder_masked": x.holder_masked,
            "issuer": x.issuer, "expires_at": x.expires_at, "status": x.status}


def _review_from_doc(r: Any) -> Review | None:
    if not r:
        return None
    return Review(status=ReviewStatus(r["status"]), reason=r.get("reason"), at=r["at"], by=_actor_from_doc(r.get("by")),
                  implied=bool(r.get("implied")))


def _review_doc(r: Review | None) -> dict[str, Any] | None:
    if r is None:
        return None
    doc: dict[str, Any] = {"status": str(r.status), "reason": r.reason, "at": r.at, "by": _actor_or_none(r.by)}
    if r.implied:
        doc["implied"] = True
    return doc


def _promise_from_doc(p: Any) -> Promise | None:
    if not p:
        return None
    return Promise(status=PromiseStatus(p["status"]), due=p["due"], promised_at=p.get("promised_at"),
                   kept_at=p.get("kept_at"), waived_at=p.get("waived_at"),
                   waived_by=_actor_from_doc(p.get("waived_by")),
                   waiver_reason=p.get("waiver_reason"))


def _promise_doc(p: Promise) -> dict[str, Any]:
    doc: dict[str, Any] = {"status": str(p.status), "due": p.due, "promised_at": p.promised_at}
    optional = {"kept_at": p.kept_at, "waived_at": p.waived_at, "waived_by": _actor_or_none(p.waived_by),
                "waiver_reason": p.waiver_reason}
    doc.update({k: v for k, v in optional.items() if v is not None})
    return doc


def _replaced_from_doc(h: dict[str, Any]) -> Replaced:
    c = h.get("correction")
    return Replaced(source=_source(h.get("source")), file_ids=tuple(h.get("file_ids") or ()),
                    files=_files_from_doc(h.get("files")), licence_id=h.get("licence_id"),
                    licence=_licence_from_doc(h.get("licence")), review=_review_from_doc(h.get("review")),
                    correction=None if c is None else CorrectionAsked(requested_at=c.get("requested_at"),
                                                                      reason=c.get("reason")),
                    replaced_at=h.get("replaced_at"))


def _replaced_doc(h: Replaced) -> dict[str, Any]:
    c = h.correction
    return {"source": None if h.source is None else str(h.source), "file_ids": list(h.file_ids),
            "files": _files_doc(h.files), "licence_id": h.licence_id, "licence": _licence_doc(h.licence),
            "review": _review_doc(h.review),
            "correction": None if c is None else {"requested_at": c.requested_at, "reason": c.reason},
            "replaced_at": h.replaced_at}


def _material_from_doc(m: dict[str, Any]) -> Material:
    tolerable, provided = bool(m.get("tolerable")), bool(m.get("provided"))
    return Material(
        key=str(m["key"]), name=str(m["name"]), required=bool(m.get("required")), tolerable=tolerable,
        licence_type=m.get("licence_type"), provided=provided, source=_source(m.get("source")),
        file_ids=tuple(m.get("file_ids") or ()), files=_files_from_doc(m.get("files")),
        licence_id=m.get("licence_id"), licence=_licence_from_doc(m.get("licence")),
        promised=bool(m.get("promised", tolerable and not provided)), review=_review_from_doc(m.get("review")),
        promise=_promise_from_doc(m.get("promise")),
        history=tuple(_replaced_from_doc(h) for h in m.get("history") or ()),
        shared_from=m.get("shared_from") or None, received_by=_actor_from_doc(m.get("received_by")))


def _material_doc(m: Material) -> dict[str, Any]:
    """A case's material as stored (what it does not have is left out)."""
    doc: dict[str, Any] = {
        "key": m.key, "name": m.name, "required": m.required, "tolerable": m.tolerable,
        "licence_type": m.licence_type, "provided": m.provided, "source": None if m.source is None else str(m.source),
        "file_ids": list(m.file_ids), "files": _files_doc(m.files), "licence_id": m.licence_id,
        "licence": _licence_doc(m.licence), "promised": m.promised, "review": _review_doc(m.review)}
    if m.promise is not None:
        doc["promise"] = _promise_doc(m.promise)
    if m.history:
        doc["history"] = [_replaced_doc(h) for h in m.history]
    if m.shared_from is not None:
        doc["shared_from"] = m.shared_from
    if m.received_by is not None:
        doc["received_by"] = _actor_doc(m.received_by)
    return doc


def _rating_from_doc(d: dict[str, Any]) -> Rating:
    return Rating(id=str(d["_id"]), application_id=str(d["application_id"]), serial=str(d.get("serial") or ""),
                  department_id=str(d.get("department_id") or ""), service_id=str(d.get("service_id") or ""),
                  service_name=str(d.get("service_name") or ""), result=str(d.get("result") or ""),
                  score=int(d["score"]), comment=d.get("comment"), indicators=tuple(d.get("indicators") or ()),
                  created_at=d["created_at"], rectification_id=d.get("rectification_id"))


def _rect_from_doc(d: dict[str, Any]) -> Rectification:
    return Rectification(
        id=str(d["_id"]), application_id=str(d["application_id"]), serial=str(d["serial"]),
        service_name=str(d.get("service_name") or ""), department_id=str(d["department_id"]),
        applicant_id=str(d["applicant_id"]), score=int(d["score"]), comment=d.get("comment"),
        status=RectificationStatus(d["status"]), due=d["due"], created_at=d["created_at"], reply=d.get("reply"),
        replied_at=d.get("replied_at"), replied_by=d.get("replied_by"), closed_at=d.get("closed_at"),
        close_note=d.get("close_note"))


async def rename_applications_collection(db: AsyncDatabase[dict[str, Any]]) -> None:
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

