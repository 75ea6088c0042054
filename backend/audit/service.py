"""The audit log: every staff action and every reveal of personal data, appended, never changed.

The application only ever inserts into and reads ``audit_log``; in production the database
user should hold no update or remove privilege on it (see README, "Deploying for a city").
Entries are kept at least 6 months (Cybersecurity Law art. 21); no TTL index purges them.
"""
from __future__ import annotations

import logging
from typing import Any

from backend.audit.store import AuditStore
from backend.core.clock import Clock
from backend.core.ids import object_id
from backend.core.logs import request_id_var

log = logging.getLogger("zjb.audit")


class AuditLog:
    def __init__(self, store: AuditStore, clock: Clock):
        self._store = store
        self._clock = clock

    async def record(self, *, actor: dict[str, Any], action: str, target_type: str, target_id: str | None = None,
                     details: dict[str, Any] | None = None, ip: str | None = None, outcome: str = "ok",
                     session: Any = None) -> None:
        await self._store.append({
            "at": self._clock.now(),
            "actor": actor,
            "action": action,
            "target": {"type": target_type, "id": target_id},
            "details": details or {},
            "outcome": outcome,
            "ip": ip,
            "request_id": request_id_var.get(),
        }, session=session)

    async def search(self, *, actor_id: str | None = None, action: str | None = None,
                     target_type: str | None = None, target_id: str | None = None,
                     text: str | None = None, before: str | None = None,
                     limit: int = 50) -> tuple[list[dict], str | None]:
        """A page of entries, newest first, and the cursor of the next page (None at the end)."""
        before_id = None
        if before:
            before_id = object_id(before)
            if before_id is None:
                return [], None
        docs = await self._store.newest_first(actor_id=actor_id, action=action, target_type=target_type,
                                              target_id=target_id, text=text, before=before_id, limit=limit + 1)
        cursor = str(docs[limit - 1]["_id"]) if len(docs) > limit else None
        return docs[:limit], cursor


def staff_actor(staff: Any) -> dict[str, Any]:
    return {"type": "staff", "id": staff.id, "username": staff.username}


def resident_actor(resident: Any) -> dict[str, Any]:
    return {"type": "resident", "id": resident.id}


def system_actor(name: str) -> dict[str, Any]:
    return {"type": "system", "id": name}
