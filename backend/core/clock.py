"""Time. Asia/Shanghai for everything people see; UTC in the database.

Services take a ``Clock`` so tests can move time without patching.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc


class Clock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(TZ)


class ShiftedClock(Clock):
    """A clock that can be moved forward (tests, sandbox time travel)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)

    def reset(self) -> None:
        self.offset = dt.timedelta()


class SharedShiftedClock(ShiftedClock):
    """The sandbox's clock: moved forward by ``POST /sandbox/clock``; the offset lives in the
    database so every process (app and worker) reads the same time. It only ever moves forward."""

    def adopt(self, offset_seconds: float) -> None:
        if offset_seconds > self.offset.total_seconds():
            self.offset = dt.timedelta(seconds=offset_seconds)


def wall_now() -> dt.datetime:
    """The machine's real time, never moved: only for protocol timestamps the other party stamps
    and checks with its own real clock (signature timestamps, nonce windows). Business times come
    from the ``Clock`` the app is built with."""
    return dt.datetime.now(UTC)


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, as the contract promises."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TZ).isoformat(timespec="seconds")
