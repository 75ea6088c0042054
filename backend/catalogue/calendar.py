"""Working days in Asia/Shanghai: weekends off, public holidays off, 调休 weekend days on.

Promised time limits (承诺时限) count working days; a case's deadline is the end of its last
working day. Halls are closed on non-working days unless a hall's own exception opens them.

The holidays and exchanged workdays come from the ``chinesecalendar`` package, which follows the
State Council's yearly notice (published each autumn for the next year; a new package release
follows). A year the package does not know is refused rather than guessed as plain weekdays,
unless the configuration's ``[calendar]`` overrides cover it: listing at least one holiday of a
year declares that year's notice entered there. Overrides also win over the package for a day
(a local closure, a late change to the notice).
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import chinese_calendar

from backend.core import errors

# Warn this long before the last day the calendar knows.
WARN_DAYS = 60


class WorkingCalendar:
    def __init__(self, holidays_override: Iterable[str | dt.date] = (),
                 workdays_override: Iterable[str | dt.date] = ()):
        self.holidays = {_date(d) for d in holidays_override}
        self.workdays = {_date(d) for d in workdays_override}
        known = chinese_calendar.holidays
        self._package_years = range(min(known).year, max(known).year + 1)
        self._override_years = {d.year for d in self.holidays} - set(self._package_years)

    def covers(self, day: dt.date) -> bool:
        """Whether this calendar knows the holidays of ``day``'s year."""
        return day.year in self._package_years or day.year in self._override_years

    def is_working_day(self, day: dt.date) -> bool:
        """Raises ``errors.CalendarNotCovered`` for a year neither the package nor the overrides know."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year in self._package_years:
            return chinese_calendar.is_workday(day)
        if day.year in self._override_years:
            return day.weekday() < 5
        raise errors.CalendarNotCovered(details={"date": day.isoformat(),
                                                 "covered_until": self.coverage_end().isoformat()})

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

    def coverage_end(self) -> dt.date:
        """The last day of the last year known without a gap after the package's years."""
        year = self._package_years[-1]
        while year + 1 in self._override_years:
            year += 1
        return dt.date(year, 12, 31)

    def coverage_warning(self, today: dt.date) -> str | None:
        """Chinese text for operators when the calendar runs out within ``WARN_DAYS`` days of
        ``today`` (or already has); None while it reaches further."""
        end = self.coverage_end()
        left = (end - today).days
        if left > WARN_DAYS:
            return None
        nxt = end.year + 1
        fix = (f"请升级 chinesecalendar 软件包（须含 {nxt} 年），或在配置 [calendar] 的 holidays 与 workdays 中"
               f"按国务院办公厅通知填写 {nxt} 年的放假和调休日期。")
        if left < 0:
            return (f"工作日历只到 {end:%Y年%m月%d日}，已经用完：涉及 {nxt} 年及以后日期的办件时限和大厅开放日"
                    f"无法计算，相关操作会被拒绝。{fix}")
        return (f"工作日历只到 {end:%Y年%m月%d日}（还有 {left} 天）：之后的办件时限和大厅开放日将无法计算。{fix}")


def _date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
