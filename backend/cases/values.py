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


class Channel(StrEnum):
    """Where a case was filed: online, at a window (窗口收件), or with a 一件事."""
    ONLINE = "online"
    WINDOW = "window"
    BUNDLE = "bundle"


class Light(StrEnum):
    """The supervision light (电子监察) of a case still being handled."""
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


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
class Agent:
    """Who filed a case in the applicant's name under their grant (帮办代办), masked."""
    type: str
    id: str
    name_masked: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One entry of a case's timeline."""
    status: CaseStatus
    at: dt.datetime
    note: str | None
    actor: Actor
    agent: Agent | None = None


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
    materials: tuple[Material, ...] | None = None     # the case's materials replaced
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


@dataclass(frozen=True, slots=True, kw_only=True)
class FormField:
    """A field of the case's form, kept on the case so it reads the same later."""
    key: str
    label: str
    type: str = "string"


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleLink:
    """The 一件事 a case was filed with: its id, and (once stored) its serial and name."""
    id: str
    serial: str | None = None
    name: str | None = None


class ReviewStatus(StrEnum):
    """Staff's judgement of one material: accepted, or not acceptable (with a reason)."""
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True, kw_only=True)
class MaterialFile:
    """A resident's file given for a material, as the case keeps it."""
    id: str
    name: str
    content_type: str
    size_bytes: int
    has_thumbnail: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MaterialLicence:
    """An e-licence given for a material, as the case keeps it (masked holder)."""
    id: str
    type: str
    name: str
    number: str
    holder_masked: str
    issuer: str
    expires_at: dt.datetime | None
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    """Staff's judgement of a material; ``implied`` when an approval judged it with the rest."""
    status: ReviewStatus
    reason: str | None
    at: dt.datetime
    by: Actor | None = None
    implied: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Promise:
    """A 容缺 promise: the material left missing at submission is brought by ``due``."""
    status: PromiseStatus
    due: dt.datetime
    promised_at: dt.datetime | None = None
    kept_at: dt.datetime | None = None
    waived_at: dt.datetime | None = None
    waived_by: Actor | None = None
    waiver_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrectionAsked:
    """The correction (补正) that asked for a material again: when, and the reason it was refused."""
    requested_at: dt.datetime | None
    reason: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Given:
    """What was given for a material (files, a licence, paper, ticked or shared), one time."""
    source: MaterialSource | None
    file_ids: tuple[str, ...] = ()
    files: tuple[MaterialFile, ...] = ()
    licence_id: str | None = None
    licence: MaterialLicence | None = None
    shared_from: str | None = None     # the service of the 一件事 producing it
    received_by: Actor | None = None   # the clerk who received it on paper


@dataclass(frozen=True, slots=True, kw_only=True)
class Replaced:
    """What a material had before it was given anew, with its judgement (its history, shown to staff)."""
    source: MaterialSource | None
    file_ids: tuple[str, ...]
    files: tuple[MaterialFile, ...]
    licence_id: str | None
    licence: MaterialLicence | None
    review: Review | None
    correction: CorrectionAsked | None
    replaced_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Material:
    """A case's material (申请材料), one per material of the guide: what was given for it (``source``
    None until something is), how staff judged it, its 容缺 promise and what it replaced."""
    key: str
    name: str
    required: bool
    tolerable: bool
    licence_type: str | None
    provided: bool
    source: MaterialSource | None
    file_ids: tuple[str, ...]
    files: tuple[MaterialFile, ...]
    licence_id: str | None
    licence: MaterialLicence | None
    promised: bool
    review: Review | None
    promise: Promise | None = None
    history: tuple[Replaced, ...] = ()
    shared_from: str | None = None
    received_by: Actor | None = None

    @property
    def given_as(self) -> MaterialSource | None:
        """How it was given (a promised one: ``promised``); given without a recorded source: paper."""
        if self.provided:
            return self.source or MaterialSource.PAPER
        return MaterialSource.PROMISED if self.promised else None

    @property
    def promise_open(self) -> bool:
        return self.promise is not None and self.promise.status is PromiseStatus.OPEN


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """A case (办件): what was applied for, by whom, where it stands and its timeline. Read in brief
    (``CaseStore.case(..., brief=True)`` and the periodic jobs), ``form`` is empty and ``timeline``
    holds no steps."""
    id: str
    serial: str
    service_id: str
    service_name: str
    department_id: str | None
    department_name: str
    applicant_id: str
    status: CaseStatus
    version: int
    channel: Channel | None
    form: dict[str, Any]
    form_fields: tuple[FormField, ...]
    materials: tuple[Material, ...]
    promises: PromiseTimes
    promised_days: int | None
    deadline: dt.datetime | None
    deadline_provisional: bool
    light: Light | None
    light_due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    timeline: tuple[Step, ...]
    correction: Correction | None = None
    paused_at: dt.datetime | None = None
    rejection_reason: str | None = None
    outcome: Outcome | None = None
    decided_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    rating_remind_at: dt.datetime | None = None
    bundle: BundleLink | None = None

    @property
    def history(self) -> list[str]:
        """The statuses of its timeline, in order."""
        return [str(step.status) for step in self.timeline]

    def ref(self) -> CaseRef:
        return CaseRef(id=self.id, serial=self.serial, applicant_id=self.applicant_id, service_id=self.service_id,
                       service_name=self.service_name, department_id=self.department_id, status=str(self.status),
                       outcome=str(self.outcome) if self.outcome is not None and self.status is CaseStatus.REJECTED
                       else None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rating:
    """A rating (好差评) of a finished case."""
    id: str
    application_id: str
    serial: str
    department_id: str
    service_id: str
    service_name: str
    result: str
    score: int
    comment: str | None
    indicators: tuple[str, ...]
    created_at: dt.datetime
    rectification_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rectification:
    """A rectification order (整改) a 1–2 rating opened; answered by staff, closed by a supervisor."""
    id: str
    application_id: str
    serial: str
    service_name: str
    department_id: str
    applicant_id: str
    score: int
    comment: str | None
    status: RectificationStatus
    due: dt.datetime
    created_at: dt.datetime
    reply: str | None = None
    replied_at: dt.datetime | None = None
    replied_by: str | None = None
    closed_at: dt.datetime | None = None
    close_note: str | None = None



@dataclass(frozen=True, slots=True, kw_only=True)
class Waiting:
    """How many cases stand at one status, and when the oldest of them was submitted (a worklist's count)."""
    status: CaseStatus
    count: int
    oldest_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HandlingFigure:
    """What the supervision summary reads of one case: where it stands, its light and its times."""
    status: CaseStatus
    light: Light | None
    department_id: str
    deadline: dt.datetime | None
    completed_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class DayFigures:
    """What one day (China time) brought, for the supervision trend: cases received and completed,
    cases that passed their deadline unfinished that day, and the ratings given (count, star total)."""
    day: dt.date
    received: int = 0
    completed: int = 0
    overdue: int = 0
    ratings: int = 0
    stars: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmissionClaim:
    """One claim of a submission made once (``cases.once``): whose, of what, and what it made."""
    id: str
    user_id: str
    scope: str
    fingerprint: str
    result: dict[str, str]   # {"type": "application" | "bundle", "id": …}
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Plan:
    """The claims one submission writes (``cases.once``): its key's and its content's, and its content's print."""
    user_id: str
    scope: str
    fingerprint: str
    key_claim: str | None
    content_claim: str


class AlreadyClaimed(Exception):
    """A submission with this claim was made already and is still within its window (raised inside
    the submission's transaction, which it ends)."""
