"""Who may read and enter the working calendar, written once: the policy ``@operation(access=…)``
refers to and the service checks (the calendar is the whole centre's: no hall or department scope)."""
from __future__ import annotations

from typing import Any, Protocol

from backend.core import errors
from backend.core.access import Policy, Staff, staff

CALENDAR = Policy("calendar year", {
    "read": staff("admin", "supervisor"),
    "preview": staff("admin"),
    "enter": staff("admin"),
})


def access_calendar(principal: Any, action: str) -> Staff:
    """The member of staff, for ``action`` on the calendar (401 for no one, 403 without the role)."""
    who = CALENDAR.check(principal, action)
    if not isinstance(who, Staff):  # a resident: the calendar is not theirs (nothing is revealed)
        raise errors.NotFound()
    return who


class EnteredYears(Protocol):
    """Where the entered years are kept (``CalendarStore``)."""

    async def year(self, year: int) -> dict[str, Any] | None: ...


async def access_calendar_year(principal: Any, year: int, action: str,
                               years: EnteredYears) -> tuple[Staff, dict[str, Any] | None]:
    """The member of staff and the year as entered (None: not entered), for ``action`` on it."""
    who = access_calendar(principal, action)
    return who, await years.year(year)
