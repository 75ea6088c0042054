"""What residents see of notifications: the templates to ask consent for, the consent they gave
(one-time subscriptions: one message each), and their inbox."""
from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from backend.config import NotifyConfig
from backend.core import errors
from backend.core.access import Resident
from backend.core.clock import Clock
from notify.messages import TEMPLATE_TITLES


class NotifyService:
    def __init__(self, db: AsyncDatabase, clock: Clock, config: NotifyConfig):
        self.inbox = db["inbox"]
        self.subs = db["subscriptions"]
        self.staff_inbox = db["staff_inbox"]
        self.clock = clock
        self.config = config

    async def subscriptions(self, resident: Resident) -> dict[str, Any]:
        rows = {r["key"]: r["remaining"] async for r in self.subs.find({"user_id": resident.id})}
        return {"templates": [{"key": k, "template_id": tid, "title": TEMPLATE_TITLES.get(k, k)}
                              for k, tid in self.config.templates.items()],
                "quota": {k: rows.get(k, 0) for k in self.config.templates}}

    async def accept(self, resident: Resident, keys: list[str]) -> dict[str, Any]:
        unknown = [k for k in keys if k not in self.config.templates]
        if unknown:
            raise errors.InvalidInput({"accepted": "包含未知的消息模板"}, details={"unknown": unknown})
        for key in dict.fromkeys(keys):
            await self.subs.update_one({"user_id": resident.id, "key": key},
                                       {"$inc": {"remaining": 1}, "$set": {"updated_at": self.clock.now()}},
                                       upsert=True)
        return await self.subscriptions(resident)

    async def list_inbox(self, resident: Resident, *, unread: bool | None = None, cursor: str | None = None,
                         limit: int = 50) -> dict[str, Any]:
        q: dict[str, Any] = {"user_id": resident.id}
        if unread is not None:
            q["read"] = not unread
        if cursor:
            try:
                q["_id"] = {"$lt": ObjectId(cursor)}
            except (InvalidId, TypeError):
                raise errors.InvalidInput({"cursor": "无效的游标"}) from None
        docs = await self.inbox.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        more = len(docs) > limit
        docs = docs[:limit]
        unread_n = await self.inbox.count_documents({"user_id": resident.id, "read": False})
        return {"items": [_public(d) for d in docs], "next_cursor": str(docs[-1]["_id"]) if more else None,
                "unread": unread_n}

    async def mark_read(self, resident: Resident, message_id: str) -> dict[str, Any]:
        try:
            oid = ObjectId(message_id)
        except (InvalidId, TypeError):
            raise errors.NotFound() from None
        doc = await self.inbox.find_one_and_update({"_id": oid, "user_id": resident.id},
                                                   {"$set": {"read": True, "read_at": self.clock.now()}},
                                                   return_document=True)
        if doc is None:
            raise errors.NotFound()
        return _public(doc)

    async def staff_alerts(self, limit: int = 100) -> list[dict[str, Any]]:
        docs = await self.staff_inbox.find({}).sort("created_at", DESCENDING).limit(limit).to_list(limit)
        return [{"id": str(d["_id"]), "kind": d["kind"], "text": d["text"], "application_id": d.get("application_id"),
                 "department_id": d.get("department_id"), "created_at": d["created_at"]} for d in docs]


def _public(d: dict[str, Any]) -> dict[str, Any]:
    p = d.get("payload") or {}
    return {"id": str(d["_id"]), "kind": d["kind"], "title": d["title"], "text": d["text"], "body": d["text"],
            "read": d["read"],
            "created_at": d["created_at"],
            "ref": {k: p[k] for k in ("application_id", "appointment_id", "payment_id", "receipt_id") if k in p}}
