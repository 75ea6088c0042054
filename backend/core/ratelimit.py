"""Rate limits shared by every app process: fixed windows counted in the database.

A hit adds one to the counter ``{bucket}:{key}:{window}``; counters expire by TTL. Keys that are
personal data (ID numbers) are passed in already hashed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from backend.core import errors
from backend.core.clock import Clock
from backend.core.store import RateLimitStore


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window_seconds: int
    message: str = "操作过于频繁，请稍后再试"


class RateLimiter:
    def __init__(self, store: RateLimitStore, clock: Clock):
        self._store = store
        self._clock = clock

    async def hit(self, rule: Limit, key: str) -> None:
        """Count one attempt; raise ``RateLimited`` once the window's limit is passed."""
        if rule.limit <= 0:
            return
        epoch = int(self._clock.now().timestamp())
        window = epoch - epoch % rule.window_seconds
        n = await self._store.count_hit(
            f"{rule.bucket}:{key}:{window}",
            dt.datetime.fromtimestamp(window + rule.window_seconds + 60, dt.timezone.utc))
        if n > rule.limit:
            raise errors.RateLimited(window + rule.window_seconds - epoch, rule.message,
                                     details={"limit": rule.limit, "window_seconds": rule.window_seconds})
