"""Build the working calendar: the three layers, the entered years, and the job that shares them."""
from __future__ import annotations

from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.calendar import handlers, words
from backend.calendar.service import CalendarService
from backend.calendar.store import COLLECTIONS, CalendarStore
from backend.calendar.working import WorkingCalendar
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, JobSpec
from backend.core.infra import Infra


@dataclass(frozen=True)
class Needs:
    audit: AuditLog


@dataclass(frozen=True)
class CalendarProvides:
    calendar: WorkingCalendar    # working days, for deadlines and opening days
    schedules: CalendarService   # ``listen(...)``: told when the entered years change a day


def build(config: Config, infra: Infra, needs: Needs) -> Built[CalendarProvides]:
    calendar = WorkingCalendar(config.calendar.holidays, config.calendar.workdays)
    service = CalendarService(store=CalendarStore(infra.db), calendar=calendar, audit=needs.audit,
                              clock=infra.clock)
    return Built(Domain(
        "calendar", words=words.WORDS, service=service,
        routes=bind(handlers.default_handlers, calendar=service),
        collections=list(COLLECTIONS),
        upkeep=[JobSpec("calendar.refresh", service.run, config.calendar.refresh_seconds)],
        on_start=[service.refresh],
    ), CalendarProvides(calendar=calendar, schedules=service))
