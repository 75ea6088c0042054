"""What residents see of notifications: the templates to ask consent for, the consent they gave
(one-time subscriptions: one message each), and their inbox; and the staff's alerts."""
from __future__ import annotations

from typing import Any

from backend.config import NotifyConfig
from backend.core import errors
from backend.core.access import Resident
from backend.core.clock import Clock
from backend.core.ids import cursor_id, object_id
from backend.core.phrasing import TEMPLATES
from notify.store import ConsentStore, InboxStore, StaffAlertStore
from notify.values import InboxMessage

TEMPLATE_TITLES = {t.key: t.title for t in TEMPLATES}


class NotifyService:
    def __init__(self, *, inbox: InboxStore, consent: ConsentStore, alerts: StaffAlertStore, clock: Clock,
                 config: NotifyConfig):
        self.inbox = inbox
        self.consent = consent
        self.alerts = alerts
        self.clock = clock
        self.config = config

    async def subscriptions(self, resident: Resident) -> dict[str, Any]:
        rows = await self.consent.remaining(resident.id)
        return {"templates": [{"key": k, "template_id": tid, "title": TEMPLATE_TITLES.get(k, k)}
                              for k, tid in self.config.templates.items()],
                "quota": {k: rows.get(k, 0) for k in self.config.templates}}

    async def accept(self, resident: Resident, keys: list[str]) -> dict[str, Any]:
        unknown = [k for k in keys if k not in self.config.templates]
        if unknown:
            raise errors.InvalidInput({"accepted": "包含未知的消息模板"}, details={"unknown": unknown})
        for key in dict.fromkeys(keys):
            await self.consent.grant(resident.id, key, self.clock.now())
        return await self.subscriptions(resident)

    async def list_inbox(self, resident: Resident, *, unread: bool | None = None, cursor: str | None = None,
                         limit: int = 50) -> dict[str, Any]:
        before = cursor_id(cursor)
        found = await self.inbox.page(resident.id, unread=unread, before=before, limit=limit + 1)
        more = len(found) > limit
        found = found[:limit]
        return {"items": [_public(m) for m in found], "next_cursor": str(found[-1].id) if more else None,
                "unread": await self.inbox.unread_count(resident.id)}

    async def mark_read(self, resident: Resident, message_id: str) -> dict[str, Any]:
        oid = object_id(message_id)
        message = await self.inbox.mark_read(resident.id, oid, self.clock.now()) if oid else None
        if message is None:
            raise errors.NotFound()
        return _public(message)

    async def staff_alerts(self, limit: int = 100) -> list[dict[str, Any]]:
        return [{"id": str(a.id), "kind": a.kind, "text": a.text, "application_id": a.application_id,
                 "department_id": a.department_id, "created_at": a.created_at}
                for a in await self.alerts.latest(limit)]


def _public(m: InboxMessage) -> dict[str, Any]:
    p = m.payload
    return {"id": str(m.id), "kind": m.kind, "title": m.title, "text": m.text, "body": m.text, "read": m.read,
            "created_at": m.created_at,
            "ref": {k: p[k] for k in ("application_id", "appointment_id", "payment_id", "receipt_id") if k in p}}
