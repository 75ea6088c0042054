"""What identity stores about a resident, as typed values.

The name and ID number exist only sealed (AES-GCM, ``crypto.py``), as keyed hashes (for lookups)
and masked; the plain values are opened only for the resident's own documents and for a reveal.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, TypedDict

from bson import ObjectId

Sealed = dict[str, Any]   # a sealed value as ``PersonalDataCipher.seal`` makes it (key id, nonce, ciphertext)


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    CANCELLED = "cancelled"    # 注销: a tombstone the records the law keeps still point to


@dataclass(frozen=True, slots=True, kw_only=True)
class Realname:
    """A verified identity bound to an account."""
    name_sealed: Sealed
    id_sealed: Sealed
    id_hash: str
    name_masked: str
    id_masked: str
    name_hash: str | None = None       # accounts bound before names were hashed have none until backfilled
    gender: str | None = None
    birth_date: str | None = None
    verified_at: dt.datetime | None = None
    verified_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResidentUser:
    id: str
    openid: str
    status: UserStatus
    realname: Realname | None = None
    unionid: str | None = None
    created_at: dt.datetime | None = None
    last_login_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is UserStatus.ACTIVE


class FacePurpose(StrEnum):
    REALNAME = "realname"     # made to bind the identity to the account
    ASSURANCE = "assurance"   # made by a bound resident before a sensitive step (library, high-assurance filing)


@dataclass(frozen=True, slots=True, kw_only=True)
class FaceVerification:
    """A passing WeChat face verification, kept so that its verify_result is used once and so that
    sensitive steps can ask whether the resident proved their face recently."""
    id: str                      # SHA-256 of the verify_result
    user_id: str                 # the account whose WeChat identity made it
    id_hash: str                 # keyed hash of the ID number it was made for
    name_hash: str               # keyed hash of the name it was made for
    purpose: FacePurpose
    identified_at: dt.datetime   # WeChat's identify_time
    recorded_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Resealed:
    """A realname's sealed values re-encrypted with the active key."""
    name_sealed: Sealed
    id_sealed: Sealed


class UserView(TypedDict):
    """What a resident sees of their own account: masked values only."""
    id: str
    realname_verified: bool
    name_masked: str | None
    id_number_masked: str | None
    realname_verified_at: dt.datetime | None
    created_at: dt.datetime | None


class StaffUserView(UserView):
    """A resident's account as staff read it: masked values only."""
    openid_masked: str
    status: str | None


class ResidentRefView(TypedDict):
    id: str
    realname_verified: bool
    name_masked: str | None
    id_number_masked: str | None


class RevealedView(TypedDict):
    id: str
    name: str
    id_number: str


SessionEndKind = Literal["session", "subject"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEnd:
    """A record that one session (``session``: its id) or every session and the account of one
    person (``subject``: the account's id) is about to end or change (``session_ends.py``)."""
    id: ObjectId
    kind: SessionEndKind
    key: str
    at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSession:
    """One login of a resident or a member of staff (``audience``); every access token names one."""
    id: str
    subject: str                         # the account's id
    audience: str                        # "resident" or "staff"
    created_at: dt.datetime | None = None
    last_seen_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None      # the fixed end (staff), None when there is none
    purge_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    end_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRefresh:
    """Where a session's refresh tokens stand: the one that works now (by its hash), until when,
    and the latest used ones (presented again, they show a stolen or replayed token)."""
    hash: str
    expires_at: dt.datetime
    used: tuple[str, ...] = ()

    def gave_out(self, token_hash: str) -> bool:
        """Whether the token of this hash is one the session gave out (working or used)."""
        return token_hash == self.hash or token_hash in self.used


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshToken:
    """A refresh token kept on its own (``refresh_tokens``), as sessions opened before their
    refresh state moved into the session were given: known only by its hash; its family is the
    session it belongs to."""
    hash: str
    family: str
    subject: str
    audience: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    purge_at: dt.datetime
    used_at: dt.datetime | None = None
    revoked: bool = False
