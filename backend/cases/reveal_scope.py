"""Which staff handle a resident through a case (identity reveal, registered with identity's
``resident_handling``): those who acted on one of the resident's open cases — an action of theirs
on it in the audit log that went through (registering it, accepting it, reviewing a material,
moving it on). Holding a role while a case waits is not handling it."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from backend.cases.store import CaseStore
from backend.core.access import Staff

OPEN = frozenset({"submitted", "correction_requested", "accepted", "in_review", "approved"})


class ActionsLog(Protocol):
    """The audit log: the targets an actor has acted on."""

    async def acted_on(self, actor_id: str, target_type: str, target_ids: list[str]) -> list[str]: ...


def case_handling(store: CaseStore, log: ActionsLog) -> Callable[[Staff, str], Awaitable[str | None]]:
    """Identity's ``HandlingCheck`` for cases."""
    async def check(staff: Staff, resident_id: str) -> str | None:
        open_cases = [c for c in await store.cases_of_applicant(resident_id, before=None, limit=20)
                      if c.status in OPEN]
        acted = set(await log.acted_on(staff.id, "application", [c.id for c in open_cases]))
        for case in open_cases:
            if case.id in acted:
                return f"case:{case.serial}"
        return None
    return check
