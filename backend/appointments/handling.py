"""Which staff handle a resident through a booking (identity reveal, registered with identity's
``resident_handling``), among window clerks and hall managers:

- those who acted on one of the resident's live bookings or its queue ticket (checked it in,
  called, recalled or finished the ticket: an action of theirs in the audit log that went through);
- the staff of a hall while the resident is there today: a booking of today at that hall checked
  in (holding its queue ticket), to staff whose account serves that hall.

Holding a role while a booking waits is not handling it."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from backend.appointments.access import HallAccess
from backend.appointments.store import AppointmentStore
from backend.core.access import Staff
from backend.core.clock import Clock
from backend.core.errors import HallScope

ROLES = frozenset({"clerk", "hall_manager"})
LIVE = ("booked", "checked_in")


class ActionsLog(Protocol):
    """The audit log: the targets an actor has acted on."""

    async def acted_on(self, actor_id: str, target_type: str, target_ids: list[str]) -> list[str]: ...


def booking_handling(store: AppointmentStore, log: ActionsLog, halls: HallAccess,
                     clock: Clock) -> Callable[[Staff, str], Awaitable[str | None]]:
    """The check identity's ``resident_handling`` asks (a HandlingCheck)."""
    def serves(staff: Staff, hall_id: str) -> bool:
        try:
            halls.in_scope(staff, hall_id)
        except HallScope:
            return False
        return True

    async def check(staff: Staff, resident_id: str) -> str | None:
        if not staff.roles & ROLES:
            return None
        live = [a for a in await store.user_appointments(resident_id, limit=20) if a.status in LIVE]
        if not live:
            return None
        acted = set(await log.acted_on(staff.id, "appointment", [str(a.id) for a in live]))
        acted |= set(await log.acted_on(staff.id, "ticket", [str(a.ticket_id) for a in live if a.ticket_id]))
        for a in live:
            if str(a.id) in acted or (a.ticket_id is not None and str(a.ticket_id) in acted):
                return f"appointment:{a.code or a.id}"
        today = clock.local_now().date().isoformat()
        for a in live:
            if a.status == "checked_in" and a.date == today and serves(staff, a.hall_id):
                return f"hall:{a.code or a.id}"
        return None
    return check
