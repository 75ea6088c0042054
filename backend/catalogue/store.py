"""Every catalogue query. Codes are unique; ids are ObjectIds."""
from __future__ import annotations

import asyncio
import datetime as dt
import re
from enum import StrEnum
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.catalogue import guides
from backend.catalogue.values import (
    Department,
    Guide,
    Hall,
    HallChange,
    HallStatus,
    Service,
    ServiceChange,
    ServiceFilter,
    ServiceStatus,
)
from backend.core.ids import object_id
from backend.core.recent import Recent
from backend.db.mongo import CollectionSpec, names_by_id

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


def _department(d: dict[str, Any]) -> Department:
    return Department(id=str(d["_id"]), code=d["code"], name=d["name"], phone=d.get("phone"),
                      created_at=d.get("created_at"))


def _hall(h: dict[str, Any]) -> Hall:
    return Hall(id=str(h["_id"]), code=h["code"], name=h["name"], address=h["address"],
                opening_hours=tuple(h["opening_hours"]), status=HallStatus(h["status"]), phone=h.get("phone"),
                closed_dates=tuple(h.get("closed_dates", [])), open_dates=tuple(h.get("open_dates", [])),
                windows=tuple(h.get("windows", [])), notice=h.get("notice"), created_at=h.get("created_at"),
                updated_at=h.get("updated_at"))


def _hall_doc(h: Hall) -> dict[str, Any]:
    doc: dict[str, Any] = {"code": h.code, "name": h.name, "address": h.address,
                           "opening_hours": list(h.opening_hours), "closed_dates": list(h.closed_dates),
                           "windows": list(h.windows), "status": str(h.status), "created_at": h.created_at}
    for key, value in (("phone", h.phone), ("notice", h.notice)):
        if value is not None:
            doc[key] = value
    if h.open_dates:
        doc["open_dates"] = list(h.open_dates)
    return doc


def _service(s: dict[str, Any]) -> Service:
    return Service(id=str(s["_id"]), code=s["code"], name=s["name"], department_id=s["department_id"],
                   guide=guides.read(s["guide"]), status=ServiceStatus(s["status"]),
                   hall_ids=tuple(s.get("hall_ids", [])),
                   keywords=tuple(s.get("keywords", [])), frequent=s.get("frequent", False),
                   high_assurance=s.get("high_assurance", False), created_at=s.get("created_at"),
                   updated_at=s.get("updated_at"))


def _service_doc(s: Service) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "department_id": s.department_id, "hall_ids": list(s.hall_ids),
            "keywords": list(s.keywords), "frequent": s.frequent, "high_assurance": s.high_assurance,
            "guide": guides.document(s.guide),
            "status": str(s.status),
            "created_at": s.created_at, "updated_at": s.updated_at}


def _changes(change: HallChange | ServiceChange) -> dict[str, Any]:
    """The fields a change sets (those given), as stored."""
    out: dict[str, Any] = {}
    for name in change.__dataclass_fields__:
        value = getattr(change, name)
        if value is None:
            continue
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, StrEnum):
            value = str(value)
        elif isinstance(value, Guide):
            value = guides.document(value)
        out[name] = value
    return out


class CatalogueStore:
    """Departments and services are read on every home page and every guide: they are kept for
    ``recent_seconds`` (``backend.core.recent``). Halls are always read afresh: a closure or a
    change of hours must hold for the very next booking."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], *, recent_seconds: float = 0.0):
        self._departments = db["departments"]
        self._halls = db["halls"]
        self._services = db["services"]
        self._recent: Recent[Any] = Recent(recent_seconds)
        self.recent_seconds = recent_seconds
        self.writes = 0   # this process's writes of departments and services, so views built from them know

    # -- by id ---------------------------------------------------------------------------------

    async def hall_names(self, ids: list[str]) -> dict[str, str]:
        return await names_by_id(self._halls, ids, ["name"], lambda d: str(d.get("name") or ""))

    async def service_names(self, ids: list[str]) -> dict[str, str]:
        return await names_by_id(self._services, ids, ["name"], lambda d: str(d.get("name") or ""))

    async def department(self, department_id: str) -> Department | None:
        return next((d for d in await self.list_departments() if d.id == department_id), None)

    async def hall(self, hall_id: str) -> Hall | None:
        o = object_id(hall_id)
        h = None if o is None else await self._halls.find_one({"_id": o})
        return None if h is None else _hall(h)

    def _written(self) -> None:
        self.writes += 1
        self._recent.clear()

    async def service(self, service_id: str) -> Service | None:
        o = object_id(service_id)
        if o is None:
            return None

        async def load() -> Service | None:
            s = await self._services.find_one({"_id": o})
            return None if s is None else _service(s)
        found: Service | None = await self._recent.get(("service", o), load)
        return found

    async def known_halls(self, hall_ids: list[str]) -> set[str]:
        """Which of these ids are halls."""
        oids = [o for o in map(object_id, hall_ids) if o is not None]
        return {str(h["_id"]) for h in await self._halls.find({"_id": {"$in": oids}}, {"_id": 1}).to_list(None)} \
            if oids else set()

    async def known_departments(self, department_ids: list[str]) -> set[str]:
        """Which of these ids are departments."""
        oids = [o for o in map(object_id, department_ids) if o is not None]
        return {str(d["_id"]) for d in await self._departments.find({"_id": {"$in": oids}}, {"_id": 1})
                .to_list(None)} if oids else set()

    async def known_services(self, service_ids: list[str]) -> set[str]:
        """Which of these ids are services."""
        oids = [o for o in map(object_id, service_ids) if o is not None]
        return {str(s["_id"]) for s in await self._services.find({"_id": {"$in": oids}}, {"_id": 1}).to_list(None)} \
            if oids else set()

    # -- writing -------------------------------------------------------------------------------

    async def add_department(self, code: str, name: str, phone: str | None, now: dt.datetime) -> Department:
        """Insert; raises DuplicateKeyError when the code is taken. The same goes for halls and services."""
        doc: dict[str, Any] = {"code": code, "name": name, "phone": phone, "created_at": now}
        res = await self._departments.insert_one(doc)
        self._written()
        return _department({**doc, "_id": res.inserted_id})

    async def add_hall(self, hall: Hall) -> Hall:
        """Insert ``hall`` (its id is given by the database)."""
        doc = _hall_doc(hall)
        res = await self._halls.insert_one(doc)
        return _hall({**doc, "_id": res.inserted_id})

    async def add_service(self, service: Service) -> Service:
        """Insert ``service`` (its id is given by the database)."""
        doc = _service_doc(service)
        res = await self._services.insert_one(doc)
        self._written()
        return _service({**doc, "_id": res.inserted_id})

    async def change_hall(self, hall_id: str, change: HallChange) -> Hall | None:
        """Apply ``change``; the hall as it now is, or None when there is no such hall."""
        o = object_id(hall_id)
        if o is None or (await self._halls.update_one({"_id": o}, {"$set": _changes(change)})).matched_count == 0:
            return None
        h = await self._halls.find_one({"_id": o})
        return None if h is None else _hall(h)

    async def change_service(self, service_id: str, change: ServiceChange) -> Service | None:
        o = object_id(service_id)
        if o is None or (await self._services.update_one({"_id": o},
                                                         {"$set": _changes(change)})).matched_count == 0:
            return None
        self._written()
        s = await self._services.find_one({"_id": o})
        return None if s is None else _service(s)

    # -- demo seeding (sandbox/seed_catalogue.py): insert once by code, never overwrite what staff --
    # -- changed since; the stored document is returned --------------------------------------------

    async def seed_department(self, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._seed(self._departments, doc)
        finally:
            self._written()

    async def seed_hall(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await self._seed(self._halls, doc)

    async def seed_service(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Takes the seed's document (the sandbox's shape); its guide is stored as every other one is."""
        try:
            return await self._seed(self._services, {**doc, "guide": guides.document(guides.read(doc["guide"]))})
        finally:
            self._written()

    async def seed_hall_windows(self, hall_code: str, windows: list[dict[str, Any]]) -> None:
        """Give a hall its windows unless it already has some."""
        await self._halls.update_one({"code": hall_code, "windows": []}, {"$set": {"windows": windows}})

    @staticmethod
    async def _seed(col: AsyncCollection[dict[str, Any]], doc: dict[str, Any]) -> dict[str, Any]:
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

    async def list_departments(self) -> list[Department]:
        async def load() -> list[Department]:
            return [_department(d) for d in await self._departments.find({}).sort("code", ASCENDING).to_list(None)]
        found: list[Department] = await self._recent.get("departments", load)
        return list(found)

    async def list_halls(self, *, include_inactive: bool = False) -> list[Hall]:
        q = {} if include_inactive else {"status": str(HallStatus.ACTIVE)}
        return [_hall(h) for h in await self._halls.find(q).sort("code", ASCENDING).to_list(None)]

    async def list_services(self, f: ServiceFilter) -> list[Service]:
        found: list[Service] = await self._recent.get(("services", f), lambda: self._list_services(f))
        return list(found)

    async def _list_services(self, f: ServiceFilter) -> list[Service]:
        query: dict[str, Any] = {} if f.include_inactive else {"status": str(ServiceStatus.ACTIVE)}
        # Every value is a plain string compared for equality, or an escaped literal pattern.
        if f.department_id is not None:
            query["department_id"] = f.department_id
        if f.hall_id is not None:
            query["hall_ids"] = f.hall_id
        if f.frequent is not None:
            query["frequent"] = f.frequent
        if f.q:
            pattern = re.escape(f.q)
            query["$or"] = [{"name": {"$regex": pattern}}, {"keywords": {"$regex": pattern}}]
        return [_service(s) for s in await self._services.find(query).sort("code", ASCENDING).to_list(None)]
