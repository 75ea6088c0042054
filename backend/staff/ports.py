"""What the staff domain calls on other domains (implemented by identity and the catalogue)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from backend.core.access import Staff


class Places(Protocol):
    """Which halls and departments exist (an account is limited only to real ones), by the catalogue."""

    async def known_halls(self, hall_ids: list[str]) -> set[str]: ...

    async def known_departments(self, department_ids: list[str]) -> set[str]: ...


class ResidentLookups(Protocol):
    """Staff-side reads of residents, each audited by identity."""

    async def find_residents(self, staff: Staff, q: str, ip: str) -> list[Any]: ...

    async def resident_for_staff(self, staff: Staff, user_id: str) -> Mapping[str, Any]: ...

    async def reveal_identity(self, staff: Staff, user_id: str, reason: str, ip: str) -> Mapping[str, Any]: ...
