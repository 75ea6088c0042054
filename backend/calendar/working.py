"""Working days in Asia/Shanghai, for any year: weekends off, public holidays off, 调休 weekend days on.

Three layers decide a day, each with its source (see ``docs/calendar.md``):
1. the official schedule of the State Council's yearly notice — from the ``chinesecalendar``
   package for the years it knows (``package``), or as an admin entered it from the notice
   (``entered``, kept in the database and shared by every process);
2. for a year with neither, a **provisional** schedule from the statutory rules
   (``backend.calendar.statutory``): nothing is refused because a year is not official yet, and
   whatever is computed on such a year says so;
3. each hall's own closures and extra opening days (the catalogue's ``hall_open_on``).

The configuration's ``[calendar]`` holidays and workdays win over all of these for a day (a local
closure the whole city observes); listing a holiday of a year the package does not know enters
that year from the configuration.

A case accepted on Monday with a 1-day limit is due at the end of Tuesday: promised time limits
count working days after the start day.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Mapping

import chinese_calendar

from backend.calendar import statutory

ONE_DAY = dt.timedelta(days=1)


class Source(StrEnum):
    PACKAGE = "package"
    ENTERED = "entered"
    PROVISIONAL = "provisional"


SOURCE_LABELS = {Source.PACKAGE: "国务院通知（日历软件包）", Source.ENTERED: "国务院通知（管理员录入）",
                 Source.PROVISIONAL: "暂定（按法定假日规则推算）"}


@dataclass(frozen=True)
class YearSchedule:
    """One year's exceptions to "Monday to Friday": days off (holidays, weekend days inside a
    holiday included) with their names, and weekend days that are working days (调休)."""
    year: int
    source: Source
    holidays: Mapping[dt.date, str]
    workdays: frozenset[dt.date]

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5


def package_years() -> range:
    known = chinese_calendar.holidays
    return range(min(known).year, max(known).year + 1)


def package_schedule(year: int) -> YearSchedule:
    holidays = {d: _holiday_name(d) for d in chinese_calendar.holidays if d.year == year}
    workdays = frozenset(d for d in chinese_calendar.workdays if d.year == year)
    return YearSchedule(year, Source.PACKAGE, holidays, workdays)


def provisional_schedule(year: int) -> YearSchedule:
    return YearSchedule(year, Source.PROVISIONAL, statutory.days_off(year), frozenset())


def entered_schedule(year: int, holidays: Iterable[dt.date], workdays: Iterable[dt.date],
                     names: Mapping[dt.date, str] | None = None) -> YearSchedule:
    """A schedule typed in from the notice; holidays not named are named after the statutory
    festival they fall on or next to, where there is one."""
    rule_names = statutory.days_off(year)
    named = {d: (names or {}).get(d) or rule_names.get(d) or _nearest_festival(year, d) for d in holidays}
    return YearSchedule(year, Source.ENTERED, named, frozenset(workdays))


class WorkingCalendar:
    """Answers working-day questions for any date, synchronously, from schedules held in memory.
    Entered years are swapped in by ``set_entered`` (the calendar service reloads them from the
    database); everything else is computed once per year and kept."""

    def __init__(self, holidays_override: Iterable[str | dt.date] = (),
                 workdays_override: Iterable[str | dt.date] = ()):
        self.holidays = {_date(d) for d in holidays_override}
        self.workdays = {_date(d) for d in workdays_override}
        self._package_years = package_years()
        self._config_years = {d.year for d in self.holidays} - set(self._package_years)
        self._entered: dict[int, YearSchedule] = {}
        self._cache: dict[int, YearSchedule] = {}

    # Layers ------------------------------------------------------------------------------------
    def set_entered(self, schedules: Iterable[YearSchedule]) -> None:
        """Replace the entered years (those the package knows are ignored: the package wins)."""
        self._entered = {s.year: s for s in schedules if s.year not in self._package_years}
        for year in list(self._cache):
            if year not in self._package_years:
                del self._cache[year]

    def with_year(self, schedule: YearSchedule) -> "WorkingCalendar":
        """A copy of this calendar with ``schedule`` in place of its year (to compare before and after)."""
        other = WorkingCalendar.__new__(WorkingCalendar)
        other.holidays, other.workdays = self.holidays, self.workdays
        other._package_years, other._config_years = self._package_years, self._config_years
        other._entered = {**self._entered, schedule.year: schedule}
        other._cache = {y: s for y, s in self._cache.items() if y != schedule.year}
        other._cache[schedule.year] = schedule
        return other

    def schedule(self, year: int) -> YearSchedule:
        found = self._cache.get(year)
        if found is None:
            if year in self._package_years:
                found = package_schedule(year)
            elif year in self._entered:
                found = self._entered[year]
            elif year in self._config_years:
                found = entered_schedule(year, [d for d in self.holidays if d.year == year],
                                         [d for d in self.workdays if d.year == year])
            else:
                found = provisional_schedule(year)
            self._cache[year] = found
        return found

    def source(self, year: int) -> Source:
        return self.schedule(year).source

    def official(self, year: int) -> bool:
        return self.source(year) is not Source.PROVISIONAL

    def is_package_year(self, year: int) -> bool:
        return year in self._package_years

    # Questions ---------------------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return self.schedule(day.year).is_working_day(day)

    def is_public_holiday(self, day: dt.date) -> bool:
        """A day off under the holiday notice (法定节假日 and the days joined to it), as opposed to
        an ordinary weekend."""
        if day in self.workdays:
            return False
        if day in self.holidays:
            return True
        sched = self.schedule(day.year)
        return day in sched.holidays and day not in sched.workdays

    def holiday_name(self, day: dt.date) -> str | None:
        if not self.is_public_holiday(day):
            return None
        return self.schedule(day.year).holidays.get(day) or "节假日"

    def provisional_within(self, start: dt.date, end: dt.date) -> bool:
        """Whether any day of [start, end] lies in a year that is not official yet."""
        if end < start:
            start, end = end, start
        return any(not self.official(y) for y in range(start.year, end.year + 1))

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself never counts)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        while left > 0:
            day += ONE_DAY
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
            day += ONE_DAY
            if self.is_working_day(day):
                n += 1
        return n

    # Official coverage -------------------------------------------------------------------------
    def official_until(self) -> dt.date:
        """The last day of the last year that is official without a gap after the package's years."""
        year = self._package_years[-1]
        while self.official(year + 1):
            year += 1
        return dt.date(year, 12, 31)

    def coverage_warning(self, today: dt.date) -> str | None:
        """Chinese text for admins while next year (or this one) is not official: from 1 November,
        or at once when the current year itself is provisional. None otherwise."""
        if not self.official(today.year):
            return (f"{today.year} 年的放假安排尚未录入，办件时限和大厅开放日目前按法定假日规则暂定计算。"
                    f"请在「工作日历」中按国务院办公厅通知录入 {today.year} 年的放假和调休日期。")
        nxt = today.year + 1
        if today.month >= 11 and not self.official(nxt):
            return (f"{nxt} 年的放假安排尚未录入：涉及 {nxt} 年的办件时限和大厅开放日暂按法定假日规则计算。"
                    f"国务院办公厅公布通知后，请在「工作日历」中录入 {nxt} 年的放假和调休日期。")
        return None


def _holiday_name(day: dt.date) -> str:
    name = chinese_calendar.get_holiday_detail(day)[1]
    return _PACKAGE_NAMES.get(str(name), "节假日") if name else "节假日"


def _nearest_festival(year: int, day: dt.date) -> str:
    best = min(statutory.festivals(year), key=lambda f: min(abs((d - day).days) for d in f.days))
    return best.name if min(abs((d - day).days) for d in best.days) <= 7 else "节假日"


_PACKAGE_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                  "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                  "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日"}


def _date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
