"""Every query of the working calendar: the years an admin entered from the State Council's notice."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec("calendar_years",
                   validator={"$jsonSchema": {"bsonType": "object",
                                              "required": ["holidays", "workdays", "entered_at"]}},
                   doc="A year's official holidays and 调休 working days, entered from the State Council's notice; "
                       "_id is the year. ``effects`` says whether its consequences (closures, deadlines) are applied."),
]


class CalendarStore:
    def __init__(self, db: AsyncDatabase[Any]):
        self._years = db["calendar_years"]

    async def entered_years(self) -> list[dict[str, Any]]:
        return await self._years.find({}).sort("_id", 1).to_list(None)

    async def year(self, year: int) -> dict[str, Any] | None:
        return await self._years.find_one({"_id": year})

    async def save_year(self, year: int, doc: dict[str, Any], *, previous_version: int | None) -> bool:
        """Store a year's schedule, its effects still to apply; False when someone else changed it
        since ``previous_version`` was read (None: it was not entered)."""
        if previous_version is None:
            try:
                await self._years.insert_one({"_id": year, **doc, "version": 1})
            except DuplicateKeyError:
                return False
            return True
        res = await self._years.update_one({"_id": year, "version": previous_version},
                                           {"$set": doc, "$inc": {"version": 1}})
        return res.modified_count == 1

    async def years_with_effects_due(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Entered years whose effects are not applied and that nobody is applying now (the
        collection holds one document per year: a scan is a few documents)."""
        return await self._years.find({"effects.state": "pending", "effects.lease_until": {"$lte": now}}).to_list(None)

    async def claim_effects(self, year: int, version: int, now: dt.datetime, until: dt.datetime) -> bool:
        res = await self._years.update_one(
            {"_id": year, "version": version, "effects.state": "pending", "effects.lease_until": {"$lte": now}},
            {"$set": {"effects.lease_until": until}})
        return res.modified_count == 1

    async def effects_done(self, year: int, version: int, summary: dict[str, Any], at: dt.datetime) -> None:
        await self._years.update_one({"_id": year, "version": version},
                                     {"$set": {"effects": {"state": "done", "summary": summary, "at": at}}})
