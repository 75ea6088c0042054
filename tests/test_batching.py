"""Work that arrives together goes to the database as one operation: token checks read their
sessions and accounts with one query each, rate-limit hits count with one write and one read (a
release-time storm is hundreds of them at once), a batch of messages takes its push consents with
one write, and each caller still gets its own answer."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator

from bson import ObjectId
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.store import RateLimitStore
from backend.identity.store import SessionStore, UserStore
from notify.store import ConsentStore
from tests.support import AppServer


class Finds(monitoring.CommandListener):
    """The collections of the reads (``find``) and writes (``update``, ``insert``) sent, in order."""

    def __init__(self) -> None:
        self.collections: list[str] = []
        self.updates: list[str] = []
        self.inserts: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.collections.append(event.command["find"])
        elif event.command_name == "update":
            self.updates.append(event.command["update"])
        elif event.command_name == "insert":
            self.inserts.append(event.command["insert"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def clear(self) -> None:
        self.collections.clear()
        self.updates.clear()
        self.inserts.clear()


@contextlib.asynccontextmanager
async def scratch_db(server: AppServer, finds: Finds) -> AsyncIterator[AsyncDatabase]:
    """A database of its own on the test server's database server, whose commands ``finds``
    records; dropped afterwards."""
    client = AsyncMongoClient(server.config.database.uri, event_listeners=[finds], tz_aware=True)
    db = client[f"zjb_batch_{uuid.uuid4().hex[:8]}"]
    try:
        yield db
    finally:
        await client.drop_database(db.name)
        await client.close()


def test_reads_asked_for_together_are_one_query_each(server: AppServer) -> None:
    finds = Finds()

    async def scenario() -> None:
        async with scratch_db(server, finds) as db:
            users, sessions = UserStore(db), SessionStore(db)
            ids = [ObjectId() for _ in range(40)]
            await db["users"].insert_many([{"_id": i, "openid": f"o-{i}", "status": "active"} for i in ids])
            await db["sessions"].insert_many([{"_id": f"s-{i}", "subject": str(i)} for i in ids])
            finds.clear()

            asked = [str(i) for i in ids] + [str(ids[0]), str(ObjectId()), "not-an-id"]
            got = await asyncio.gather(*(users.by_id(u) for u in asked),
                                       *(sessions.by_id(f"s-{i}") for i in ids), sessions.by_id("s-none"))
            got_users, got_sessions = got[:len(asked)], got[len(asked):]
            assert [u.openid for u in got_users[:40]] == [f"o-{i}" for i in ids]
            assert got_users[40] == got_users[0] and got_users[40] is not got_users[0]  # each its own copy
            assert got_users[41] is None and got_users[42] is None
            assert [s.subject for s in got_sessions[:40]] == [str(i) for i in ids] and got_sessions[40] is None
            assert sorted(finds.collections) == ["realnames", "sessions", "users"]

            # A lone read is still one query, and sees a write that finished before it was asked.
            await db["users"].update_one({"_id": ids[1]}, {"$set": {"status": "disabled"}})
            assert (await users.by_id(str(ids[1]))).status == "disabled"
            assert finds.collections.count("users") == 2 and finds.collections.count("realnames") == 2

    server.run(scenario())


def test_rate_limit_hits_arriving_together_count_with_one_write(server: AppServer) -> None:
    """First hits of their counters are one insert; hits on existing counters add one update and one read."""
    finds = Finds()

    async def scenario() -> None:
        async with scratch_db(server, finds) as db:
            store = RateLimitStore(db)
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            await store.count_hit("same", expires)  # an existing counter at 1
            finds.clear()
            got = await asyncio.gather(*(store.count_hit("same", expires) for _ in range(30)),
                                       *(store.count_hit(f"own-{i}", expires) for i in range(20)))
            # Each hit is judged as if counted alone: the shared counter's hits see 2..31, once each.
            assert sorted(got[:30]) == list(range(2, 32)) and got[30:] == [1] * 20
            assert finds.updates == ["rate_limits"] and finds.collections == ["rate_limits"]
            assert finds.inserts == ["rate_limits"]
            assert (await db["rate_limits"].find_one({"_id": "same"}))["n"] == 31
            assert await store.count_hit("same", expires) == 32
            # A batch of first hits only (a storm of residents): one insert, nothing else.
            finds.clear()
            got = await asyncio.gather(*(store.count_hit(f"first-{i % 25}", expires) for i in range(50)))
            assert sorted(got) == [1] * 25 + [2] * 25
            assert finds.inserts == ["rate_limits"] and finds.updates == [] and finds.collections == []
            assert (await db["rate_limits"].find_one({"_id": "first-3"}))["n"] == 2

    server.run(scenario())


def test_push_consents_for_a_batch_of_messages_are_taken_with_one_write(server: AppServer) -> None:
    finds = Finds()

    async def scenario() -> None:
        async with scratch_db(server, finds) as db:
            store = ConsentStore(db)
            await db["subscriptions"].insert_many([{"user_id": "a", "key": "case", "remaining": 2},
                                                   {"user_id": "b", "key": "case", "remaining": 0},
                                                   {"user_id": "c", "key": "case", "remaining": 1},
                                                   {"user_id": "c", "key": "booking", "remaining": 1}])
            finds.clear()
            wants = [("a", "case"), ("b", "case"), ("c", "case"), ("a", "case"), ("d", "case"), ("a", "case"),
                     ("c", "booking")]
            assert await store.take_many(wants) == [True, False, True, True, False, False, True]
            # One write for the first of each pair, one more for a pair wanted again (and again).
            assert finds.updates == ["subscriptions"] * 3
            left = {(d["user_id"], d["key"]): d["remaining"] async for d in db["subscriptions"].find()}
            assert left == {("a", "case"): 0, ("b", "case"): 0, ("c", "case"): 0, ("c", "booking"): 0}
            assert await store.take_many([]) == []

    server.run(scenario())
