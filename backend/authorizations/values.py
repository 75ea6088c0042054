"""Grants (帮办代办授权) as typed values, with their statuses. Only ``store.py`` maps stored
documents to these values and back."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bson import ObjectId


class GrantStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"    # shown for an active grant past its end; never stored


class GranteeKind(StrEnum):
    STAFF = "staff"
    RESIDENT = "resident"


@dataclass(frozen=True, slots=True, kw_only=True)
class Grantor:
    """The resident who gave a grant, as the grantee sees them (masked)."""
    name_masked: str
    id_number_masked: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Grantee:
    """Who may act under a grant: a clerk named as 帮办员 (with their username) or another resident."""
    kind: GranteeKind
    id: str
    name_masked: str
    username: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """A resident's grant to someone to act for them (帮办代办授权), for some services or all (None)."""
    id: ObjectId
    grantor_id: str
    grantor: Grantor
    grantee: Grantee
    service_ids: tuple[str, ...] | None
    services: tuple[ServiceRef, ...] | None
    days: int
    status: GrantStatus
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None

    def status_at(self, now: dt.datetime) -> GrantStatus:
        """The stored status, or ``expired`` for an active grant past its end."""
        lapsed = self.status is GrantStatus.ACTIVE and self.expires_at <= now
        return GrantStatus.EXPIRED if lapsed else self.status


@dataclass(frozen=True, slots=True, kw_only=True)
class ScannedCode:
    """A genuine, unexpired 办事码: whose it is, its own id (a hash of it), and when it ends."""
    id: str
    user_id: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeUse:
    """What a 办事码 was used for: the clerk it is bound to (the first to scan or file with it) and
    the one filing it made (its fingerprint and case), if any. A code is used once."""
    code_id: str
    user_id: str
    staff_id: str
    filing: str | None = None
    case_id: str | None = None
