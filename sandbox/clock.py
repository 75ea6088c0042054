"""``GET/POST /sandbox/clock``: the sandbox's time travel, forward only, shared by every process."""
from __future__ import annotations

from typing import Any

from backend.core.api import ApiHandler, operation, route
from backend.core.clock import SharedShiftedClock, ShiftedClock, iso
from backend.core.schema import integer, obj, string
from sandbox.errors import ClockFixed
from sandbox.store import ClockStore

TAGS = ("沙箱",)
NOW = obj({"now": string(format="date-time"), "offset_seconds": integer()}, ["now", "offset_seconds"])
ADVANCE = obj({"advance_seconds": integer(minimum=1, maximum=366 * 24 * 3600)}, ["advance_seconds"])


class SandboxTime:
    """Moves the clock every job and rule reads. A ``SharedShiftedClock`` keeps the offset in the
    database (all processes follow it); a plain ``ShiftedClock`` (one test process) moves alone."""

    def __init__(self, clock: Any, store: ClockStore):
        self.clock = clock
        self.store = store

    @property
    def movable(self) -> bool:
        return isinstance(self.clock, ShiftedClock)

    async def sync(self) -> None:
        if isinstance(self.clock, SharedShiftedClock):
            self.clock.adopt(await self.store.offset_seconds())

    async def advance(self, seconds: int) -> None:
        if not self.movable:
            raise ClockFixed()
        if isinstance(self.clock, SharedShiftedClock):
            self.clock.adopt(await self.store.advance_by(seconds))
        else:
            self.clock.advance(seconds=seconds)

    def offset_seconds(self) -> int:
        return int(self.clock.offset.total_seconds()) if self.movable else 0


class ClockHook(ApiHandler):
    time: SandboxTime

    @operation("沙箱：当前时间", tags=TAGS, responses={200: NOW})
    async def get(self) -> None:
        await self.time.sync()
        self.reply(self._now())

    @operation("沙箱：把时钟向前拨（只能向前，所有进程同步）", tags=TAGS, body=ADVANCE, responses={200: NOW},
               errors=(400, 409))
    async def post(self) -> None:
        await self.time.advance(self.body["advance_seconds"])
        self.reply(self._now())

    def _now(self) -> dict[str, Any]:
        return {"now": iso(self.time.clock.now()), "offset_seconds": self.time.offset_seconds()}


default_handlers = [route("/sandbox/clock", ClockHook)]
