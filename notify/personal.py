"""Notify's part of a resident's own data: their in-app messages (站内信) and the subscribe-message
consents they gave. At cancellation all of it is deleted, with every message still waiting to be
sent to them; a message emitted for a cancelled account later is not kept (``worker._to_inbox``)."""
from __future__ import annotations

from typing import Any

from backend.core.access import Resident
from backend.core.personal import DataSection, every_page
from notify.service import TEMPLATE_TITLES, NotifyService
from notify.store import OutboxStore


class MessageData:
    def __init__(self, *, notify: NotifyService, outbox: OutboxStore):
        self._notify = notify
        self._outbox = outbox

    async def sections(self, resident: Resident) -> list[DataSection]:
        async def page(cursor: str | None) -> dict[str, Any]:
            return await self._notify.list_inbox(resident, cursor=cursor, limit=100)
        quota = await self._notify.consent.remaining(resident.id)
        consents = [{"key": k, "title": TEMPLATE_TITLES.get(k, k), "remaining": n} for k, n in sorted(quota.items())]
        return [DataSection("messages", "站内消息", await every_page(page), kept=False, on_cancel="全部删除"),
                DataSection("subscriptions", "订阅消息授权", consents, kept=False, on_cancel="全部删除")]

    async def holds(self, resident_id: str) -> list[str]:
        return []

    async def forget(self, resident_id: str) -> dict[str, int]:
        await self._outbox.delete_of_user(resident_id)
        await self._notify.consent.delete_of_user(resident_id)
        return {"messages": await self._notify.inbox.delete_of_user(resident_id)}
