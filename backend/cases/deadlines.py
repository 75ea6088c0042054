"""Deadlines counted on a provisional year, counted again when the year's official schedule is entered.

A case's deadline is a number of working days; what the provisional calendar said of days already
lived stays as it was lived, so the working days still left from today (or from the day the clock
stopped for a correction) are counted again on the official calendar. A resident whose deadline
moves is told, and so is the department, each once per move.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from backend.calendar.service import ScheduleChange
from backend.cases.store import CaseStore
from backend.cases.values import OPEN, Case, CaseStatus, Light
from backend.core.clock import TZ, Clock
from notify.outbox import Outbox

END_OF_DAY = dt.time(23, 59, 59)


class CaseDeadlines:
    """The cases domain's ``ScheduleListener``."""
    name = "cases"

    def __init__(self, *, store: CaseStore, outbox: Outbox, clock: Clock,
                 light_due: Callable[[str, dt.datetime | None, Light | None, dt.datetime], dt.datetime | None]):
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.light_due = light_due   # CaseService.light_due: when supervision next looks at a case

    async def impact(self, change: ScheduleChange) -> dict[str, int]:
        n = 0
        async for case in self.store.provisional_deadlines():
            moved = self._moved(case, change)
            n += moved is not None and moved[0] != moved[1]
        return {"cases": n}

    async def apply(self, change: ScheduleChange) -> dict[str, int]:
        n = 0
        now = self.clock.now()
        async for case in self.store.provisional_deadlines():
            moved = self._moved(case, change)
            if moved is None:
                continue
            old, new = moved
            provisional = change.after.provisional_within(self._anchor(case), new.astimezone(TZ).date())
            light_due_at = self.light_due(case.status, new, case.light, now)
            if not await self.store.move_deadline(case, deadline=new, provisional=provisional,
                                                  light_due_at=light_due_at):
                continue
            if new == old:
                continue
            n += 1
            payload = {"application_id": case.id, "serial": case.serial,
                       "service_name": case.service_name, "status": str(case.status), "old_deadline": old,
                       "deadline": new, "provisional": provisional, "reason": change.reason}
            key = f"case:{case.id}:deadline:{new.astimezone(TZ).date().isoformat()}"
            await self.outbox.emit("case.deadline_changed", user_id=case.applicant_id, payload=payload,
                                   dedupe_key=key)
            await self.outbox.alert_staff("deadline.changed", application_id=case.id,
                                          department_id=case.department_id, payload=payload, dedupe_key=key)
        return {"cases": n}

    def _anchor(self, case: Case) -> dt.date:
        paused = case.paused_at if case.status is CaseStatus.CORRECTION_REQUESTED else None
        return (paused or self.clock.now()).astimezone(TZ).date()

    def _moved(self, case: Case, change: ScheduleChange) -> tuple[dt.datetime, dt.datetime] | None:
        """(old, new) deadline of an open case whose deadline reaches into the changed year."""
        deadline = case.deadline
        if case.status not in OPEN or deadline is None:
            return None
        anchor = self._anchor(case)
        due = deadline.astimezone(TZ).date()
        if due < anchor or due.year < change.year:
            return None
        return deadline, dt.datetime.combine(change.recount(anchor, due), END_OF_DAY, TZ)
