"""What notify calls on other domains (implemented by identity's user directory)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Recipients(Protocol):
    """Residents by id (their WeChat openid and consent-relevant facts), read in batches."""

    async def get_many(self, user_ids: list[str]) -> Mapping[str, Any]: ...
