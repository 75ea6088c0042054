"""Who is called next at a hall (叫号): the booking's promise, 预约优先.

Two lanes, one queue per service area (the ticket number's prefix):
- **Booked, due**: a ticket from a check-in whose booked slot has started (``due``, the slot's
  start, is not after now). These are called first, by slot start and then by when their holder
  arrived. A resident who checked in by the end of the check-in time is therefore called before
  every walk-in, whenever the walk-ins came: once the slot starts, only booked residents of the
  same or earlier slots in the same area, and the tickets already at the windows, are ahead.
- **Everyone else**, by when they came (``order``): walk-ins, and booked residents who checked in
  early for a slot that has not started (they may be called early when nobody else waits; once
  their slot starts they move to the first lane).

A ticket sent back after 过号 (once; the second 过号 is final) joins the second lane at its end,
booked or not. Tickets of earlier versions carry no ``due``: they rank by ``order`` in the second
lane.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from backend.appointments.values import Ticket, TicketKind


def ms(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


def call_rank(t: Ticket, now_ms: int) -> tuple[int, int, int, int]:
    """A waiting ticket's place in the call order at ``now_ms``: lower is called first."""
    if t.kind == TicketKind.APPOINTMENT and t.due is not None and t.due <= now_ms and not t.requeued:
        return (0, t.due, t.order, t.seq)
    return (1, t.order, 0, t.seq)


def in_call_order(waiting: Iterable[Ticket], now_ms: int) -> list[Ticket]:
    return sorted(waiting, key=lambda t: call_rank(t, now_ms))


def ahead_of(t: Ticket, waiting: Iterable[Ticket], now_ms: int) -> int:
    """How many waiting tickets of ``t``'s area would be called before it now."""
    mine = call_rank(t, now_ms)
    return sum(1 for w in waiting if w.id != t.id and w.prefix == t.prefix and call_rank(w, now_ms) < mine)
