"""Filing cases for another domain: a 一件事 (bundles) prepares one case per service, stores them
all in its own transaction, and makes its submission once through the cases' ledger of
submissions. What bundles' ``CaseIntake`` port asks of cases, and nothing more."""
from __future__ import annotations

from typing import Any

from backend.cases.once import Submissions
from backend.cases.service import CaseService
from backend.cases.values import Actor, BundleLink, Case, Channel, FormField, Plan


class CaseIntakeDesk:
    def __init__(self, cases: CaseService, once: Submissions):
        self._cases = cases
        self._once = once

    def plan(self, user_id: str, scope: str, body: dict[str, Any], key: str | None) -> Plan:
        return self._once.plan(user_id, scope, body, key)

    async def first(self, plan: Plan) -> dict[str, str] | None:
        return await self._once.first(plan)

    async def claim(self, plan: Plan, result: dict[str, str], session: Any) -> None:
        await self._once.claim(plan, result, session)

    async def prepare(self, applicant_id: str, body: dict[str, Any], *, actor: Actor, channel: Channel,
                      note: str | None = None, bundle_id: str | None = None,
                      form_fields: list[FormField] | None = None) -> Case:
        return await self._cases.prepare(applicant_id, body, actor=actor, channel=channel, note=note,
                                         bundle_id=bundle_id, form_fields=form_fields)

    async def insert(self, case: Case, session: Any, *, bundle: BundleLink, note: str) -> Case:
        """Store a prepared case of the bundle, in the bundle's transaction; its first step's ``note``."""
        return await self._cases.insert(case, session, bundle=bundle, note=note)

    async def own_views(self, case_ids: list[str]) -> list[dict[str, Any]]:
        return await self._cases.own_views(case_ids)

    def view(self, case: Case) -> dict[str, Any]:
        """The applicant's view of a case just filed."""
        return self._cases.view(case, staff=False)
