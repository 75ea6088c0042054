"""The outbox: every event a person should hear about, written durably in the same step as the
change that caused it (pass the change's ``session`` to write both in one transaction).

Workers (``notify.worker``) deliver what is here; nothing else sends messages.
A ``dedupe_key`` makes an emit idempotent: the same key is stored once (unique index), so a
retried request or a repeated provider notice never produces a second message.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.core.clock import Clock
from backend.db.mongo import CollectionSpec, count_by

PENDING = "pending"
STATES = ("pending", "sending", "delivered", "failed", "skipped")

COLLECTIONS = [
    CollectionSpec(
        "outbox",
        indexes=(
            IndexModel([("status", ASCENDING), ("deliver_after", ASCENDING)]),
            IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("dedupe_key", ASCENDING)], unique=True,
                       partialFilterExpression={"dedupe_key": {"$type": "string"}}),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["kind", "user_id", "payload", "status", "created_at", "deliver_after"],
            "properties": {"status": {"enum": list(STATES)}, "kind": {"bsonType": "string"},
                           "payload": {"bsonType": "object"}},
        }},
        doc="Events to deliver to people (subscribe message, inbox, SMS), with delivery state.",
    ),
]


class Outbox:
    def __init__(self, db: AsyncDatabase, clock: Clock):
        self._col = db["outbox"]
        self._clock = clock

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: dt.datetime | None = None, dedupe_key: str | None = None) -> bool:
        """Record an event. Returns False when ``dedupe_key`` was already recorded."""
        now = self._clock.now()
        doc = {"kind": kind, "user_id": user_id, "payload": payload, "status": PENDING, "attempts": 0,
               "created_at": now, "deliver_after": deliver_after or now}
        if dedupe_key:
            doc["dedupe_key"] = dedupe_key
        try:
            await self._col.insert_one(doc, session=session)
        except DuplicateKeyError:
            return False
        return True

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._col, "status")

    async def failed_by_kind(self) -> list[tuple[str, int]]:
        return await count_by(self._col, "kind", {"status": "failed"})

    async def oldest_undelivered_at(self) -> dt.datetime | None:
        oldest = await self._col.find_one({"status": {"$in": ["pending", "sending"]}}, sort=[("created_at", 1)])
        return oldest["created_at"] if oldest else None
