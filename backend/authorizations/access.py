"""Who may see and do what to grants (帮办代办授权): one policy, and the one function that loads a
grant and checks it.

A grant has two sides: its grantor (the resident who gave it) may revoke it; its grantee (a clerk
named as 帮办员, or another resident) may use it. Anyone else's grant is not found (404), like
one that does not exist. Clerks reach the 帮办 desk (finding residents, verifying 办事码); a
clerk reaches only the grants given to them (the ``HANDLING`` scope: the residents they act for).
"""
from __future__ import annotations

from typing import Any

from backend.authorizations.store import GrantStore
from backend.core import errors
from backend.core.access import Policy, Principal, Rule, Scope, Staff, own, staff

FILERS = ("clerk",)   # staff who file cases at the window may be named as 帮办员

GRANT = Policy("grant", {
    "give": own(),                                   # a resident grants someone
    "list": own(),                                   # the grants a resident gave or received
    "revoke": own(),                                 # the grantor revokes
    "code": own(),                                   # a resident's 办事码
    # the grantee (a resident, or the clerk named) reads the grantor's licences
    "licences": Rule(frozenset(FILERS), resident=True, scope=Scope.HANDLING),
    "desk": staff(*FILERS),                          # find residents, verify a 办事码
})


class GrantAccess:
    """Loads a grant for one action of one principal, through the store."""

    def __init__(self, store: GrantStore):
        self._store = store

    async def access_grant(self, principal: Principal | None, grant_id: str, action: str) -> dict[str, Any]:
        """The grant, when ``principal`` may take ``action`` on it: 401 without a principal, 403 for
        staff without the action's roles, 404 for a grant that does not exist or is not the
        caller's side of it (the grantor's for ``revoke``, the grantee's for ``licences``)."""
        GRANT.check(principal, action)
        doc = await self._store.get(grant_id)
        if doc is None or principal is None or not _side(doc, principal, action):
            raise errors.NotFound("未找到该授权")
        return doc


def _side(doc: dict[str, Any], principal: Principal, action: str) -> bool:
    if action == "licences":
        kind = "staff" if isinstance(principal, Staff) else "resident"
        return bool(doc["grantee"]["type"] == kind and doc["grantee"]["id"] == principal.id)
    return not isinstance(principal, Staff) and doc["grantor_id"] == principal.id
