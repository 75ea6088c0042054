"""Limits counted here first (``Limit(exact=False)``) against exact ones, on the real database.

Two "processes" are two limiters with their own clients on one database. A process never lets a
key past its limit; two may let through at most what each allowed before it learned the other's
hits, and from their next write on each sees them. Exact limits stay exact across processes.
During a burst nothing is written; once it has passed, every hit of it is written in one command.
A key's lone first hit is not written until a second one comes.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent

from backend.core import errors
from backend.core.clock import ShiftedClock
from backend.core.foreground import Foreground
from backend.core.ratelimit import Limit, RateLimiter
from backend.core.store import RateLimitStore
from backend.db.embedded import EmbeddedDatabase
from tests.support import run_apart

LOOSE = Limit("test-loose", 5, 3600, exact=False)
EXACT = Limit("test-exact", 5, 3600)


class _Writes(CommandListener):
    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name in ("insert", "update"):
            self.seen[event.command_name] += 1

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


class _Process:
    def __init__(self, uri: str, db_name: str, clock: ShiftedClock):
        self.writes = _Writes()
        self.clock = clock
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, event_listeners=[self.writes],
                                                                          tz_aware=True)
        self.store = RateLimitStore(self.client[db_name])
        self.foreground = Foreground(busy_at=4, max_wait=30.0)
        self.limiter = RateLimiter(self.store, clock, foreground=self.foreground)

    async def tries(self, rule: Limit, key: str, n: int) -> int:
        """How many of ``n`` hits are let through."""
        passed = 0
        for _ in range(n):
            try:
                await self.limiter.hit(rule, key)
                passed += 1
            except errors.RateLimited:
                pass
        return passed


def _run(database: EmbeddedDatabase, body: Callable[[_Process, _Process], Awaitable[None]]) -> None:
    async def main() -> None:
        name = f"limits_{ObjectId()}"
        clock = ShiftedClock()
        a, b = _Process(database.uri, name, clock), _Process(database.uri, name, clock)
        try:
            await body(a, b)
        finally:
            await a.client.drop_database(name)
            await a.client.close()
            await b.client.close()
    run_apart(main())


def test_one_process_never_lets_a_key_past_its_limit(database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process) -> None:
        assert await a.tries(LOOSE, "k1", 3) == 3
        await a.foreground.drain()
        assert await a.tries(LOOSE, "k1", 10) == 2, "written or not, its own hits count"
        await a.foreground.drain()
        assert await a.tries(LOOSE, "k2", 5) == 5, "another key is not affected"
        assert await a.tries(LOOSE, "k3", 3) == 3
        await asyncio.sleep(0)    # the write of those three is under way
        assert await a.tries(LOOSE, "k3", 10) == 2, "hits being written count too"
    _run(database, body)


def test_two_processes_see_each_others_hits_from_their_next_write(database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process) -> None:
        assert await a.tries(LOOSE, "k", 4) == 4
        await a.foreground.drain()
        assert await b.tries(LOOSE, "k", 2) == 2, "b has not read the counter yet"
        await b.foreground.drain()
        assert await b.tries(LOOSE, "k", 3) == 0, "b's write told it a's four hits"
        assert await a.tries(LOOSE, "k", 3) == 1, "a learns b's hits at its own next write"
        await a.foreground.drain()
        assert await a.tries(LOOSE, "k", 3) == 0
        # Past the limit by what each let through before it learned the other's hits: two.
        doc = await a.client[a.store._col.database.name]["rate_limits"].find_one({})  # noqa: SLF001
        assert doc is not None and doc["n"] == LOOSE.limit + 2
    _run(database, body)


def test_exact_limits_stay_exact_across_processes(database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process) -> None:
        passed = 0
        for _ in range(4):
            passed += await a.tries(EXACT, "k", 1) + await b.tries(EXACT, "k", 1)
        assert passed == EXACT.limit
    _run(database, body)


def test_a_burst_writes_its_hits_once_it_has_passed_in_one_command(database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process) -> None:
        for _ in range(4):
            a.foreground.enter()      # a burst is being answered
        a.writes.seen.clear()
        assert sum([await a.tries(LOOSE, f"key-{i}", 2) for i in range(50)]) == 100
        for _ in range(3):
            await b.tries(EXACT, "probe", 1)   # time passes on the loop, round trips included
        assert a.writes.seen == Counter(), "nothing written during the burst"
        for _ in range(4):
            a.foreground.leave()
        await a.foreground.drain()
        assert a.writes.seen == Counter({"insert": 1})
        db = a.client[a.store._col.database.name]  # noqa: SLF001
        assert await db["rate_limits"].count_documents({"_id": {"$regex": "^test-loose:"}, "n": 2}) == 50
    _run(database, body)


def test_hits_whose_write_failed_are_written_with_the_next(database: EmbeddedDatabase,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    async def body(a: _Process, b: _Process) -> None:
        real = a.store.add_hits
        calls = {"n": 0}

        async def flaky(adds: dict[str, Any]) -> dict[str, int]:
            calls["n"] += 1
            if calls["n"] == 1:
                raise ConnectionError("the database went away")
            return await real(adds)
        monkeypatch.setattr(a.store, "add_hits", flaky)
        assert await a.tries(LOOSE, "k", 2) == 2
        await a.foreground.drain()
        assert await a.tries(LOOSE, "k", 10) == 3, "the two unwritten hits still count here"
        await a.foreground.drain()
        doc = await a.client[a.store._col.database.name]["rate_limits"].find_one({})  # noqa: SLF001
        assert doc is not None and doc["n"] == 5
    _run(database, body)


def test_a_lone_hit_is_written_with_the_next_and_forgotten_when_its_window_ends(database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process) -> None:
        a.writes.seen.clear()
        assert sum([await a.tries(LOOSE, f"once-{i}", 1) for i in range(20)]) == 20
        await a.foreground.drain()
        db = a.client[a.store._col.database.name]  # noqa: SLF001
        assert a.writes.seen == Counter(), "a key hit once is not written"
        assert await a.tries(LOOSE, "once-0", 1) == 1
        await a.foreground.drain()
        assert a.writes.seen == Counter({"insert": 1})
        doc = await db["rate_limits"].find_one({"_id": {"$regex": "^test-loose:once-0:"}})
        assert doc is not None and doc["n"] == 2, "the first hit is written with the second"
        assert await a.tries(LOOSE, "once-1", 10) == 4, "unwritten, the lone hit still counts here"
        # b, another process, does not see a's lone hits: it may let that key through once more.
        assert await b.tries(LOOSE, "once-2", 10) == LOOSE.limit
        # Once their window has ended the process forgets its counters, written or not.
        assert len(a.limiter._local) == 20  # noqa: SLF001
        a.clock.advance(seconds=LOOSE.window_seconds + 61)
        assert await a.tries(LOOSE, "once-0", 1) == 1
        assert [c.split(":")[1] for c in a.limiter._local] == ["once-0"]  # noqa: SLF001
    _run(database, body)
