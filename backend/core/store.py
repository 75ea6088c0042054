"""Storage shared by every domain: rate-limit counters and the WeChat access token.

Both are shared by all app and worker processes through the database, so a limit counts every
process's requests and one access token serves them all.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.core.batch import Batch
from backend.db.mongo import CollectionSpec, insert_new

COLLECTIONS = [
    CollectionSpec("rate_limits", indexes=(IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),),
                   doc="Fixed-window request counters shared by all processes."),
    CollectionSpec("wechat_tokens", indexes=(IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),),
                   doc="WeChat access tokens by key, shared by all processes, and the lease of whoever "
                       "is fetching a new one."),
]


class RateLimitStore:
    def __init__(self, db: AsyncDatabase):
        self._col = db["rate_limits"]
        self._hits: Batch[tuple[str, dt.datetime], int] = Batch(self._count_hits)

    async def count_hit(self, counter_id: str, expires_at: dt.datetime) -> int:
        """Add one to a counter (created on first hit) and return its new value. Hits arriving
        together (a storm's requests) are counted with one insert of the counters they start,
        and one update and one read for the counters that exist already."""
        return await self._hits.submit((counter_id, expires_at))

    async def _count_hits(self, hits: list[tuple[str, dt.datetime]]) -> list[int]:
        adds: dict[str, int] = {}
        expiry: dict[str, dt.datetime] = {}
        for counter_id, expires_at in hits:
            adds[counter_id] = adds.get(counter_id, 0) + 1
            expiry.setdefault(counter_id, expires_at)
        # Most hits of a storm are a counter's first of its window: inserting those costs this
        # database half of what an upsert does (docs/secantusdb-slow-paths.md). The counters
        # refused as duplicates exist: add to them, then read what they came to.
        counters = list(adds)
        values = dict(adds)
        refused = await insert_new(self._col, [{"_id": c, "n": adds[c], "expires_at": expiry[c]} for c in counters])
        existing = [counters[i] for i in refused]
        if existing:
            by_add: dict[int, list[str]] = {}
            for c in existing:
                by_add.setdefault(adds[c], []).append(c)
            for k, same in by_add.items():
                await self._col.update_many({"_id": {"$in": same}}, {"$inc": {"n": k}})
            async for d in self._col.find({"_id": {"$in": existing}}, {"n": 1}):
                values[d["_id"]] = int(d["n"])
        # The hits on one counter in this batch take its last values in turn, so each is judged
        # as if it had been counted alone.
        left = dict(adds)
        out: list[int] = []
        for counter_id, _ in hits:
            out.append(values[counter_id] - left[counter_id] + 1)
            left[counter_id] -= 1
        return out

    async def counter_value(self, counter_id: str) -> int:
        doc = await self._col.find_one({"_id": counter_id}, {"n": 1})
        return int(doc["n"]) if doc else 0


class WeChatTokenStore:
    """One document per key: the token, when it stops being usable, and a refresh lease."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["wechat_tokens"]

    async def usable_token(self, key: str, now: dt.datetime) -> str | None:
        doc = await self._col.find_one({"_id": key}, {"value": 1, "usable_until": 1})
        if doc is None or doc.get("value") is None or doc["usable_until"] <= now:
            return None
        return str(doc["value"])

    async def save_token(self, key: str, value: str, usable_until: dt.datetime, purge_at: dt.datetime) -> None:
        await self._col.update_one({"_id": key}, {"$set": {"value": value, "usable_until": usable_until,
                                                           "purge_at": purge_at}}, upsert=True)

    async def forget_token(self, key: str, value: str | None = None) -> None:
        """Drop the token (only if it is still ``value``, when given: a newer one is kept)."""
        query: dict[str, Any] = {"_id": key}
        if value is not None:
            query["value"] = value
        await self._col.update_one(query, {"$set": {"value": None}})

    async def take_refresh_lease(self, key: str, holder: str, now: dt.datetime, until: dt.datetime) -> bool:
        """Become the one fetching a new token, unless someone else holds an unexpired lease."""
        try:
            res = await self._col.update_one(
                {"_id": key, "lease_until": {"$not": {"$gt": now}}},
                {"$set": {"lease_holder": holder, "lease_until": until},
                 "$setOnInsert": {"value": None, "usable_until": now, "purge_at": until + dt.timedelta(days=1)}},
                upsert=True)
        except DuplicateKeyError:  # the document exists with a live lease: the filter did not match
            return False
        return res.modified_count == 1 or res.upserted_id is not None

    async def end_refresh_lease(self, key: str, holder: str) -> None:
        await self._col.update_one({"_id": key, "lease_holder": holder},
                                   {"$unset": {"lease_until": "", "lease_holder": ""}})
