"""What complaints calls on other domains, beyond the audit log, working calendar and files it is
typed on (``service.FileOwnership``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Departments(Protocol):
    """The departments a complaint may be assigned to (the catalogue)."""

    async def departments(self) -> list[dict[str, Any]]: ...


class Residents(Protocol):
    """Residents found by what staff are told: an exact ID number or full name (identity's directory,
    matched by keyed hashes)."""

    async def find(self, q: str) -> Sequence[Any]: ...


class ComplaintEvents(Protocol):
    """Where a complaint's progress is told to the resident, and its dues to staff (the outbox)."""

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: Any = None, dedupe_key: str | None = None) -> bool: ...

    async def alert_staff(self, kind: str, *, payload: dict[str, Any], application_id: str | None = None,
                          department_id: str | None = None, dedupe_key: str | None = None,
                          session: Any = None) -> bool: ...
