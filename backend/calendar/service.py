"""The calendar's rules: entering a year's official schedule (validated, previewed, audited) and
carrying its consequences to the domains that computed something on the provisional year.

When a year is entered, every process swaps it in (``refresh``, a periodic job), and its effects
run once: days that stop being working days close the halls with their bookings (appointments'
closures), and deadlines computed on the provisional year are counted again (cases, complaints).
Each domain that cares registers a ``ScheduleListener``; the effects are recorded as pending with
the year and applied under a lease, so a crash half-way is finished by the next run and two
processes never apply them together. Every listener is safe to run twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from backend.audit.service import AuditLog, staff_actor, system_actor
from backend.calendar.access import access_calendar_year
from backend.calendar.errors import CalendarChanged
from backend.calendar.store import CalendarStore
from backend.calendar.working import (
    SOURCE_LABELS,
    Source,
    WorkingCalendar,
    YearSchedule,
    entered_schedule,
    provisional_schedule,
)
from backend.core import errors
from backend.core.clock import Clock

log = logging.getLogger("zjb.calendar")
LEASE = dt.timedelta(minutes=5)
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class ScheduleChange:
    """What entering a year changes: the calendar before and after, and the days that change."""
    year: int
    before: WorkingCalendar
    after: WorkingCalendar
    closed: tuple[dt.date, ...]     # working days that become days off
    opened: tuple[dt.date, ...]     # days off that become working days
    reason: str                     # why, in words residents read
    # every day whose working or holiday status differs (a weekend day becoming a public holiday
    # closes a hall with weekend hours without being a working day either side)
    changed: tuple[dt.date, ...] = ()

    def recount(self, start: dt.date, due: dt.date) -> dt.date:
        """A due date counted again on the new schedule: the working days left after ``start`` keep
        their number (what the old schedule said of days already lived stays as it was lived)."""
        return self.after.add_working_days(start, self.before.working_days_between(start, due))


class ScheduleListener(Protocol):
    """A domain that computed something on a year's schedule. ``impact`` counts what a change would
    touch (for the preview); ``apply`` carries it out, idempotently."""
    name: str

    async def impact(self, change: ScheduleChange) -> dict[str, int]: ...

    async def apply(self, change: ScheduleChange) -> dict[str, int]: ...


class CalendarService:
    def __init__(self, *, store: CalendarStore, calendar: WorkingCalendar, audit: AuditLog, clock: Clock):
        self.store = store
        self.calendar = calendar
        self.audit = audit
        self.clock = clock
        self.listeners: list[ScheduleListener] = []

    def listen(self, listener: ScheduleListener) -> None:
        self.listeners.append(listener)

    # Loading -----------------------------------------------------------------------------------
    async def refresh(self) -> None:
        """Swap in the entered years as stored (every process, periodically and at start-up)."""
        self.calendar.set_entered([_schedule(d) for d in await self.store.entered_years()])

    async def run(self) -> None:
        """The job: follow entries made by any process, and finish effects nobody finished."""
        await self.refresh()
        await self.apply_due()

    # Reading -----------------------------------------------------------------------------------
    async def overview(self) -> dict[str, Any]:
        today = self.clock.local_now().date()
        stored = {d["_id"]: d for d in await self.store.entered_years()}
        last = max([today.year + 1, *stored])
        years = [self._year_view(y, stored.get(y)) for y in range(today.year - 1, last + 1)]
        warning = self.calendar.coverage_warning(today)
        return {"years": years, "today": today.isoformat(), **({"warning": warning} if warning else {})}

    def _year_view(self, year: int, doc: dict[str, Any] | None) -> dict[str, Any]:
        sched = self.calendar.schedule(year)
        view: dict[str, Any] = {
            "year": year, "source": sched.source.value, "source_label": SOURCE_LABELS[sched.source],
            "holidays": [{"date": d.isoformat(), "name": n, "label": _day_label(d)}
                         for d, n in sorted(sched.holidays.items())],
            "workdays": [{"date": d.isoformat(), "label": _day_label(d)} for d in sorted(sched.workdays)],
            "editable": not self.calendar.is_package_year(year),
        }
        if doc is not None and sched.source is Source.ENTERED:
            view["entered_by"] = doc.get("entered_by", {}).get("name")
            view["entered_at"] = doc.get("entered_at")
            view["effects_applied"] = doc.get("effects", {}).get("state") == "done"
        return view

    # Entering ----------------------------------------------------------------------------------
    async def preview(self, year: int, body: dict[str, Any]) -> dict[str, Any]:
        change = self._change(year, self._checked(year, body))
        counts: dict[str, int] = {}
        for listener in self.listeners:
            for key, n in (await listener.impact(change)).items():
                counts[key] = counts.get(key, 0) + n
        return {"year": year, "closed_days": [_day_view(d, change.after) for d in change.closed],
                "opened_days": [_day_view(d, change.after) for d in change.opened],
                "appointments": counts.get("appointments", 0), "waitlist": counts.get("waitlist", 0),
                "cases": counts.get("cases", 0), "complaints": counts.get("complaints", 0),
                "summary": _summary(change, counts)}

    async def enter(self, principal: Any, year: int, body: dict[str, Any], ip: str) -> dict[str, Any]:
        staff, current = await access_calendar_year(principal, year, "enter", self.store)
        holidays, workdays, names = self._checked(year, body)
        now = self.clock.now()
        doc = {"holidays": [{"date": d.isoformat(), "name": names.get(d)} for d in sorted(holidays)],
               "workdays": [d.isoformat() for d in sorted(workdays)], "notice": (body.get("notice") or "").strip(),
               "entered_by": {"id": staff.id, "name": staff.display_name or staff.username}, "entered_at": now,
               "effects": {"state": "pending", "lease_until": now},
               # What the year was before, so its effects compare against it whenever they run.
               "previous": None if current is None else {k: current[k] for k in ("holidays", "workdays")}}
        if not await self.store.save_year(year, doc, previous_version=None if current is None else current["version"]):
            raise CalendarChanged()
        await self.audit.record(actor=staff_actor(staff), action="calendar.year.enter", target_type="calendar_year",
                                target_id=str(year), ip=ip,
                                details={"year": year, "holidays": len(holidays), "workdays": len(workdays),
                                         "replaced": current is not None})
        summary = await self.apply_due(only=year)
        return {**self._year_view(year, await self.store.year(year)), "effects": summary.get(year, {})}

    def _checked(self, year: int, body: dict[str, Any]) -> tuple[set[dt.date], set[dt.date], dict[dt.date, str]]:
        """The entered days, or 400 naming the first day that is wrong."""
        if self.calendar.is_package_year(year):
            raise errors.InvalidInput({"year": f"{year} 年的放假安排已由日历软件包提供（国务院通知），不能再录入"})
        if not 2000 <= year <= 2099:
            raise errors.InvalidInput({"year": "年份须在 2000–2099 之间"})
        holidays: dict[dt.date, str] = {}
        workdays: set[dt.date] = set()
        given_names = body.get("names") or {}
        for i, day in enumerate(body["holidays"]):
            name = given_names.get(day)
            d = self._day(year, day, f"holidays.{i}")
            if d in holidays:
                raise errors.InvalidInput({f"holidays.{i}": f"{day} 重复列出"})
            holidays[d] = (name or "").strip() or None  # type: ignore[assignment]
        for i, day in enumerate(body["workdays"]):
            d = self._day(year, day, f"workdays.{i}")
            if d in workdays:
                raise errors.InvalidInput({f"workdays.{i}": f"{day} 重复列出"})
            if d in holidays:
                raise errors.InvalidInput({f"workdays.{i}": f"{day} 既列为放假日又列为调休上班日"})
            if d.weekday() < 5:
                raise errors.InvalidInput({f"workdays.{i}": f"{day} 是周{WEEKDAYS[d.weekday()]}，本来就是工作日；"
                                                             f"调休上班日只能是周六或周日"})
            workdays.add(d)
        if not holidays:
            raise errors.InvalidInput({"holidays": "请至少录入一个放假日（以国务院办公厅通知为准）"})
        for day in given_names:
            if day not in body["holidays"]:
                raise errors.InvalidInput({f"names.{day}": f"{day} 不在放假日中"})
        return set(holidays), workdays, {d: n for d, n in holidays.items() if n}

    @staticmethod
    def _day(year: int, value: str, field: str) -> dt.date:
        try:
            d = dt.date.fromisoformat(value)
        except ValueError:
            raise errors.InvalidInput({field: f"{value} 不是有效日期"}) from None
        if d.year != year:
            raise errors.InvalidInput({field: f"{value} 不在 {year} 年内"})
        return d

    def _change(self, year: int, entered: tuple[set[dt.date], set[dt.date], dict[dt.date, str]]) -> ScheduleChange:
        holidays, workdays, names = entered
        return self._change_to(entered_schedule(year, holidays, workdays, names), self.calendar)

    @staticmethod
    def _change_to(schedule: YearSchedule, before: WorkingCalendar) -> ScheduleChange:
        year = schedule.year
        after = before.with_year(schedule)
        first = dt.date(year, 1, 1)
        days = [first + dt.timedelta(days=k) for k in range((dt.date(year + 1, 1, 1) - first).days)]
        closed = tuple(d for d in days if before.is_working_day(d) and not after.is_working_day(d))
        opened = tuple(d for d in days if not before.is_working_day(d) and after.is_working_day(d))
        changed = tuple(d for d in days if before.is_working_day(d) != after.is_working_day(d)
                        or before.is_public_holiday(d) != after.is_public_holiday(d))
        reason = f"按国务院办公厅公布的{year}年节假日安排放假"
        return ScheduleChange(year, before, after, closed, opened, reason, changed)

    # Effects -----------------------------------------------------------------------------------
    async def apply_due(self, only: int | None = None) -> dict[int, dict[str, int]]:
        """Apply the effects of every entered year whose effects are pending, once, under a lease."""
        now = self.clock.now()
        done: dict[int, dict[str, int]] = {}
        for doc in await self.store.years_with_effects_due(now):
            if only is not None and doc["_id"] != only:
                continue
            if not await self.store.claim_effects(doc["_id"], doc["version"], now, now + LEASE):
                continue
            schedule = _schedule(doc)
            prev = doc.get("previous")
            before = self.calendar.with_year(_schedule({"_id": doc["_id"], **prev}) if prev
                                             else provisional_schedule(doc["_id"]))
            change = self._change_to(schedule, before)
            await self.refresh()  # the new schedule in force first: slots are planned again from it
            summary: dict[str, int] = {}
            for listener in self.listeners:
                for key, n in (await listener.apply(change)).items():
                    summary[key] = summary.get(key, 0) + n
            await self.store.effects_done(doc["_id"], doc["version"], summary, self.clock.now())
            await self.audit.record(actor=system_actor("calendar.effects"), action="calendar.year.effects",
                                    target_type="calendar_year", target_id=str(doc["_id"]), details=summary)
            done[doc["_id"]] = summary
        return done


def _schedule(doc: dict[str, Any]) -> YearSchedule:
    holidays = {dt.date.fromisoformat(h["date"]): h.get("name") for h in doc["holidays"]}
    return entered_schedule(doc["_id"], holidays, [dt.date.fromisoformat(w) for w in doc["workdays"]],
                            {d: n for d, n in holidays.items() if n})


def _day_label(d: dt.date) -> str:
    return f"{d.month}月{d.day}日（周{WEEKDAYS[d.weekday()]}）"


def _day_view(d: dt.date, cal: WorkingCalendar) -> dict[str, Any]:
    return {"date": d.isoformat(), "label": _day_label(d), "name": cal.holiday_name(d)}


def _summary(change: ScheduleChange, counts: dict[str, int]) -> str:
    parts = []
    if change.closed:
        parts.append(f"{len(change.closed)} 个原按工作日计算的日子改为放假")
    if change.opened:
        parts.append(f"{len(change.opened)} 个休息日改为调休上班")
    if not parts:
        parts.append("与目前使用的安排相比没有变化")
    effects = []
    if counts.get("appointments") or counts.get("waitlist"):
        effects.append(f"将取消 {counts.get('appointments', 0)} 个预约、{counts.get('waitlist', 0)} 个候补"
                       f"并通知相关群众")
    if counts.get("cases") or counts.get("complaints"):
        effects.append(f"将重新计算 {counts.get('cases', 0)} 个办件、{counts.get('complaints', 0)} 个工单的办理时限"
                       f"并告知群众和承办部门")
    return "；".join(parts + effects) + "。"

