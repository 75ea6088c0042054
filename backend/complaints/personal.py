"""Complaints' part of a resident's own data: their 12345 reports, kept as the hotline's records
after the account is cancelled; the phone they left for a call back is deleted."""
from __future__ import annotations

from typing import Any

from backend.complaints.service import ComplaintService
from backend.core.access import Resident
from backend.core.personal import DataSection, every_page


class ComplaintData:
    def __init__(self, complaints: ComplaintService):
        self._complaints = complaints

    async def sections(self, resident: Resident) -> list[DataSection]:
        async def page(cursor: str | None) -> dict[str, Any]:
            return await self._complaints.list_own(resident, cursor=cursor, limit=100)
        return [DataSection("complaints", "12345 诉求", await every_page(page), kept=True,
                            on_cancel="作为热线工单记录保留；留下的联系电话删除")]

    async def holds(self, resident_id: str) -> list[str]:
        return []

    async def forget(self, resident_id: str) -> dict[str, int]:
        return {"complaint_contacts": await self._complaints.store.forget_contact(resident_id)}
