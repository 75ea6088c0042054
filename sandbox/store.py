"""The sandbox's own data in the database: the shared clock offset."""
from __future__ import annotations

from backend.db.mongo import CollectionSpec, Database

COLLECTIONS = [CollectionSpec("sandbox_clock", doc="Sandbox only: how far the shared clock was moved forward.")]
_ID = "offset"


class ClockStore:
    def __init__(self, db: Database):
        self._col = db["sandbox_clock"]

    async def offset_seconds(self) -> float:
        doc = await self._col.find_one({"_id": _ID})
        return float(doc["seconds"]) if doc else 0.0

    async def advance_by(self, seconds: int) -> float:
        """Move the offset forward (``seconds`` > 0); the offset in force afterwards."""
        await self._col.update_one({"_id": _ID}, {"$inc": {"seconds": seconds}}, upsert=True)
        return await self.offset_seconds()
