"""The outbox: the only way any domain tells a person something. Every event a resident should
hear about is written here durably in the same step as the change that caused it (pass the
change's ``session`` to write both in one transaction); alerts for staff go through here too.

Workers (``notify.worker``) deliver what is here; nothing else sends messages.
A ``dedupe_key`` makes an emit idempotent: the same key is stored once (unique index), so a
retried request or a repeated provider notice never produces a second message.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.core.clock import Clock
from notify import messages
from notify.store import PENDING, OutboxStore, StaffAlertStore


class Outbox:
    def __init__(self, store: OutboxStore, alerts: StaffAlertStore, clock: Clock):
        self._store = store
        self._alerts = alerts
        self._clock = clock

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: dt.datetime | None = None, dedupe_key: str | None = None) -> bool:
        """Record an event for a resident. Returns False when ``dedupe_key`` was already recorded."""
        doc = self._message(kind, user_id=user_id, payload=payload, deliver_after=deliver_after,
                            dedupe_key=dedupe_key)
        return await self._store.add(doc, session=session)

    add = emit  # the name the cross-domain interface uses

    async def emit_many(self, events: list[dict[str, Any]]) -> list[bool]:
        """Record several events with one write, each given as ``emit``'s keyword arguments plus
        ``kind``; by position, False for one whose ``dedupe_key`` was already recorded."""
        if not events:
            return []
        return await self._store.add_many([self._message(**e) for e in events])

    def _message(self, kind: str, *, user_id: str, payload: dict[str, Any], deliver_after: dt.datetime | None = None,
                 dedupe_key: str | None = None) -> dict[str, Any]:
        now = self._clock.now()
        doc: dict[str, Any] = {"kind": kind, "user_id": user_id, "payload": payload, "status": PENDING, "attempts": 0,
                               "created_at": now, "deliver_after": deliver_after or now}
        if dedupe_key:
            doc["dedupe_key"] = dedupe_key
        return doc

    async def alert_staff(self, kind: str, *, payload: dict[str, Any], application_id: str | None = None,
                          department_id: str | None = None, dedupe_key: str | None = None,
                          session: Any = None) -> bool:
        """An alert on the staff's list (deadlines, rectification orders), its text made from
        ``payload`` by ``notify.messages``. Returns False when ``dedupe_key`` was already raised."""
        now = self._clock.now()
        doc: dict[str, Any] = {"kind": kind, "text": messages.staff_alert(kind, payload, now),
                               "application_id": application_id, "department_id": department_id, "created_at": now}
        if dedupe_key:
            doc["dedupe_key"] = dedupe_key
        return await self._alerts.add(doc, session=session)
