"""Every catalogue query. Codes are unique; ids are ObjectIds."""
from __future__ import annotations

import asyncio
import re
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.core.ids import object_id
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
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["code", "name", "department_id", "guide", "status"],
                                  "properties": {"status": _STATUS, "guide": {"bsonType": "object"}}}},
        doc="Service items (事项) with their guides (办事指南)."),
]


class CatalogueStore:
    def __init__(self, db: AsyncDatabase):
        self._departments = db["departments"]
        self._halls = db["halls"]
        self._services = db["services"]

    # -- by id ---------------------------------------------------------------------------------

    async def department(self, department_id: str) -> dict[str, Any] | None:
        o = object_id(department_id)
        return None if o is None else await self._departments.find_one({"_id": o})

    async def hall(self, hall_id: str) -> dict[str, Any] | None:
        o = object_id(hall_id)
        return None if o is None else await self._halls.find_one({"_id": o})

    async def service(self, service_id: str) -> dict[str, Any] | None:
        o = object_id(service_id)
        return None if o is None else await self._services.find_one({"_id": o})

    async def halls_by_ids(self, hall_ids: list[str]) -> list[dict[str, Any]]:
        oids = [o for o in map(object_id, hall_ids) if o is not None]
        return await self._halls.find({"_id": {"$in": oids}}).to_list(None) if oids else []

    async def services_by_ids(self, service_ids: list[str]) -> list[dict[str, Any]]:
        oids = [o for o in map(object_id, service_ids) if o is not None]
        return await self._services.find({"_id": {"$in": oids}}).to_list(None) if oids else []

    # -- writing -------------------------------------------------------------------------------

    async def add_department(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Insert; raises DuplicateKeyError when the code is taken. The same goes for halls and services."""
        res = await self._departments.insert_one(doc)
        return {**doc, "_id": res.inserted_id}

    async def add_hall(self, doc: dict[str, Any]) -> dict[str, Any]:
        res = await self._halls.insert_one(doc)
        return {**doc, "_id": res.inserted_id}

    async def add_service(self, doc: dict[str, Any]) -> dict[str, Any]:
        res = await self._services.insert_one(doc)
        return {**doc, "_id": res.inserted_id}

    async def change_hall(self, hall_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes``; the hall as it now is, or None when there is no such hall."""
        o = object_id(hall_id)
        if o is None or (await self._halls.update_one({"_id": o}, {"$set": changes})).matched_count == 0:
            return None
        return await self._halls.find_one({"_id": o})

    async def change_service(self, service_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        o = object_id(service_id)
        if o is None or (await self._services.update_one({"_id": o}, {"$set": changes})).matched_count == 0:
            return None
        return await self._services.find_one({"_id": o})

    # -- demo seeding: insert once by code, never overwrite what staff changed since --------------

    async def seed_department(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await self._seed(self._departments, doc)

    async def seed_hall(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await self._seed(self._halls, doc)

    async def seed_service(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await self._seed(self._services, doc)

    async def seed_hall_windows(self, hall_code: str, windows: list[dict[str, Any]]) -> None:
        """Give a hall its windows unless it already has some."""
        await self._halls.update_one({"code": hall_code, "windows": []}, {"$set": {"windows": windows}})

    @staticmethod
    async def _seed(col: Any, doc: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(10):
            try:
                await col.update_one({"code": doc["code"]}, {"$setOnInsert": doc}, upsert=True)
                found = await col.find_one({"code": doc["code"]})
                if found is not None:
                    return found
            except DuplicateKeyError:  # another process seeded it at the same instant: match it next time
                pass
            await asyncio.sleep(0.05 * (attempt + 1))
        raise RuntimeError(f"could not seed {doc['code']}")

    # -- lists ---------------------------------------------------------------------------------

    async def list_departments(self) -> list[dict[str, Any]]:
        return await self._departments.find({}).sort("code", ASCENDING).to_list(None)

    async def list_halls(self, *, include_inactive: bool = False) -> list[dict[str, Any]]:
        q = {} if include_inactive else {"status": "active"}
        return await self._halls.find(q).sort("code", ASCENDING).to_list(None)

    async def list_services(self, *, department_id: str | None = None, hall_id: str | None = None,
                            q: str | None = None, frequent: bool | None = None,
                            include_inactive: bool = False) -> list[dict[str, Any]]:
        query: dict[str, Any] = {} if include_inactive else {"status": "active"}
        # Every value is a plain string compared for equality, or an escaped literal pattern.
        if department_id is not None:
            query["department_id"] = department_id
        if hall_id is not None:
            query["hall_ids"] = hall_id
        if frequent is not None:
            query["frequent"] = frequent
        if q:
            pattern = re.escape(q)
            query["$or"] = [{"name": {"$regex": pattern}}, {"keywords": {"$regex": pattern}}]
        return await self._services.find(query).sort("code", ASCENDING).to_list(None)
