"""The typed parts of a complaint (12345 工单) that services hand to the store."""
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
