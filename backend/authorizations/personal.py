"""Authorizations' part of a resident's own data: the grants (帮办代办授权) they gave and those
they hold. At cancellation every active one is revoked (a family member who held one is told);
the grants stay as the basis of the cases filed under them."""
from __future__ import annotations

from backend.authorizations.service import AgencyDesk
from backend.authorizations.values import GranteeKind
from backend.core.access import Resident
from backend.core.personal import DataSection


class GrantData:
    def __init__(self, agency: AgencyDesk):
        self._agency = agency

    async def sections(self, resident: Resident) -> list[DataSection]:
        on_cancel = "有效的授权全部撤销；授权记录作为代办办件的依据保留"
        return [
            DataSection("authorizations", "我给出的代办授权", (await self._agency.list_given(resident))["items"],
                        kept=True, on_cancel=on_cancel),
            DataSection("authorizations_received", "我收到的代办授权",
                        (await self._agency.list_received(resident))["items"], kept=True, on_cancel=on_cancel),
        ]

    async def holds(self, resident_id: str) -> list[str]:
        return []

    async def forget(self, resident_id: str) -> dict[str, int]:
        revoked = await self._agency.store.revoke_all_of(resident_id, self._agency.clock.now())
        for grant in revoked:
            if grant.grantee.kind is GranteeKind.RESIDENT and grant.grantee.id != resident_id:
                await self._agency.outbox.emit("authorization.revoked", user_id=grant.grantee.id,
                                               dedupe_key=f"authorization:{grant.id}:revoked", payload={
                                                   "authorization_id": str(grant.id),
                                                   "grantor_name": grant.grantor.name_masked})
        return {"grants": len(revoked)}
