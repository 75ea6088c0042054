"""The centres' booking rules that are checked by reading (time window, no-show block). The rules
that races could break (capacity, one booking per person and day, ...) are enforced by the
database in the booking itself (see ``booking.py``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.appointments.errors import BookingBlocked, SlotClosed, SlotNotOpen
from backend.appointments.store import AppointmentStore
from backend.appointments.values import Slot, SlotStatus
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.clock import TZ, iso


class BookingRules:
    def __init__(self, *, store: AppointmentStore, config: AppointmentsConfig):
        self.store = store
        self.cfg = config

    @property
    def notice(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.cfg.min_notice_minutes)

    async def person(self, user_id: str) -> dict[str, Any]:
        return await self.store.person(user_id) or {"_id": user_id, "no_shows": []}

    async def check_not_blocked(self, user_id: str, now: dt.datetime) -> None:
        err = self.blocked(await self.person(user_id), now)
        if err is not None:
            raise err

    def blocked(self, p: dict[str, Any] | None, now: dt.datetime) -> errors.AppError | None:
        """The refusal for a person blocked for no-shows (their record ``p``), or None."""
        until = (p or {}).get("blocked_until")
        if p is None or not (until and until > now):
            return None
        return BookingBlocked(
            f"您在 {self.cfg.no_show_window_days} 天内爽约 {self.cfg.no_show_limit} 次，"
            f"{until.astimezone(TZ):%Y年%m月%d日 %H:%M}前暂停网上预约，可到大厅现场取号办理",
            details={"blocked_until": iso(until), "reason": p.get("blocked_reason"),
                     "no_shows": self.cfg.no_show_limit})

    def check_time(self, slot: Slot, now: dt.datetime, *, released: bool = True) -> None:
        if slot.status != SlotStatus.OPEN or (released and slot.release_at > now):
            raise SlotNotOpen("该时段尚未开放预约")
        if slot.start - self.notice <= now:
            raise SlotClosed(f"该时段已过或距开始不足 {self.cfg.min_notice_minutes} 分钟，不能预约")

    def offer_until(self, slot: Slot, now: dt.datetime) -> dt.datetime:
        """How long a freed place is held for the first in line: never inside the minimum notice."""
        return min(now + dt.timedelta(minutes=self.cfg.waitlist_offer_minutes), slot.start - self.notice)

    def holdable(self, slot: Slot, now: dt.datetime) -> bool:
        """A freed place of this slot may still be offered to the waitlist."""
        return slot.status == SlotStatus.OPEN and slot.start - self.notice > now
