"""Every query of life events (一件事) and bundles (one application of a life event)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.bundles.values import BundleState, EventStatus
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec("life_events", indexes=(IndexModel([("status", ASCENDING), ("order", ASCENDING)]),),
                   validator={"$jsonSchema": {"bsonType": "object",
                                              "required": ["_id", "name", "services", "form", "status"],
                                              "properties": {"_id": {"bsonType": "string"},
                                                             "status": {"enum": [str(x) for x in EventStatus]}}}},
                   doc="Life events (一件事): the services one event needs and the one form that feeds them."),
    CollectionSpec("bundles", indexes=(
        IndexModel([("serial", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("check_at", ASCENDING)], name="check_due", sparse=True),  # open bundles only
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["serial", "user_id", "life_event_id", "cases", "status", "created_at"],
                                  "properties": {"status": {"enum": [str(x) for x in BundleState]}}}},
        doc="Bundles: one submission of a life event, its cases (created together or not at all) and its payment."),
    CollectionSpec("bundle_counters", doc="Per-day serial numbers of bundles (一件事编号)."),
]



class BundleStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._events = db["life_events"]
        self._col = db["bundles"]
        self._counters = db["bundle_counters"]

    # -- life events -------------------------------------------------------------------------------

    async def active_events(self) -> list[dict[str, Any]]:
        return await self._events.find({"status": EventStatus.ACTIVE.value}).sort("order", ASCENDING).to_list(None)

    async def all_events(self) -> list[dict[str, Any]]:
        return await self._events.find({}).sort("order", ASCENDING).to_list(None)

    async def event(self, event_id: str) -> dict[str, Any] | None:
        return await self._events.find_one({"_id": event_id}) if isinstance(event_id, str) else None

    async def put_event(self, doc: dict[str, Any]) -> None:
        await self._events.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def seed_event(self, doc: dict[str, Any]) -> None:
        """Insert once; never overwrite what staff changed since."""
        await self._events.update_one({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)

    # -- bundles -----------------------------------------------------------------------------------

    async def next_serial_number(self, day_key: str, session: Any) -> int:
        await self._counters.update_one({"_id": day_key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": day_key}, session=session)
        if doc is None:  # the upsert above wrote it in this transaction
            raise RuntimeError(f"bundle counter {day_key} not found after its increment")
        return int(doc["seq"])

    async def insert(self, doc: dict[str, Any], session: Any) -> None:
        await self._col.insert_one(doc, session=session)

    async def get(self, bundle_id: str) -> dict[str, Any] | None:
        oid = object_id(bundle_id)
        return None if oid is None else await self._col.find_one({"_id": oid})

    async def by_serial(self, serial: str) -> dict[str, Any] | None:
        return await self._col.find_one({"serial": serial})

    async def of_user(self, user_id: str, *, before: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"user_id": user_id}
        if before is not None:
            q["_id"] = {"$lt": before}
        return await self._col.find(q).sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def checks_due(self, now: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
        return await self._col.find({"check_at": {"$lte": now}}).sort("check_at", ASCENDING).limit(limit).to_list(limit)

    async def check_later(self, bundle_id: ObjectId, was: dt.datetime, at: dt.datetime) -> None:
        await self._col.update_one({"_id": bundle_id, "check_at": was}, {"$set": {"check_at": at}})

    async def finish(self, bundle_id: ObjectId, overall: str, now: dt.datetime, session: Any) -> bool:
        """open → done, once: the caller that flips it tells the resident."""
        done = {"status": str(BundleState.DONE), "overall": overall, "done_at": now}
        res = await self._col.update_one({"_id": bundle_id, "status": str(BundleState.OPEN)},
                                         {"$set": done, "$unset": {"check_at": ""}}, session=session)
        return res.modified_count == 1

    async def claim_payment(self, bundle_id: ObjectId, was: ObjectId | None, payment_id: ObjectId) -> bool:
        """Record the bundle's payment order, unless another one was recorded meanwhile."""
        res = await self._col.update_one({"_id": bundle_id, "payment_id": was}, {"$set": {"payment_id": payment_id}})
        return res.modified_count == 1
