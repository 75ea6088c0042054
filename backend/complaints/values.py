"""A complaint (12345 工单) as a typed value, and the typed parts services hand to the store."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    REPLIED = "replied"
    CLOSED = "closed"


OPEN = (ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED)


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiting:
    """How many complaints stand at one status, and when the oldest was received (a worklist's count)."""
    status: ComplaintStatus
    count: int
    oldest_at: dt.datetime | None


class Stage(StrEnum):
    """Who must act on an open complaint: the hotline assigns, the department replies."""
    ASSIGN = "assign"
    REPLY = "reply"


class ClosedReason(StrEnum):
    FEEDBACK = "feedback"
    MERGED = "merged"
    NO_FEEDBACK = "no_feedback"


@dataclass(frozen=True, slots=True)
class StageDue:
    """A stage's due time and its light now; ``light_at`` is when the light next changes (None
    once red); ``provisional`` while the due time was counted on a year whose official holidays are
    not entered yet."""
    due: dt.datetime
    light: str
    light_at: dt.datetime | None
    provisional: bool


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    at: dt.datetime
    by: str


@dataclass(frozen=True, slots=True)
class Feedback:
    satisfied: bool
    comment: str | None
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of a complaint's timeline: the move, when, what it says and who made it."""
    at: dt.datetime
    note: str
    actor: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One entry of a complaint's timeline as stored: the status it moved to, and the step."""
    status: ComplaintStatus
    at: dt.datetime
    note: str | None
    actor: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MergedInto:
    """The master complaint a duplicate was closed into."""
    id: str
    serial: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Complaint:
    """A complaint as stored. ``version`` counts its moves (each is conditional on it). The stage
    fields (``stage``, ``due``, ``light``, ``light_at``, ``due_provisional``) describe the open
    stage; ``close_at`` is when an unanswered reply closes. ``timeline`` is None where the read
    leaves it out (lists and the periodic jobs)."""
    id: str
    serial: str
    user_id: str
    category: str
    content: str
    location: str | None
    attachments: tuple[str, ...]
    contact_ok: bool
    status: ComplaintStatus
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    department_id: str | None = None
    department_name: str | None = None
    stage: Stage | None = None
    due: dt.datetime | None = None
    light: str | None = None
    light_at: dt.datetime | None = None
    due_provisional: bool = False
    assigned_at: dt.datetime | None = None
    reply: Reply | None = None
    replied_at: dt.datetime | None = None
    on_time: bool | None = None
    previous_reply: Reply | None = None
    contact_phone: str | None = None   # left by a resident who agreed to be contacted
    first_feedback: Feedback | None = None
    feedback: Feedback | None = None
    reopened: bool = False
    merged_into: MergedInto | None = None
    close_at: dt.datetime | None = None
    closed_reason: ClosedReason | None = None
    closed_at: dt.datetime | None = None
    timeline: tuple[TimelineEntry, ...] | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True, slots=True, kw_only=True)
class DepartmentFigures:
    """One department's complaints (``department_id`` None: the hotline itself), merged duplicates
    left out: received, still open, replied, replied on time, feedback given, satisfied."""
    department_id: str | None
    received: int
    open: int
    replied: int
    on_time: int
    feedback: int
    satisfied: int
