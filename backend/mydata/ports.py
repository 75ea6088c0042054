"""What the resident-data composer calls on other domains: each domain's part of a resident's
data (``backend.core.personal.PersonalData``), and the account itself (identity)."""
from __future__ import annotations

import datetime as dt
from typing import Protocol

from backend.core.access import Resident
from backend.core.personal import DataSection, PersonalData


class Account(Protocol):
    """The resident's account: its part of their data, and cancelling it (identity's ``AccountData``)."""

    async def sections(self, resident: Resident) -> list[DataSection]: ...

    async def cancel(self, resident_id: str) -> bool: ...

    async def erasure_done(self, resident_id: str) -> None: ...

    async def awaiting_erasure(self, older_than: dt.timedelta, limit: int = 20) -> list[str]: ...


__all__ = ["Account", "PersonalData"]
