"""What the staff domain calls on other domains (implemented by identity)."""
from __future__ import annotations

from typing import Any, Protocol

from backend.core.access import Staff


class ResidentLookups(Protocol):
    """Staff-side reads of residents, each audited by identity."""

    async def find_residents(self, staff: Staff, q: str, ip: str) -> list[dict[str, Any]]: ...

    async def resident_for_staff(self, user_id: str) -> dict[str, Any]: ...

    async def reveal_identity(self, staff: Staff, user_id: str, reason: str, ip: str) -> dict[str, Any]: ...
