"""What the staff domain stores, as typed values: staff accounts and the failed-login throttles."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict


class AccountStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class ThrottleKind(StrEnum):
    ACCOUNT_ADDRESS = "account_address"   # one username from one client address
    ADDRESS = "address"                   # every existing account from one client address
    UNKNOWN_ADDRESS = "unknown_address"   # every username that is no account, from one client address


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffAccount:
    id: str
    username: str
    display_name: str
    roles: tuple[str, ...]
    status: AccountStatus
    hall_ids: tuple[str, ...]
    password_hash: str
    department_ids: tuple[str, ...] = ()
    # The administrators who ever set this account's password (created it or reset it): they could
    # sign in as it, so they count as controlling it (see ``duties.py``).
    password_set_by: tuple[str, ...] = ()
    # The password was set by an administrator (a new or reset account) and its holder has not yet
    # changed it: signing in with it allows nothing but the change.
    password_change_required: bool = False
    created_at: dt.datetime | None = None
    last_login_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is AccountStatus.ACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAccount:
    """An account about to be added (it has no id yet)."""
    username: str
    display_name: str
    roles: tuple[str, ...]
    hall_ids: tuple[str, ...]
    password_hash: str
    created_at: dt.datetime
    department_ids: tuple[str, ...] = ()
    password_set_by: tuple[str, ...] = ()
    password_change_required: bool = False
    status: AccountStatus = AccountStatus.ACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountChange:
    """What an administrator changes in an account; None leaves a field as it is."""
    roles: tuple[str, ...] | None = None
    display_name: str | None = None
    status: AccountStatus | None = None
    hall_ids: tuple[str, ...] | None = None
    department_ids: tuple[str, ...] | None = None

    def as_details(self) -> dict[str, object]:
        """The change as the audit entry records it (only the fields given)."""
        out: dict[str, object] = {}
        if self.roles is not None:
            out["roles"] = list(self.roles)
        if self.display_name is not None:
            out["display_name"] = self.display_name
        if self.status is not None:
            out["status"] = str(self.status)
        if self.hall_ids is not None:
            out["hall_ids"] = list(self.hall_ids)
        if self.department_ids is not None:
            out["department_ids"] = list(self.department_ids)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Throttle:
    """Failed logins under one key (see ``throttle.py``) and the delay they earned."""
    id: str
    kind: ThrottleKind
    username: str | None
    ip: str
    failures: int
    last_failure_at: dt.datetime
    blocked_until: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRule:
    """How many tries a throttle key admits: ``free`` before the first delay, then one try per
    delay, the delay doubling from ``delay_seconds`` up to ``max_delay_seconds``; the count starts
    again once ``window`` has passed without a try."""
    free: int
    delay_seconds: int
    max_delay_seconds: int
    window: dt.timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class Reserved:
    """One try admitted under a key, counted as a failure until it is known to have succeeded:
    the key's count with it, and the delay it started (when it reached the limit)."""
    key: str
    token: str
    failures: int
    started_delay: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """A try a key did not admit: a delay it earned runs until ``blocked_until``."""
    key: str
    blocked_until: dt.datetime | None


class StaffView(TypedDict):
    id: str
    username: str
    display_name: str
    roles: list[str]
    status: str
    hall_ids: list[str]
    department_ids: list[str]
    password_change_required: bool
    created_at: dt.datetime | None


class ThrottleView(TypedDict):
    id: str
    kind: str
    username: str | None
    ip: str
    failures: int
    last_failure_at: dt.datetime
    blocked_until: dt.datetime | None
