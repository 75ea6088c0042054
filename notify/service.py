"""What residents see of notifications: the templates to ask consent for, the consent they gave
(one-time subscriptions: one message each), and their inbox; and the staff's alerts."""
from __future__ import annotations

from typing import Any

from backend.config import NotifyConfig
from backend.core import errors
from backend.core.access import Resident
from backend.core.clock import Clock
from backend.core.ids import cursor_id, object_id
from notify.messages import TEMPLATE_TITLES
from notify.store import ConsentStore, InboxStore, StaffAlertStore


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
        docs = await self.inbox.page(resident.id, unread=unread, before=before, limit=limit + 1)
        more = len(docs) > limit
        docs = docs[:limit]
        return {"items": [_public(d) for d in docs], "next_cursor": str(docs[-1]["_id"]) if more else None,
                "unread": await self.inbox.unread_count(resident.id)}

    async def mark_read(self, resident: Resident, message_id: str) -> dict[str, Any]:
        oid = object_id(message_id)
        doc = await self.inbox.mark_read(resident.id, oid, self.clock.now()) if oid else None
        if doc is None:
            raise errors.NotFound()
        return _public(doc)

    async def staff_alerts(self, limit: int = 100) -> list[dict[str, Any]]:
        return [{"id": str(d["_id"]), "kind": d["kind"], "text": d["text"], "application_id": d.get("application_id"),
                 "department_id": d.get("department_id"), "created_at": d["created_at"]}
                for d in await self.alerts.latest(limit)]


def _public(d: dict[str, Any]) -> dict[str, Any]:
    p = d.get("payload") or {}
    return {"id": str(d["_id"]), "kind": d["kind"], "title": d["title"], "text": d["text"], "body": d["text"],
            "read": d["read"],
            "created_at": d["created_at"],
            "ref": {k: p[k] for k in ("application_id", "appointment_id", "payment_id", "receipt_id") if k in p}}
