"""Who may see and do what. The few access checks every handler and service goes through.

- A resident only ever reaches their own objects: anything else is 404, never 403, so ids of
  other people's records reveal nothing (OWASP API1).
- Staff reach what their roles allow; ``admin`` is not a wildcard for business actions, it
  manages accounts and reads the audit log.

Each domain writes who may do what to its things once, as a ``Policy`` (action → ``Rule``: the staff
roles, whether the owning resident may, and the scope that narrows a staff member to the things of
their hall, department or handling). ``@operation(access=POLICY.rule("accept"))`` takes the roles
from it for the edge's check and the OpenAPI document; the domain's one ``access_<thing>(principal,
id, action)`` function loads the thing and checks the same rule with its scope, so a role tuple is
never written twice.
"""
from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Iterable

from backend.core import errors

STAFF_ROLES = {
    "clerk": "窗口受理",
    "approver": "审批",
    "hall_manager": "大厅管理",
    "finance": "财务",
    "supervisor": "监察",
    "admin": "系统管理",
    "hotline": "12345热线",
}


@dataclass(frozen=True)
class Resident:
    id: str
    openid: str
    realname_verified: bool
    session_id: str = ""   # the login session the request's token belongs to

    kind = "resident"

    @property
    def log_id(self) -> str:
        return f"resident:{self.id}"


@dataclass(frozen=True)
class Staff:
    id: str
    username: str
    roles: frozenset[str]
    display_name: str = ""
    session_id: str = ""
    # The halls and departments the account is limited to (empty: all of them), as it stood when
    # the request was authenticated.
    hall_ids: frozenset[str] = frozenset()
    department_ids: frozenset[str] = frozenset()
    # Signed in with a password an administrator set and not yet changed: the account may only
    # change it (rules with ``before_password_change``), whatever its roles.
    password_change_required: bool = False

    kind = "staff"

    @property
    def log_id(self) -> str:
        return f"staff:{self.id}"

    def in_hall(self, hall_id: str | None) -> bool:
        """Whether the account may act in ``hall_id`` (an account limited to halls: only in those)."""
        return not self.hall_ids or hall_id in self.hall_ids

    def in_halls(self, hall_ids: Iterable[str]) -> bool:
        """Whether every hall of ``hall_ids`` is the account's; a limited account reaches no thing
        that is in no hall (it is everyone's)."""
        wanted = set(hall_ids)
        if not self.hall_ids:
            return True
        return bool(wanted) and wanted <= self.hall_ids

    def in_department(self, department_id: str | None) -> bool:
        """Whether the account may act for ``department_id`` (an account limited to departments:
        only for those)."""
        return not self.department_ids or department_id in self.department_ids


Principal = Resident | Staff


def access_resident(principal: Any) -> Resident:
    if not isinstance(principal, Resident):
        raise errors.Unauthenticated()
    return principal


def access_staff_role(principal: Any, roles: Iterable[str], *, before_password_change: bool = False) -> Staff:
    """The caller is staff holding at least one of ``roles``; otherwise 403. An account that must
    first change the password an administrator set is refused (403 ``password_change_required``)
    unless the action is one allowed ``before_password_change``."""
    if not isinstance(principal, Staff):
        raise errors.Unauthenticated()
    if principal.password_change_required and not before_password_change:
        raise errors.PasswordChangeRequired()
    wanted = set(roles)
    if wanted and not (principal.roles & wanted):
        raise errors.Forbidden(details={"required_roles": sorted(wanted)})
    return principal


def access_realname(resident: Resident) -> Resident:
    """The resident has verified their real identity (needed to book, apply and pay)."""
    if not resident.realname_verified:
        raise errors.RealnameRequired("请先完成实名认证")
    return resident


class Scope(StrEnum):
    """What narrows a staff member's reach beyond their roles (the domain's access function checks it)."""
    ANY = "any"                # every thing of the kind
    HALL = "hall"              # things of the halls the account is limited to (hall managers)
    DEPARTMENT = "department"  # things of the account's department
    HANDLING = "handling"      # things the member of staff is handling


@dataclass(frozen=True)
class Rule:
    """Who may take one action on one kind of thing."""
    roles: frozenset[str] = frozenset()     # staff holding any of these (empty: no staff)
    resident: bool = False                  # the resident the thing belongs to
    scope: Scope = Scope.ANY
    before_password_change: bool = False    # open to staff who must still change an admin-set password

    def __post_init__(self) -> None:
        unknown = self.roles - STAFF_ROLES.keys()
        if unknown:
            raise ValueError(f"unknown staff roles {sorted(unknown)}")


def staff(*roles: str, scope: Scope = Scope.ANY) -> Rule:
    """A rule for staff holding any of ``roles``."""
    return Rule(frozenset(roles), scope=scope)


def own() -> Rule:
    """A rule for the resident the thing belongs to, and no staff."""
    return Rule(resident=True)


class Policy:
    """One kind of thing's rules, by action."""

    def __init__(self, thing: str, rules: MappingABC[str, Rule]) -> None:
        self.thing = thing
        self.rules = dict(rules)

    def rule(self, action: str) -> Rule:
        try:
            return self.rules[action]
        except KeyError:
            raise LookupError(f"{self.thing} has no action {action!r}") from None

    def roles(self, action: str) -> tuple[str, ...]:
        return tuple(sorted(self.rule(action).roles))

    def check(self, principal: Any, action: str) -> Principal:
        """The role part of ``action``'s rule: 401 for no principal, 403 for a member of staff
        without the roles, 404 for a resident where residents may not (nothing is revealed)."""
        rule = self.rule(action)
        if isinstance(principal, Resident):
            if not rule.resident:
                raise errors.NotFound()
            return principal
        return access_staff_role(principal, rule.roles, before_password_change=rule.before_password_change)
