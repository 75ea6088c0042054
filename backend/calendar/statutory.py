"""A year's days off by the statutory rules, for a year whose official schedule is not known yet.

《全国年节及纪念日放假办法》 (revised 2024, in force from 2025) gives every citizen these days off:
元旦 1 day (1 January); 春节 4 days (除夕 to 正月初三); 清明节 1 day (the day of the 清明 solar
term); 劳动节 2 days (1–2 May); 端午节 1 day (五月初五); 中秋节 1 day (八月十五); 国庆节 3 days
(1–3 October). A holiday that falls on a Saturday or Sunday is made up on the working days right
after it (第六条). Lunar dates and solar terms come from ``lunar_python``, never from a typed table.

The State Council's yearly notice then joins the days into longer breaks with 调休 working
weekends; those cannot be derived and are entered from the notice (see ``docs/calendar.md``), so a
schedule made here is marked provisional everywhere it is used.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lunar_python import Lunar, Solar

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Festival:
    name: str
    days: tuple[dt.date, ...]


def festivals(year: int) -> list[Festival]:
    """The statutory holidays of ``year`` in date order, before any making up of weekend days."""
    new_year = _lunar(year, 1, 1)
    return [
        Festival("元旦", (dt.date(year, 1, 1),)),
        Festival("春节", tuple(new_year + ONE_DAY * k for k in range(-1, 3))),
        Festival("清明节", (_qingming(year),)),
        Festival("劳动节", (dt.date(year, 5, 1), dt.date(year, 5, 2))),
        Festival("端午节", (_lunar(year, 5, 5),)),
        Festival("中秋节", (_lunar(year, 8, 15),)),
        Festival("国庆节", tuple(dt.date(year, 10, d) for d in (1, 2, 3))),
    ]


def days_off(year: int) -> dict[dt.date, str]:
    """Every non-weekend day off of ``year`` by the rules, and weekend days inside a holiday,
    each with the festival it belongs to (a made-up day is named 「<节日>补休」)."""
    off: dict[dt.date, str] = {}
    for f in festivals(year):
        for day in f.days:
            off.setdefault(day, f.name)
    for f in festivals(year):
        owed = sum(1 for d in f.days if d.weekday() >= 5)
        day = max(f.days)
        while owed:
            day += ONE_DAY
            if day.weekday() < 5 and day not in off:
                off[day] = f"{f.name}补休"
                owed -= 1
    # A made-up day spilling into the next year (a 31 December holiday) is that year's business.
    return {d: name for d, name in sorted(off.items()) if d.year == year}


def _lunar(year: int, month: int, day: int) -> dt.date:
    s = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


def _qingming(year: int) -> dt.date:
    s = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return dt.date(s.getYear(), s.getMonth(), s.getDay())
