"""Every catalogue query. Codes are unique; ids are ObjectIds."""
from __future__ import annotations

import asyncio
import re
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.db.mongo import CollectionSpec

_STATUS = {"enum": ["active", "inactive"]}
COLLECTIONS = [
    CollectionSpec("departments", indexes=(IndexModel([("code", ASCENDING)], unique=True),),
                   validator={"$jsonSchema": {"bsonType": "object", "required": ["code", "name"]}},
                   doc="Departments (部门) that own services."),
    CollectionSpec("halls", indexes=(IndexModel([("code", ASCENDING)], unique=True),),
                   validator={"$jsonSchema": {"bsonType": "object",
                                              "required": ["code", "name", "address", "opening_hours", "status"],
                                              "properties": {"status": _STATUS}}},
                   doc="Service halls (大厅): opening hours, closed days, windows."),
    CollectionSpec("services", indexes=(
        IndexModel([("code", ASCENDING)], unique=True),
        IndexModel([("department_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("life_events", ASCENDING)]),
    ), validator={"$jsonSchema": {"bsonType": "object", "required": ["code", "name", "department_id", "guide", "status"],
                                  "properties": {"status": _STATUS, "guide": {"bsonType": "object"}}}},
        doc="Service items (事项) with their guides (办事指南)."),
]


def oid(value: str | None) -> ObjectId | None:
    try:
        return ObjectId(value) if isinstance(value, str) else None
    except (InvalidId, TypeError):
        return None


class CatalogueStore:
    def __init__(self, db: AsyncDatabase):
        self.departments = db["departments"]
        self.halls = db["halls"]
        self.services = db["services"]

    async def get(self, kind: str, id_: str) -> dict[str, Any] | None:
        o = oid(id_)
        return None if o is None else await getattr(self, kind).find_one({"_id": o})

    async def many(self, kind: str, ids: list[str]) -> list[dict[str, Any]]:
        oids = [o for o in (oid(i) for i in ids) if o is not None]
        return await getattr(self, kind).find({"_id": {"$in": oids}}).to_list(None) if oids else []

    async def insert(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        res = await getattr(self, kind).insert_one(doc)
        return {**doc, "_id": res.inserted_id}

    async def update(self, kind: str, id_: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        o = oid(id_)
        if o is None:
            return None
        return await getattr(self, kind).find_one_and_update({"_id": o}, {"$set": changes},
                                                             return_document=ReturnDocument.AFTER)

    async def upsert_by_code(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Seed helper: insert once by code, never overwrite what staff changed since."""
        col = getattr(self, kind)
        for attempt in range(10):
            try:
                return await col.find_one_and_update({"code": doc["code"]}, {"$setOnInsert": doc}, upsert=True,
                                                     return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:  # another process seeded it at the same instant: match it next time
                await asyncio.sleep(0.05 * (attempt + 1))
        raise RuntimeError(f"could not seed {kind} {doc['code']}")

    async def list_departments(self) -> list[dict[str, Any]]:
        return await self.departments.find({}).sort("code", ASCENDING).to_list(None)

    async def list_halls(self, *, include_inactive: bool = False) -> list[dict[str, Any]]:
        q = {} if include_inactive else {"status": "active"}
        return await self.halls.find(q).sort("code", ASCENDING).to_list(None)

    async def list_services(self, *, department_id: str | None = None, hall_id: str | None = None,
                            life_event: str | None = None, q: str | None = None, frequent: bool | None = None,
                            include_inactive: bool = False) -> list[dict[str, Any]]:
        query: dict[str, Any] = {} if include_inactive else {"status": "active"}
        # Every value is a plain string compared for equality, or an escaped literal pattern.
        if department_id is not None:
            query["department_id"] = department_id
        if hall_id is not None:
            query["hall_ids"] = hall_id
        if life_event is not None:
            query["life_events"] = life_event
        if frequent is not None:
            query["frequent"] = frequent
        if q:
            pattern = re.escape(q)
            query["$or"] = [{"name": {"$regex": pattern}}, {"keywords": {"$regex": pattern}}]
        return await self.services.find(query).sort("code", ASCENDING).to_list(None)
