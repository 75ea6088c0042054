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
"""
from __future__ import annotations

import asyncio


class Foreground:
    def __init__(self, *, busy_at: int, max_wait: float):
        self.busy_at = busy_at          # 0: jobs never wait
        self.max_wait = max(0.0, max_wait)
        self.in_flight = 0
        self._drained: asyncio.Event | None = None   # made inside the loop, on first wait

    def busy(self) -> bool:
        return self.busy_at > 0 and self.in_flight >= self.busy_at

    def enter(self) -> None:
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        if self._drained is not None and not self.busy():
            self._drained.set()

    async def lull(self) -> None:
        """Wait while a burst is being answered, for at most ``max_wait``."""
        if not self.busy() or self.max_wait <= 0:
            return
        if self._drained is None:
            self._drained = asyncio.Event()
        self._drained.clear()
        try:
            await asyncio.wait_for(self._drained.wait(), timeout=self.max_wait)
        except asyncio.TimeoutError:
            pass
