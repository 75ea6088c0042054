"""An entry of the audit log, as a typed value, and its view in the API."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"
    THROTTLED = "throttled"
    DENIED = "denied"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """Who did what to which thing, when, from where and with what outcome. ``id`` is empty until stored."""
    at: dt.datetime
    actor: dict[str, Any]
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = Outcome.OK
    ip: str | None = None
    request_id: str | None = None
    id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """What a reader of the log looks for; every given filter must match."""
    actor_id: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    text: str | None = None      # a literal substring of the action or the actor's username


def audit_view(e: AuditEntry, target_name: str | None = None) -> dict[str, Any]:
    """An entry as the API shows it; ``target_name`` is what people call its object (a serial, a
    number, a name), when it has one."""
    target: dict[str, Any] = {"type": e.target_type, "id": e.target_id}
    if target_name:
        target["name"] = target_name
    return {"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "target": target, "details": e.details,
            "outcome": None if e.outcome is None else str(e.outcome), "ip": e.ip, "request_id": e.request_id}
