"""Per-day jobs that catch up: each day done once, however long the processes were down or far
the clock jumped, and by one process when several run.

A job that works per day (a day's reconciliation, a day's statement) runs through a
``DayLedger``: each run asks it to do every day from the job's watermark up to the last day that
is due now. The ledger (``JobDayStore``, collection ``job_days``) keeps

- one watermark per job: the first day it covers (fixed by the job's first run, ``first_days``
  back from the day then due, so a new database does not reach back further) and ``done_through``:
  every day up to it is done. A run in steady state reads this one document and nothing else;
- one document per job and day worked on, keyed ``job:day``. A day is claimed by inserting it
  (the key refuses a second process) or, when it waits for a retry or its holder died, by one
  conditional update of its ``next_try_at`` from the value read. The claim is a lease: a process
  that dies mid-day leaves the day to whoever comes after ``lease``.

The work for a day returns when the day is done, or raises ``TryDayLater`` (a bill not out yet) to
be tried again; any other error is logged and retried after ``retry``. The work itself must be
safe to repeat (a lease can lapse under a process that is merely slow): it writes its result
under a key of its own, so a repeat replaces rather than adds.

Catch-up is bounded: a gap longer than ``max_days`` leaves the older days ``skipped``, calls
``on_skipped`` (the job raises an alert where people see it) and logs an error, rather than
working through months of days nobody can check any more; a skipped day can still be done by hand.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, Awaitable, Callable

from backend.core.clock import Clock
from backend.core.store import JobDayStore

log = logging.getLogger("zjb.daily")
ONE_DAY = dt.timedelta(days=1)


class TryDayLater(Exception):
    """The day cannot be done yet (``reason``): try again after ``after``."""

    def __init__(self, reason: str, after: dt.timedelta):
        super().__init__(reason)
        self.reason = reason
        self.after = after


class DayLedger:
    def __init__(self, store: JobDayStore, clock: Clock, job: str, *, first_days: int, max_days: int,
                 lease: dt.timedelta = dt.timedelta(minutes=5), retry: dt.timedelta = dt.timedelta(minutes=5),
                 on_skipped: Callable[[list[dt.date]], Awaitable[None]] | None = None):
        if first_days < 1 or max_days < 1:
            raise ValueError("first_days and max_days must be at least 1")
        self.store = store
        self.clock = clock
        self.job = job
        self.first_days = first_days
        self.max_days = max_days
        self.lease = lease
        self.retry = retry
        self.on_skipped = on_skipped

    async def run(self, last_day: dt.date, work: Callable[[dt.date], Awaitable[None]]) -> int:
        """Do every day not done yet up to ``last_day``, oldest first; returns how many this call did."""
        now = self.clock.now()
        wm = await self.store.watermark(self.job)
        if wm is None:
            first = last_day - dt.timedelta(days=self.first_days - 1)
            wm = await self.store.start_watermark(self.job, first.isoformat(), (first - ONE_DAY).isoformat(), now)
        start = dt.date.fromisoformat(wm["done_through"]) + ONE_DAY
        if start > last_day:
            return 0
        oldest = max(start, last_day - dt.timedelta(days=self.max_days - 1))
        if oldest > start:
            await self._skip([start + dt.timedelta(days=i) for i in range((oldest - start).days)], now)
        days = [oldest + dt.timedelta(days=i) for i in range((last_day - oldest).days + 1)]
        seen = await self.store.days(self.job, [d.isoformat() for d in days])
        done = 0
        for day in days:
            if await self._do(day, seen.get(day.isoformat()), now, work):
                done += 1
        await self._advance(start, days)
        return done

    async def _do(self, day: dt.date, doc: dict[str, Any] | None, now: dt.datetime,
                  work: Callable[[dt.date], Awaitable[None]]) -> bool:
        iso = day.isoformat()
        if doc is not None and (doc["state"] in ("done", "skipped") or doc["next_try_at"] > now):
            return False  # finished, or another process holds it, or its retry is not due
        holder = uuid.uuid4().hex
        claimed = (await self.store.claim_new(self.job, iso, holder, now + self.lease, now) if doc is None
                   else await self.store.claim_again(self.job, iso, doc["next_try_at"], holder, now + self.lease))
        if not claimed:
            return False
        try:
            await work(day)
        except TryDayLater as e:
            await self.store.finish(self.job, iso, holder, "waiting", now, next_try_at=now + e.after, reason=e.reason)
            return False
        except Exception as e:  # noqa: BLE001 - the day is tried again; the others go on
            log.warning("daily job failed for a day", extra={"job": self.job, "day": iso, "error": type(e).__name__},
                        exc_info=True)
            await self.store.finish(self.job, iso, holder, "waiting", now, next_try_at=now + self.retry,
                                    reason=type(e).__name__)
            return False
        await self.store.finish(self.job, iso, holder, "done", self.clock.now())
        return True

    async def _skip(self, days: list[dt.date], now: dt.datetime) -> None:
        skipped = await self.store.skip(self.job, [d.isoformat() for d in days], "catch_up_limit", now)
        if not skipped:
            return
        log.error("daily job skipped days beyond its catch-up limit",
                  extra={"job": self.job, "first": skipped[0], "last": skipped[-1], "days": len(skipped),
                         "max_days": self.max_days})
        if self.on_skipped is not None:
            await self.on_skipped([dt.date.fromisoformat(d) for d in skipped])

    async def _advance(self, start: dt.date, days: list[dt.date]) -> None:
        """Move the watermark over the finished days that follow it (whoever finished them)."""
        if days and days[0] > start:
            through = days[0] - ONE_DAY  # the skipped ones before
        else:
            through = None
        seen = await self.store.days(self.job, [d.isoformat() for d in days])
        for day in days:
            if seen.get(day.isoformat(), {}).get("state") not in ("done", "skipped"):
                break
            through = day
        if through is not None:
            await self.store.advance_watermark(self.job, through.isoformat())
