"""The statuses of life events (一件事 themes) and bundles (one submission of a life event)."""
from __future__ import annotations

from enum import StrEnum


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
