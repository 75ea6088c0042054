"""Who may do what to the appointments domain's things, written once: a policy per kind of thing
(action → rule), which ``@operation(access=…)`` refers to, and one ``access_<thing>`` per kind that
loads the thing and checks the rule with its scope.

- A resident reaches only their own bookings and waitlist entries (another's is 404).
- Staff reach what their roles allow, in the halls their account is limited to (``hall_ids``;
  none: every hall, carried on the principal): another hall is 403 ``hall_scope``.
"""
from __future__ import annotations

from typing import Any

from backend.appointments.store import AppointmentStore
from backend.appointments.values import Appointment, Ticket, WaitlistEntry
from backend.catalogue.service import CatalogueService
from backend.core import errors
from backend.core.access import Policy, Resident, Scope, Staff, own, staff
from backend.core.errors import HallScope

HALL = Policy("hall", {
    "schedules": staff("hall_manager", scope=Scope.HALL),     # schedules, exceptions, releasing slots
    "closures": staff("hall_manager", scope=Scope.HALL),      # closing days or a window
    "calendar": staff("hall_manager", "clerk", scope=Scope.HALL),
    "appointments": staff("clerk", "hall_manager", scope=Scope.HALL),  # a day's bookings
    "queue": staff("clerk", "hall_manager", scope=Scope.HALL),
    "walk_in": staff("clerk", scope=Scope.HALL),
    "call": staff("clerk", scope=Scope.HALL),
})

APPOINTMENT = Policy("appointment", {
    "book": own(),
    "read": own(),
    "cancel": own(),
    "find": staff("clerk", "hall_manager", scope=Scope.HALL),  # by its code, at the window
    "check_in": staff("clerk", scope=Scope.HALL),
})

WAITLIST = Policy("waitlist entry", {
    "join": own(),
    "read": own(),
    "accept": own(),
    "leave": own(),
})

TICKET = Policy("ticket", {
    "recall": staff("clerk", scope=Scope.HALL),
    "finish": staff("clerk", scope=Scope.HALL),
})


class HallAccess:
    """Hall scope: the hall a member of staff acts in, if their account may."""

    def __init__(self, catalogue: CatalogueService):
        self._catalogue = catalogue

    @staticmethod
    def in_scope(principal: Staff, hall_id: str) -> None:
        """403 ``hall_scope`` when the account is limited to other halls."""
        if not principal.in_hall(hall_id):
            raise HallScope("您无权操作该大厅", details={"hall_id": hall_id})

    async def access_hall(self, principal: Any, hall_id: str, action: str) -> dict[str, Any]:
        """The hall, for ``action`` of ``HALL`` by this member of staff."""
        who = HALL.check(principal, action)
        if isinstance(who, Staff) and HALL.rule(action).scope == Scope.HALL:
            self.in_scope(who, hall_id)
        return await self._catalogue.hall(hall_id)


class AppointmentAccess:
    """Loads bookings, waitlist entries and tickets for a caller, checking their policy."""

    def __init__(self, store: AppointmentStore, halls: HallAccess | None):
        self._store = store
        self._halls = halls

    async def _scoped(self, who: Staff, hall_id: str) -> None:
        if self._halls is None:  # a service built without hall scope serves residents only
            raise errors.Forbidden()
        self._halls.in_scope(who, hall_id)

    async def check_appointment(self, principal: Any, a: Appointment | None, action: str) -> Appointment:
        """``a`` (as read) for ``action`` of ``APPOINTMENT``: the resident's own (else 404), or one
        of the member of staff's halls (else 403)."""
        who = APPOINTMENT.check(principal, action)
        if a is None:
            raise errors.NotFound()
        if isinstance(who, Resident):
            if a.user_id != who.id:
                raise errors.NotFound()
        elif APPOINTMENT.rule(action).scope == Scope.HALL:
            await self._scoped(who, a.hall_id)
        return a

    async def access_appointment(self, principal: Any, appt_id: str, action: str) -> Appointment:
        return await self.check_appointment(principal, await self._store.appointment(appt_id), action)

    async def access_waitlist_entry(self, principal: Any, entry_id: str, action: str) -> WaitlistEntry:
        """A waitlist entry of this resident (another's, or none, is 404)."""
        who = WAITLIST.check(principal, action)
        w = await self._store.waitlist_entry(entry_id)
        if w is None or not isinstance(who, Resident) or w.user_id != who.id:
            raise errors.NotFound()
        return w

    async def access_ticket(self, principal: Any, ticket_id: str, action: str) -> Ticket:
        """A queue ticket of one of the member of staff's halls."""
        who = TICKET.check(principal, action)
        t = await self._store.ticket(ticket_id)
        if t is None:
            raise errors.NotFound("未找到该排队号")
        if isinstance(who, Staff) and TICKET.rule(action).scope == Scope.HALL:
            await self._scoped(who, t.hall_id)
        return t
