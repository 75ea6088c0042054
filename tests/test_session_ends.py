"""Sessions and accounts kept by a process, and the records that end them everywhere.

Two "processes" here are two token services with their own clients on one database, each with its
own monotonic clock, moved by hand: what one keeps, the other's records drop within one look; a
process whose looks stopped reads every session again after the bound; a read made between a
record and the write it announces is not kept; a kept staff session that looks idle is read again
before it is ended.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent

from backend.core import errors
from backend.core.clock import ShiftedClock
from backend.db.embedded import EmbeddedDatabase
from backend.db.mongo import connect, ensure_schema
from backend.identity.session_ends import SessionEnds
from backend.identity.store import COLLECTIONS, RefreshTokenStore, SessionEndStore, SessionStore
from backend.identity.tokens import SessionPolicy, TokenService
from tests.support import run_apart

KEEP = 3600.0   # longer than a staff session may idle: a kept one can look idle
POLICIES = {"resident": SessionPolicy(7200, 86400),
            "staff": SessionPolicy(900, 43200, idle_seconds=1800, lifetime_seconds=43200)}


class _Reads(CommandListener):
    """``find`` commands on ``sessions``, counted."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.seen[str(event.command.get("find"))] += 1

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


class _Process:
    """One app process's token service, with a monotonic clock of its own."""

    def __init__(self, uri: str, db_name: str, clock: ShiftedClock, *, wall: Callable[[], float] | None = None):
        self.reads = _Reads()
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, event_listeners=[self.reads],
                                                                          tz_aware=True)
        db = self.db = self.client[db_name]
        self.mono = 1000.0
        extra = {"wall": wall} if wall is not None else {}
        self.ends = SessionEnds(SessionEndStore(db), bound_seconds=1.0, monotonic=lambda: self.mono, **extra)
        self.tokens = TokenService(RefreshTokenStore(db), SessionStore(db), self.ends, secret="s" * 32,
                                   issuer="test", clock=clock, policies=POLICIES, keep_seconds=KEEP)

    async def look(self) -> None:
        await self.ends.look()

    async def looks_after(self, seconds: float) -> None:
        """``seconds`` pass on this process's clock, and it looks at the records."""
        self.mono += seconds
        await self.ends.look()

    def session_reads(self) -> int:
        return self.reads.seen["sessions"]

    async def checks(self, sid: str, subject: str, audience: str = "resident") -> bool:
        """Whether the session passes this process's check (False: told it ended)."""
        try:
            await self.tokens.check_session(sid, subject, audience)
            return True
        except errors.Unauthenticated:
            return False


async def _with_two(uri: str, body: Callable[[_Process, _Process, ShiftedClock], Awaitable[None]],
                    **kw: Any) -> None:
    name = f"ends_{ObjectId()}"
    setup = connect(uri)
    await ensure_schema(setup[name], COLLECTIONS)
    clock = ShiftedClock()
    a, b = _Process(uri, name, clock, **kw), _Process(uri, name, clock, **kw)
    try:
        await a.look()
        await b.look()
        await body(a, b, clock)
    finally:
        await a.client.close()
        await b.client.close()
        await setup.drop_database(name)
        await setup.close()


def _run(database: EmbeddedDatabase, body: Callable[[_Process, _Process, ShiftedClock], Awaitable[None]],
         **kw: Any) -> None:
    run_apart(_with_two(database.uri, body, **kw))


def test_a_session_kept_past_the_bound_is_dropped_by_the_other_process_at_its_next_look(
        database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process, clock: ShiftedClock) -> None:
        pair = await a.tokens.issue("u1", "resident")
        assert await b.checks(pair.session_id, "u1")
        reads = b.session_reads()
        b.mono += 30          # far past the bound: kept, while its looks keep up
        await b.look()
        assert await b.checks(pair.session_id, "u1")
        assert b.session_reads() == reads, "a kept session is not read again"
        await a.tokens.end_session(pair.session_id, "logout")
        assert await b.checks(pair.session_id, "u1"), "until its next look, b still keeps it"
        await b.looks_after(0.5)
        assert not await b.checks(pair.session_id, "u1")
    _run(database, body)


def test_every_session_of_a_person_is_dropped_by_one_record(database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process, clock: ShiftedClock) -> None:
        first = await a.tokens.issue("u2", "resident")
        second = await a.tokens.issue("u2", "resident")
        assert await b.checks(first.session_id, "u2") and await b.checks(second.session_id, "u2")
        await b.looks_after(30)
        await a.tokens.end_sessions_of("u2", "resident", "logout_everywhere")
        await b.looks_after(0.5)
        assert not await b.checks(first.session_id, "u2")
        assert not await b.checks(second.session_id, "u2")
    _run(database, body)


def test_a_process_whose_looks_stopped_reads_every_session_again_after_the_bound(
        database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process, clock: ShiftedClock) -> None:
        pair = await a.tokens.issue("u3", "resident")
        assert await b.checks(pair.session_id, "u3")
        # Ended without a record (as if the record were lost): only b's own read can tell.
        await SessionStore(a.db).end(pair.session_id, "logout", clock.now())
        b.mono += 0.5
        assert await b.checks(pair.session_id, "u3"), "within the bound, kept"
        reads = b.session_reads()
        b.mono += 1.0         # no look for longer than the bound
        assert not await b.checks(pair.session_id, "u3")
        assert b.session_reads() == reads + 1
    _run(database, body)


def test_what_is_read_between_a_record_and_its_write_is_not_kept(database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process, clock: ShiftedClock) -> None:
        pair = await a.tokens.issue("u4", "resident")
        await a.ends.announce("session", [pair.session_id])   # the record, its write still to come
        await b.looks_after(0.5)
        assert await b.checks(pair.session_id, "u4"), "still open when b reads it"
        await SessionStore(a.db).end(pair.session_id, "logout", clock.now())
        await b.looks_after(0.5)
        assert not await b.checks(pair.session_id, "u4"), "what b read was not kept"
    _run(database, body)


class _Wall:
    """The machine's wall clock, set back by ``behind`` seconds."""

    def __init__(self) -> None:
        self.behind = 0.0

    def __call__(self) -> float:
        return dt.datetime.now(dt.UTC).timestamp() - self.behind


def test_records_written_by_a_clock_behind_by_less_than_the_margin_are_seen(database: EmbeddedDatabase) -> None:
    wall = _Wall()

    async def body(a: _Process, b: _Process, clock: ShiftedClock) -> None:
        pair = await b.tokens.issue("u5", "resident")
        await b.looks_after(30)
        wall.behind = 8.0     # a's machine runs 8 s behind b's (both read ``wall``; b looks from its own)
        await a.tokens.end_session(pair.session_id, "logout")
        wall.behind = 0.0
        await b.looks_after(0.5)
        assert not await b.checks(pair.session_id, "u5")
    _run(database, body, wall=wall)


def test_a_kept_staff_session_that_looks_idle_is_read_again_before_it_is_ended(database: EmbeddedDatabase) -> None:
    async def body(a: _Process, b: _Process, clock: ShiftedClock) -> None:
        pair = await a.tokens.issue("s1", "staff")
        assert await b.checks(pair.session_id, "s1", "staff")
        for _ in range(4):    # the person works on process a for 40 minutes
            clock.advance(minutes=10)
            a.mono += 600
            b.mono += 600
            await a.look()
            await b.look()
            assert await a.checks(pair.session_id, "s1", "staff")
        assert await b.checks(pair.session_id, "s1", "staff"), "not idle: a saw it lately"
        clock.advance(minutes=31)
        await b.looks_after(1860)
        assert not await b.checks(pair.session_id, "s1", "staff")
    _run(database, body)


@pytest.mark.parametrize("kind", ["session", "subject"])
def test_a_record_drops_only_what_it_names(database: EmbeddedDatabase, kind: str) -> None:
    async def body(a: _Process, b: _Process, clock: ShiftedClock) -> None:
        mine = await a.tokens.issue("u6", "resident")
        other = await a.tokens.issue("u7", "resident")
        assert await b.checks(mine.session_id, "u6") and await b.checks(other.session_id, "u7")
        await b.looks_after(30)
        await a.ends.announce(kind, [mine.session_id if kind == "session" else "u6"])
        await b.looks_after(0.5)
        reads = b.session_reads()
        assert await b.checks(other.session_id, "u7")
        assert b.session_reads() == reads, "the other person's session stays kept"
        assert await b.checks(mine.session_id, "u6")
        assert b.session_reads() == reads + 1, "the named one is read again"
    _run(database, body)


def test_records_written_after_the_wall_clock_stepped_back_are_seen(database: EmbeddedDatabase) -> None:
    wall = _Wall()

    async def body(a: _Process, b: _Process, clock: ShiftedClock) -> None:
        pair = await a.tokens.issue("u8", "resident")
        assert await b.checks(pair.session_id, "u8")
        await b.looks_after(30)
        wall.behind = 60.0    # the machine's clock is stepped back a minute (both processes run on it)
        await a.tokens.end_session(pair.session_id, "logout")
        await b.looks_after(0.5)
        assert not await b.checks(pair.session_id, "u8")
    _run(database, body, wall=wall)
