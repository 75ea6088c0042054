"""Working days in Asia/Shanghai: weekends off, public holidays off, 调休 weekend days on.

Promised time limits (承诺时限) count working days; a case's deadline is the end of its last
working day. Halls are closed on non-working days unless a hall's own exception opens them.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable


class WorkingCalendar:
    def __init__(self, holidays: Iterable[str | dt.date] = (), workdays: Iterable[str | dt.date] = ()):
        self.holidays = {_date(d) for d in holidays}
        self.workdays = {_date(d) for d in workdays}

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself never counts:
        a case accepted on Monday with a 1-day limit is due at the end of Tuesday)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        n = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n += 1
        return n


def _date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
