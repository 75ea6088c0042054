"""Every query of notifications: the outbox and its delivery state, the inbox (站内信), consent
for subscribe messages (订阅额度) and staff alerts.

Delivery state lives on the outbox row. A row is due when its ``deliver_after`` has come:
``pending`` rows wait for their first (or next) attempt, and a ``sending`` row's
``deliver_after`` is its lease, so a row whose worker died becomes due again when the lease runs
out. Both are found through the ``(status, deliver_after)`` index, never by scanning.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from backend.db.mongo import CollectionSpec, InsertBatch, count_by, drop_indexes, insert_new, insert_once
from notify.values import InboxMessage, NewMessage, OutboxMessage, OutboxStatus, PushState, Settlement, StaffAlert

# The stored statuses (plain strings for the queries).
PENDING, SENDING, DELIVERED, FAILED = (s.value for s in (OutboxStatus.PENDING, OutboxStatus.SENDING,
                                                        OutboxStatus.DELIVERED, OutboxStatus.FAILED))

OUTBOX_COLLECTIONS = [
    CollectionSpec(
        "outbox",
        indexes=(
            IndexModel([("status", ASCENDING), ("deliver_after", ASCENDING)]),
            IndexModel([("dedupe_key", ASCENDING)], unique=True,
                       partialFilterExpression={"dedupe_key": {"$type": "string"}}),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["kind", "user_id", "payload", "status", "created_at", "deliver_after"],
            "properties": {"status": {"enum": [s.value for s in OutboxStatus]}, "kind": {"bsonType": "string"},
                           "payload": {"bsonType": "object"}},
        }},
        doc="Events to deliver to people (subscribe message, inbox, SMS), with delivery state.",
    ),
]

COLLECTIONS = [
    *OUTBOX_COLLECTIONS,
    CollectionSpec("inbox", indexes=(IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),),
                   validator={"$jsonSchema": {"bsonType": "object", "required": ["user_id", "kind", "title", "text",
                                                                                  "read", "created_at"]}},
                   doc="In-app messages (站内信); _id is the outbox message's id, so each lands once."),
    CollectionSpec("subscriptions", indexes=(IndexModel([("user_id", ASCENDING), ("key", ASCENDING)], unique=True),),
                   validator={"$jsonSchema": {"bsonType": "object", "required": ["user_id", "key", "remaining"]}},
                   doc="One-time subscribe-message consent left, per resident and template key."),
    CollectionSpec("staff_inbox", indexes=(IndexModel([("created_at", DESCENDING)]),
                                           IndexModel([("dedupe_key", ASCENDING)], unique=True,
                                                      partialFilterExpression={"dedupe_key": {"$type": "string"}})),
                   doc="Alerts for staff (supervision deadlines, rectification orders)."),
]


class OutboxStore:
    def __init__(self, db: AsyncDatabase[Any]):
        self._col = db["outbox"]
        self._inserts = InsertBatch(self._col)  # messages written together (a wave of bookings): one insert

    async def drop_obsolete_indexes(self) -> list[str]:
        """Indexes earlier versions created that nothing reads (on SecantusDB every write rewrites
        every index entry, so no write should pay for them); the ones dropped."""
        return await drop_indexes(self._col, ("user_id_1_created_at_1", "ref_1"))

    async def add(self, message: NewMessage, session: Any = None) -> bool:
        """Insert a message; False when its ``dedupe_key`` is already there."""
        return await insert_once(self._col, _new_doc(message), session)

    async def add_many(self, messages: list[NewMessage]) -> list[bool]:
        """Insert messages in one write; by position, False for one whose ``dedupe_key`` is already there."""
        refused = await self._inserts.insert([_new_doc(m) for m in messages])
        return [i not in refused for i in range(len(messages))]

    # Delivery ---------------------------------------------------------------------------------------
    async def due_ids(self, now: dt.datetime, limit: int) -> list[ObjectId]:
        """Ids of rows due now, oldest first: pending ones, then those whose lease ran out."""
        ids: list[ObjectId] = []
        for status in (PENDING, SENDING):
            if len(ids) >= limit:
                break
            cursor = self._col.find({"status": status, "deliver_after": {"$lte": now}}, {"_id": 1}) \
                .sort("deliver_after", ASCENDING).limit(limit - len(ids))
            ids += [d["_id"] async for d in cursor]
        return ids

    async def claim(self, ids: list[ObjectId], *, now: dt.datetime, lease_until: dt.datetime, claim: str,
                    worker: str) -> list[OutboxMessage]:
        """Take the rows among ``ids`` that are still due, with one write; the rows taken. A row
        another worker took meanwhile has a lease in the future, so it is not due and not taken."""
        if not ids:
            return []
        await self._col.update_many(
            {"_id": {"$in": ids}, "status": {"$in": [PENDING, SENDING]}, "deliver_after": {"$lte": now}},
            {"$set": {"status": SENDING, "deliver_after": lease_until, "claim": claim, "worker": worker},
             "$inc": {"attempts": 1}})
        rows = await self._col.find({"_id": {"$in": ids}, "claim": claim}).to_list(None)
        order = {i: n for n, i in enumerate(ids)}
        return [_message(r) for r in sorted(rows, key=lambda r: order[r["_id"]])]

    async def mark_attempting(self, ids: list[ObjectId], claim: str) -> set[ObjectId]:
        """Record that a WeChat push is about to start, for the rows still under ``claim``; those rows."""
        res = await self._col.update_many({"_id": {"$in": ids}, "claim": claim},
                                          {"$set": {"channels.wechat": PushState.ATTEMPTING.value}})
        if res.modified_count == len(ids):
            return set(ids)
        return {d["_id"] async for d in self._col.find({"_id": {"$in": ids}, "claim": claim}, {"_id": 1})}

    async def settle_many(self, settled: Iterable[tuple[OutboxMessage, Settlement]]) -> None:
        """Record what delivery settled for each message, under the claim it was delivered with (a
        message whose claim another worker took over meanwhile is left alone), in one round trip."""
        ops = [UpdateOne({"_id": m.id, "claim": m.claim}, _settlement(s)) for m, s in settled]
        if ops:
            await self._col.bulk_write(ops, ordered=False)

    # Figures --------------------------------------------------------------------------------------------
    async def delete_of_user(self, user_id: str) -> int:
        """Every message to a resident, delivered or not (their account is cancelled). Rare: it reads
        the whole outbox rather than keep an index on every message's resident."""
        return (await self._col.delete_many({"user_id": user_id})).deleted_count

    async def count_by_status(self) -> list[tuple[str, int]]:
        """Messages waiting, being sent and failed. Delivered and skipped ones are history: counting
        them would read the whole of it at every scrape."""
        return [(s, await self._col.count_documents({"status": s})) for s in (PENDING, SENDING, FAILED)]

    async def most_overdue(self, now: dt.datetime) -> dt.timedelta:
        """How long the longest-waiting due message has been waiting (zero when none is)."""
        worst = dt.timedelta()
        for status in (PENDING, SENDING):
            row = await self._col.find_one({"status": status, "deliver_after": {"$lte": now}},
                                           {"deliver_after": 1}, sort=[("deliver_after", ASCENDING)])
            if row:
                worst = max(worst, now - row["deliver_after"])
        return worst

    async def failed_by_kind(self) -> list[tuple[str, int]]:
        return await count_by(self._col, "kind", {"status": FAILED})


def _new_doc(m: NewMessage) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": m.kind, "user_id": m.user_id, "payload": m.payload, "status": PENDING,
                           "attempts": 0, "created_at": m.created_at, "deliver_after": m.deliver_after}
    if m.dedupe_key:
        doc["dedupe_key"] = m.dedupe_key
    return doc


def _message(doc: dict[str, Any]) -> OutboxMessage:
    channels = doc.get("channels") or {}
    push = channels.get("wechat")
    return OutboxMessage(id=doc["_id"], kind=doc["kind"], user_id=doc["user_id"], payload=doc["payload"],
                         status=OutboxStatus(doc["status"]), attempts=int(doc.get("attempts", 0)),
                         created_at=doc["created_at"], deliver_after=doc["deliver_after"], claim=doc.get("claim"),
                         in_inbox=channels.get("inbox") == DELIVERED, push=PushState(push) if push else None)


def _settlement(s: Settlement) -> dict[str, Any]:
    """The update that records a settlement (the claim is given up in every case)."""
    sets: dict[str, Any] = {"status": s.status.value}
    unsets = {"claim": ""}
    inc: dict[str, int] = {}
    if s.in_inbox:
        sets["channels.inbox"] = DELIVERED
    if s.push is not None:
        sets["channels.wechat"] = s.push.value
    elif s.push_cleared:
        unsets["channels.wechat"] = ""
    if s.push_reason:
        sets["wechat_reason"] = s.push_reason
    if s.status is OutboxStatus.DELIVERED:
        sets["delivered_at"] = s.at
    elif s.status is OutboxStatus.FAILED:
        sets.update({"failed_at": s.at, "last_error": s.error})
    else:
        sets["deliver_after"] = s.next_at or s.at
        if s.error is not None:
            sets["last_error"] = s.error
        if s.not_attempted:
            inc["attempts"] = -1
    update: dict[str, Any] = {"$set": sets, "$unset": unsets}
    if inc:
        update["$inc"] = inc
    return update


class InboxStore:
    def __init__(self, db: AsyncDatabase[Any]):
        self._col = db["inbox"]

    async def put_many(self, messages: list[InboxMessage]) -> None:
        """Insert inbox messages; one already there (an earlier attempt got this far) is left as it is."""
        docs = [{"_id": m.id, "user_id": m.user_id, "kind": m.kind, "title": m.title, "text": m.text,
                 "payload": m.payload, "read": m.read, "created_at": m.created_at} for m in messages]
        await insert_new(self._col, docs)  # refused: delivered before (the inbox row's id is the message's)

    async def page(self, user_id: str, *, unread: bool | None, before: ObjectId | None,
                   limit: int) -> list[InboxMessage]:
        q: dict[str, Any] = {"user_id": user_id}
        if unread is not None:
            q["read"] = not unread
        if before is not None:
            q["_id"] = {"$lt": before}
        return [_inbox(d) for d in await self._col.find(q).sort("_id", DESCENDING).limit(limit).to_list(limit)]

    async def delete_of_user(self, user_id: str) -> int:
        return (await self._col.delete_many({"user_id": user_id})).deleted_count

    async def unread_count(self, user_id: str) -> int:
        return await self._col.count_documents({"user_id": user_id, "read": False})

    async def mark_read(self, user_id: str, message_id: ObjectId, now: dt.datetime) -> InboxMessage | None:
        await self._col.update_one({"_id": message_id, "user_id": user_id, "read": False},
                                   {"$set": {"read": True, "read_at": now}})
        doc = await self._col.find_one({"_id": message_id, "user_id": user_id})
        return _inbox(doc) if doc else None


def _inbox(d: dict[str, Any]) -> InboxMessage:
    return InboxMessage(id=d["_id"], user_id=d["user_id"], kind=d["kind"], title=d["title"], text=d["text"],
                        payload=d.get("payload") or {}, read=bool(d["read"]), created_at=d["created_at"])


class ConsentStore:
    def __init__(self, db: AsyncDatabase[Any]):
        self._col = db["subscriptions"]

    async def remaining(self, user_id: str) -> dict[str, int]:
        return {r["key"]: int(r["remaining"]) async for r in self._col.find({"user_id": user_id})}

    async def grant(self, user_id: str, key: str, now: dt.datetime) -> None:
        await self._col.update_one({"user_id": user_id, "key": key},
                                   {"$inc": {"remaining": 1}, "$set": {"updated_at": now}}, upsert=True)

    async def take_many(self, wants: list[tuple[str, str]]) -> list[bool]:
        """Use one consent for each (user, key), if one is left; by position, whether it was. One
        write and at most one read per round (a second round only for a pair wanted again)."""
        out = [False] * len(wants)
        pending = list(range(len(wants)))
        while pending:
            first: dict[tuple[str, str], int] = {}
            again: list[int] = []
            for i in pending:
                if wants[i] in first:
                    again.append(i)
                else:
                    first[wants[i]] = i
            stamp = uuid.uuid4().hex
            res = await self._col.bulk_write(
                [UpdateOne({"user_id": u, "key": k, "remaining": {"$gt": 0}},
                           {"$inc": {"remaining": -1}, "$set": {"taken_by": stamp}}) for u, k in first],
                ordered=False)
            if res.modified_count == len(first):
                taken = set(first)
            elif res.modified_count == 0:
                taken = set()
            else:
                users = list({u for u, _ in first})
                taken = {(d["user_id"], d["key"]) async for d in
                         self._col.find({"user_id": {"$in": users}, "taken_by": stamp}, {"user_id": 1, "key": 1})}
            for pair, i in first.items():
                out[i] = pair in taken
            pending = [i for i in again if wants[i] in taken]  # none left where none was taken now
        return out

    async def delete_of_user(self, user_id: str) -> int:
        return (await self._col.delete_many({"user_id": user_id})).deleted_count

    async def give_back(self, user_id: str, key: str) -> None:
        await self._col.update_one({"user_id": user_id, "key": key}, {"$inc": {"remaining": 1}})


class StaffAlertStore:
    def __init__(self, db: AsyncDatabase[Any]):
        self._col = db["staff_inbox"]

    async def add(self, alert: StaffAlert, session: Any = None) -> bool:
        """False when an alert with the same ``dedupe_key`` was already raised."""
        doc: dict[str, Any] = {"kind": alert.kind, "text": alert.text, "application_id": alert.application_id,
                               "department_id": alert.department_id, "created_at": alert.created_at}
        if alert.dedupe_key:
            doc["dedupe_key"] = alert.dedupe_key
        return await insert_once(self._col, doc, session)

    async def latest(self, limit: int) -> list[StaffAlert]:
        return [StaffAlert(id=d["_id"], kind=d["kind"], text=d["text"], created_at=d["created_at"],
                           application_id=d.get("application_id"), department_id=d.get("department_id"))
                for d in await self._col.find({}).sort("created_at", DESCENDING).limit(limit).to_list(limit)]
