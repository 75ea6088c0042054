"""Sandbox demo schedules: every bookable service of the demo catalogue, in each hall that
handles it, bookable to the hour (预约到小时) during the hall's opening hours, released 7 days
ahead at 08:00. Seeded once; what hall managers change afterwards is never overwritten.
"""
from __future__ import annotations

from typing import Any

SLOT_MINUTES = 60
PER_WINDOW = 3  # residents one window serves in an hour-long slot


async def seed(ctx: Any) -> None:
    """``ctx.appointments`` is the schedule service the appointments domain provides."""
    schedules = ctx.appointments
    for hall in await ctx.catalogue.halls():
        for svc in await ctx.catalogue.services(hall_id=hall["id"]):
            windows = sum(1 for w in hall.get("windows", []) if svc["id"] in w.get("service_ids", []))
            if svc["guide"].get("bookable") and windows:
                await schedules.seed_schedule(hall["id"], svc["id"], periods=hall["opening_hours"],
                                              slot_minutes=SLOT_MINUTES, windows=windows, per_window=PER_WINDOW)
    # Their slots are written by the appointments.generate job, which runs as the workers start
    # (and on demand when a day is asked for first): start-up does not wait for them.
