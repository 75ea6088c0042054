"""A wave of bookings reaches the database as one command per part: inserts asked for together go
as one, each caller getting its own refusals back; the claims of several slots go as one bulk
write, and a slot without room is told apart from the ones that took their places."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.appointments.store import COLLECTIONS, AppointmentStore
from backend.db.embedded import EmbeddedDatabase
from backend.db.mongo import InsertBatch, ensure_schema


def _run(database: EmbeddedDatabase, body: Callable[[AsyncDatabase[Any]], Awaitable[None]]) -> None:
    async def main() -> None:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(database.uri, tz_aware=True)
        try:
            await body(client[f"zjb_waves_{uuid.uuid4().hex[:8]}"])
        finally:
            await client.close()
    # In a thread of its own: a test before may have left this thread's event loop running.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


class _CountingCollection:
    """A collection that counts the insert commands sent through it."""

    def __init__(self, col: Any):
        self._col = col
        self.commands = 0

    async def insert_many(self, docs: list[dict[str, Any]], **kw: Any) -> Any:
        self.commands += 1
        return await self._col.insert_many(docs, **kw)

    async def insert_one(self, doc: dict[str, Any], **kw: Any) -> Any:
        self.commands += 1
        return await self._col.insert_one(doc, **kw)


def test_inserts_asked_together_are_one_command_with_refusals_by_caller(database: EmbeddedDatabase) -> None:
    async def body(db: AsyncDatabase[Any]) -> None:
        await db["rows"].create_indexes([IndexModel([("key", 1)], unique=True)])
        await db["rows"].insert_one({"key": "taken"})
        counting = _CountingCollection(db["rows"])
        batch = InsertBatch(counting)  # type: ignore[arg-type]
        a, b, c = await asyncio.gather(
            batch.insert([{"key": "a1"}, {"key": "a2"}]),
            batch.insert([{"key": "b1"}, {"key": "taken"}, {"key": "b3"}]),
            batch.insert([{"key": "a1"}]))          # the same key as the first caller's first
        assert counting.commands == 1
        assert a == {}
        assert list(b) == [1] and b[1]["keyValue"] == {"key": "taken"}
        assert list(c) == [0]
        assert await db["rows"].count_documents({}) == 5   # taken, a1, a2, b1, b3
    _run(database, body)


def test_claims_of_a_wave_go_as_one_bulk_write_and_a_full_slot_is_told_apart(database: EmbeddedDatabase) -> None:
    async def body(db: AsyncDatabase[Any]) -> None:
        await ensure_schema(db, COLLECTIONS)
        store = AppointmentStore(db)
        now = dt.datetime.now(dt.UTC)
        slots = [ObjectId() for _ in range(3)]
        await db["appt_slots"].insert_many([
            {"_id": s, "hall_id": "h", "service_id": "s", "date": "2026-12-09", "start": now + dt.timedelta(hours=i),
             "end": now + dt.timedelta(hours=i, minutes=30), "capacity": cap, "booked": 0, "held": 0, "free": cap,
             "claims": [], "holds": [], "status": "open", "release_at": now - dt.timedelta(minutes=1)}
            for i, (s, cap) in enumerate(zip(slots, (3, 1, 2), strict=True))])
        check_at = now + dt.timedelta(seconds=30)
        asks = [[ObjectId(), ObjectId()], [ObjectId(), ObjectId()], [ObjectId(), ObjectId()]]
        taken = await asyncio.gather(*[store.take_places(s, ids, now, check_at)
                                       for s, ids in zip(slots, asks, strict=True)])
        # The second slot has one place for two: its claim missed in the bulk write and took
        # what there was on its own; the others took both.
        assert taken == [2, 1, 2]
        docs = {d["_id"]: d async for d in db["appt_slots"].find({"_id": {"$in": slots}})}
        assert [docs[s]["free"] for s in slots] == [1, 0, 0]
        assert [docs[s]["claims"] for s in slots] == [asks[0], asks[1][:1], asks[2]]
        assert all(docs[s]["check_due"] is not None for s in slots)
    _run(database, body)
