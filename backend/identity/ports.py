"""What identity calls on other domains, beyond the audit log it is typed on."""
from __future__ import annotations

import datetime as dt
from typing import Any, Protocol


class ResidentMessages(Protocol):
    """Telling residents what happened to their account (notify's outbox)."""

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: dt.datetime | None = None, dedupe_key: str | None = None) -> bool: ...
