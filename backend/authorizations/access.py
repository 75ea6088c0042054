"""Who may see and do what to grants (帮办代办授权): one policy, and the one function that loads a
grant and checks it.

A grant has two sides: its grantor (the resident who gave it) may revoke it; its grantee (a clerk
named as 帮办员, or another resident) may use it. Anyone else's grant is not found (404), like
one that does not exist. Clerks reach the 帮办 desk (finding residents, verifying 办事码); a
clerk reaches only the grants given to them (the ``HANDLING`` scope: the residents they act for).
"""
from __future__ import annotations

from backend.authorizations.store import GrantStore
from backend.authorizations.values import Grant, GranteeKind
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

    async def access_grant(self, principal: Principal | None, grant_id: str, action: str) -> Grant:
        """The grant, when ``principal`` may take ``action`` on it: 401 without a principal, 403 for
        staff without the action's roles, 404 for a grant that does not exist or is not the
        caller's side of it (the grantor's for ``revoke``, the grantee's for ``licences``)."""
        GRANT.check(principal, action)
        grant = await self._store.get(grant_id)
        if grant is None or principal is None or not _side(grant, principal, action):
            raise errors.NotFound("未找到该授权")
        return grant


def _side(grant: Grant, principal: Principal, action: str) -> bool:
    if action == "licences":
        kind = GranteeKind.STAFF if isinstance(principal, Staff) else GranteeKind.RESIDENT
        return grant.grantee.kind is kind and grant.grantee.id == principal.id
    return not isinstance(principal, Staff) and grant.grantor_id == principal.id
