"""Every query of grants (帮办代办授权)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.authorizations.values import Grant, Grantee, GranteeKind, Grantor, GrantStatus, ServiceRef
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



def _from_doc(d: dict[str, Any]) -> Grant:
    g, gr = d["grantee"], d.get("grantor") or {}
    services = d.get("services")
    return Grant(
        id=d["_id"], grantor_id=d["grantor_id"],
        grantor=Grantor(name_masked=gr.get("name_masked") or "", id_number_masked=gr.get("id_number_masked") or ""),
        grantee=Grantee(kind=GranteeKind(g["type"]), id=g["id"], name_masked=g.get("name_masked", ""),
                        username=g.get("username")),
        service_ids=tuple(d["service_ids"]) if d.get("service_ids") is not None else None,
        services=tuple(ServiceRef(id=x["id"], name=x["name"]) for x in services) if services is not None else None,
        days=int(d["days"]), status=GrantStatus(d["status"]), created_at=d["created_at"], expires_at=d["expires_at"],
        revoked_at=d.get("revoked_at"))


def _to_doc(g: Grant) -> dict[str, Any]:
    grantee: dict[str, Any] = {"type": str(g.grantee.kind), "id": g.grantee.id}
    if g.grantee.username is not None:
        grantee["username"] = g.grantee.username
    grantee["name_masked"] = g.grantee.name_masked
    return {"_id": g.id, "grantor_id": g.grantor_id,
            "grantor": {"name_masked": g.grantor.name_masked, "id_number_masked": g.grantor.id_number_masked},
            "grantee": grantee, "service_ids": list(g.service_ids) if g.service_ids is not None else None,
            "services": [{"id": s.id, "name": s.name} for s in g.services] if g.services is not None else None,
            "days": g.days, "status": str(g.status), "created_at": g.created_at, "expires_at": g.expires_at}


class GrantStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["authorizations"]

    async def add(self, grant: Grant) -> None:
        await self._col.insert_one(_to_doc(grant))

    async def get(self, grant_id: str) -> Grant | None:
        oid = object_id(grant_id)
        doc = None if oid is None else await self._col.find_one({"_id": oid})
        return _from_doc(doc) if doc else None

    async def of_grantor(self, grantor_id: str, limit: int = 100) -> list[Grant]:
        docs = await self._col.find({"grantor_id": grantor_id}).sort("_id", DESCENDING).limit(limit).to_list(limit)
        return [_from_doc(d) for d in docs]

    async def to_grantee(self, kind: GranteeKind, grantee_id: str, *, grantor_id: str | None = None,
                         limit: int = 100) -> list[Grant]:
        q: dict[str, Any] = {"grantee.type": str(kind), "grantee.id": grantee_id}
        if grantor_id is not None:
            q["grantor_id"] = grantor_id
        return [_from_doc(d) for d in await self._col.find(q).sort("_id", DESCENDING).limit(limit).to_list(limit)]

    async def in_force_of_grantor(self, grantor_id: str, now: dt.datetime, limit: int) -> list[Grant]:
        """The grantor's grants still in force (active and not past their end), newest first."""
        docs = await self._col.find({"grantor_id": grantor_id, "status": str(GrantStatus.ACTIVE),
                                     "expires_at": {"$gt": now}}).sort("_id", DESCENDING).limit(limit).to_list(limit)
        return [_from_doc(d) for d in docs]

    async def revoke_all_of(self, user_id: str, now: dt.datetime) -> list[Grant]:
        """Every active grant a resident gave or holds, revoked (their account is cancelled); those revoked."""
        q = {"status": str(GrantStatus.ACTIVE),
             "$or": [{"grantor_id": user_id}, {"grantee.type": str(GranteeKind.RESIDENT), "grantee.id": user_id}]}
        docs = await self._col.find(q).to_list(None)
        if docs:
            await self._col.update_many({"_id": {"$in": [d["_id"] for d in docs]}, "status": str(GrantStatus.ACTIVE)},
                                        {"$set": {"status": str(GrantStatus.REVOKED), "revoked_at": now}})
        return [_from_doc(d) for d in docs]

    async def revoke(self, grant_id: ObjectId, grantor_id: str, now: dt.datetime) -> bool:
        """An active grant revoked by its grantor, once."""
        res = await self._col.update_one({"_id": grant_id, "grantor_id": grantor_id, "status": str(GrantStatus.ACTIVE)},
                                         {"$set": {"status": str(GrantStatus.REVOKED), "revoked_at": now}})
        return res.modified_count == 1
