"""What appointments calls on other domains, beyond the catalogue, audit and outbox it is typed on."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class QueueResidents(Protocol):
    """Residents' masked names and ID numbers for the hall queue (identity's user directory)."""

    async def get(self, user_id: str) -> Any: ...

    async def get_many(self, user_ids: list[str]) -> Mapping[str, Any]: ...
