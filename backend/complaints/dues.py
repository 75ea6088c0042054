"""Stage due times counted on a provisional year, counted again when the year's official schedule
is entered: the working days still left from today keep their number on the new schedule. The
department (or the hotline, before assignment) and the resident are told, each once per move.

The complaints domain's ``ScheduleListener`` for the working calendar.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.calendar.service import ScheduleChange
from backend.complaints.service import CATEGORIES
from backend.core.clock import TZ, Clock

END_OF_DAY = dt.time(23, 59, 59)


class ComplaintDues:
    name = "complaints"

    def __init__(self, *, store: Any, outbox: Any, clock: Clock, stage: Any):
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
        for doc in await self.store.provisional_dues():
            moved = self._moved(doc, change)
            if moved is None:
                continue
            old, new = moved
            if not await self.store.move_due(doc["_id"], version=doc["version"], was=old,
                                             stage=self.stage(new, now)):
                continue
            if new == old:
                continue
            n += 1
            payload = {"complaint_id": str(doc["_id"]), "serial": doc["serial"],
                       "category": CATEGORIES[doc["category"]], "old_due": old, "due": new, "reason": change.reason}
            key = f"complaint:{doc['_id']}:due:{new.astimezone(TZ).date().isoformat()}"
            await self.outbox.emit("complaint.due_changed", user_id=doc["user_id"], payload=payload, dedupe_key=key)
            await self.outbox.alert_staff("complaint.due_changed", department_id=doc.get("department_id"),
                                          payload=payload, dedupe_key=key)
        return {"complaints": n}

    def _moved(self, doc: dict[str, Any], change: ScheduleChange) -> tuple[dt.datetime, dt.datetime] | None:
        due = doc.get("due")
        if due is None:
            return None
        today = self.clock.now().astimezone(TZ).date()
        day = due.astimezone(TZ).date()
        if day < today or day.year < change.year:
            return None
        return due, dt.datetime.combine(change.recount(today, day), END_OF_DAY, TZ)
