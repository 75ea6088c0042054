"""Which staff handle a resident through a case (identity reveal, registered with identity's
``resident_handling``): window clerks while the case is at the window (submitted, waiting for a
correction, accepted, or approved and waiting to be handed over); approvers from acceptance until
the decision is carried out."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.cases.store import CaseStore
from backend.core.access import Staff

HANDLED_AT = {
    "clerk": frozenset({"submitted", "correction_requested", "accepted", "approved"}),
    "approver": frozenset({"accepted", "in_review", "approved"}),
}


def case_handling(store: CaseStore) -> Callable[[Staff, str], Awaitable[str | None]]:
    """Identity's ``HandlingCheck`` for cases."""
    async def check(staff: Staff, resident_id: str) -> str | None:
        statuses: frozenset[str] = frozenset().union(*(HANDLED_AT.get(role, frozenset()) for role in staff.roles))
        if not statuses:
            return None
        for case in await store.cases_of_applicant(resident_id, before=None, limit=20):
            if case.status in statuses:
                return f"case:{case.serial}"
        return None
    return check
