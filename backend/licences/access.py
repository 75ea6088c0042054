"""Who may do what to e-licences: the holder reads theirs; staff handling cases (clerks,
approvers) read a licence presented for a case; approvers revoke the ones issued here; staff who
handle or supervise cases browse the register of the ones issued here."""
from __future__ import annotations

from typing import Any

from backend.core import errors
from backend.core.access import Policy, Resident, Scope, Staff, own, staff
from backend.licences.store import LicenceStore
from backend.licences.values import Licence

LICENCE = Policy("licence", {
    "view": own(),                                            # the holder, with its PDF
    "list": own(),
    "refresh": own(),                                         # copies from the e-licence library
    # a licence presented for a case, to staff handling cases; to anyone else it is not found
    "inspect": staff("clerk", "approver", scope=Scope.HANDLING),
    "revoke": staff("approver"),
    # the licence a case issued, on the case's page (its result: nothing personal beyond it)
    "issued": staff("clerk", "approver", "supervisor"),
    # the register of licences issued here (holders masked), found by number or case serial
    "registry": staff("clerk", "approver", "supervisor"),
})


class LicenceAccess:
    """Loads licences for whoever asks, checked against ``LICENCE``."""

    def __init__(self, store: LicenceStore) -> None:
        self._store = store

    async def access_licence(self, principal: Any, licence_id: str, action: str) -> Licence:
        """The licence, when ``principal`` may take ``action`` on it: a resident only their own (another's
        is not found); staff by role (``inspect``: not found for staff who do not handle cases, or a
        licence never presented for a case)."""
        rule = LICENCE.rule(action)
        if rule.scope is Scope.HANDLING and isinstance(principal, Staff) and not principal.roles & rule.roles:
            raise errors.NotFound()
        who = LICENCE.check(principal, action)
        lic = await self._store.get(licence_id)
        if lic is None or isinstance(who, Resident) and lic.holder_id != who.id:
            raise errors.NotFound()
        if rule.scope is Scope.HANDLING and not lic.used_in:
            raise errors.NotFound()
        return lic
