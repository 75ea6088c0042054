"""The audit log: every staff action and every reveal of personal data, appended, never changed.

The application only ever inserts into and reads ``audit_log``; in production the database
user should hold no update or remove privilege on it (see README, "Deploying for a city").
Entries are kept at least 6 months (Cybersecurity Law art. 21); no TTL index purges them.
"""
from __future__ import annotations

import logging
from typing import Any

from backend.audit.access import AUDIT_LOG
from backend.audit.store import AuditStore
from backend.audit.values import AuditEntry, AuditQuery, Outcome
from backend.core.access import Staff
from backend.core.clock import Clock
from backend.core.domain import Namer
from backend.core.logs import request_id_var

log = logging.getLogger("zjb.audit")


class AuditLog:
    def __init__(self, store: AuditStore, clock: Clock):
        self._store = store
        self._clock = clock
        self._namers: dict[str, Namer] = {}

    async def record(self, *, actor: dict[str, Any], action: str, target_type: str, target_id: str | None = None,
                     details: dict[str, Any] | None = None, ip: str | None = None, outcome: str = "ok",
                     session: Any = None) -> None:
        await self._store.append(AuditEntry(
            at=self._clock.now(), actor=actor, action=action, target_type=target_type, target_id=target_id,
            details=details or {}, outcome=Outcome(outcome), ip=ip, request_id=request_id_var.get(),
        ), session=session)

    async def acted_on(self, actor_id: str, target_type: str, target_ids: list[str]) -> list[str]:
        """Those of ``target_ids`` on which this actor has an action in the log that went through
        (who may see a resident's identity: the staff who acted on their case or booking)."""
        return sorted({t for t, a in await self._store.actors_on(target_type, target_ids) if a == actor_id})

    def register_names(self, namers: dict[str, Namer]) -> None:
        """How to name each kind of object the log refers to (the domains' ``Domain.names``)."""
        self._namers.update(namers)

    async def target_names(self, entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
        """What people call the objects of ``entries`` (a serial, a number, a name), one read per
        kind; an object whose kind has no namer, or that is gone, has none."""
        ids: dict[str, set[str]] = {}
        for e in entries:
            if e.target_id and e.target_type in self._namers:
                ids.setdefault(e.target_type, set()).add(e.target_id)
        out: dict[tuple[str, str], str] = {}
        for kind, wanted in ids.items():
            try:
                found = await self._namers[kind](sorted(wanted))
            except Exception:  # a name is a courtesy: the entry shows without it
                log.exception("audit target names failed", extra={"target_type": kind})
                continue
            out.update({(kind, i): name for i, name in found.items()})
        return out

    async def search(self, reader: Staff, *, actor_id: str | None = None, action: str | None = None,
                     target_type: str | None = None, target_id: str | None = None,
                     text: str | None = None, before: str | None = None,
                     limit: int = 50) -> tuple[list[AuditEntry], str | None]:
        """A page of entries, newest first, and the cursor of the next page (None at the end)."""
        AUDIT_LOG.check(reader, "read")
        query = AuditQuery(actor_id=actor_id, action=action, target_type=target_type, target_id=target_id,
                           text=text)
        entries = await self._store.newest_first(query, before=before, limit=limit + 1)
        cursor = entries[limit - 1].id if len(entries) > limit else None
        return entries[:limit], cursor


# The actor helpers take any principal: callers pick the helper by the principal's kind themselves.
def staff_actor(staff: Any) -> dict[str, Any]:
    return {"type": "staff", "id": staff.id, "username": staff.username}


def resident_actor(resident: Any) -> dict[str, Any]:
    return {"type": "resident", "id": resident.id}


def system_actor(name: str) -> dict[str, Any]:
    return {"type": "system", "id": name}
