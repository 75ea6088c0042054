"""An appointment's life: its statuses, which person keys it keeps in each, when the sweep must
next look at it, and the one guarded move between statuses.

Statuses: ``pending`` → ``booked`` → ``checked_in`` → ``served`` | ``absent``; ``booked`` →
``cancelled`` | ``no_show`` | ``cancelled_by_centre`` (its day or window closed: never a no-show);
``pending`` → ``abandoned`` (only by the reconciler, after a crash).

Each move is one conditional update on the previous status that also sets ``due_at`` (when
the sweep must next act: a message to send, a reminder, the end of the slot, a place to give
back) and adds the messages the move causes to ``notes``. The sweep hands notes to the outbox
with a dedupe key each, so a message is sent once even if the sweep repeats itself.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.appointments.store import AppointmentStore
from backend.appointments.values import BOOKING_KEYS, AppointmentStatus, PersonRule
from backend.config import AppointmentsConfig


def person_keys(doc: dict[str, Any], nth: dict[PersonRule, int]) -> list[str]:
    """The person keys (``BOOKING_KEYS``) a new booking takes, the ``nth`` of each rule."""
    return BOOKING_KEYS.new_keys(doc["user_id"], doc["slot_id"], doc["service_id"], doc["date"], nth)


def reminders_ahead(cfg: AppointmentsConfig, start: dt.datetime, now: dt.datetime) -> list[int]:
    """The reminders (minutes before the start) still ahead of a booking made now, earliest first."""
    return sorted({m for m in (cfg.first_reminder_minutes, cfg.second_reminder_minutes)
                   if m > 0 and start - dt.timedelta(minutes=m) > now}, reverse=True)


def next_due(a: dict[str, Any], now: dt.datetime, cfg: AppointmentsConfig) -> dt.datetime | None:
    """When the sweep must next look at the appointment (None: nothing more to do)."""
    if a.get("notes"):
        return now
    status = a["status"]
    if status == "pending":
        created: dt.datetime = a["created_at"]
        return created + dt.timedelta(seconds=cfg.pending_timeout_seconds)
    if status == "booked":
        start: dt.datetime = a["start"]
        end: dt.datetime = a["end"]
        return min([end, *(start - dt.timedelta(minutes=m) for m in a.get("reminders", []))])
    if status in ("cancelled", "cancelled_by_centre", "abandoned") and a.get("place_released") is False:
        return now
    if status == "no_show" and a.get("no_show_recorded") is False:
        return now
    return None


async def move(store: AppointmentStore, a: dict[str, Any], to: AppointmentStatus, now: dt.datetime,
               cfg: AppointmentsConfig, *,
               notes: tuple[str, ...] = (), extra: dict[str, Any] | None = None,
               session: Any = None) -> dict[str, Any] | None:
    """``a`` (as last read) → ``to``, only if it is still in the status it was read in. Returns
    the appointment as it now is, or None when it had changed meanwhile."""
    keys = BOOKING_KEYS.kept(a.get("keys", []), to)
    new = {**a, **(extra or {}), "status": to, "updated_at": now, "at": {**a.get("at", {}), to: now},
           "notes": sorted({*a.get("notes", []), *notes}), "v": a.get("v", 0) + 1}
    changes: dict[str, Any] = {"status": to, "updated_at": now, f"at.{to}": now, **(extra or {})}
    unset: list[str] = []
    if keys:
        new["keys"] = changes["keys"] = keys
    else:
        new.pop("keys", None)
        unset.append("keys")
    due = next_due(new, now, cfg)
    if due is None:
        new.pop("due_at", None)
        unset.append("due_at")
    else:
        new["due_at"] = changes["due_at"] = due
    ok = await store.change(a["_id"], a["status"], changes, unset=tuple(unset), notes=notes, session=session)
    return new if ok else None
