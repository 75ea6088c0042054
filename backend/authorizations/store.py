"""Every query of grants (帮办代办授权)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.authorizations.values import GranteeKind, GrantStatus
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec("authorizations", indexes=(
        IndexModel([("grantor_id", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("grantee.type", ASCENDING), ("grantee.id", ASCENDING), ("grantor_id", ASCENDING)]),
    ), validator={"$jsonSchema": {
        "bsonType": "object",
        "required": ["grantor_id", "grantee", "status", "created_at", "expires_at"],
        "properties": {"status": {"enum": [str(GrantStatus.ACTIVE), str(GrantStatus.REVOKED)]},
                       "grantee": {"bsonType": "object", "required": ["type", "id"],
                                   "properties": {"type": {"enum": [str(k) for k in GranteeKind]}}}},
    }}, doc="Residents' grants to a member of staff or another resident to act for them (帮办代办)."),
]



class GrantStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["authorizations"]

    async def add(self, doc: dict[str, Any]) -> ObjectId:
        oid: ObjectId = (await self._col.insert_one(doc)).inserted_id
        return oid

    async def get(self, grant_id: str) -> dict[str, Any] | None:
        oid = object_id(grant_id)
        return None if oid is None else await self._col.find_one({"_id": oid})

    async def of_grantor(self, grantor_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return await self._col.find({"grantor_id": grantor_id}).sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def to_grantee(self, kind: str, grantee_id: str, *, grantor_id: str | None = None,
                         limit: int = 100) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"grantee.type": kind, "grantee.id": grantee_id}
        if grantor_id is not None:
            q["grantor_id"] = grantor_id
        return await self._col.find(q).sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def revoke(self, grant_id: ObjectId, grantor_id: str, now: dt.datetime) -> bool:
        """An active grant revoked by its grantor, once."""
        res = await self._col.update_one({"_id": grant_id, "grantor_id": grantor_id, "status": str(GrantStatus.ACTIVE)},
                                         {"$set": {"status": str(GrantStatus.REVOKED), "revoked_at": now}})
        return res.modified_count == 1
