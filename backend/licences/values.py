"""The typed values of e-licences: a licence a resident holds (issued here or copied from the
e-licence library) and the record of one fetch from the library. Only ``store.py`` maps stored
documents to these values and back."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bson import ObjectId


class LicenceStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class LicenceSource(StrEnum):
    ISSUED = "issued"      # issued here when a case is completed
    LIBRARY = "library"    # copied from the e-licence library for its holder


SignedContent = dict[str, Any]
"""What a licence states, exactly as signed (its canonical JSON is what the signature covers)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Signed:
    """The signed part of a licence: its content, the signature, and what dates and names the key."""
    content: SignedContent
    signature: str
    key_id: str
    signed_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Licence:
    id: ObjectId
    holder_id: str
    type: str
    number: str
    status: LicenceStatus
    source: LicenceSource
    signed: Signed
    # 校验码: 50 bits from ``secrets``, printed beside the number; kept when a copy is re-signed.
    check_code: str
    issued_at: dt.datetime
    expires_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    application_id: str | None = None      # the case that issued it
    service_id: str | None = None
    library_ref: str | None = None         # the library's reference of a copy
    used_in: tuple[str, ...] = ()          # the cases it was presented for (用证记录)
    revoked_at: dt.datetime | None = None
    revoke_reason: str | None = None
    revoked_by: str | None = None
    # The 6-hex code a licence issued before 50-bit codes carried (derived from its signature), still
    # printed on copies handed out then; accepted while ``licences.accept_legacy_check_codes``.
    legacy_check_code: str | None = None

    @property
    def content(self) -> SignedContent:
        return self.signed.content

    def status_at(self, now: dt.datetime) -> str:
        """``valid``, ``revoked`` or (past its validity) ``expired``."""
        return status_of(self.status, self.expires_at, now)


def status_of(status: str, expires_at: dt.datetime | None, now: dt.datetime) -> str:
    if status == LicenceStatus.REVOKED:
        return "revoked"
    if expires_at and now >= expires_at:
        return "expired"
    return "valid"


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenceFetch:
    """One query of the e-licence library: for whom, when, why, and what came back."""
    user_id: str
    at: dt.datetime
    purpose: str
    purpose_text: str
    service_id: str | None
    service_name: str | None
    request_id: str
    outcome: str
    count: int
