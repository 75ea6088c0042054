"""The outbox message as notify works with it, and what delivering it settles. Only
``notify.store`` maps these to documents and back."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bson import ObjectId


class OutboxStatus(StrEnum):
    PENDING = "pending"        # waiting for its first (or next) attempt
    SENDING = "sending"        # claimed by a worker; ``deliver_after`` is the end of its lease
    DELIVERED = "delivered"
    FAILED = "failed"          # given up after the last attempt
    SKIPPED = "skipped"


class PushState(StrEnum):
    """Where the message's WeChat push stands."""
    ATTEMPTING = "attempting"  # the call was about to start (a takeover cannot know whether it went out)
    SENT = "sent"
    SKIPPED = "skipped"
    UNCERTAIN = "uncertain"    # found attempting by a takeover: never pushed again
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: ObjectId
    kind: str
    user_id: str
    payload: dict[str, Any]
    status: OutboxStatus
    attempts: int
    created_at: dt.datetime
    deliver_after: dt.datetime
    claim: str | None = None
    in_inbox: bool = False          # its inbox copy is recorded as delivered
    push: PushState | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """What one delivery of a message settled, recorded under the claim it was delivered with.

    ``status`` is where the message goes next: ``DELIVERED``, ``FAILED`` (with ``error``) or
    ``PENDING`` (again at ``next_at``, with ``error`` when an attempt failed; ``not_attempted`` when
    it went back to the queue untried, so the attempt does not count)."""
    status: OutboxStatus
    at: dt.datetime
    next_at: dt.datetime | None = None
    error: str | None = None
    not_attempted: bool = False
    in_inbox: bool = False
    push: PushState | None = None
    push_reason: str | None = None
    push_cleared: bool = False      # the push is to be tried afresh (no state kept)


@dataclass(frozen=True, slots=True)
class NewMessage:
    """An event to deliver to a resident, as a domain emits it."""
    kind: str
    user_id: str
    payload: dict[str, Any]
    created_at: dt.datetime
    deliver_after: dt.datetime
    dedupe_key: str | None = None


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """A message in a resident's inbox (站内信); its id is the outbox message's."""
    id: ObjectId
    user_id: str
    kind: str
    title: str
    text: str
    payload: dict[str, Any]
    read: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StaffAlert:
    """An alert on the staff's list (deadlines, rectification orders, complaint time limits)."""
    kind: str
    text: str
    created_at: dt.datetime
    application_id: str | None = None
    department_id: str | None = None
    dedupe_key: str | None = None
    id: ObjectId | None = None      # None until stored
