"""Which staff handle a resident through a case: window clerks and approvers, while the resident has
a case that is not finished. Registered with identity's ``resident_handling`` (identity reveal)."""
from __future__ import annotations

from backend.cases.store import OPEN, CaseStore
from backend.core.access import Staff

ROLES = frozenset({"clerk", "approver"})


def case_handling(store: CaseStore):  # noqa: ANN201 - a HandlingCheck
    async def check(staff: Staff, resident_id: str) -> str | None:
        if not staff.roles & ROLES:
            return None
        for case in await store.cases_of_applicant(resident_id, before=None, limit=20):
            if case["status"] in OPEN:
                return f"case:{case['serial']}"
        return None
    return check
