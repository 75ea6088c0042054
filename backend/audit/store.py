"""Storage of the audit log (``audit_log``): appended to and read, never changed."""
from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec(
        "audit_log",
        indexes=(
            IndexModel([("at", DESCENDING)]),
            IndexModel([("actor.id", ASCENDING), ("at", DESCENDING)]),
            IndexModel([("action", ASCENDING), ("at", DESCENDING)]),
            IndexModel([("target.type", ASCENDING), ("target.id", ASCENDING), ("at", DESCENDING)]),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["at", "actor", "action", "target"],
            "properties": {"action": {"bsonType": "string"}, "actor": {"bsonType": "object"},
                           "target": {"bsonType": "object"}},
        }},
        doc="Append-only audit trail of staff actions and personal-data reveals.",
    ),
]


class AuditStore:
    def __init__(self, db: AsyncDatabase):
        self._col = db["audit_log"]

    async def append(self, entry: dict[str, Any], *, session: Any = None) -> None:
        await self._col.insert_one(entry, session=session)

    async def newest_first(self, *, actor_id: str | None, action: str | None, target_type: str | None,
                           target_id: str | None, text: str | None, before: ObjectId | None,
                           limit: int) -> list[dict[str, Any]]:
        """Entries matching every given filter, newest first, older than ``before`` if given."""
        q: dict[str, Any] = {}
        if actor_id:
            q["actor.id"] = actor_id
        if action:
            q["action"] = action
        if target_type:
            q["target.type"] = target_type
        if target_id:
            q["target.id"] = target_id
        if text:
            # A literal, escaped substring: input never becomes a query operator or a pattern.
            q["$or"] = [{"action": {"$regex": re.escape(text)}}, {"actor.username": {"$regex": re.escape(text)}}]
        if before is not None:
            q["_id"] = {"$lt": before}
        return await self._col.find(q).sort("_id", DESCENDING).limit(limit).to_list(limit)
