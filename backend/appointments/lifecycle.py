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
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from backend.appointments.store import AppointmentStore
from backend.appointments.values import BOOKING_KEYS, Appointment, AppointmentStatus, Move, PersonRule, TicketRef
from backend.config import AppointmentsConfig


def person_keys(a: Appointment, nth: dict[PersonRule, int], rules: Iterable[PersonRule]) -> tuple[str, ...]:
    """The person keys (``BOOKING_KEYS``) a new booking takes for ``rules``, the ``nth`` of each."""
    return tuple(BOOKING_KEYS.new_keys(a.user_id, a.slot_id, a.service_id, a.date, nth, rules))


def reminders_ahead(cfg: AppointmentsConfig, start: dt.datetime, now: dt.datetime) -> list[int]:
    """The reminders (minutes before the start) still ahead of a booking made now, earliest first."""
    return sorted({m for m in (cfg.first_reminder_minutes, cfg.second_reminder_minutes)
                   if m > 0 and start - dt.timedelta(minutes=m) > now}, reverse=True)


def next_due(a: Appointment, now: dt.datetime, cfg: AppointmentsConfig) -> dt.datetime | None:
    """When the sweep must next look at the appointment (None: nothing more to do)."""
    if a.notes:
        return now
    status = a.status
    if status == AppointmentStatus.PENDING:
        return a.created_at + dt.timedelta(seconds=cfg.pending_timeout_seconds)
    if status == AppointmentStatus.BOOKED:
        return min([a.end, *(a.start - dt.timedelta(minutes=m) for m in a.reminders)])
    if status in _GIVES_BACK and a.place_released is False:
        return now
    if status == AppointmentStatus.NO_SHOW and a.no_show_recorded is False:
        return now
    return None


# The statuses in which an appointment's place goes back to the slot.
_GIVES_BACK = (AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED_BY_CENTRE, AppointmentStatus.ABANDONED)


async def move(store: AppointmentStore, a: Appointment, to: AppointmentStatus, now: dt.datetime,
               cfg: AppointmentsConfig, *, notes: tuple[str, ...] = (), release_place: bool = False,
               record_no_show: bool = False, clear_reminders: bool = False, cancel_reason: str | None = None,
               ticket: TicketRef | None = None, session: Any = None) -> Appointment | None:
    """``a`` (as last read) → ``to``, only if it is still in the status it was read in. Returns
    the appointment as it now is, or None when it had changed meanwhile."""
    m = Move(from_=a.status, to=to, at=now, keys=tuple(BOOKING_KEYS.kept(a.keys, to)),
             due_at=None, notes=notes, release_place=release_place, record_no_show=record_no_show,
             clear_reminders=clear_reminders, cancel_reason=cancel_reason, ticket=ticket)
    due = next_due(store.moved(a, m), now, cfg)
    m = replace(m, due_at=due)
    ok = await store.move(a.id, m, session=session)
    return store.moved(a, m) if ok else None
