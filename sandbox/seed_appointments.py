"""Sandbox demo schedules: every bookable service of the demo catalogue, in each hall that
handles it, bookable to the hour (预约到小时) during the hall's opening hours, released 7 days
ahead at 08:00. Seeded once; what hall managers change afterwards is never overwritten.
"""
from __future__ import annotations

from typing import Any

SLOT_MINUTES = 60
PER_WINDOW = 3  # residents one window serves in an hour-long slot


async def seed(ctx: Any) -> None:
    appts = ctx.appointments
    cfg = ctx.config.appointments
    now = ctx.clock.now()
    for hall in await ctx.catalogue.store.list_halls():
        hall_id = str(hall["_id"])
        for svc in await ctx.catalogue.store.list_services(hall_id=hall_id):
            windows = sum(1 for w in hall.get("windows", []) if str(svc["_id"]) in w.get("service_ids", []))
            if not svc["guide"].get("bookable") or windows == 0:
                continue
            await appts.store.schedules.update_one({"hall_id": hall_id, "service_id": str(svc["_id"])}, {"$setOnInsert": {
                "hall_id": hall_id, "service_id": str(svc["_id"]), "periods": hall["opening_hours"],
                "slot_minutes": SLOT_MINUTES, "windows": windows, "per_window": PER_WINDOW,
                "release_days": cfg.release_days, "release_time": cfg.release_time, "status": "active",
                "version": 1, "created_at": now, "updated_at": now}}, upsert=True)
    await appts.generate()
