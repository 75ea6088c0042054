"""Who may see a resident's full identity: only staff who acted on that resident's open case or
live booking (an action of theirs in the audit log), or the staff of the hall the resident is at
today (checked in). Identity does not know cases or bookings; each domain that has them registers
a check here (its builder's ``needs.handling.add(check)``).

A check answers, for a staff member and a resident, why that member is handling the resident
(``"case:20260301-0001"``), or None. The answer is recorded with every reveal.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.core.access import Staff
from backend.identity.errors import NotHandling

HandlingCheck = Callable[[Staff, str], Awaitable[str | None]]


class ResidentHandling:
    def __init__(self) -> None:
        self._checks: list[HandlingCheck] = []

    def add(self, check: HandlingCheck) -> None:
        self._checks.append(check)

    async def why(self, staff: Staff, resident_id: str) -> str | None:
        for check in self._checks:
            reason = await check(staff, resident_id)
            if reason:
                return reason
        return None


async def access_reveal(staff: Staff, resident_id: str, handling: ResidentHandling) -> str:
    """The staff member's tie to the resident; 403 ``not_handling`` when there is none."""
    why = await handling.why(staff, resident_id)
    if why is None:
        raise NotHandling()
    return why
