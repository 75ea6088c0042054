"""Background workers: named periodic jobs run on the event loop, each with a heartbeat.

Domains register jobs (the notification outbox, payment queries, no-show sweeps …); ``serve``
runs them in-process, or ``worker`` runs them in separate processes. Each job must be safe to
run in several processes at once (leases and conditional updates, never in-memory locks).
``/readyz`` is green only while every job has ticked recently. Jobs run in ``serve`` give way to a
burst of requests (``backend.core.foreground``): a run waits, for a bounded time, while one is answered.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, TypedDict

from backend.core.foreground import Foreground

log = logging.getLogger("zjb.workers")


class JobStatus(TypedDict):
    """One job's heartbeat as ``/readyz`` shows it to operators."""
    alive: bool
    seconds_since_tick: float | None
    last_error: str | None
    runs: int


@dataclass
class Job:
    name: str
    fn: Callable[[], Awaitable[object]]
    interval: float
    last_tick: float = 0.0
    last_error: str | None = None
    runs: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class Workers:
    def __init__(self, foreground: Foreground | None = None) -> None:
        self.jobs: dict[str, Job] = {}
        self._foreground = foreground   # each run waits while a burst of requests is answered
        self._stopping: asyncio.Event | None = None  # created on start, inside the loop
        self.started = False

    def register(self, name: str, fn: Callable[[], Awaitable[object]], interval: float) -> None:
        if name in self.jobs:
            raise ValueError(f"job {name!r} registered twice")
        self.jobs[name] = Job(name, fn, interval)

    def start(self) -> None:
        self._stopping = asyncio.Event()
        for job in self.jobs.values():
            job.task = asyncio.get_running_loop().create_task(self._loop(job), name=f"job:{job.name}")
        self.started = True

    async def _loop(self, job: Job) -> None:
        assert self._stopping is not None
        while not self._stopping.is_set():
            try:
                if self._foreground is not None:
                    await self._foreground.lull()
                await job.fn()
                job.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - a failing run is logged and retried next tick
                job.last_error = type(e).__name__
                log.warning("job run failed", extra={"job": job.name, "error": type(e).__name__}, exc_info=True)
            job.last_tick = time.monotonic()
            job.runs += 1
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=job.interval)
            except asyncio.TimeoutError:
                pass

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        tasks = [j.task for j in self.jobs.values() if j.task]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.started = False

    def status(self) -> dict[str, JobStatus]:
        now = time.monotonic()
        return {j.name: {"alive": bool(j.task and not j.task.done()),
                         "seconds_since_tick": round(now - j.last_tick, 1) if j.last_tick else None,
                         "last_error": j.last_error, "runs": j.runs}
                for j in self.jobs.values()}

    def healthy(self) -> bool:
        if not self.started:
            return False
        now = time.monotonic()
        for j in self.jobs.values():
            if not (j.task and not j.task.done()):
                return False
            if j.last_tick and now - j.last_tick > max(30.0, 5 * j.interval):
                return False
        return True
