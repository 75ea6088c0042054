"""The typed values of cases (办件): their statuses, what other domains know of a case, and the
changes the service asks the store to make (each a value the store turns into one conditional
write; no service writes a query or an update operator)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    CORRECTION_REQUESTED = "correction_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


# Still being handled: a case in one of these may move on.
OPEN: tuple[CaseStatus, ...] = (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW,
                                CaseStatus.APPROVED, CaseStatus.CORRECTION_REQUESTED)


class Outcome(StrEnum):
    """What a refusal was: at intake (不予受理) or after review (不予批准)."""
    NOT_ACCEPTED = "not_accepted"
    NOT_APPROVED = "not_approved"


class MaterialSource(StrEnum):
    FILE = "file"
    LICENCE = "licence"
    PAPER = "paper"
    DECLARED = "declared"
    SHARED = "shared"
    PROMISED = "promised"


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    WAIVED = "waived"


class RectificationStatus(StrEnum):
    OPEN = "open"
    REPLIED = "replied"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class CaseRef:
    """What other domains may know of a case."""
    id: str
    serial: str
    applicant_id: str
    service_id: str
    service_name: str
    department_id: str | None
    status: str
    outcome: str | None = None  # a refusal's kind: not_accepted (不予受理) or not_approved (不予批准)


@dataclass(frozen=True, slots=True, kw_only=True)
class PromiseTimes:
    """The case-level times of its open 容缺 promises: the earliest due date, and when the
    applicant is reminded of it (both None when no promise is open)."""
    due_at: dt.datetime | None = None
    remind_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Correction:
    """A 补正 request: the free-text list shown to the applicant, the materials it names, and by when."""
    missing: tuple[str, ...]
    materials: tuple[str, ...]
    due: dt.date
    requested_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who did a step: ``type`` is resident or staff; ``name`` is the staff member's (None for residents)."""
    type: str
    id: str
    name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One entry of a case's timeline."""
    status: CaseStatus
    at: dt.datetime
    note: str | None
    actor: Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    """A deadline counted again (after a correction stopped the clock)."""
    at: dt.datetime
    provisional: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseMove:
    """One step of the state machine and everything it changes on the case at once. Fields left
    at None are not changed."""
    step: Step
    light_due_at: dt.datetime | None
    form: dict[str, Any] | None = None
    materials: list[dict[str, Any]] | None = None     # the case's materials replaced
    promises: PromiseTimes | None = None
    refusal: tuple[str, Outcome | None] | None = None  # (reason, outcome) of a refusal
    correction: Correction | None = None               # a 补正 requested: the clock stops
    resumed: bool = False                              # a 补正 answered: the clock runs again
    deadline: Deadline | None = None
    decided_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    rating_remind_at: dt.datetime | None = None

    @property
    def to(self) -> CaseStatus:
        return self.step.status
