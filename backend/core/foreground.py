"""The requests a process is answering right now, so that its background jobs give way to a burst.

A booking storm or a login peak is answered by the same event loop, database and cores that run
the process's background jobs (message delivery, payment queries, sweeps). A job run that lands in
the middle of a burst competes with it for the database, and every request of the burst waits for
that work. So while at least ``busy_at`` requests are in flight a job waits before its next run,
until the burst has drained below that or ``max_wait`` has passed: the job is late by at most
``max_wait`` seconds, and a burst that never ends still leaves the jobs running.

This orders work inside one process only. Worker processes of their own (``python -m backend
worker``) have no requests and never wait; nothing here is needed for correctness, since every job
is safe to run late or in several processes at once.

``AfterBurst`` does the same for writes a request leaves behind that nobody waits for (a booking's
message, a rate-limit counter): they are collected and written together once the burst has passed,
at most ``max_wait`` late. What is collected and not yet written is lost if the process dies, so
only writes that something else makes good (or whose loss is bounded and harmless) go this way.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger("zjb.foreground")
T = TypeVar("T")


class Foreground:
    def __init__(self, *, busy_at: int, max_wait: float):
        self.busy_at = busy_at          # 0: jobs never wait
        self.max_wait = max(0.0, max_wait)
        self.in_flight = 0
        self._drained: asyncio.Event | None = None   # made inside the loop, on first wait
        self._idle: asyncio.Event | None = None
        self.after: list[AfterBurst[Any]] = []        # drained when the process stops

    def busy(self) -> bool:
        return self.busy_at > 0 and self.in_flight >= self.busy_at

    def enter(self) -> None:
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        if self._drained is not None and not self.busy():
            self._drained.set()
        if self._idle is not None and self.in_flight == 0:
            self._idle.set()

    async def drain(self, timeout: float = 10.0) -> None:
        """Write what was left for after the burst (the process is stopping)."""
        pending = [a.drain() for a in self.after]
        if pending:
            try:
                await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), timeout)
            except asyncio.TimeoutError:
                log.warning("writes left after a burst not done when stopping")

    async def quiet(self) -> None:
        """Wait until no request is in flight, for at most ``max_wait`` (at once when jobs never
        wait): what a burst leaves behind is written after its last answer, not between its waves."""
        if self.in_flight == 0 or self.busy_at <= 0 or self.max_wait <= 0:
            return
        if self._idle is None:
            self._idle = asyncio.Event()
        await self._wait(self._idle)

    async def lull(self) -> None:
        """Wait while a burst is being answered, for at most ``max_wait``."""
        if not self.busy() or self.max_wait <= 0:
            return
        if self._drained is None:
            self._drained = asyncio.Event()
        await self._wait(self._drained)

    async def _wait(self, event: asyncio.Event) -> None:
        """Until ``event`` is set again, for at most ``max_wait``."""
        event.clear()
        try:
            await asyncio.wait_for(event.wait(), timeout=self.max_wait)
        except asyncio.TimeoutError:
            pass


class AfterBurst(Generic[T]):
    """Items written together by ``write`` once no request is in flight (``Foreground.quiet``), at
    most ``max_wait`` after they were added. A failed write is logged and not retried here: the
    writer makes good for it (the slot's check writes the booked messages, the rate limiter keeps
    its hits for the counter's next write)."""

    def __init__(self, foreground: Foreground, write: Callable[[list[T]], Awaitable[object]]):
        self._foreground = foreground
        self._write = write
        self._items: list[T] = []
        self._task: asyncio.Task[None] | None = None
        foreground.after.append(self)

    def add(self, items: list[T]) -> None:
        if not items:
            return
        self._items.extend(items)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def drain(self) -> None:
        """Until everything added so far is written (or its write failed)."""
        while self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        try:
            while self._items:
                await self._foreground.quiet()
                items, self._items = self._items, []
                try:
                    await self._write(items)
                except Exception:  # noqa: BLE001 - the writer makes good for them
                    log.warning("writes left after a burst failed", extra={"items": len(items)}, exc_info=True)
        finally:
            self._task = None

