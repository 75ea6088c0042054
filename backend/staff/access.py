"""Who may do what to staff accounts and to the failed-login throttles.

Administrators manage every account; any signed-in member of staff reads their own account and
changes their own password (the account is the caller's, never one named in the request).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend.core import errors
from backend.core.access import Policy, Rule, Staff, staff
from backend.staff.values import StaffAccount

if TYPE_CHECKING:  # pragma: no cover
    from backend.staff.store import StaffStore

# Actions on one's own account: the rule lets in any member of staff, and the account must be theirs.
OWN_ACCOUNT_ACTIONS = frozenset({"read_own", "change_own_password"})

STAFF_ACCOUNTS = Policy("staff_account", {
    "list": staff("admin"),
    "create": staff("admin"),
    "update": staff("admin"),
    "reset_password": staff("admin"),
    "unlock": staff("admin"),
    # any member of staff, their own account; also before an administrator-set password is changed
    "read_own": Rule(before_password_change=True),
    "change_own_password": Rule(before_password_change=True),
})

LOGIN_THROTTLES = Policy("login_throttle", {
    "list": staff("admin"),
    "clear": staff("admin"),
})



class StaffAccess:
    """Loads the staff account an action is on and checks the policy's rule for it."""

    def __init__(self, store: StaffStore):
        self._store = store

    async def access_staff_account(self, principal: Any, account_id: str, action: str) -> StaffAccount:
        """The account ``principal`` may take ``action`` on: 401/403/404 by the policy's rule; an
        own-account action on another's account, or an unknown account, is 404."""
        caller = STAFF_ACCOUNTS.check(principal, action)
        if not isinstance(caller, Staff):
            raise errors.NotFound()
        if action in OWN_ACCOUNT_ACTIONS and account_id != caller.id:
            raise errors.NotFound()
        account = await self._store.by_id(account_id)
        if account is None:
            raise errors.NotFound()
        return account
