"""Who may see and do what to cases (办件), their ratings and rectification orders: one policy per
kind of thing, and the one function that loads a case and checks it.

A resident reaches only the cases they applied for (another's is not found: 404), including
those an agent filed in their name under their grant (帮办代办: the case is the grantor's).
Staff reach every case their roles allow; staff accounts carry no department, so no scope
narrows them further. Which staff role may take which step of the state machine is the
machine's own table (``service.MOVES``), checked on top of the ``move`` rule.
"""
from __future__ import annotations

from backend.cases.serials import serial_shaped
from backend.cases.store import CaseStore
from backend.cases.values import Case
from backend.core import errors
from backend.core.access import Policy, Principal, Resident, Rule, own, staff

STAFF_READ = ("clerk", "approver", "supervisor", "finance")

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
    "reply": staff("clerk", "approver", "supervisor"),
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
        return case
