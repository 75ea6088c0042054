"""Build the working calendar: the three layers, the entered years, and the job that shares them."""
from __future__ import annotations

from backend.calendar import handlers, words
from backend.calendar.service import CalendarService
from backend.calendar.store import COLLECTIONS, CalendarStore
from backend.calendar.working import WorkingCalendar
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, JobSpec


def build(config: Config, deps: Deps) -> Domain:
    calendar = WorkingCalendar(config.calendar.holidays, config.calendar.workdays)
    service = CalendarService(store=CalendarStore(deps.db), calendar=calendar, audit=deps.need("audit"),
                              clock=deps.clock)
    return Domain(
        "calendar", words=words.WORDS, service=service,
        routes=bind(handlers.default_handlers, calendar=service),
        collections=list(COLLECTIONS),
        upkeep=[JobSpec("calendar.refresh", service.run, config.calendar.refresh_seconds)],
        on_start=[service.refresh],
        provides={"calendar": calendar, "calendar_service": service},
    )
