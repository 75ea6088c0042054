"""Who may see residents' accounts from the staff side.

Staff who serve residents find them by an exact ID number or full name and read the masked
account; the full name and ID number are revealed only to clerks and approvers who acted on the
resident's case or booking, or serve the hall the resident is at today (``reveal_scope.py``),
for a stated reason.
"""
from __future__ import annotations

from typing import Any

from backend.core import errors
from backend.core.access import Policy, Staff, staff
from backend.identity.reveal_scope import ResidentHandling, access_reveal
from backend.identity.store import UserStore
from backend.identity.values import ResidentUser

RESIDENTS = Policy("resident", {
    "search": staff("clerk", "approver", "supervisor", "finance"),
    "read": staff("clerk", "approver", "supervisor", "finance"),
    "reveal": staff("clerk", "approver"),
    # Moving an ID number to the account of the person present at the window (reclaim.py).
    "reclaim": staff("clerk", "hall_manager"),
})


class ResidentAccess:
    """Loads the resident account a member of staff acts on and checks the policy's rule for it."""

    def __init__(self, users: UserStore, handling: ResidentHandling):
        self._users = users
        self._handling = handling

    async def access_resident(self, principal: Any, user_id: str, action: str) -> tuple[ResidentUser, str | None]:
        """The account and, for ``reveal``, the member's tie to the resident. An unknown account (and, to
        reveal, one without a verified identity) is 404; a member handling nothing of theirs is 403."""
        caller = RESIDENTS.check(principal, action)
        if not isinstance(caller, Staff):
            raise errors.NotFound()
        user = await self._users.by_id(user_id)
        if user is None:
            raise errors.NotFound()
        if action != "reveal":
            return user, None
        if user.realname is None:
            raise errors.NotFound()
        return user, await access_reveal(caller, user.id, self._handling)
