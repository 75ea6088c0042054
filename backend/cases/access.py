"""Who may see and do what to cases (办件), their ratings and rectification orders: one policy per
kind of thing, and the one function that loads a case and checks it.

A resident reaches only the cases they applied for (another's is not found: 404), including
those an agent filed in their name under their grant (帮办代办: the case is the grantor's).
Staff reach every case their roles allow, of their departments when their account is limited to
some (another department's case is 403 ``department_scope``). Which staff role may take which step of the state
machine is the machine's own table (``MOVES``), checked on top of the ``move`` rule; and whoever
received a case at a window or accepted it (受理) never decides it (``separated``).
Rectification orders go to a department: a member of staff limited to departments answers only
their own departments' (403 ``department_scope``).
"""
from __future__ import annotations

from backend.cases.serials import serial_shaped
from backend.cases.store import CaseStore
from backend.cases.values import Case, CaseStatus, Rectification
from backend.core import errors
from backend.core.access import Policy, Principal, Resident, Rule, Scope, Staff, own, staff
from backend.core.errors import DepartmentScope

STAFF_READ = ("clerk", "approver", "supervisor", "finance")

# from → {to: staff roles allowed (empty: resident only)}
MOVES: dict[str, dict[str, tuple[str, ...]]] = {
    "submitted": {"accepted": ("clerk",), "rejected": ("clerk", "approver"),
                  "correction_requested": ("clerk",), "withdrawn": ()},
    "accepted": {"in_review": ("clerk", "approver")},
    "in_review": {"approved": ("approver",), "rejected": ("approver",), "correction_requested": ("clerk", "approver")},
    "approved": {"completed": ("clerk",)},
    "correction_requested": {"submitted": (), "withdrawn": ()},
    "rejected": {}, "completed": {}, "withdrawn": {},
}


def separated(staff: Staff, case: Case, to: str) -> bool:
    """Whether the step ``to`` by ``staff`` keeps duties apart: the approval, or the refusal after
    review (不予批准), is never by who received the case at a window or accepted it (the case's
    timeline must be read in full)."""
    deciding = to == CaseStatus.APPROVED or (to == CaseStatus.REJECTED and case.status is CaseStatus.IN_REVIEW)
    return not deciding or not any(step.actor.type == "staff" and step.actor.id == staff.id and step.status in (
        CaseStatus.SUBMITTED, CaseStatus.ACCEPTED) for step in case.timeline)

CASE = Policy("case", {
    "apply": own(),                                 # a resident applies online (for themselves or a grantor)
    "view": own(),                                  # the applicant reads their case
    "withdraw": own(),
    "resubmit": own(),                              # answering a 补正
    "supply": own(),                                # promised (容缺) materials supplied later
    "rate": own(),                                  # 好差评
    "inspect": staff(*STAFF_READ),                  # staff read one case (by id or serial)
    "list": staff(*STAFF_READ),
    "register": staff("clerk"),                     # 窗口收件 for a resident
    "move": staff("clerk", "approver"),             # accept, review, approve, refuse, 补正, complete
    "review_material": staff("clerk", "approver"),
    "receive_material": staff("clerk"),             # a promised material handed in on paper
    "supervise": staff("supervisor"),               # 电子监察: lights and the summary
})

RATING = Policy("rating", {
    "list": staff("supervisor"),
})

RECTIFICATION = Policy("rectification", {
    "list": staff("supervisor", "clerk", "approver"),
    "reply": staff("clerk", "approver", "supervisor", scope=Scope.DEPARTMENT),
    "close": staff("supervisor"),
})


class CaseAccess:
    """Loads a case for one action of one principal, through the store."""

    def __init__(self, store: CaseStore):
        self._store = store

    async def access_case(self, principal: Principal | None, case_id: str, action: str, *,
                          brief: bool = False) -> Case:
        """The case, when ``principal`` may take ``action`` on it: 401 without a principal, 403 for
        staff without the action's roles (before anything is read), 404 for a case that does not
        exist or, for a resident, is not theirs. Staff inspecting may give the serial (办件编号)."""
        rule: Rule = CASE.rule(action)
        CASE.check(principal, action)
        case = await self._store.case(case_id, brief=brief)
        if case is None and action == "inspect":
            serial = serial_shaped(case_id)
            case = None if serial is None else await self._store.case_by_serial(serial)
        if case is None:
            raise errors.NotFound("未找到该办件")
        if isinstance(principal, Resident) and (not rule.resident or case.applicant_id != principal.id):
            raise errors.NotFound("未找到该办件")
        if isinstance(principal, Staff) and not principal.in_department(case.department_id):
            raise DepartmentScope("该办件属于其他部门，您无权处理", details={"department_id": case.department_id})
        return case

    async def may_read(self, staff: Staff, case_id: str) -> bool:
        """Whether ``staff`` may inspect the case (the files attached to it follow the case)."""
        try:
            await self.access_case(staff, case_id, "inspect", brief=True)
        except errors.AppError:
            return False
        return True

    async def access_rectification(self, principal: Principal | None, rect_id: str, action: str) -> Rectification:
        """The rectification order, when ``principal`` may take ``action`` on it: 403 without the
        roles, 404 when there is none, 403 ``department_scope`` for staff limited to other departments."""
        who = RECTIFICATION.check(principal, action)
        r = await self._store.rectification(rect_id)
        if r is None:
            raise errors.NotFound("未找到该整改单")
        if (isinstance(who, Staff) and RECTIFICATION.rule(action).scope is Scope.DEPARTMENT
                and not who.in_department(r.department_id)):
            raise DepartmentScope("该整改单属于其他部门，您无权答复", details={"department_id": r.department_id})
        return r
