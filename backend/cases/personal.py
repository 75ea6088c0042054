"""Cases' part of a resident's own data: their cases (办件), kept after the account is cancelled.

A case is a record of an administrative act and goes to the archives (档案法); it names the
applicant by the account's id, never by the WeChat identity, so nothing is to be detached. A case
still being handled stays in hand; its result is collected at the window.
"""
from __future__ import annotations

import functools
from typing import Any

from backend.cases.service import CaseService
from backend.core.access import Resident
from backend.core.personal import DataSection, every_page


class CaseData:
    def __init__(self, cases: CaseService):
        self._cases = cases

    async def sections(self, resident: Resident) -> list[DataSection]:
        items = await every_page(functools.partial(self._list, resident))
        return [DataSection("applications", "办件记录", items, kept=True,
                            on_cancel="依法归档保留；办理中的办件继续办理，结果请到窗口领取")]

    async def _list(self, resident: Resident, cursor: str | None) -> dict[str, Any]:
        return await self._cases.list_own(resident, cursor=cursor, limit=100)

    async def holds(self, resident_id: str) -> list[str]:
        return []

    async def forget(self, resident_id: str) -> dict[str, int]:
        return {}
