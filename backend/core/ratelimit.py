"""Rate limits shared by every app process: fixed windows counted in the database.

A hit adds one to the counter ``{bucket}:{key}:{window}``; counters expire by TTL. Keys that are
personal data (ID numbers) are passed in already hashed.
"""
from __future__ import annotations

import asyncio
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
    def __init__(self, store: RateLimitStore, clock: Clock, per_resident: dict[str, Limit] | None = None):
        self._store = store
        self._clock = clock
        self._per_resident = per_resident or {}

    async def per_resident(self, action: str, user_id: str) -> None:
        """Count one ``action`` ("applications", "bookings", "pay_starts", "complaints", "uploads",
        "identity_codes") by a resident; past its limit, 429 ``rate_limited`` with Retry-After."""
        await self.hit(self._per_resident[action], user_id)

    async def hit_together(self, *hits: tuple[Limit, str]) -> None:
        """Count one attempt against each of several limits at once (one write for all of them);
        the first limit passed is raised, after every one has been counted."""
        done = await asyncio.gather(*(self.hit(rule, key) for rule, key in hits), return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome

    async def hit(self, rule: Limit, key: str) -> None:
        """Count one attempt; raise ``RateLimited`` once the window's limit is passed."""
        if rule.limit <= 0:
            return
        epoch = int(self._clock.now().timestamp())
        window = epoch - epoch % rule.window_seconds
        n = await self._store.count_hit(
            f"{rule.bucket}:{key}:{window}",
            dt.datetime.fromtimestamp(window + rule.window_seconds + 60, dt.UTC))
        if n > rule.limit:
            raise errors.RateLimited(window + rule.window_seconds - epoch, rule.message,
                                     details={"limit": rule.limit, "window_seconds": rule.window_seconds})


# What one resident may do in a window: generous for a person (a family applying for several
# things, a few rebookings), far below what a script does. Configured in ``[ratelimit]``.
RESIDENT_ACTIONS = {
    # action: (config key, window seconds, message)
    "applications": ("applications_per_resident_per_hour", 3600, "提交申请过于频繁，请稍后再试"),
    "bookings": ("bookings_per_resident_per_hour", 3600, "预约操作过于频繁，请稍后再试"),
    "pay_starts": ("pay_starts_per_resident_per_hour", 3600, "发起支付过于频繁，请稍后再试"),
    "complaints": ("complaints_per_resident_per_day", 86400, "今天提交的诉求已达上限，请明天再试"),
    "uploads": ("uploads_per_resident_per_hour", 3600, "上传文件过于频繁，请稍后再试"),
    # a code lives about a minute: a person shows a few at a window, a script asks for thousands
    "identity_codes": ("identity_codes_per_resident_per_10_minutes", 600, "办事码获取过于频繁，请稍后再试"),
}


def resident_limits(config: object) -> dict[str, Limit]:
    """The per-resident limits from ``config.ratelimit`` (a ``RateLimitConfig``)."""
    return {action: Limit(f"resident-{action}", int(getattr(config, key)), window, message)
            for action, (key, window, message) in RESIDENT_ACTIONS.items()}
