"""Versioned upgrades of the stored data: each step runs once per database, in order.

A domain lists its steps (``Domain.migrations``); ``Runtime.start`` runs the ones the database has
not recorded as done, those marked ``before_schema`` before the collections and indexes are
ensured (a collection renamed before its new name is created empty), the others after. Steps are
claimed in the ledger with a lease, so of several processes starting at once one runs each step
and the others wait for it; a process that dies half-way leaves its lease to expire and the next
start runs the step again, so every step is written to be safe to run twice.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from backend.core.clock import Clock
from backend.core.store import MigrationLedger

log = logging.getLogger("zjb.migrations")


@dataclass(frozen=True)
class Migration:
    """One upgrade step. ``id`` sorts in the order steps must run ("2026.12-01-…")."""
    id: str
    summary: str
    run: Callable[[], Awaitable[object]]
    before_schema: bool = False


class Migrations:
    def __init__(self, ledger: MigrationLedger, clock: Clock, *, lease_seconds: float = 300.0,
                 poll_seconds: float = 0.2) -> None:
        self.ledger = ledger
        self.clock = clock
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.poll = poll_seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    async def run(self, steps: Iterable[Migration], *, before_schema: bool) -> list[str]:
        """Run this phase's steps the ledger has not recorded as done; the ids run here."""
        ran: list[str] = []
        phase = sorted((s for s in steps if s.before_schema == before_schema), key=lambda s: s.id)
        ids = [s.id for s in phase]
        if len(ids) != len(set(ids)):
            raise ValueError(f"migration ids are not unique: {ids}")
        done = await self.ledger.done(ids)
        for step in phase:
            if step.id not in done and await self._run_once(step):
                ran.append(step.id)
        return ran

    async def _run_once(self, step: Migration) -> bool:
        while True:
            now = self.clock.now()
            claimed = await self.ledger.claim(step.id, step.summary, self.holder, now, now + self.lease)
            if claimed:
                break
            if await self.ledger.is_done(step.id):
                return False
            await asyncio.sleep(self.poll)   # another process runs it: wait for it, or for its lease to end
        done = asyncio.Event()
        renewing = asyncio.ensure_future(self._renew(step.id, done))
        try:
            await step.run()
        except BaseException:
            await self.ledger.release(step.id, self.holder)
            raise
        finally:
            done.set()  # the renewer ends by itself: a database call is never cancelled half-way
            await renewing
        await self.ledger.finish(step.id, self.holder, self.clock.now())
        log.info("migration done", extra={"migration": step.id})
        return True

    async def _renew(self, step_id: str, done: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), self.lease.total_seconds() / 3)
            if done.is_set():
                return
            now = self.clock.now()
            await self.ledger.extend(step_id, self.holder, now + self.lease)
