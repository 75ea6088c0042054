"""The statuses of life events (一件事 themes) and bundles (one submission of a life event), and the
bundle itself as a typed value."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class BundleState(StrEnum):
    """Whether the resident was told that every case of the bundle is finished."""
    OPEN = "open"
    DONE = "done"


class Overall(StrEnum):
    """A bundle as a whole, from its cases' statuses."""
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    CORRECTION_REQUESTED = "correction_requested"
    COMPLETED = "completed"
    PARTLY_COMPLETED = "partly_completed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class EventStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleCase:
    """One case of a bundle, as it was filed (its status is read from the case itself)."""
    application_id: str
    serial: str
    service_id: str
    service_name: str
    department_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Bundle:
    """A bundle: one submission of a life event (一件事) and the cases it made, created together.
    ``check_at`` is when the watch job next looks at it (None once the resident was told it is done)."""
    id: str
    serial: str
    user_id: str
    life_event_id: str
    name: str
    form: dict[str, Any]
    materials: tuple[str, ...]
    status: BundleState
    cases: tuple[BundleCase, ...]
    created_at: dt.datetime
    check_at: dt.datetime | None = None
    payment_id: str | None = None
    overall: Overall | None = None
    done_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventField:
    """A field of a life event's one form (its input type, limits and hint)."""
    key: str
    label: str
    type: str
    required: bool | None = None
    options: tuple[str, ...] | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    hint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventService:
    """A service of a life event, and the form fields it is fed."""
    service_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedMaterial:
    """A material one of the event's own services produces, shared with the others (not asked)."""
    material_key: str
    from_service_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LifeEvent:
    """A life event (一件事): its services, its one form, and the materials shared between them.
    ``updated_at`` keys the form's schema, built once per version."""
    id: str
    name: str
    summary: str
    order: int
    status: EventStatus
    services: tuple[EventService, ...]
    form: tuple[EventField, ...]
    shared: tuple[SharedMaterial, ...]
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
