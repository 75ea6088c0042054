"""Who may see and do what. The few access checks every handler and service goes through.

- A resident only ever reaches their own objects: anything else is 404, never 403, so ids of
  other people's records reveal nothing (OWASP API1).
- Staff reach what their roles allow; ``admin`` is not a wildcard for business actions, it
  manages accounts and reads the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

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

    kind = "staff"

    @property
    def log_id(self) -> str:
        return f"staff:{self.id}"


Principal = Resident | Staff


def access_resident(principal: Any) -> Resident:
    if not isinstance(principal, Resident):
        raise errors.Unauthenticated()
    return principal


def access_staff_role(principal: Any, roles: Iterable[str]) -> Staff:
    """The caller is staff holding at least one of ``roles``; otherwise 403."""
    if not isinstance(principal, Staff):
        raise errors.Unauthenticated()
    wanted = set(roles)
    if wanted and not (principal.roles & wanted):
        raise errors.Forbidden(details={"required_roles": sorted(wanted)})
    return principal


def access_own(resident: Resident, doc: Mapping[str, Any] | None, *, owner_field: str = "user_id") -> Mapping[str, Any]:
    """The document exists and belongs to this resident; otherwise 404 (another's is not found)."""
    if doc is None or str(doc.get(owner_field)) != resident.id:
        raise errors.NotFound()
    return doc


def access_realname(resident: Resident) -> Resident:
    """The resident has verified their real identity (needed to book, apply and pay)."""
    if not resident.realname_verified:
        raise errors.Forbidden("请先完成实名认证", code="realname_required")
    return resident
