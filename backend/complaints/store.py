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

from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec

STATUSES = ["received", "assigned", "replied", "closed"]
OPEN = ("received", "assigned")

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
    def __init__(self, db: AsyncDatabase):
        self._col = db["complaints"]
        self._counters = db["complaint_counters"]

    async def next_serial_number(self, day_key: str, session: Any) -> int:
        """The day's next number, inside the caller's transaction (so two submissions never share one)."""
        await self._counters.update_one({"_id": day_key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": day_key}, session=session)
        return int(doc["seq"])

    async def insert(self, doc: dict[str, Any], session: Any) -> ObjectId:
        return (await self._col.insert_one(doc, session=session)).inserted_id

    async def get(self, complaint_id: Any, session: Any = None) -> dict[str, Any] | None:
        oid = object_id(complaint_id)
        return None if oid is None else await self._col.find_one({"_id": oid}, session=session)

    async def by_serial(self, serial: str) -> dict[str, Any] | None:
        return await self._col.find_one({"serial": serial})

    async def move(self, complaint_id: ObjectId, *, status: str, version: int, update: dict[str, Any],
                   session: Any = None) -> dict[str, Any] | None:
        """Apply ``update`` only if the complaint is still at ``status``/``version``; the complaint as
        it now is, or None when someone else moved it first."""
        res = await self._col.update_one({"_id": complaint_id, "status": status, "version": version}, update,
                                         session=session)
        if res.modified_count != 1:
            return None
        return await self._col.find_one({"_id": complaint_id}, session=session)

    async def of_user(self, user_id: str, *, before: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"user_id": user_id}
        if before is not None:
            q["_id"] = {"$lt": before}
        return await self._col.find(q, {"timeline": 0}).sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def for_staff(self, *, status: str | None, department_id: str | None, light: str | None,
                        before: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        q: dict[str, Any] = {}
        if department_id is not None:
            q["department_id"] = department_id
        if status is not None:
            q["status"] = status
        if light is not None:
            q["light"] = light
        if before is not None:
            q["_id"] = {"$lt": before}
        return await self._col.find(q, {"timeline": 0}).sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def lights_due(self, now: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
        return await self._col.find({"light_at": {"$lte": now}}, {"timeline": 0, "content": 0}) \
            .sort("light_at", ASCENDING).limit(limit).to_list(limit)

    async def set_light(self, complaint_id: ObjectId, *, version: int, was: str | None, light: str,
                        light_at: dt.datetime | None) -> bool:
        """Set the light unless the complaint moved (version) or another worker set it first."""
        update: dict[str, Any] = {"$set": {"light": light}}
        if light_at is None:
            update["$unset"] = {"light_at": ""}
        else:
            update["$set"]["light_at"] = light_at
        res = await self._col.update_one({"_id": complaint_id, "version": version, "light": was}, update)
        return res.modified_count == 1

    async def provisional_dues(self) -> list[dict[str, Any]]:
        """Open complaints whose stage due time was counted on a provisional year (partial index)."""
        return await self._col.find({"due_provisional": True}, {"timeline": 0, "content": 0}).to_list(None)

    async def move_due(self, complaint_id: ObjectId, *, version: int, was: dt.datetime, stage: dict[str, Any]) -> bool:
        """Replace a stage's due time (and light) counted again, unless the complaint moved meanwhile."""
        sets = {k: v for k, v in stage.items() if v is not None}
        unset = {k: "" for k in ("light_at", "due_provisional") if stage.get(k) is None}
        update: dict[str, Any] = {"$set": sets, **({"$unset": unset} if unset else {})}
        res = await self._col.update_one({"_id": complaint_id, "version": version, "due": was}, update)
        return res.modified_count == 1

    async def closing_due(self, now: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
        return await self._col.find({"close_at": {"$lte": now}}, {"content": 0}) \
            .sort("close_at", ASCENDING).limit(limit).to_list(limit)

    async def merged_into(self, master_id: str, session: Any = None) -> list[dict[str, Any]]:
        return await self._col.find({"merged_into.id": master_id}, {"timeline": 0}, session=session).to_list(None)

    async def copy_reply(self, complaint_id: ObjectId, reply: dict[str, Any], session: Any) -> None:
        """A closed duplicate shows the reply its master got."""
        await self._col.update_one({"_id": complaint_id}, {"$set": {"reply": reply}}, session=session)

    async def figures_by_department(self) -> list[dict[str, Any]]:
        """Per department (None: answered by the hotline itself): received, replied, replied on time,
        open, feedback given, satisfied."""
        pipeline = [
            {"$match": {"merged_into": None}},
            {"$group": {
                "_id": "$department_id",
                "received": {"$sum": 1},
                "open": {"$sum": {"$cond": [{"$in": ["$status", list(OPEN)]}, 1, 0]}},
                "replied": {"$sum": {"$cond": [{"$ifNull": ["$replied_at", False]}, 1, 0]}},
                "on_time": {"$sum": {"$cond": [{"$eq": ["$on_time", True]}, 1, 0]}},
                "feedback": {"$sum": {"$cond": [{"$ifNull": ["$feedback", False]}, 1, 0]}},
                "satisfied": {"$sum": {"$cond": [{"$eq": ["$feedback.satisfied", True]}, 1, 0]}},
            }},
        ]
        return await (await self._col.aggregate(pipeline)).to_list(None)
