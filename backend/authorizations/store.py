"""Every query of grants (帮办代办授权)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.authorizations.values import (
    CodeUse,
    Grant,
    Grantee,
    GranteeKind,
    Grantor,
    GrantStatus,
    ScannedCode,
    ServiceRef,
)
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
    CollectionSpec("identity_code_uses", indexes=(IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),),
                   doc="Each 办事码 used: the clerk it is bound to and the one filing it made; kept a day "
                       "past the code's expiry (a code is never valid again by then)."),
]
# How long a code's use is kept after the code expires: long enough that a valid code always has it.
KEEP_USE = dt.timedelta(days=1)


def _use(d: dict[str, Any]) -> CodeUse:
    return CodeUse(code_id=d["_id"], user_id=d["user_id"], staff_id=d["staff_id"], filing=d.get("filing"),
                   case_id=d.get("case_id"))



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
        self._uses = db["identity_code_uses"]

    # -- 办事码 uses ---------------------------------------------------------------------------------

    async def code_use(self, code_id: str) -> CodeUse | None:
        d = await self._uses.find_one({"_id": code_id})
        return None if d is None else _use(d)

    async def bind_code(self, code: ScannedCode, staff_id: str) -> CodeUse:
        """Bind the code to this clerk unless another holds it; the use as it stands."""
        try:
            await self._uses.insert_one({"_id": code.id, "user_id": code.user_id, "staff_id": staff_id,
                                         "filing": None, "case_id": None, "purge_at": code.expires_at + KEEP_USE})
            return CodeUse(code_id=code.id, user_id=code.user_id, staff_id=staff_id)
        except DuplicateKeyError:
            held = await self.code_use(code.id)
            assert held is not None  # a duplicate exists (purged only a day after the code expired)
            return held

    async def file_with_code(self, code: ScannedCode, staff_id: str, filing: str, case_id: str,
                             session: Any) -> bool:
        """Record the filing the code made, in the case's transaction: one conditional upsert, so
        that only the clerk holding it (or the first to file, for a code nobody scanned) and only
        one filing can; False when the code is held by another clerk or made another filing."""
        try:
            await self._uses.update_one(
                {"_id": code.id, "staff_id": staff_id, "filing": None},
                {"$set": {"filing": filing, "case_id": case_id},
                 "$setOnInsert": {"user_id": code.user_id, "purge_at": code.expires_at + KEEP_USE}},
                upsert=True, session=session)
        except DuplicateKeyError:
            return False
        return True

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
