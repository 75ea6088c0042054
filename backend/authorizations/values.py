"""The statuses of grants (帮办代办授权)."""
from __future__ import annotations

from enum import StrEnum


class GrantStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"    # shown for an active grant past its end; never stored


class GranteeKind(StrEnum):
    STAFF = "staff"
    RESIDENT = "resident"
