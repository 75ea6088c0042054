"""The audit log: every staff action and every reveal of personal data, appended, never changed.

The application only ever inserts into and reads ``audit_log``; in production the database
user should hold no update or remove privilege on it (see README, "Deploying for a city").
Entries are kept at least 6 months (Cybersecurity Law art. 21); no TTL index purges them.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.clock import Clock
from backend.core.logs import request_id_var
from backend.db.mongo import CollectionSpec

log = logging.getLogger("zjb.audit")

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


class AuditLog:
    def __init__(self, db: AsyncDatabase, clock: Clock):
        self._col = db["audit_log"]
        self._clock = clock

    async def record(self, *, actor: dict[str, Any], action: str, target_type: str, target_id: str | None = None,
                     details: dict[str, Any] | None = None, ip: str | None = None, outcome: str = "ok",
                     session: Any = None) -> None:
        entry = {
            "at": self._clock.now(),
            "actor": actor,
            "action": action,
            "target": {"type": target_type, "id": target_id},
            "details": details or {},
            "outcome": outcome,
            "ip": ip,
            "request_id": request_id_var.get(),
        }
        await self._col.insert_one(entry, session=session)

    async def search(self, *, actor_id: str | None = None, action: str | None = None,
                     target_type: str | None = None, target_id: str | None = None,
                     text: str | None = None, before: str | None = None, limit: int = 50) -> tuple[list[dict], str | None]:
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
        if before:
            try:
                q["_id"] = {"$lt": ObjectId(before)}
            except (InvalidId, TypeError):
                return [], None
        docs = await self._col.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        cursor = str(docs[limit - 1]["_id"]) if len(docs) > limit else None
        return docs[:limit], cursor


def staff_actor(staff: Any) -> dict[str, Any]:
    return {"type": "staff", "id": staff.id, "username": staff.username}


def resident_actor(resident: Any) -> dict[str, Any]:
    return {"type": "resident", "id": resident.id}


def system_actor(name: str) -> dict[str, Any]:
    return {"type": "system", "id": name}
