"""Bundles' part of a resident's own data: their 一件事 applications, kept with their cases."""
from __future__ import annotations

from typing import Any

from backend.bundles.service import BundleService
from backend.core.access import Resident
from backend.core.personal import DataSection, every_page


class BundleData:
    def __init__(self, bundles: BundleService):
        self._bundles = bundles

    async def sections(self, resident: Resident) -> list[DataSection]:
        async def page(cursor: str | None) -> dict[str, Any]:
            return await self._bundles.list_own(resident, cursor=cursor, limit=100)
        return [DataSection("bundles", "一件事", await every_page(page), kept=True,
                            on_cancel="与其中的办件一同依法归档保留")]

    async def holds(self, resident_id: str) -> list[str]:
        return []

    async def forget(self, resident_id: str) -> dict[str, int]:
        return {}
