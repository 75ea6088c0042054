"""Which staff handle a resident through a booking: window clerks, while the resident holds a booking
or a queue ticket that is not over. Registered with identity's ``resident_handling``."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.appointments.store import AppointmentStore
from backend.core.access import Staff

ROLES = frozenset({"clerk", "hall_manager"})
LIVE = ("booked", "checked_in")


def booking_handling(store: AppointmentStore) -> Callable[[Staff, str], Awaitable[str | None]]:
    """The check identity's ``resident_handling`` asks (a HandlingCheck)."""
    async def check(staff: Staff, resident_id: str) -> str | None:
        if not staff.roles & ROLES:
            return None
        for appt in await store.user_appointments(resident_id, limit=20):
            if appt.status in LIVE:
                return f"appointment:{appt.code or appt.id}"
        return None
    return check
