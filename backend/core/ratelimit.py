"""Rate limits shared by every app process: fixed windows counted in the database.

A hit is one ``$inc`` with upsert on ``{bucket}:{key}:{window}``; documents expire by TTL.
Keys that are personal data (ID numbers) are passed in already hashed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.core import errors
from backend.core.clock import Clock
from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec("rate_limits", indexes=(IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),),
                   doc="Fixed-window request counters shared by all processes."),
]


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window_seconds: int
    message: str = "操作过于频繁，请稍后再试"


class RateLimiter:
    def __init__(self, db: AsyncDatabase, clock: Clock):
        self._col = db["rate_limits"]
        self._clock = clock

    async def hit(self, rule: Limit, key: str) -> None:
        """Count one attempt; raise ``RateLimited`` once the window's limit is passed."""
        if rule.limit <= 0:
            return
        now = self._clock.now()
        epoch = int(now.timestamp())
        window = epoch - epoch % rule.window_seconds
        doc_id = f"{rule.bucket}:{key}:{window}"
        update = {"$inc": {"n": 1}, "$setOnInsert": {
            "expires_at": dt.datetime.fromtimestamp(window + rule.window_seconds + 60, dt.timezone.utc)}}
        try:
            doc = await self._col.find_one_and_update({"_id": doc_id}, update, upsert=True,
                                                      return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # two first hits raced on the upsert; the other one inserted
            doc = await self._col.find_one_and_update({"_id": doc_id}, update, return_document=ReturnDocument.AFTER)
        if doc is not None and doc["n"] > rule.limit:
            raise errors.RateLimited(window + rule.window_seconds - epoch, rule.message,
                                     details={"limit": rule.limit, "window_seconds": rule.window_seconds})
