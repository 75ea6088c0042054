"""Reference data kept for a few seconds (backend.core.recent): one load however many ask at
once, nothing kept across a write, and another process's change seen within the time kept."""
from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

from pymongo import MongoClient

from backend.catalogue.store import CatalogueStore
from backend.catalogue.values import ServiceFilter
from backend.core.recent import Recent
from backend.db.embedded import EmbeddedDatabase
from backend.db.mongo import connect
from tests.support import run_apart


class Loads:
    """A load that counts its calls and can be held open."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.value = "v1"

    async def __call__(self) -> str:
        self.calls += 1
        value = self.value
        await self.gate.wait()
        return value


def test_many_asking_at_once_are_answered_by_one_load() -> None:
    async def go() -> tuple[list[str], int]:
        recent: Recent[str] = Recent(60)
        load = Loads()
        load.gate.clear()
        asks = [asyncio.create_task(recent.get("k", load)) for _ in range(50)]
        await asyncio.sleep(0)
        load.gate.set()
        got = await asyncio.gather(*asks)
        await recent.get("k", load)
        return got, load.calls
    got, calls = run_apart(go())
    assert got == ["v1"] * 50 and calls == 1


def test_a_write_during_a_load_keeps_nothing_of_it() -> None:
    async def go() -> list[str]:
        recent: Recent[str] = Recent(60)
        load = Loads()
        load.gate.clear()
        first = asyncio.create_task(recent.get("k", load))
        await asyncio.sleep(0)
        recent.clear()           # the write lands while the old value is being read
        load.value = "v2"
        load.gate.set()
        return [await first, await recent.get("k", load)]
    assert run_apart(go()) == ["v1", "v2"]


def test_values_expire_and_zero_keeps_nothing() -> None:
    async def go() -> tuple[int, int]:
        kept: Recent[str] = Recent(0.05)
        load = Loads()
        await kept.get("k", load)
        await kept.get("k", load)
        assert load.calls == 1
        await asyncio.sleep(0.06)
        await kept.get("k", load)
        never: Recent[str] = Recent(0)
        other = Loads()
        for _ in range(3):
            await never.get("k", other)
        return load.calls, other.calls
    assert run_apart(go()) == (2, 3)


def test_a_failed_load_reaches_every_waiter_and_is_not_kept() -> None:
    async def go() -> list[object]:
        recent: Recent[str] = Recent(60)
        gate = asyncio.Event()
        calls = 0

        async def failing() -> str:
            nonlocal calls
            calls += 1
            await gate.wait()
            raise RuntimeError("database away")
        asks = [asyncio.create_task(recent.get("k", failing)) for _ in range(3)]
        await asyncio.sleep(0)
        gate.set()
        out: list[object] = list(await asyncio.gather(*asks, return_exceptions=True))
        out.append(await recent.get("k", Loads()))
        out.append(calls)
        return out
    *errors, after, calls = run_apart(go())
    assert all(isinstance(e, RuntimeError) for e in errors) and after == "v1" and calls == 1


def _reads(uri: str, db: str, collection: str) -> int:
    with MongoClient(uri) as c:
        totals = c.admin.command("top")["totals"]
    return int(totals.get(f"{db}.{collection}", {}).get("queries", {}).get("count", 0))


def test_catalogue_reads_are_shared_and_another_process_sees_a_change_within_the_time_kept(
        database: EmbeddedDatabase) -> None:
    seconds = 1.0
    name = f"zjb_recent_{uuid.uuid4().hex[:8]}"
    now = dt.datetime.now(dt.UTC)

    async def go() -> tuple[int, float, list[str]]:
        client = connect(database.uri)
        try:
            here = CatalogueStore(client[name], recent_seconds=seconds)    # this process
            there = CatalogueStore(client[name], recent_seconds=seconds)   # another process
            await here.add_department("D1", "民政局", None, now)
            before = _reads(database.uri, name, "departments")
            lists = await asyncio.gather(*[there.list_departments() for _ in range(100)])
            assert all([d.name for d in found] == ["民政局"] for found in lists)
            shared = _reads(database.uri, name, "departments") - before

            await here.add_department("D2", "人社局", None, now)
            seen_here = [d.name for d in await here.list_departments()]   # its own write: at once
            written = time.monotonic()
            while len(await there.list_departments()) < 2:
                assert time.monotonic() - written < seconds + 2, "another process never saw the change"
                await asyncio.sleep(0.05)
            assert [s.name for s in await there.list_services(ServiceFilter())] == []
            return shared, time.monotonic() - written, seen_here
        finally:
            await client.drop_database(name)
            await client.close()
    shared, lag, seen_here = run_apart(go())
    assert shared == 1
    assert seen_here == ["民政局", "人社局"]
    assert lag <= seconds + 1
