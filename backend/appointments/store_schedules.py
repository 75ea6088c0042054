"""The appointments store's queries of hall schedules and day exceptions (a part of
``AppointmentStore``, which mixes it in; its collections are declared in ``store.py``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from backend.appointments.store_documents import exception_from_doc, periods_doc, schedule_from_doc
from backend.appointments.values import (
    DayException,
    Schedule,
    ScheduleSpec,
    ScheduleStatus,
)


class ScheduleQueries:
    _schedules: AsyncCollection[Any]
    _exceptions: AsyncCollection[Any]

    # == schedules and exceptions ==================================================================
    async def hall_schedules(self, hall_id: str) -> list[Schedule]:
        docs = await self._schedules.find({"hall_id": hall_id}).sort("service_id", ASCENDING).to_list(None)
        return [schedule_from_doc(d) for d in docs]

    async def active_schedules(self, *, hall_id: str | None = None,
                               service_id: str | None = None) -> list[Schedule]:
        q: dict[str, Any] = {}
        if hall_id:  # first: the clause the index serves (see docs/secantusdb-slow-paths.md)
            q["hall_id"] = hall_id
        if service_id:
            q["service_id"] = service_id
        q["status"] = ScheduleStatus.ACTIVE.value
        return [schedule_from_doc(d) for d in await self._schedules.find(q).to_list(None)]

    async def save_schedule(self, spec: ScheduleSpec, by: str, now: dt.datetime) -> None:
        """Create or replace the schedule of a service in a hall, active (its version goes up)."""
        fields = {"periods": periods_doc(spec.periods),
                  "slot_minutes": spec.slot_minutes, "windows": spec.windows, "per_window": spec.per_window,
                  "release_days": spec.release_days, "release_time": spec.release_time,
                  "status": ScheduleStatus.ACTIVE.value, "updated_at": now, "updated_by": by}
        await self._schedules.update_one({"hall_id": spec.hall_id, "service_id": spec.service_id},
                                         {"$set": fields, "$inc": {"version": 1}, "$setOnInsert": {"created_at": now}},
                                         upsert=True)

    async def seed_schedule(self, spec: ScheduleSpec, now: dt.datetime) -> None:
        """Create a schedule unless the hall already has one for the service (never overwrites)."""
        doc = {"hall_id": spec.hall_id, "service_id": spec.service_id, "periods": periods_doc(spec.periods),
               "slot_minutes": spec.slot_minutes, "windows": spec.windows, "per_window": spec.per_window,
               "release_days": spec.release_days, "release_time": spec.release_time,
               "status": ScheduleStatus.ACTIVE.value, "version": 1, "created_at": now, "updated_at": now}
        await self._schedules.update_one({"hall_id": spec.hall_id, "service_id": spec.service_id},
                                         {"$setOnInsert": doc}, upsert=True)

    async def deactivate_schedules_except(self, hall_id: str, keep: list[str], now: dt.datetime) -> list[str]:
        """Every active schedule of the hall not for a service in ``keep`` becomes inactive.
        Returns the services of all the hall's inactive schedules."""
        await self._schedules.update_many({"hall_id": hall_id, "service_id": {"$nin": keep}, "status": "active"},
                                          {"$set": {"status": "inactive", "updated_at": now}, "$inc": {"version": 1}})
        docs = await self._schedules.find({"hall_id": hall_id, "status": "inactive"}, {"service_id": 1}).to_list(None)
        return [d["service_id"] for d in docs]

    async def mark_planned(self, schedule_id: ObjectId, written: dict[str, str], forget: list[str]) -> None:
        """Remember from what each day's slots were last written (and forget days gone by)."""
        update: dict[str, Any] = {}
        if written:
            update["$set"] = {f"planned.{date}": fp for date, fp in written.items()}
        if forget:
            update["$unset"] = {f"planned.{date}": "" for date in forget}
        if update:
            await self._schedules.update_one({"_id": schedule_id}, update)

    async def hall_exceptions(self, hall_id: str, since: str | None = None) -> list[DayException]:
        q: dict[str, Any] = {"hall_id": hall_id}
        if since:
            q["date"] = {"$gte": since}
        return [exception_from_doc(d) for d in await self._exceptions.find(q).sort("date", ASCENDING).to_list(None)]

    async def exceptions_on(self, hall_id: str, date: str) -> list[DayException]:
        docs = await self._exceptions.find({"hall_id": hall_id, "date": date}).to_list(None)
        return [exception_from_doc(d) for d in docs]

    async def set_exception(self, e: DayException) -> DayException:
        """Set the exception of a hall (and service) on a date; returns it as stored. A window
        it was set for before stays named."""
        return await self._save_exception(e, name_window=False)

    async def close_day(self, e: DayException) -> DayException:
        """Record a closed day of a hall (or of one window: ``window_id``); returns it as stored."""
        return await self._save_exception(e, name_window=True)

    async def _save_exception(self, e: DayException, *, name_window: bool) -> DayException:
        doc: dict[str, Any] = {"hall_id": e.hall_id, "date": e.date, "service_id": e.service_id,
                               "kind": e.kind.value, "periods": [{"start": p.start, "end": p.end} for p in e.periods],
                               "note": e.note}
        if name_window:
            doc["window_id"] = e.window_id
        doc.update(updated_at=e.at, updated_by=e.by)
        key = {"hall_id": e.hall_id, "date": e.date, "service_id": e.service_id}
        await self._exceptions.update_one(key, {"$set": doc}, upsert=True)
        return exception_from_doc(await self._exceptions.find_one(key) or {**doc, **key})
