"""Every query of e-licences: the licences residents hold (issued here or copied from the e-licence
library), the number sequence, and the record of each fetch from the library."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.ids import object_id as oid
from backend.db.mongo import CollectionSpec, count_by

COLLECTIONS = [
    CollectionSpec(
        "licences",
        indexes=(
            IndexModel([("number", ASCENDING)], unique=True),
            IndexModel([("holder_id", ASCENDING), ("_id", DESCENDING)]),
            # One licence per case that issues one; one copy per library licence per holder.
            IndexModel([("application_id", ASCENDING)], unique=True, name="one_per_case",
                       partialFilterExpression={"application_id": {"$type": "string"}}),
            IndexModel([("holder_id", ASCENDING), ("library_ref", ASCENDING)], unique=True, name="one_copy_per_holder",
                       partialFilterExpression={"library_ref": {"$type": "string"}}),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["holder_id", "type", "number", "status", "source", "content", "signature", "check_code"],
            "properties": {"status": {"enum": ["valid", "revoked"]}, "source": {"enum": ["issued", "library"]}},
        }},
        doc="E-licences (电子证照) residents hold: signed content, status; issued here or copied from the library.",
    ),
    CollectionSpec("licence_counters", doc="Number sequence of the licences issued here, per type and year."),
    CollectionSpec("licence_fetches",
                   indexes=(IndexModel([("user_id", ASCENDING), ("at", DESCENDING)]),),
                   doc="Each query of the e-licence library: for whom, when, why, and what came back."),
]



class LicenceStore:
    def __init__(self, db: AsyncDatabase):
        self._col = db["licences"]
        self._counters = db["licence_counters"]
        self._fetches = db["licence_fetches"]

    async def get(self, licence_id: str) -> dict[str, Any] | None:
        o = oid(licence_id)
        return None if o is None else await self._col.find_one({"_id": o})

    async def many(self, licence_ids: list[str]) -> list[dict[str, Any]]:
        oids = [o for o in (oid(i) for i in licence_ids) if o is not None]
        return await self._col.find({"_id": {"$in": oids}}).to_list(None) if oids else []

    async def by_number(self, number: str) -> dict[str, Any] | None:
        return await self._col.find_one({"number": number})

    async def by_case(self, application_id: str, session: Any = None) -> dict[str, Any] | None:
        return await self._col.find_one({"application_id": application_id}, session=session)

    async def held_by(self, holder_id: str, *, before: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        filt: dict[str, Any] = {"holder_id": holder_id}
        if before is not None:
            filt["_id"] = {"$lt": before}
        return await self._col.find(filt).sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def library_copies(self, holder_id: str) -> dict[str, dict[str, Any]]:
        docs = await self._col.find({"holder_id": holder_id, "source": "library"}).to_list(None)
        return {d["library_ref"]: d for d in docs}

    async def next_number(self, key: str, session: Any) -> int:
        """The next number of a sequence, inside the caller's transaction (gap-free)."""
        await self._counters.update_one({"_id": key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": key}, session=session)
        return int(doc["seq"])

    async def insert(self, doc: dict[str, Any], session: Any = None) -> dict[str, Any]:
        res = await self._col.insert_one(doc, session=session)
        return {**doc, "_id": res.inserted_id}

    async def refresh_copy(self, licence_id: ObjectId, signature_before: str, fields: dict[str, Any]) -> bool:
        """Update a library copy (new status, new dates) if nobody changed it meanwhile."""
        res = await self._col.update_one({"_id": licence_id, "signature": signature_before}, {"$set": fields})
        return res.modified_count == 1

    async def revoke(self, licence_id: ObjectId, now: dt.datetime, reason: str, by: str) -> bool:
        res = await self._col.update_one({"_id": licence_id, "status": "valid"},
                                         {"$set": {"status": "revoked", "revoked_at": now, "revoke_reason": reason,
                                                   "revoked_by": by}})
        return res.modified_count == 1

    async def note_use(self, licence_ids: list[ObjectId], holder_id: str, application_id: str,
                       session: Any = None) -> int:
        """Record that these licences were presented for a case (用证记录)."""
        res = await self._col.update_many({"_id": {"$in": licence_ids}, "holder_id": holder_id},
                                          {"$addToSet": {"used_in": application_id}}, session=session)
        return res.matched_count

    async def record_fetch(self, entry: dict[str, Any]) -> None:
        await self._fetches.insert_one(entry)

    async def fetches_of(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return await self._fetches.find({"user_id": user_id}).sort("at", DESCENDING).limit(limit).to_list(limit)

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._col, "status")
