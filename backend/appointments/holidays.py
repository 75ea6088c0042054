"""What an entered holiday schedule does to bookings: a day a hall was open on and no longer is
closes with its bookings and waitlist entries (``Closures``), each resident told the holiday.

The appointments domain's ``ScheduleListener`` for the working calendar.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from backend.appointments.closures import Closures
from backend.calendar.service import ScheduleChange
from backend.calendar.working import WorkingCalendar


class HolidayClosures:
    name = "appointments"

    def __init__(self, *, closures: Closures, catalogue: Any, clock: Any):
        self.closures = closures
        self.catalogue = catalogue
        self.clock = clock

    async def impact(self, change: ScheduleChange) -> dict[str, int]:
        counts = {"appointments": 0, "waitlist": 0}
        for hall_id, days in (await self._closing(change)).items():
            found = await self.closures.impact(days, hall_id)
            counts["appointments"] += found["appointments"]
            counts["waitlist"] += found["waitlist"]
        return counts

    async def apply(self, change: ScheduleChange) -> dict[str, int]:
        counts = {"appointments": 0, "waitlist": 0}
        for hall_id, days in (await self._closing(change)).items():
            by_reason: dict[str, list[dt.date]] = defaultdict(list)
            for d in days:
                by_reason[_reason(change.after, d, change.year)].append(d)
            for reason, group in by_reason.items():
                done = await self.closures.close(group, reason, "calendar", hall_id)
                counts["appointments"] += done["appointments"]
                counts["waitlist"] += done["waitlist"]
        return counts

    async def _closing(self, change: ScheduleChange) -> dict[str, list[dt.date]]:
        """Per hall, the days from today on it opened under the old schedule and not under the new."""
        today = self.clock.local_now().date()
        out: dict[str, list[dt.date]] = {}
        candidates = [d for d in change.changed if d >= today]
        if not candidates:
            return out
        for hall in await self.catalogue.all_halls():
            closing = [d for d in candidates if self.catalogue.hall_open_on(hall, d, change.before)
                       and not self.catalogue.hall_open_on(hall, d, change.after)]
            if closing:
                out[str(hall["_id"])] = closing
        return out


def _reason(cal: WorkingCalendar, day: dt.date, year: int) -> str:
    name = cal.holiday_name(day)
    what = f"{name}放假" if name else "调休安排调整"
    return f"{what}（国务院办公厅公布的{year}年节假日安排）"
