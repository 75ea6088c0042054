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
from notify.messages import Messages
from notify.store import OutboxStore, StaffAlertStore
from notify.values import NewMessage, StaffAlert


class Outbox:
    def __init__(self, store: OutboxStore, alerts: StaffAlertStore, clock: Clock, messages: Messages):
        self._store = store
        self._alerts = alerts
        self._clock = clock
        self._messages = messages

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: dt.datetime | None = None, dedupe_key: str | None = None) -> bool:
        """Record an event for a resident. Returns False when ``dedupe_key`` was already recorded."""
        message = self._message(kind, user_id=user_id, payload=payload, deliver_after=deliver_after,
                                dedupe_key=dedupe_key)
        return await self._store.add(message, session=session)

    add = emit  # the name the cross-domain interface uses

    async def emit_many(self, events: list[dict[str, Any]]) -> list[bool]:
        """Record several events with one write, each given as ``emit``'s keyword arguments plus
        ``kind``; by position, False for one whose ``dedupe_key`` was already recorded."""
        if not events:
            return []
        return await self._store.add_many([self._message(**e) for e in events])

    def _message(self, kind: str, *, user_id: str, payload: dict[str, Any], deliver_after: dt.datetime | None = None,
                 dedupe_key: str | None = None) -> NewMessage:
        now = self._clock.now()
        return NewMessage(kind=kind, user_id=user_id, payload=payload, created_at=now,
                          deliver_after=deliver_after or now, dedupe_key=dedupe_key)

    async def alert_staff(self, kind: str, *, payload: dict[str, Any], application_id: str | None = None,
                          department_id: str | None = None, dedupe_key: str | None = None,
                          session: Any = None) -> bool:
        """An alert on the staff's list (deadlines, rectification orders), its text made from
        ``payload`` by the words of its kind. Returns False when ``dedupe_key`` was already raised."""
        now = self._clock.now()
        alert = StaffAlert(kind=kind, text=self._messages.staff_alert(kind, payload, now), created_at=now,
                           application_id=application_id, department_id=department_id, dedupe_key=dedupe_key)
        return await self._alerts.add(alert, session=session)
