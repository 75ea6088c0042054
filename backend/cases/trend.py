"""The supervision trend (电子监察 over time): for a chosen period, per day or per week, the cases
received and completed, those that passed their deadline unfinished, and the residents'
satisfaction (average stars of the ratings given).

Periods are bounded (``MAX_DAYS`` days by day, ``MAX_WEEKS`` weeks by week) so one request reads
a bounded range of the indexes. Weeks run Monday to Sunday; a week belongs to the month of its
Thursday and is numbered within it (「12月第1周」), as calendars number weeks.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backend.cases.access import CASE
from backend.cases.store import CaseStore
from backend.cases.values import DayFigures
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import TZ, Clock

MAX_DAYS = 62
MAX_WEEKS = 53
DEFAULT_DAYS = 14
DEFAULT_WEEKS = 8
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days [first, last] of China time, cut into buckets of ``step`` days."""
    first: dt.date
    last: dt.date
    step: int

    def buckets(self) -> list[tuple[dt.date, dt.date]]:
        out, day = [], self.first
        while day <= self.last:
            out.append((day, day + dt.timedelta(days=self.step - 1)))
            day += dt.timedelta(days=self.step)
        return out

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.first, dt.time(0), TZ)
        return start, dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), TZ)


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise errors.InvalidInput({name: "日期无效"}) from None


def period(bucket: str, first: str | None, last: str | None, today: dt.date) -> Period:
    """The period asked for, whole weeks (Monday to Sunday) when counting by week; 400 naming the
    field when it is backwards or longer than allowed."""
    end = _date(last, "to") or today
    weekly = bucket == "week"
    if weekly:  # by default the week of ``end`` and the weeks before it: DEFAULT_WEEKS whole weeks
        default = end - dt.timedelta(days=end.weekday() + (DEFAULT_WEEKS - 1) * 7)
    else:
        default = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    start = _date(first, "from") or default
    if start > end:
        raise errors.InvalidInput({"from": "开始日期不能晚于结束日期"})
    if weekly:
        start -= dt.timedelta(days=start.weekday())
        end += dt.timedelta(days=6 - end.weekday())
        if (end - start).days + 1 > MAX_WEEKS * 7:
            raise errors.InvalidInput({"from": f"按周统计最长 {MAX_WEEKS} 周"})
    elif (end - start).days + 1 > MAX_DAYS:
        raise errors.InvalidInput({"from": f"按日统计最长 {MAX_DAYS} 天"})
    return Period(start, end, 7 if weekly else 1)


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def bucket_label(first: dt.date, last: dt.date, *, weekly: bool, year: int) -> tuple[str, str]:
    """The short label of a bucket (「12月第1周」, 「12月6日」) and its full title; the year is named
    only for buckets outside ``year`` (the year the period ends in)."""
    anchor = first + dt.timedelta(days=3) if weekly else first
    prefix = f"{anchor.year}年" if anchor.year != year else ""
    if weekly:
        label = f"{prefix}{anchor.month}月第{(anchor.day - 1) // 7 + 1}周"
        return label, f"{label}（{_md(first)}至{_md(last)}）"
    label = f"{prefix}{_md(first)}"
    return label, f"{label}（周{WEEKDAYS[first.weekday()]}）"


def trend_view(p: Period, days: Iterable[DayFigures]) -> dict[str, Any]:
    """One row per bucket of the period, empty buckets included."""
    by_day = {d.day: d for d in days}
    weekly = p.step == 7
    items = []
    for first, last in p.buckets():
        figures = [by_day[d] for d in (first + dt.timedelta(days=i) for i in range(p.step)) if d in by_day]
        ratings = sum(f.ratings for f in figures)
        label, title = bucket_label(first, last, weekly=weekly, year=p.last.year)
        items.append({"start": first, "end": last, "label": label, "title": title,
                      "received": sum(f.received for f in figures), "completed": sum(f.completed for f in figures),
                      "overdue": sum(f.overdue for f in figures), "ratings": ratings,
                      "satisfaction": round(sum(f.stars for f in figures) / ratings, 2) if ratings else None})
    return {"bucket": "week" if weekly else "day", "from": p.first, "to": p.last,
            "title": f"{p.first.year}年{_md(p.first)}至{'' if p.last.year == p.first.year else f'{p.last.year}年'}"
                     f"{_md(p.last)}", "items": items}


class SupervisionTrend:
    """Reads the trend through the store; the supervisors' (CASE ``supervise``)."""

    def __init__(self, *, store: CaseStore, clock: Clock):
        self._store = store
        self._clock = clock

    async def trend(self, staff: Staff, query: dict[str, Any]) -> dict[str, Any]:
        CASE.check(staff, "supervise")
        now = self._clock.now()
        p = period(query.get("bucket", "week"), query.get("from"), query.get("to"), now.astimezone(TZ).date())
        start, end = p.bounds()
        # an account limited to departments sees theirs only
        return trend_view(p, await self._store.day_figures(start, end, now, staff.department_ids))
