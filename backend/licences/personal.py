"""Licences' part of a resident's own data: the e-licences (电子证照) issued to them or copied
from the e-licence library for them. An issued licence is the issuing authority's record and stays
verifiable after the account is cancelled; nothing in it names the WeChat identity."""
from __future__ import annotations

from typing import Any

from backend.core.access import Resident
from backend.core.personal import DataSection, every_page
from backend.licences.service import LicenceService


class LicenceData:
    def __init__(self, licences: LicenceService):
        self._licences = licences

    async def sections(self, resident: Resident) -> list[DataSection]:
        async def page(cursor: str | None) -> dict[str, Any]:
            return await self._licences.list_own(resident, cursor=cursor, limit=100)
        return [DataSection("licences", "电子证照", await every_page(page), kept=True,
                            on_cancel="由发证机关依法保留，仍可查验"),
                DataSection("licence_fetches", "证照调取记录", (await self._licences.fetches(resident))["items"],
                            kept=True, on_cancel="作为调取您证照的留痕记录保留")]

    async def holds(self, resident_id: str) -> list[str]:
        return []

    async def forget(self, resident_id: str) -> dict[str, int]:
        return {}
