"""Every query of complaints (12345 工单) and their serial counter.

The periodic jobs read only what is due, through sparse indexes that hold open work alone:
``light_at`` (the moment an open complaint's light next changes) and ``close_at`` (the moment a
reply nobody answered closes). Neither grows with the complaints already closed.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.complaints.values import (
    OPEN,
    ClosedReason,
    Complaint,
    ComplaintStatus,
    DepartmentFigures,
    Feedback,
    MergedInto,
    Reply,
    Stage,
    StageDue,
    Step,
    TimelineEntry,
    Waiting,
)
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec, names_by_id, waiting_by_status

STATUSES = [s.value for s in ComplaintStatus]

COLLECTIONS = [
    CollectionSpec("complaints", indexes=(
        IndexModel([("serial", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("status", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("department_id", ASCENDING), ("status", ASCENDING), ("_id", DESCENDING)]),
        # Sparse, not partial: SecantusDB's planner uses a sparse index for these range reads and
        # ignores a partial one (measured: docs/bundles-complaints-agency.md).
        IndexModel([("light_at", ASCENDING)], name="light_due", sparse=True),
        IndexModel([("due_provisional", ASCENDING)], name="due_provisional",
                   partialFilterExpression={"due_provisional": True}),
        IndexModel([("close_at", ASCENDING)], name="close_due", sparse=True),
        IndexModel([("merged_into.id", ASCENDING)], name="merged_into", sparse=True),
    ), validator={"$jsonSchema": {
        "bsonType": "object",
        "required": ["serial", "user_id", "category", "content", "status", "version", "timeline", "created_at"],
        "properties": {"status": {"enum": STATUSES}, "version": {"bsonType": "int"}},
    }}, doc="Complaints, requests and suggestions (12345 工单); every move conditional on status and version."),
    CollectionSpec("complaint_counters", doc="Per-day serial numbers of complaints (工单号)."),
]



class ComplaintStore:
    """Reads return ``Complaint`` values; moves take the complaint as it was read and return it as
    it now is (or None when someone else moved it first)."""

    def __init__(self, db: AsyncDatabase[Any]):
        self._col = db["complaints"]
        self._counters = db["complaint_counters"]

    async def complaint_names(self, ids: list[str]) -> dict[str, str]:
        """Complaints by their serial (the audit log's names for them)."""
        return await names_by_id(self._col, ids, ["serial"], lambda d: str(d.get("serial") or ""))

    async def next_serial_number(self, day_key: str, session: Any) -> int:
        """The day's next number, inside the caller's transaction (so two submissions never share one)."""
        await self._counters.update_one({"_id": day_key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": day_key}, session=session)
        assert doc is not None  # just upserted, in the same transaction
        return int(doc["seq"])

    async def create(self, *, serial: str, user_id: str, category: str, content: str, location: str | None,
                     attachments: list[str], contact_ok: bool, contact_phone: str | None, stage: StageDue,
                     step: Step, session: Any) -> Complaint:
        """A new complaint, received and waiting for the hotline to assign it."""
        received = ComplaintStatus.RECEIVED.value
        doc: dict[str, Any] = {
            "serial": serial, "user_id": user_id, "category": category, "content": content, "location": location,
            "attachments": attachments, "contact_ok": contact_ok, "contact_phone": contact_phone,
            "status": received, "version": 1,
            "department_id": None, "department_name": None, "stage": Stage.ASSIGN.value, **_stage(stage),
            "reply": None, "feedback": None, "reopened": False, "merged_into": None,
            "created_at": step.at, "updated_at": step.at,
            "timeline": [{"status": received, "at": step.at, "note": step.note, "actor": step.actor}],
        }
        doc["_id"] = (await self._col.insert_one(doc, session=session)).inserted_id
        return _from_doc(doc)

    async def get(self, complaint_id: str, session: Any = None) -> Complaint | None:
        oid = object_id(complaint_id)
        doc = None if oid is None else await self._col.find_one({"_id": oid}, session=session)
        return None if doc is None else _from_doc(doc)

    async def by_serial(self, serial: str) -> Complaint | None:
        doc = await self._col.find_one({"serial": serial})
        return None if doc is None else _from_doc(doc)

    # Moves: each lands only if the complaint is still at the status and version it was read at,
    # and returns the complaint as it now is, or None when someone else moved it first.
    async def assign(self, c: Complaint, *, department_id: str, department_name: str, stage: StageDue,
                     step: Step, session: Any = None) -> Complaint | None:
        return await self._move(c, ComplaintStatus.ASSIGNED, step, {
            "department_id": department_id, "department_name": department_name, "stage": Stage.REPLY.value,
            "assigned_at": step.at, **_stage(stage)}, session=session)

    async def record_reply(self, c: Complaint, reply: Reply, *, on_time: bool, close_at: dt.datetime,
                           step: Step, session: Any = None) -> Complaint | None:
        return await self._move(c, ComplaintStatus.REPLIED, step, {
            "reply": _reply(reply), "replied_at": reply.at, "on_time": on_time, "stage": None, "close_at": close_at},
            session=session)

    async def reopen(self, c: Complaint, to: ComplaintStatus, *, stage: StageDue, feedback: Feedback,
                     step: Step, session: Any = None) -> Complaint | None:
        """Back to the hotline (received) or the department (assigned) after an unsatisfied first feedback."""
        return await self._move(c, to, step, {
            "first_feedback": _feedback(feedback), "reopened": True,
            "stage": (Stage.REPLY if to == ComplaintStatus.ASSIGNED else Stage.ASSIGN).value,
            "previous_reply": None if c.reply is None else _reply(c.reply), "reply": None, "replied_at": None,
            "on_time": None, **_stage(stage)},
            unset=("close_at",), session=session)

    async def close(self, c: Complaint, reason: ClosedReason, step: Step, *,
                    feedback: Feedback | None = None, session: Any = None) -> Complaint | None:
        """Closed on the resident's feedback or for want of it."""
        sets: dict[str, Any] = {"closed_reason": reason.value, "closed_at": step.at}
        if feedback is not None:
            sets["feedback"] = _feedback(feedback)
        return await self._move(c, ComplaintStatus.CLOSED, step, sets, unset=("close_at",), session=session)

    async def merge(self, c: Complaint, *, into: Complaint, step: Step, session: Any = None) -> Complaint | None:
        """Closed as a duplicate of the master complaint ``into``."""
        return await self._move(c, ComplaintStatus.CLOSED, step, {
            "merged_into": {"id": into.id, "serial": into.serial}, "closed_reason": ClosedReason.MERGED.value,
            "closed_at": step.at}, unset=("light", "light_at"), session=session)

    async def _move(self, c: Complaint, to: ComplaintStatus, step: Step, sets: dict[str, Any], *,
                    unset: tuple[str, ...] = (), session: Any = None) -> Complaint | None:
        update: dict[str, Any] = {"$set": {"status": to.value, "updated_at": step.at, **sets}, "$inc": {"version": 1},
                                  "$push": {"timeline": {"status": to.value, "at": step.at, "note": step.note,
                                                         "actor": step.actor}}}
        drop = [k for k in unset if k not in sets]
        if to not in OPEN:
            drop += [k for k in ("light", "light_at", "due", "due_provisional") if k not in sets and k not in drop]
        if drop:
            update["$unset"] = {k: "" for k in drop}
        oid = ObjectId(c.id)
        res = await self._col.update_one({"_id": oid, "status": c.status.value, "version": c.version},
                                         update, session=session)
        if res.modified_count != 1:
            return None
        doc = await self._col.find_one({"_id": oid}, session=session)
        return None if doc is None else _from_doc(doc)

    async def of_user(self, user_id: str, *, before: ObjectId | None, limit: int) -> list[Complaint]:
        q: dict[str, Any] = {"user_id": user_id}
        if before is not None:
            q["_id"] = {"$lt": before}
        return _values(await self._col.find(q, {"timeline": 0}).sort("_id", DESCENDING).limit(limit).to_list(limit))

    async def forget_contact(self, user_id: str) -> int:
        """The phone a resident left on their complaints, removed (their account is cancelled)."""
        res = await self._col.update_many({"user_id": user_id, "contact_phone": {"$ne": None}},
                                          {"$set": {"contact_phone": None, "contact_ok": False}})
        return res.modified_count

    async def waiting(self, statuses: tuple[ComplaintStatus, ...]) -> list[Waiting]:
        """Per status: how many complaints stand there, and when the oldest was received. Each count is
        on a filter that is exactly the leading field of the ``status + _id`` index."""
        return [Waiting(status=ComplaintStatus(s), count=n, oldest_at=oldest)
                for s, n, oldest in await waiting_by_status(self._col, [str(x) for x in statuses])]

    async def for_staff(self, *, status: str | None, department_id: str | None, light: str | None,
                        before: ObjectId | None, limit: int, user_ids: list[str] | None = None,
                        oldest: bool = False) -> list[Complaint]:
        """Staff's list, newest first, or ``oldest`` first (a worklist: the cursor is then the last
        complaint of the page before); ``user_ids``: the complaints of these residents (a search)."""
        q: dict[str, Any] = {}
        if user_ids is not None:
            q["user_id"] = {"$in": sorted(set(user_ids))}
        if department_id is not None:
            q["department_id"] = department_id
        if status is not None:
            q["status"] = status
        if light is not None:
            q["light"] = light
        if before is not None:
            q["_id"] = {"$gt" if oldest else "$lt": before}
        return _values(await self._col.find(q, {"timeline": 0}).sort("_id", ASCENDING if oldest else DESCENDING)
                       .limit(limit).to_list(limit))

    async def lights_due(self, now: dt.datetime, limit: int = 200) -> list[Complaint]:
        return _values(await self._col.find({"light_at": {"$lte": now}}, {"timeline": 0})
                       .sort("light_at", ASCENDING).limit(limit).to_list(limit))

    async def set_light(self, c: Complaint, *, light: str, light_at: dt.datetime | None) -> bool:
        """Set the light unless the complaint moved (version) or another worker set it first."""
        update: dict[str, Any] = {"$set": {"light": light}}
        if light_at is None:
            update["$unset"] = {"light_at": ""}
        else:
            update["$set"]["light_at"] = light_at
        res = await self._col.update_one({"_id": ObjectId(c.id), "version": c.version, "light": c.light}, update)
        return res.modified_count == 1

    async def provisional_dues(self) -> list[Complaint]:
        """Open complaints whose stage due time was counted on a provisional year (partial index)."""
        return _values(await self._col.find({"due_provisional": True}, {"timeline": 0}).to_list(None))

    async def move_due(self, c: Complaint, stage: StageDue) -> bool:
        """Replace a stage's due time (and light) counted again, unless the complaint moved meanwhile."""
        fields = _stage(stage)
        sets = {k: v for k, v in fields.items() if v is not None}
        unset = {k: "" for k in ("light_at", "due_provisional") if fields.get(k) is None}
        update: dict[str, Any] = {"$set": sets, **({"$unset": unset} if unset else {})}
        res = await self._col.update_one({"_id": ObjectId(c.id), "version": c.version, "due": c.due}, update)
        return res.modified_count == 1

    async def closing_due(self, now: dt.datetime, limit: int = 200) -> list[Complaint]:
        return _values(await self._col.find({"close_at": {"$lte": now}}, {"timeline": 0})
                       .sort("close_at", ASCENDING).limit(limit).to_list(limit))

    async def merged_into(self, master_id: str, session: Any = None) -> list[Complaint]:
        return _values(await self._col.find({"merged_into.id": master_id}, {"timeline": 0}, session=session)
                       .to_list(None))

    async def copy_reply(self, c: Complaint, reply: Reply, session: Any) -> None:
        """A closed duplicate shows the reply its master got."""
        await self._col.update_one({"_id": ObjectId(c.id)}, {"$set": {"reply": _reply(reply)}}, session=session)

    async def figures_by_department(self) -> list[DepartmentFigures]:
        """Per department (None: answered by the hotline itself): received, replied, replied on time,
        open, feedback given, satisfied."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"merged_into": None}},
            {"$group": {
                "_id": "$department_id",
                "received": {"$sum": 1},
                "open": {"$sum": {"$cond": [{"$in": ["$status", [s.value for s in OPEN]]}, 1, 0]}},
                "replied": {"$sum": {"$cond": [{"$ifNull": ["$replied_at", False]}, 1, 0]}},
                "on_time": {"$sum": {"$cond": [{"$eq": ["$on_time", True]}, 1, 0]}},
                "feedback": {"$sum": {"$cond": [{"$ifNull": ["$feedback", False]}, 1, 0]}},
                "satisfied": {"$sum": {"$cond": [{"$eq": ["$feedback.satisfied", True]}, 1, 0]}},
            }},
        ]
        return [DepartmentFigures(department_id=r["_id"], received=int(r["received"]), open=int(r["open"]),
                                  replied=int(r["replied"]), on_time=int(r["on_time"]), feedback=int(r["feedback"]),
                                  satisfied=int(r["satisfied"]))
                for r in await (await self._col.aggregate(pipeline)).to_list(None)]


def _values(docs: list[dict[str, Any]]) -> list[Complaint]:
    return [_from_doc(d) for d in docs]


def _from_doc(d: dict[str, Any]) -> Complaint:
    stage, reason, merged = d.get("stage"), d.get("closed_reason"), d.get("merged_into")
    timeline = d.get("timeline")
    return Complaint(
        id=str(d["_id"]), serial=d["serial"], user_id=str(d["user_id"]), category=d["category"],
        content=d["content"], location=d.get("location"), attachments=tuple(d.get("attachments") or ()),
        contact_ok=bool(d.get("contact_ok", False)), status=ComplaintStatus(d["status"]), version=int(d["version"]),
        created_at=d["created_at"], updated_at=d["updated_at"],
        department_id=d.get("department_id"), department_name=d.get("department_name"),
        stage=None if stage is None else Stage(stage), due=d.get("due"), light=d.get("light"),
        light_at=d.get("light_at"), due_provisional=bool(d.get("due_provisional")),
        assigned_at=d.get("assigned_at"), reply=_reply_of(d.get("reply")), replied_at=d.get("replied_at"),
        on_time=d.get("on_time"), previous_reply=_reply_of(d.get("previous_reply")),
        contact_phone=d.get("contact_phone"),
        first_feedback=_feedback_of(d.get("first_feedback")), feedback=_feedback_of(d.get("feedback")),
        reopened=bool(d.get("reopened", False)),
        merged_into=None if not merged else MergedInto(id=str(merged["id"]), serial=merged["serial"]),
        close_at=d.get("close_at"), closed_reason=None if reason is None else ClosedReason(reason),
        closed_at=d.get("closed_at"),
        timeline=None if timeline is None else tuple(
            TimelineEntry(status=ComplaintStatus(e["status"]), at=e["at"], note=e.get("note"),
                          actor=dict(e.get("actor", {}))) for e in timeline))


def _reply_of(r: dict[str, Any] | None) -> Reply | None:
    return None if not r else Reply(text=r["text"], at=r["at"], by=r["by"])


def _feedback_of(f: dict[str, Any] | None) -> Feedback | None:
    return None if not f else Feedback(satisfied=f["satisfied"], comment=f.get("comment"), at=f["at"])


def _stage(stage: StageDue) -> dict[str, Any]:
    """A stage's fields; ``due_provisional`` True or None (None unsets it where that is asked)."""
    return {"due": stage.due, "light": stage.light, **({"light_at": stage.light_at} if stage.light_at else {}),
            "due_provisional": True if stage.provisional else None}


def _reply(reply: Reply) -> dict[str, Any]:
    return {"text": reply.text, "at": reply.at, "by": reply.by}


def _feedback(feedback: Feedback) -> dict[str, Any]:
    return {"satisfied": feedback.satisfied, "comment": feedback.comment, "at": feedback.at}
