"""Who may see and do what with complaints (12345 工单), written once.

Residents reach their own complaints only (another's is 404). Staff reach complaints by role; a
reply is narrowed by handling: the hotline answers a complaint it has not assigned yet, the
department's clerks and approvers one assigned to a department. A member of staff whose account
is limited to departments reaches only the complaints assigned to one of them (403
``department_scope``). ``access_complaint`` loads the complaint and checks the action's rule with
its scope.
"""
from __future__ import annotations

from typing import Any

from backend.complaints.store import ComplaintStore
from backend.complaints.values import Complaint, ComplaintStatus
from backend.core import errors
from backend.core.access import Policy, Resident, Scope, Staff, access_staff_role, own, staff
from backend.core.errors import DepartmentScope

READERS = ("hotline", "clerk", "approver", "supervisor")
HOTLINE = ("hotline",)
DEPARTMENT = ("clerk", "approver")

COMPLAINT = Policy("complaint", {
    "submit": own(),
    "view": own(),
    "feedback": own(),
    "list": staff(*READERS),
    "read": staff(*READERS),
    "assign": staff(*HOTLINE),
    "reply": staff(*HOTLINE, *DEPARTMENT, scope=Scope.HANDLING),
    "merge": staff(*HOTLINE),
    "contact": staff(*HOTLINE, *DEPARTMENT, scope=Scope.HANDLING),
    "summary": staff("supervisor"),
})

# Who handles an open complaint at each status (the HANDLING scope).
HANDLERS = {ComplaintStatus.RECEIVED: HOTLINE, ComplaintStatus.ASSIGNED: DEPARTMENT}


class ComplaintAccess:
    """Loads complaints for whoever asks, checked against ``COMPLAINT``."""

    def __init__(self, store: ComplaintStore) -> None:
        self._store = store

    async def access_complaint(self, principal: Any, complaint_id: str,
                               action: str) -> Complaint:
        """The complaint, when ``principal`` may take ``action`` on it: 404 when there is none (or it
        is another resident's), 403 for staff without the action's roles or not handling it now. A
        complaint no one handles any more passes the scope; the move itself then refuses (409)."""
        rule = COMPLAINT.rule(action)
        COMPLAINT.check(principal, action)
        c = await self._store.get(complaint_id)
        if isinstance(principal, Resident):
            if c is None or c.user_id != principal.id:
                raise errors.NotFound()
            return c
        if c is None:
            raise errors.NotFound("未找到该工单")
        if isinstance(principal, Staff) and not principal.in_department(c.department_id):
            raise DepartmentScope("该工单未交办给您的部门，您无权处理", details={"department_id": c.department_id})
        if rule.scope == Scope.HANDLING and c.status in HANDLERS:
            access_staff_role(principal, HANDLERS[c.status])
        return c

    async def may_read(self, staff: Staff, complaint_id: str) -> bool:
        """Whether ``staff`` may read the complaint (its photos follow it)."""
        try:
            await self.access_complaint(staff, complaint_id, "read")
        except errors.AppError:
            return False
        return True
