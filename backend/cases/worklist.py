"""What staff look for among cases: the lists by status, department, light or open promise (newest
first, or oldest first for a worklist), finding cases by serial, name or ID number, and the counts a
worklist lands on.

Finding by name or ID number goes through the user directory, which matches them by their keyed
hashes (identity stores neither in plain): an ID number exactly, a name as the full name exactly.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson import ObjectId

from backend.audit.service import AuditLog, staff_actor
from backend.cases.access import CASE
from backend.cases.ports import Applicants
from backend.cases.serials import serial_shaped
from backend.cases.store import CaseStore
from backend.cases.values import OPEN, Case
from backend.core.access import Staff
from backend.core.clock import Clock
from backend.core.ids import cursor_id


class CaseWorklist:
    def __init__(self, *, store: CaseStore, users: Applicants, audit: AuditLog, clock: Clock,
                 view: Callable[..., dict[str, Any]]):
        self.store = store
        self.users = users
        self.audit = audit
        self.clock = clock
        self.view = view  # ``CaseService.view``: the one place a case's JSON is built

    async def list_staff(self, staff: Staff, q: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
        """Cases by status, department and light; or, given ``serial`` or ``q``, the case of that
        serial or the cases of the resident with that ID number or full name."""
        CASE.check(staff, "list")
        limit = q.get("limit", 50)
        before = cursor_id(q.get("cursor"))
        if q.get("serial") or q.get("q"):
            cases = await self._search(staff, q.get("serial"), q.get("q"), before, limit + 1, ip)
        elif q.get("promise"):
            cases = await self.store.cases_with_open_promises(
                overdue_at=self.clock.now() if q["promise"] == "overdue" else None, before=before, limit=limit + 1)
        else:
            cases = await self.store.cases_for_staff(
                status=q.get("status"), statuses=OPEN if q.get("open_only") else (),
                department_id=q.get("department_id"), light=q.get("light"), before=before,
                limit=limit + 1, oldest=q.get("order") == "oldest")
        more = len(cases) > limit
        cases = cases[:limit]
        mine = [c for c in cases if staff.in_department(c.department_id)]  # a page may come short
        return {"items": await self._staff_views(mine), "next_cursor": cases[-1].id if more else None}

    async def counts(self, staff: Staff) -> dict[str, Any]:
        """How many cases wait at each open status and since when, and the open 容缺 promises."""
        CASE.check(staff, "list")
        waiting = await self.store.waiting(OPEN)
        promised, overdue = await self.store.promise_counts(self.clock.now())
        return {"items": [{"status": str(w.status), "count": w.count, "oldest_at": w.oldest_at} for w in waiting],
                "promises": {"open": promised, "overdue": overdue}}

    async def _search(self, staff: Staff, serial: str | None, text: str | None, before: ObjectId | None,
                      limit: int, ip: str | None) -> list[Case]:
        exact = serial_shaped(serial or text or "")
        if exact is not None:
            case = await self.store.case_by_serial(exact)
            return [case] if case is not None and (before is None or ObjectId(case.id) < before) else []
        if serial or not text:
            return []
        people = await self.users.find(text)
        cases = await self.store.cases_of_applicants([p.id for p in people], before=before, limit=limit)
        if before is None:  # one entry per search, not per page
            await self.audit.record(actor=staff_actor(staff), action="case.search", target_type="resident",
                                    target_id=people[0].id if len(people) == 1 else None,
                                    details={"residents": len(people)}, ip=ip)
        return cases

    async def _staff_views(self, cases: list[Case]) -> list[dict[str, Any]]:
        """Staff views of a list of cases, their applicants read in one call."""
        people = await self.users.get_many([c.applicant_id for c in cases]) if cases else {}
        return [self.view(c, staff=True, applicant=people.get(c.applicant_id)) for c in cases]
