"""Files' part of a resident's own data: the materials they uploaded, with their bytes for the
export. At cancellation every file no case or complaint references is removed with its bytes; the
files attached to a case or complaint are kept with it."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from backend.core.access import Resident
from backend.core.personal import DataSection, every_page
from backend.files.service import FileService
from backend.files.values import StoredFile


class FileData:
    def __init__(self, files: FileService):
        self._files = files

    async def sections(self, resident: Resident) -> list[DataSection]:
        async def page(cursor: str | None) -> dict[str, Any]:
            return await self._files.list_own(resident, cursor=cursor, limit=100)
        items = await every_page(page)
        stored = {str(f.id): f for f in await self._files.store.many([i["id"] for i in items])
                  if f.owner_id == resident.id}
        contents = [(f"{item['id']}-{item['name']}", self._reader(stored[item["id"]]))
                    for item in items if item["id"] in stored]
        return [DataSection("files", "上传的材料", items, kept=True, files=contents,
                            on_cancel="未用于办件或诉求的材料立即删除；已提交的材料随办件、诉求保留")]

    def _reader(self, f: StoredFile) -> Callable[[], Awaitable[bytes]]:
        async def read() -> bytes:
            out = await self._files.open(f, thumbnail=False)
            data: bytes = await out.read()
            return data
        return read

    async def holds(self, resident_id: str) -> list[str]:
        return []

    async def forget(self, resident_id: str) -> dict[str, int]:
        return {"files": await self._files.remove_unattached_of(resident_id)}
