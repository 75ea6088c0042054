"""Storage of the audit log (``audit_log``): appended to and read, never changed."""
from __future__ import annotations

import re
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.audit.values import AuditEntry, AuditQuery, Outcome
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec(
        "audit_log",
        indexes=(
            IndexModel([("at", DESCENDING)]),
            IndexModel([("actor.id", ASCENDING), ("at", DESCENDING)]),
            IndexModel([("action", ASCENDING), ("at", DESCENDING)]),
            IndexModel([("target.type", ASCENDING), ("target.id", ASCENDING), ("at", DESCENDING)]),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["at", "actor", "action", "target"],
            "properties": {"action": {"bsonType": "string"}, "actor": {"bsonType": "object"},
                           "target": {"bsonType": "object"}},
        }},
        doc="Append-only audit trail of staff actions and personal-data reveals.",
    ),
]


def _to_doc(e: AuditEntry) -> dict[str, Any]:
    return {"at": e.at, "actor": e.actor, "action": e.action, "target": {"type": e.target_type, "id": e.target_id},
            "details": e.details, "outcome": None if e.outcome is None else str(e.outcome), "ip": e.ip,
            "request_id": e.request_id}


def _from_doc(d: dict[str, Any]) -> AuditEntry:
    target = d.get("target") or {}
    outcome = d.get("outcome")
    return AuditEntry(id=str(d["_id"]), at=d["at"], actor=d["actor"], action=d["action"],
                      target_type=str(target.get("type")), target_id=target.get("id"), details=d.get("details") or {},
                      outcome=None if outcome is None else Outcome(outcome), ip=d.get("ip"),
                      request_id=d.get("request_id"))


class AuditStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["audit_log"]

    async def append(self, entry: AuditEntry, *, session: Any = None) -> None:
        await self._col.insert_one(_to_doc(entry), session=session)

    async def actors_on(self, target_type: str, target_ids: list[str], limit: int = 1000) -> list[tuple[str, str]]:
        """(target id, actor id) of the entries that succeeded on these targets: one read on the
        target index (exactly its prefix and one ``$in``), the rest filtered here."""
        if not target_ids:
            return []
        docs = await self._col.find({"target.type": target_type, "target.id": {"$in": target_ids}},
                                    {"target.id": 1, "actor.id": 1, "outcome": 1}).limit(limit).to_list(limit)
        return [(str(d["target"]["id"]), str(d.get("actor", {}).get("id")))
                for d in docs if d.get("outcome") in (None, "ok")]

    async def newest_first(self, query: AuditQuery, *, before: str | None, limit: int) -> list[AuditEntry]:
        """Entries matching every given filter, newest first, older than the entry ``before`` if given
        (an id that is not one matches nothing)."""
        q: dict[str, Any] = {}
        if query.actor_id:
            q["actor.id"] = query.actor_id
        if query.action:
            q["action"] = query.action
        if query.target_type:
            q["target.type"] = query.target_type
        if query.target_id:
            q["target.id"] = query.target_id
        if query.text:
            # A literal, escaped substring: input never becomes a query operator or a pattern.
            pattern = re.escape(query.text)
            q["$or"] = [{"action": {"$regex": pattern}}, {"actor.username": {"$regex": pattern}}]
        if before:
            before_id = object_id(before)
            if before_id is None:
                return []
            q["_id"] = {"$lt": before_id}
        return [_from_doc(d) for d in await self._col.find(q).sort("_id", DESCENDING).limit(limit).to_list(limit)]
