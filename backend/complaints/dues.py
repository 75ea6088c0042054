"""Stage due times counted on a provisional year, counted again when the year's official schedule
is entered: the working days still left from today keep their number on the new schedule. The
department (or the hotline, before assignment) and the resident are told, each once per move.

The complaints domain's ``ScheduleListener`` for the working calendar.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from backend.calendar.service import ScheduleChange
from backend.complaints.labels import CATEGORIES
from backend.complaints.ports import ComplaintEvents
from backend.complaints.values import Complaint, StageDue
from backend.core.clock import TZ, Clock

END_OF_DAY = dt.time(23, 59, 59)


class DueStore(Protocol):
    """The complaints store's reads and moves of provisional due times."""

    async def provisional_dues(self) -> list[Complaint]: ...

    async def move_due(self, c: Complaint, stage: StageDue) -> bool: ...


class ComplaintDues:
    name = "complaints"

    def __init__(self, *, store: DueStore, outbox: ComplaintEvents, clock: Clock,
                 stage: Callable[[dt.datetime, dt.datetime], StageDue]):
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.stage = stage   # ComplaintService.stage(due, now): the due time, its light and its mark

    async def impact(self, change: ScheduleChange) -> dict[str, int]:
        return {"complaints": sum(1 for d in await self.store.provisional_dues()
                                  if (m := self._moved(d, change)) and m[0] != m[1])}

    async def apply(self, change: ScheduleChange) -> dict[str, int]:
        n = 0
        now = self.clock.now()
        for c in await self.store.provisional_dues():
            moved = self._moved(c, change)
            if moved is None:
                continue
            old, new = moved
            if not await self.store.move_due(c, self.stage(new, now)):
                continue
            if new == old:
                continue
            n += 1
            payload = {"complaint_id": c.id, "serial": c.serial,
                       "category": CATEGORIES[c.category], "old_due": old, "due": new, "reason": change.reason}
            key = f"complaint:{c.id}:due:{new.astimezone(TZ).date().isoformat()}"
            await self.outbox.emit("complaint.due_changed", user_id=c.user_id, payload=payload, dedupe_key=key)
            await self.outbox.alert_staff("complaint.due_changed", department_id=c.department_id,
                                          payload=payload, dedupe_key=key)
        return {"complaints": n}

    def _moved(self, c: Complaint, change: ScheduleChange) -> tuple[dt.datetime, dt.datetime] | None:
        due = c.due
        if due is None:
            return None
        today = self.clock.now().astimezone(TZ).date()
        day = due.astimezone(TZ).date()
        if day < today or day.year < change.year:
            return None
        return due, dt.datetime.combine(change.recount(today, day), END_OF_DAY, TZ)
