"""Separation of duties for staff accounts: which roles one account may hold together, and who may
change an account's roles.

- ``[staff] exclusive_roles`` names pairs of roles one account may not hold together; they are
  checked whenever roles are given (an account created, its roles changed), never on accounts
  merely read, so an existing account keeps its roles until they are next changed.
- Nobody changes their own roles: an administrator's roles are changed by another administrator.
- An administrator who ever set an account's password (created it or reset it) could sign in as
  it, so they control it, and through it whatever it controls. An account may not change the roles
  of anyone who controls it (a second admin account an administrator made cannot raise its maker),
  and an administrator may not add roles to an account that it, or anyone who controls it,
  controls (it could use them itself). Removing roles stays allowed. Creating an account with its
  roles is allowed: it is audited, and the holder should change the initial password.
"""
from __future__ import annotations

from backend.core.access import STAFF_ROLES, Staff
from backend.staff.errors import ControlledAccount, ExclusiveRoles, OwnRoles
from backend.staff.store import StaffStore
from backend.staff.values import StaffAccount


def exclusive_pairs(config: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    """The configured pairs (``"clerk+approver"``), as sets of two roles."""
    return tuple(frozenset(p.split("+")) for p in config)


class Duties:
    def __init__(self, store: StaffStore, pairs: tuple[frozenset[str], ...]):
        self._store = store
        self._pairs = pairs

    def check_roles(self, roles: tuple[str, ...]) -> None:
        """409 ``exclusive_roles`` when ``roles`` hold a pair one account may not hold together."""
        held = set(roles)
        for pair in self._pairs:
            if pair <= held:
                a, b = sorted(pair, key=list(STAFF_ROLES).index)
                raise ExclusiveRoles(f"同一账号不能同时担任“{STAFF_ROLES[a]}”和“{STAFF_ROLES[b]}”（职责分离）",
                                     details={"roles": [a, b]})

    async def check_change(self, actor: Staff, account: StaffAccount, roles: tuple[str, ...]) -> None:
        """Whether ``actor`` may give ``account`` these roles (which differ from its present ones)."""
        if account.id == actor.id:
            raise OwnRoles()
        actor_side = {actor.id} | await self._store.controllers(actor.id)
        if account.id in actor_side:
            raise ControlledAccount("您的账号密码由该管理员设置过，不能调整其角色，须由另一位管理员办理",
                                    details={"reason": "it_controls_you"})
        added = set(roles) - set(account.roles)
        if added and actor_side & ({account.id} | await self._store.controllers(account.id)):
            raise ControlledAccount("您（或设置过您密码的管理员）设置过该账号的密码，不能为其增加角色，"
                                    "须由另一位管理员办理", details={"reason": "you_control_it"})
        self.check_roles(roles)
